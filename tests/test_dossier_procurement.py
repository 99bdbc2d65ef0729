"""Procurement check (DOMAIN.md §5): thresholds by date, route boundaries, refusals, the
same-kind sum, the documentation duty, checklist problems, the thresholds loader and validation.
Pure: no app, no database."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import get_args

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from workflow.dossier.procurement import (
    ANSWERS,
    CHECKLIST_ITEMS,
    DEFAULT_THRESHOLDS_FILE,
    FRAMEWORKS,
    ROUTES,
    VALUE_ROUTES,
    Answer,
    Framework,
    ItemId,
    NoThresholdsInForce,
    ProcurementCheck,
    Route,
    ThresholdsError,
    ThresholdSet,
    evaluate,
    financial_year,
    load_thresholds,
    problems,
    proposed_route,
    thresholds_on,
)

# Fixed values for the hand-computed examples: the 2024-2025 figures.
T = ThresholdSet(
    direct_limit_sek=700_000,
    documentation_from_sek=100_000,
    eu_threshold_sek=2_389_585,
    eu_threshold_eur=221_000,
    eu_threshold_sek_confirmed=True,
    valid_from=date(2024, 1, 1),
    valid_to=date(2025, 12, 31),
)
DAY = date(2025, 6, 1)


def complete_checklist() -> dict:
    answers = {item: {"answer": "yes"} for item in CHECKLIST_ITEMS}
    answers["it_consulted"] = {"answer": "yes", "who": "Anna Digital, digitaliseringsstrateg",
                               "when": "2025-05-20"}
    return answers


def make(**fields) -> ProcurementCheck:
    data = {"checked_on": DAY, "kind": "Licenser för schemaläggning",
            "checklist": complete_checklist()}
    data.update(fields)
    return ProcurementCheck.model_validate(data)


def run(check: ProcurementCheck, others: int = 0, thresholds: ThresholdSet = T):
    return evaluate(check, thresholds=thresholds, same_kind_direct_sum_sek=others)


def codes(failures) -> list[str]:
    return [failure.code for failure in failures]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "procurement.toml"
    path.write_text(text, encoding="utf-8")
    return path


DIRECT = """
[[direct_procurement]]
valid_from = 2022-02-01
limit_sek = 700000
documentation_from_sek = 100000
"""
EU_2024 = """
[[eu_threshold]]
valid_from = 2024-01-01
valid_to = 2025-12-31
eur = 221000
sek = 2389585
"""
EU_2026 = """
[[eu_threshold]]
valid_from = 2026-01-01
valid_to = 2027-12-31
eur = 216000
sek = 2500000
sek_confirmed = false
"""

# --- Thresholds by date ------------------------------------------------------------------------


def test_thresholds_are_picked_by_the_day_of_the_check(tmp_path):
    thresholds = load_thresholds(write(tmp_path, DIRECT + EU_2024 + EU_2026))
    last_day = thresholds_on(thresholds, date(2025, 12, 31))
    first_day = thresholds_on(thresholds, date(2026, 1, 1))
    assert (last_day.eu_threshold_sek, last_day.eu_threshold_eur) == (2_389_585, 221_000)
    assert last_day.eu_threshold_sek_confirmed is True  # sek_confirmed defaults to true
    assert (first_day.eu_threshold_sek, first_day.eu_threshold_eur) == (2_500_000, 216_000)
    assert first_day.eu_threshold_sek_confirmed is False
    # The direct limit (from 2022-02-01, open-ended) is the same on both days; the set's period
    # is where both tables stay the same: the EU period.
    assert last_day.direct_limit_sek == first_day.direct_limit_sek == 700_000
    assert (first_day.valid_from, first_day.valid_to) == (date(2026, 1, 1), date(2027, 12, 31))


def test_the_same_value_changes_route_at_the_new_period(tmp_path):
    thresholds = load_thresholds(write(tmp_path, DIRECT + EU_2024 + EU_2026))
    value = 2_400_000  # ≥ 2 389 585 (2025) but < 2 500 000 (2026, this test file's value)
    assert proposed_route(value, thresholds_on(thresholds, date(2025, 12, 31))) == "eu_procedure"
    assert proposed_route(value, thresholds_on(thresholds, date(2026, 1, 1))) == \
        "advertised_procedure"


def test_shipped_file_loads_with_the_published_figures():
    thresholds = load_thresholds(DEFAULT_THRESHOLDS_FILE)
    in_2025 = thresholds_on(thresholds, date(2025, 12, 31))
    in_2026 = thresholds_on(thresholds, date(2026, 1, 1))
    assert (in_2025.direct_limit_sek, in_2025.documentation_from_sek) == (700_000, 100_000)
    assert (in_2025.eu_threshold_sek, in_2025.eu_threshold_eur) == (2_389_585, 221_000)
    # The 2026-2027 SEK value is for the administrator to confirm; only the euro value is fixed.
    assert in_2026.eu_threshold_eur == 216_000
    assert (in_2026.valid_from, in_2026.valid_to) == (date(2026, 1, 1), date(2027, 12, 31))


def test_a_day_outside_every_period_is_refused_clearly():
    thresholds = load_thresholds(DEFAULT_THRESHOLDS_FILE)
    with pytest.raises(NoThresholdsInForce, match=r"no \[\[eu_threshold\]\] entry .* 2028-01-01"):
        thresholds_on(thresholds, date(2028, 1, 1))
    with pytest.raises(NoThresholdsInForce, match="direct_procurement.*2022-01-31"):
        thresholds_on(thresholds, date(2022, 1, 31))
    with pytest.raises(ValueError, match="procurement.toml"):
        thresholds_on(thresholds, date(2023, 12, 31))  # direct limit yes, EU period no


# --- Route boundaries --------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "route"), [
    (0, "direct_procurement"),
    (700_000, "direct_procurement"),       # exactly the limit is still direct
    (700_001, "advertised_procedure"),
    (2_389_584, "advertised_procedure"),   # one krona under the EU threshold
    (2_389_585, "eu_procedure"),           # reaching it is enough (2014/24/EU art. 4: "equal to or greater")
    (10**12, "eu_procedure"),
])
def test_proposed_route_at_the_boundaries(value, route):
    result = run(make(estimated_value_sek=value))
    assert result.proposed_route == route


def test_without_a_value_nothing_is_proposed_and_nothing_fits():
    result = run(make(chosen_route="existing_agreement"))
    assert result.proposed_route is None
    assert result.route_fits is False
    assert result.direct_sum_sek is None


# --- Route refusals ----------------------------------------------------------------------------


def test_direct_procurement_above_the_limit_is_refused_with_amounts():
    result = run(make(estimated_value_sek=700_001, chosen_route="direct_procurement"))
    assert result.route_fits is False
    assert result.route_problem.code == "direct_above_limit"
    assert result.route_problem.params == {"value": 700_001, "limit": 700_000}
    assert "annonserad upphandling" in result.route_problem.message


def test_advertised_procedure_at_the_eu_threshold_is_refused():
    result = run(make(estimated_value_sek=2_389_585, chosen_route="advertised_procedure"))
    assert result.route_problem.code == "advertised_above_eu_threshold"
    assert result.route_problem.params == {"value": 2_389_585, "threshold": 2_389_585,
                                           "threshold_eur": 221_000}
    below = run(make(estimated_value_sek=2_389_584, chosen_route="advertised_procedure"))
    assert below.route_fits is True


def test_framework_call_off_must_name_the_framework():
    no_framework = run(make(estimated_value_sek=500_000, chosen_route="framework_call_off"))
    no_name = run(make(estimated_value_sek=500_000, chosen_route="framework_call_off",
                       framework="adda"))
    assert no_framework.route_problem.code == no_name.route_problem.code == "framework_missing"


def test_kammarkollegiet_call_off_needs_the_call_off_notice():
    fields = {"estimated_value_sek": 3_000_000, "chosen_route": "framework_call_off",
              "framework": "kammarkollegiet", "framework_name": "Programvaror och tjänster"}
    missing = run(make(**fields))
    given_notice = run(make(**fields, call_off_notice="Avropsanmälan 23.3-1234-2025"))
    adda = run(make(**{**fields, "framework": "adda"}))
    assert missing.route_problem.code == "call_off_notice_missing"
    assert given_notice.route_fits is True
    assert adda.route_fits is True  # only Kammarkollegiet's IT frameworks ask for a notice


@pytest.mark.parametrize(("route", "value"), [
    ("existing_agreement", 50_000_000),
    ("eu_procedure", 10_000),           # a stricter procedure than needed is allowed
    ("advertised_procedure", 10_000),
])
def test_routes_that_fit_other_values_too(route, value):
    result = run(make(estimated_value_sek=value, chosen_route=route))
    assert (result.route_fits, result.route_problem) == (True, None)


def test_a_hint_recommends_agreements_first_unless_one_is_chosen():
    direct = run(make(estimated_value_sek=50_000, chosen_route="direct_procurement"))
    existing = run(make(estimated_value_sek=50_000, chosen_route="existing_agreement"))
    assert "check_agreements_first" in codes(direct.hints)
    assert "check_agreements_first" not in codes(existing.hints)


# --- Summing direct procurements of the same kind ------------------------------------------------


def test_same_kind_direct_procurements_over_the_limit_warn():
    # 400 000 (this case) + 350 000 (others this year) = 750 000 > 700 000
    result = run(make(estimated_value_sek=400_000, chosen_route="direct_procurement"),
                 others=350_000)
    assert result.direct_sum_sek == 750_000
    assert result.route_fits is True  # a warning, not a refusal
    [warning] = result.warnings
    assert warning.code == "direct_sum_above_limit"
    assert warning.params == {"sum": 750_000, "limit": 700_000}
    assert warning.message.startswith("Direktupphandlingar av samma slag i förvaltningen i år")


def test_same_kind_sum_exactly_at_the_limit_does_not_warn():
    # 400 000 + 300 000 = 700 000, which is still within the limit
    result = run(make(estimated_value_sek=400_000, chosen_route="direct_procurement"),
                 others=300_000)
    assert result.direct_sum_sek == 700_000
    assert result.warnings == []


def test_sum_is_kept_for_direct_procurement_only():
    drafting = run(make(estimated_value_sek=400_000), others=350_000)  # no route yet: proposed
    call_off = run(make(estimated_value_sek=400_000, chosen_route="existing_agreement"),
                   others=350_000)
    assert drafting.direct_sum_sek == 750_000
    assert "direct_sum_above_limit" in codes(drafting.warnings)
    assert (call_off.direct_sum_sek, call_off.warnings) == (None, [])


def test_the_sum_of_others_must_be_whole_non_negative_kronor():
    for bad in (-1, 1.5, True, "100"):
        with pytest.raises(ValueError, match="same_kind_direct_sum_sek"):
            run(make(estimated_value_sek=1), others=bad)


def test_financial_year_is_the_calendar_year():
    assert financial_year(date(2025, 1, 1)) == financial_year(date(2025, 12, 31)) == 2025
    assert financial_year(date(2026, 1, 1)) == 2026


# --- Documentation duty ------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "required"), [(99_999, False), (100_000, True),
                                                 (700_000, True)])
def test_documentation_required_from_100_000_kr(value, required):
    result = run(make(estimated_value_sek=value, chosen_route="direct_procurement"))
    assert result.documentation_required is required
    assert ("documentation_required" in codes(result.hints)) is required


def test_documentation_flag_concerns_direct_procurement_only():
    result = run(make(estimated_value_sek=500_000, chosen_route="advertised_procedure"))
    assert result.documentation_required is False


def test_an_unconfirmed_eu_threshold_warns_when_it_matters():
    unconfirmed = replace(T, eu_threshold_sek_confirmed=False)
    above_direct = run(make(estimated_value_sek=900_000), thresholds=unconfirmed)
    small = run(make(estimated_value_sek=90_000), thresholds=unconfirmed)
    assert "eu_threshold_unconfirmed" in codes(above_direct.warnings)
    assert small.warnings == []  # below the direct limit the EU threshold plays no part


# --- Problems ----------------------------------------------------------------------------------


def test_a_complete_check_has_no_problems():
    check = make(estimated_value_sek=650_000, chosen_route="direct_procurement")
    assert problems(check, run(check)) == []


def test_missing_value_and_route_are_problems():
    check = make()
    assert codes(problems(check, run(check))) == ["estimated_value_missing", "route_missing"]


def test_the_route_problem_is_listed():
    check = make(estimated_value_sek=800_000, chosen_route="direct_procurement")
    assert codes(problems(check, run(check))) == ["direct_above_limit"]


def test_direct_procurement_needs_the_kind_to_add_it_up():
    check = make(estimated_value_sek=50_000, chosen_route="direct_procurement", kind="  ")
    assert codes(problems(check, run(check))) == ["kind_missing"]


def test_every_unanswered_question_is_listed_with_its_number():
    check = make(estimated_value_sek=50_000, chosen_route="existing_agreement", checklist={})
    found = problems(check, run(check))
    assert codes(found) == ["checklist_unanswered"] * len(CHECKLIST_ITEMS)
    assert [f.params["number"] for f in found] == list(range(1, len(CHECKLIST_ITEMS) + 1))
    assert [f.params["item"] for f in found] == list(CHECKLIST_ITEMS)
    assert found[4].params["question"] == CHECKLIST_ITEMS["dpa"]
    assert found[0].message.startswith("Fråga %(number)s saknar svar: %(question)s")


def test_an_answer_without_a_choice_is_unanswered():
    answers = {**complete_checklist(), "exit_plan": {"motivation": "Vi återkommer."}}
    check = make(estimated_value_sek=50_000, chosen_route="existing_agreement", checklist=answers)
    [problem] = problems(check, run(check))
    assert (problem.code, problem.params["number"]) == ("checklist_unanswered", 8)


def test_no_and_not_relevant_need_a_motivation():
    answers = complete_checklist()
    answers["reuse_considered"] = {"answer": "no"}
    answers["dpa"] = {"answer": "not_relevant"}
    answers["exit_plan"] = {"answer": "no", "motivation": "Tjänsten avslutas efter ett år."}
    check = make(estimated_value_sek=50_000, chosen_route="existing_agreement", checklist=answers)
    found = problems(check, run(check))
    assert [(f.code, f.params["number"]) for f in found] == [
        ("checklist_no_without_motivation", 2),
        ("checklist_not_relevant_without_motivation", 5),
    ]


@pytest.mark.parametrize("answer", [{"answer": "yes"},
                                    {"answer": "yes", "who": "Anna Digital"},
                                    {"answer": "yes", "when": "2025-05-20"}])
def test_it_consulted_yes_needs_who_and_when(answer):
    check = make(estimated_value_sek=50_000, chosen_route="existing_agreement",
                 checklist={**complete_checklist(), "it_consulted": answer})
    [problem] = problems(check, run(check))
    assert (problem.code, problem.params["number"]) == ("it_consultation_details_missing", 1)


def test_result_serialises_to_json():
    check = make(estimated_value_sek=650_000, chosen_route="direct_procurement")
    data = run(check, others=100_000).to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["thresholds"]["valid_from"] == "2024-01-01"
    assert data["warnings"][0]["params"] == {"sum": 750_000, "limit": 700_000}


# --- Thresholds loader -------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "match"), [
    (DIRECT + EU_2024 + EU_2024.replace("2024-01-01", "2025-06-01").replace("2025-12-31",
                                                                              "2027-12-31"),
     r"\[\[eu_threshold\]\] entry 2 \(from 2025-06-01\): overlaps entry 1"),
    (DIRECT + EU_2024 + EU_2026.replace("2026-01-01", "2026-02-01"),
     r"entry 2 \(from 2026-02-01\): leaves a gap after entry 1, which ends 2025-12-31"),
    (DIRECT + EU_2024.replace("eur = 221000\n", ""),
     r"\[\[eu_threshold\]\] entry 1: eur: Field required\. Add the key"),
    (DIRECT.replace("100000", "-1") + EU_2024,
     r"\[\[direct_procurement\]\] entry 1: documentation_from_sek: .*greater than or equal to 0"),
    (DIRECT.replace("700000", '"700000"') + EU_2024, r"entry 1: limit_sek: .*valid integer"),
    (DIRECT + EU_2024.replace("sek = ", "seK = "), r"entry 1: seK: Extra inputs"),
    (DIRECT + EU_2024.replace("valid_to = 2025-12-31", "valid_to = 2023-12-31"),
     r"entry 1: ends before it starts"),
    (DIRECT.replace("100000", "800000") + EU_2024, r"documentation_from_sek is above limit_sek"),
    (DIRECT, r"\[\[eu_threshold\]\]: is missing or holds no entries"),
    (DIRECT + EU_2024 + "\n[[direct_limit]]\nvalid_from = 2022-02-01\n",
     r"direct_limit: is not a known table"),
    (DIRECT + EU_2024 + DIRECT.replace("2022-02-01", "2030-01-01"),
     r"\[\[direct_procurement\]\] entry 2 \(from 2030-01-01\): overlaps entry 1"),  # open end not last
    ("[[eu_threshold]\n", r"TOML: cannot be parsed"),
])
def test_loader_refuses_broken_files_naming_file_and_entry(tmp_path, text, match):
    path = write(tmp_path, text)
    with pytest.raises(ThresholdsError, match=match) as raised:
        load_thresholds(path)
    assert str(raised.value).startswith(str(path))
    assert isinstance(raised.value, ValueError)


def test_loader_accepts_entries_in_any_order(tmp_path):
    thresholds = load_thresholds(write(tmp_path, DIRECT + EU_2026 + EU_2024))
    assert [p.valid_from.year for p in thresholds.eu_threshold] == [2024, 2026]


# --- Validation --------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", ["100", 1.5, True, -1, 10**12 + 1])
def test_amounts_must_be_whole_kronor(amount):
    with pytest.raises(ValidationError):
        make(estimated_value_sek=amount)


@pytest.mark.parametrize(("field", "value"), [
    ("chosen_route", "tender"),
    ("framework", "sklkommentus"),
    ("contract_years", 0),
    ("contract_years", 21),
    ("contract_years", "3"),
    ("kind", "x" * 201),
    ("call_off_notice", "x" * 201),
    ("unknown_field", "x"),
])
def test_fields_are_validated(field, value):
    with pytest.raises(ValidationError):
        make(**{field: value})


def test_unknown_checklist_item_is_rejected():
    with pytest.raises(ValidationError, match="cloud_first"):
        make(checklist={"cloud_first": {"answer": "yes"}})


@pytest.mark.parametrize("answer", [{"answer": "maybe"}, {"answer": "yes", "extra": 1},
                                    {"answer": "no", "motivation": "x" * 2001},
                                    {"answer": "yes", "who": "x" * 201},
                                    {"answer": "yes", "when": "igår"}])
def test_checklist_answers_are_validated(answer):
    with pytest.raises(ValidationError):
        make(checklist={"dpa": answer})


def test_texts_are_stripped():
    check = make(kind="  Licenser  ", checklist={"dpa": {"answer": "no", "motivation": "   "}})
    assert check.kind == "Licenser"
    assert check.checklist["dpa"].motivation == ""  # blank motivation counts as missing


def test_labels_cover_every_identifier():
    assert tuple(ROUTES) == get_args(Route) and set(VALUE_ROUTES) <= set(ROUTES)
    assert tuple(FRAMEWORKS) == get_args(Framework)
    assert tuple(ANSWERS) == get_args(Answer)
    assert tuple(CHECKLIST_ITEMS) == get_args(ItemId)


# --- Properties --------------------------------------------------------------------------------

amounts = st.integers(min_value=0, max_value=10**12)


@st.composite
def threshold_sets(draw) -> ThresholdSet:
    direct = draw(st.integers(min_value=0, max_value=10**8))
    return ThresholdSet(
        direct_limit_sek=direct,
        documentation_from_sek=draw(st.integers(min_value=0, max_value=direct)),
        eu_threshold_sek=draw(st.integers(min_value=direct + 1, max_value=10**10)),
        eu_threshold_eur=216_000,
        eu_threshold_sek_confirmed=draw(st.booleans()),
        valid_from=date(2026, 1, 1),
        valid_to=date(2027, 12, 31),
    )


@settings(max_examples=200, deadline=None)
@given(threshold_sets(), amounts, amounts)
def test_proposed_route_is_monotone_in_the_value(thresholds, a, b):
    low, high = sorted((a, b))
    rank = VALUE_ROUTES.index
    assert rank(proposed_route(low, thresholds)) <= rank(proposed_route(high, thresholds))


@settings(max_examples=200, deadline=None)
@given(threshold_sets(), amounts, st.integers(min_value=0, max_value=10**12))
def test_the_proposed_route_fits_its_own_value(thresholds, value, others):
    route = proposed_route(value, thresholds)
    check = make(estimated_value_sek=value, chosen_route=route)
    result = run(check, others=others, thresholds=thresholds)
    assert (result.route_fits, result.route_problem) == (True, None)
    assert problems(check, result) == []
    if route == "direct_procurement":
        assert result.direct_sum_sek == value + others


@settings(max_examples=200, deadline=None)
@given(threshold_sets(), st.none() | amounts, st.none() | st.sampled_from(list(ROUTES)))
def test_no_problems_means_the_route_fits(thresholds, value, route):
    check = make(estimated_value_sek=value, chosen_route=route, framework="adda",
                 framework_name="Programvaror")
    result = run(check, thresholds=thresholds)
    if problems(check, result) == []:
        assert result.route_fits
