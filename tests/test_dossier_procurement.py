"""Procurement check (docs/procurement-rules.md; LOU 2016:1145): thresholds by date, route
boundaries, refusals, the same-kind sum over the räkenskapsår (LOU 19 kap. 8 §), the
documentation duty, the preliminary EU threshold, checklist problems, the thresholds loader and
validation. Pure: no app, no database."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import get_args

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from workflow.calc.procurement import (
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
    SameKindAward,
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


# The 2026-2027 figures while the SEK value is unconfirmed: EUR 216 000 × 11.35 ≈ 2 451 600 kr,
# band ±5 % = 2 329 020 – 2 574 180 kr.
P = replace(T, eu_threshold_sek=2_451_600, eu_threshold_eur=216_000,
            eu_threshold_sek_confirmed=False, valid_from=date(2026, 1, 1),
            valid_to=date(2027, 12, 31), eu_sek_rate=Decimal("11.35"),
            eu_rate_source="ECB referenskurs, genomsnitt 1 sep 2023–31 aug 2025, uppskattning",
            eu_rate_date=date(2025, 8, 31), eu_uncertainty_percent=Decimal(5))


def run(check: ProcurementCheck, others=(), thresholds: ThresholdSet = T):
    """``others``: the other cases' same-kind direct awards as (case number, value)."""
    return evaluate(check, thresholds=thresholds, same_kind_direct=others)


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
limit_boundary = "högst"
documentation_from_sek = 100000
documentation_boundary = "uppgår till eller överstiger"
"""
EU_2024 = """
[[eu_threshold]]
valid_from = 2024-01-01
valid_to = 2025-12-31
eur = 221000
sek = 2389585
boundary = "uppgår till eller överstiger"
"""
EU_2026 = """
[[eu_threshold]]
valid_from = 2026-01-01
valid_to = 2027-12-31
eur = 216000
boundary = "uppgår till eller överstiger"
sek_confirmed = false
eur_sek_rate = 11.35
rate_source = "ECB referenskurs, genomsnitt 1 sep 2023–31 aug 2025, uppskattning"
rate_date = 2025-08-31
uncertainty_percent = 5
"""

# --- Thresholds by date ------------------------------------------------------------------------


def test_thresholds_are_picked_by_the_day_of_the_check(tmp_path):
    thresholds = load_thresholds(write(tmp_path, DIRECT + EU_2024 + EU_2026))
    last_day = thresholds_on(thresholds, date(2025, 12, 31))
    first_day = thresholds_on(thresholds, date(2026, 1, 1))
    assert (last_day.eu_threshold_sek, last_day.eu_threshold_eur) == (2_389_585, 221_000)
    assert last_day.eu_threshold_sek_confirmed is True  # sek_confirmed defaults to true
    # Unconfirmed: estimated as EUR 216 000 × 11.35, with a band of ±5 %.
    assert (first_day.eu_threshold_sek, first_day.eu_threshold_eur) == (2_451_600, 216_000)
    assert first_day.eu_threshold_sek_confirmed is False
    assert first_day.eu_band_sek == (2_329_020, 2_574_180)
    assert (first_day.eu_sek_rate, first_day.eu_rate_date) == (Decimal("11.35"),
                                                               date(2025, 8, 31))
    assert last_day.eu_band_sek is None and last_day.eu_sek_rate is None
    # The direct limit (from 2022-02-01, open-ended) is the same on both days; the set's period
    # is where both tables stay the same: the EU period.
    assert last_day.direct_limit_sek == first_day.direct_limit_sek == 700_000
    assert (first_day.valid_from, first_day.valid_to) == (date(2026, 1, 1), date(2027, 12, 31))


def test_the_same_value_changes_route_at_the_new_period(tmp_path):
    thresholds = load_thresholds(write(tmp_path, DIRECT + EU_2024 + EU_2026))
    value = 2_400_000  # ≥ 2 389 585 (2025) but < the 2026 estimate 2 451 600
    assert proposed_route(value, thresholds_on(thresholds, date(2025, 12, 31))) == "eu_procedure"
    assert proposed_route(value, thresholds_on(thresholds, date(2026, 1, 1))) == \
        "advertised_procedure"


def test_shipped_file_loads_with_the_published_figures():
    thresholds = load_thresholds(DEFAULT_THRESHOLDS_FILE)
    in_2025 = thresholds_on(thresholds, date(2025, 12, 31))
    in_2026 = thresholds_on(thresholds, date(2026, 1, 1))
    assert (in_2025.direct_limit_sek, in_2025.documentation_from_sek) == (700_000, 100_000)
    assert (in_2025.eu_threshold_sek, in_2025.eu_threshold_eur) == (2_389_585, 221_000)
    assert (in_2025.direct_limit_boundary, in_2025.documentation_boundary,
            in_2025.eu_threshold_boundary) == ("högst", "uppgår till eller överstiger",
                                               "uppgår till eller överstiger")
    # The 2026-2027 SEK value is for the administrator to confirm; only the euro value is fixed
    # (Delegated Regulation (EU) 2025/2152); the SEK figure is an estimate with its rate.
    assert in_2026.eu_threshold_eur == 216_000
    assert (in_2026.valid_from, in_2026.valid_to) == (date(2026, 1, 1), date(2027, 12, 31))
    assert in_2026.eu_threshold_preliminary is True
    assert Decimal("11.2") <= in_2026.eu_sek_rate <= Decimal("11.4")
    assert "ECB" in in_2026.eu_rate_source and in_2026.eu_rate_date == date(2025, 8, 31)
    low, high = in_2026.eu_band_sek
    assert low < in_2026.eu_threshold_sek < high
    shown = in_2026.to_dict()
    assert shown["eu_threshold_preliminary"] is True and shown["eu_band_sek"] == [low, high]
    assert shown["eu_sek_rate"] == str(in_2026.eu_sek_rate)
    assert in_2025.to_dict()["eu_threshold_preliminary"] is False


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


def test_direct_award_of_700_000_is_allowed_700_001_refused_lou_hogst():
    """LOU: direct award when the value "uppgår till högst" 700 000 kr (≤)."""
    at_limit = make(estimated_value_sek=700_000, chosen_route="direct_procurement")
    assert run(at_limit).route_fits is True and problems(at_limit, run(at_limit)) == []
    result = run(make(estimated_value_sek=700_001, chosen_route="direct_procurement"))
    assert result.route_fits is False
    assert result.route_problem.code == "direct_above_limit"
    assert result.route_problem.params == {"value": 700_001, "limit": 700_000}
    assert "annonserad upphandling" in result.route_problem.message


def test_eu_threshold_reached_at_exactly_2_389_585_not_one_krona_below_directive_art_4():
    """Directive 2014/24/EU art. 4 / LOU 5 kap. 1 §: "uppgår till eller överstiger" (≥) the
    confirmed 2024-2025 SEK figure (Delegated Regulation (EU) 2023/2495)."""
    result = run(make(estimated_value_sek=2_389_585, chosen_route="advertised_procedure"))
    assert result.eu_threshold_position == "reached"
    assert result.route_problem.code == "advertised_above_eu_threshold"
    assert result.route_problem.params == {"value": 2_389_585, "threshold": 2_389_585,
                                           "threshold_eur": 221_000}
    below = run(make(estimated_value_sek=2_389_584, chosen_route="advertised_procedure"))
    assert below.route_fits is True and below.eu_threshold_position == "below"
    assert below.warnings == []


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


# --- Summing direct awards of the same kind over the räkenskapsår (LOU 19 kap. 8 §) ----------


def test_same_kind_sum_of_exactly_700_000_passes_lou_19_kap_8():
    """LOU 19 kap. 8 §: 400 000 (this case) + 300 000 (ärende 12) = 700 000, "högst" the
    limit: a direct award is still allowed."""
    check = make(estimated_value_sek=400_000, chosen_route="direct_procurement")
    result = run(check, others=[(12, 300_000)])
    assert result.direct_sum_sek == 700_000
    assert result.same_kind_case_ids == (12,)
    assert (result.route_fits, result.warnings) == (True, [])
    assert problems(check, result) == []


def test_same_kind_sum_of_700_001_refuses_direct_award_naming_the_other_case_lou_19_kap_8():
    """LOU 19 kap. 8 §: 400 000 + 300 001 = 700 001 is more than the limit allows: a problem
    (blocks approve/escalate), not a warning; the other case is named by its number."""
    check = make(estimated_value_sek=400_000, chosen_route="direct_procurement")
    result = run(check, others=[(12, 300_001)])
    assert result.direct_sum_sek == 700_001
    assert result.route_fits is False
    assert result.route_problem.code == "direct_sum_above_limit"
    assert result.route_problem.params == {"year": "2025", "sum": 700_001, "limit": 700_000,
                                           "cases": "12"}
    assert "direct_sum_above_limit" in codes(problems(check, result))
    assert result.warnings == []
    message = result.route_problem.message
    assert message.startswith("Direktupphandling är inte tillåten:")
    assert "detta ärende och ärende %(cases)s" in message and "LOU 19 kap. 8 §" in message
    assert "överväg" not in message


def test_several_other_cases_are_all_named_by_number_only():
    """LOU 19 kap. 8 §: every case in the sum is named (numbers only, never titles)."""
    check = make(estimated_value_sek=300_000, chosen_route="direct_procurement")
    result = run(check, others=[(15, 250_000), SameKindAward(12, 200_000)])
    assert result.direct_sum_sek == 750_000
    assert result.same_kind_case_ids == (12, 15)
    assert result.route_problem.params["cases"] == "12, 15"
    assert "detta ärende och ärendena %(cases)s" in result.route_problem.message


def test_a_value_alone_over_the_limit_gets_the_plain_refusal_not_the_sum():
    result = run(make(estimated_value_sek=800_000, chosen_route="direct_procurement"),
                 others=[(12, 100_000)])
    assert result.route_problem.code == "direct_above_limit"


def test_without_a_route_the_sum_steers_the_proposal_away_from_direct_award():
    """LOU 19 kap. 8 §: the proposal follows the aggregated value; the reason is a warning
    beside the missing route (which is itself a problem)."""
    check = make(estimated_value_sek=400_000)
    drafting = run(check, others=[(12, 350_000)])
    assert drafting.direct_sum_sek == 750_000
    assert drafting.proposed_route == "advertised_procedure"
    assert "direct_sum_above_limit" in codes(drafting.warnings)
    assert codes(problems(check, drafting)) == ["route_missing"]
    within = run(check, others=[(12, 300_000)])
    assert (within.proposed_route, within.warnings) == ("direct_procurement", [])


def test_sum_is_kept_for_direct_procurement_only():
    call_off = run(make(estimated_value_sek=400_000, chosen_route="existing_agreement"),
                   others=[(12, 350_000)])
    advertised = run(make(estimated_value_sek=400_000, chosen_route="advertised_procedure"),
                     others=[(12, 350_000)])
    for result in (call_off, advertised):
        assert (result.direct_sum_sek, result.same_kind_case_ids) == (None, ())
        assert (result.route_fits, result.warnings) == (True, [])


def test_the_other_cases_must_be_numbers_and_whole_non_negative_kronor():
    for bad in ([(1, -1)], [(1, 1.5)], [(1, True)], [(1, "100")], [(-1, 5)], [("7", 5)]):
        with pytest.raises(ValueError, match="same_kind_direct"):
            run(make(estimated_value_sek=1), others=bad)


def test_financial_year_is_the_calendar_year():
    assert financial_year(date(2025, 1, 1)) == financial_year(date(2025, 12, 31)) == 2025
    assert financial_year(date(2026, 1, 1)) == 2026


# --- Documentation duty ------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "required"), [(99_999, False), (100_000, True),
                                                 (700_000, True)])
def test_documentation_required_from_100_000_kr_uppgar_till_eller_overstiger(value, required):
    """Dokumentationsplikt when the value "uppgår till eller överstiger" 100 000 kr (≥)."""
    result = run(make(estimated_value_sek=value, chosen_route="direct_procurement"))
    assert result.documentation_required is required
    assert ("documentation_required" in codes(result.hints)) is required


@pytest.mark.parametrize(("others", "required"), [(39_999, False), (40_000, True)])
def test_documentation_duty_is_judged_on_the_aggregated_sum_lou_19_kap_8(others, required):
    """The same sum as for the limit (LOU 19 kap. 8 §): 60 000 + 39 999 = 99 999 needs no
    documentation, 60 000 + 40 000 = 100 000 does."""
    result = run(make(estimated_value_sek=60_000, chosen_route="direct_procurement"),
                 others=[(12, others)])
    assert result.documentation_required is required
    hint = [h for h in result.hints if h.code == "documentation_required"]
    assert bool(hint) is required
    if required:
        assert hint[0].params == {"limit": 100_000, "sum": 100_000, "year": "2025"}


def test_documentation_flag_concerns_direct_procurement_only():
    result = run(make(estimated_value_sek=500_000, chosen_route="advertised_procedure"))
    assert result.documentation_required is False


# --- Boundaries follow the wording written in the config ----------------------------------------


def test_comparisons_follow_the_written_boundary_wording():
    """The law's wording decides equality: "överstiger" (>) and "understiger" (<) instead of
    "uppgår till eller överstiger" (≥) and "högst" (≤)."""
    strict = replace(T, documentation_boundary="överstiger", direct_limit_boundary="understiger",
                     eu_threshold_boundary="överstiger")
    at_doc = run(make(estimated_value_sek=100_000, chosen_route="direct_procurement"),
                 thresholds=strict)
    over_doc = run(make(estimated_value_sek=100_001, chosen_route="direct_procurement"),
                   thresholds=strict)
    assert (at_doc.documentation_required, over_doc.documentation_required) == (False, True)
    at_limit = run(make(estimated_value_sek=700_000, chosen_route="direct_procurement"),
                   thresholds=strict)
    assert at_limit.route_problem.code == "direct_above_limit"
    assert proposed_route(699_999, strict) == "direct_procurement"
    at_eu = run(make(estimated_value_sek=2_389_585, chosen_route="advertised_procedure"),
                thresholds=strict)
    assert (at_eu.route_fits, at_eu.eu_threshold_position) == (True, "below")
    with pytest.raises(ValueError, match="boundary"):
        replace(T, direct_limit_boundary="högst 700 000")


# --- Preliminary EU threshold (SEK figure not yet confirmed) -------------------------------------


@pytest.mark.parametrize(("value", "position"), [
    (2_329_019, "below"),      # one krona under the band: clearly national, no warning
    (2_329_020, "uncertain"),  # the band's lower edge
    (2_451_600, "uncertain"),  # the estimate itself
    (2_574_180, "uncertain"),  # the band's upper edge
    (2_574_181, "reached"),    # above the band: clearly over EUR 216 000
])
def test_a_preliminary_eu_threshold_never_refuses_a_national_procedure_inside_its_band(
        value, position):
    """DOMAIN §11 / Communication C/2025/7081: until the SEK figure is confirmed, only a value
    above the band may refuse an advertised procedure; inside the band the check warns."""
    check = make(estimated_value_sek=value, chosen_route="advertised_procedure")
    result = run(check, thresholds=P)
    assert result.eu_threshold_position == position
    warned = "eu_threshold_preliminary" in codes(result.warnings)
    assert warned is (position == "uncertain")
    if position == "reached":
        assert result.route_problem.code == "advertised_above_eu_threshold"
        assert result.route_problem.params["high"] == 2_574_180
        assert "osäkerhetsmarginalen" in result.route_problem.message
        assert codes(problems(check, result)) == ["advertised_above_eu_threshold"]
    else:
        assert (result.route_fits, problems(check, result)) == (True, [])
    if warned:
        [warning] = result.warnings
        assert warning.params == {"value": value, "threshold": 2_451_600,
                                  "threshold_eur": 216_000, "low": 2_329_020,
                                  "high": 2_574_180, "valid_from": "2026-01-01"}


def test_a_preliminary_eu_threshold_does_not_bother_routes_that_do_not_depend_on_it():
    for route in ("eu_procedure", "existing_agreement"):
        result = run(make(estimated_value_sek=2_400_000, chosen_route=route), thresholds=P)
        assert result.warnings == [] and result.route_fits is True
    small = run(make(estimated_value_sek=900_000), thresholds=P)
    assert small.warnings == []  # far below the band: clearly national


def test_an_unconfirmed_threshold_set_needs_its_band():
    with pytest.raises(ValueError, match="eu_uncertainty_percent"):
        replace(T, eu_threshold_sek_confirmed=False)


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
    data = run(check, others=[(12, 100_000)]).to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["thresholds"]["valid_from"] == "2024-01-01"
    assert data["route_problem"]["params"] == {"year": "2025", "sum": 750_000,
                                               "limit": 700_000, "cases": "12"}
    assert data["same_kind_case_ids"] == [12]
    preliminary = run(make(estimated_value_sek=2_400_000), thresholds=P).to_dict()
    assert json.loads(json.dumps(preliminary)) == preliminary
    assert preliminary["thresholds"]["eu_threshold_preliminary"] is True
    assert preliminary["thresholds"]["eu_band_sek"] == [2_329_020, 2_574_180]
    assert preliminary["thresholds"]["eu_rate_date"] == "2025-08-31"


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
    (DIRECT.replace('"högst"', '"högst 700 000"') + EU_2024,
     r"entry 1: limit_boundary: Input should be 'högst' or 'understiger'\. Write the boundary"),
    (DIRECT.replace('documentation_boundary = "uppgår till eller överstiger"\n', "") + EU_2024,
     r"entry 1: documentation_boundary: Field required"),
    (DIRECT + EU_2024.replace('"uppgår till eller överstiger"', '"minst"'),
     r"\[\[eu_threshold\]\] entry 1: boundary: Input should be"),
    (DIRECT + EU_2024.replace("sek = 2389585\n", ""),
     r"entry 1: sek: is missing although sek_confirmed is true"),
    (DIRECT + EU_2024 + EU_2026.replace("sek_confirmed = false", "sek_confirmed = false\nsek = 1"),
     r"entry 2: sek: is given although sek_confirmed is false\. Remove sek"),
    (DIRECT + EU_2024 + EU_2026.replace("rate_date = 2025-08-31\n", ""),
     r"entry 2: rate_date: is missing although sek_confirmed is false"),
    (DIRECT + EU_2024 + EU_2026.replace("uncertainty_percent = 5", "uncertainty_percent = 80"),
     r"entry 2: uncertainty_percent: .*less than or equal to 50"),
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
    confirmed = draw(st.booleans())
    return ThresholdSet(
        direct_limit_sek=direct,
        documentation_from_sek=draw(st.integers(min_value=0, max_value=direct)),
        eu_threshold_sek=draw(st.integers(min_value=direct + 1, max_value=10**10)),
        eu_threshold_eur=216_000,
        eu_threshold_sek_confirmed=confirmed,
        valid_from=date(2026, 1, 1),
        valid_to=date(2027, 12, 31),
        eu_uncertainty_percent=None if confirmed else Decimal(draw(st.integers(0, 50))),
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
    route = proposed_route(value, thresholds, same_kind_sum_sek=others)
    check = make(estimated_value_sek=value, chosen_route=route)
    result = run(check, others=[(1, others)], thresholds=thresholds)
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
