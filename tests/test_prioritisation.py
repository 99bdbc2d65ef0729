"""Council prioritisation (docs/prioritisation.md): weighted scores with an inverted risk
criterion, spread, competition ranking, mandatory and unscored cases, capacity cut-off, the
configuration loader and score validation. Pure: no app, no database."""
from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from workflow.calc.prioritisation import (
    DEFAULT_CONFIG_FILE,
    STATUSES,
    MemberScore,
    PrioritisationConfigError,
    Proposal,
    Score,
    ScoreError,
    capacity,
    competition_ranks,
    council_order,
    evaluate,
    load_config,
    parse_config,
    validate_scores,
)

CONFIG = load_config(DEFAULT_CONFIG_FILE)
IDS = ("benefit", "urgency", "feasibility", "risk", "strategic_fit")
# Default weights: benefit 3, urgency 2, feasibility 2, risk 1 (inverted), strategic_fit 2;
# sum 10.


def scores(benefit, urgency, feasibility, risk, strategic_fit) -> dict[str, int]:
    return dict(zip(IDS, (benefit, urgency, feasibility, risk, strategic_fit), strict=True))


def proposal(case_id, *member_scores, mandatory=False, cost=100_000, hours=100, title=None):
    members = [MemberScore(f"ledamot{number}", given)
               for number, given in enumerate(member_scores, start=1)]
    return Proposal(case_id, title or f"Förslag {case_id}", mandatory, cost, hours, members)


def criteria_entry(**fields) -> dict:
    entry = {"id": "benefit", "label_sv": "Nytta", "label_en": "Benefit", "weight": 1,
             "description_sv": "1 = liten nytta; 5 = stor nytta."}
    return {**entry, **fields}


def config_data(**overrides) -> dict:
    data = {"criteria": [criteria_entry()],
            "capacity": {"yearly_budget_sek": 1_000_000, "yearly_hours": 100}}
    return {**data, **overrides}


def small_config(budget=1_000_000, hours=100):
    return parse_config(config_data(capacity={"yearly_budget_sek": budget, "yearly_hours": hours}),
                        source="test")


def one_score(value: int) -> dict[str, int]:
    return {"benefit": value}


# --- The shipped configuration -----------------------------------------------------------------


def test_default_config_has_the_five_criteria_with_risk_inverted():
    assert CONFIG.criterion_ids == IDS
    assert [c.weight for c in CONFIG.criteria] == [Decimal(3), 2, 2, 1, 2]
    assert [c.id for c in CONFIG.criteria if c.inverted] == ["risk"]
    assert [c.label_sv for c in CONFIG.criteria] == [
        "Nytta", "Angelägenhet", "Genomförbarhet", "Risk", "Strategisk koppling"]
    assert all("1 =" in c.description_sv and "5 =" in c.description_sv for c in CONFIG.criteria)


def test_capacity_defaults_and_department_override():
    assert CONFIG.capacity_for("Tekniska förvaltningen").yearly_budget_sek == 3_000_000
    assert CONFIG.capacity_for("Tekniska förvaltningen").yearly_hours == 4_000
    social = CONFIG.capacity_for("Socialförvaltningen")
    assert (social.yearly_budget_sek, social.yearly_hours) == (5_000_000, 6_000)
    json.dumps(CONFIG.to_dict())


def test_an_override_may_give_one_figure_and_inherit_the_other():
    data = config_data(capacity={"yearly_budget_sek": 10, "yearly_hours": 20,
                                 "Utbildningsförvaltningen": {"yearly_hours": 99}})
    limits = parse_config(data, source="test").capacity_for("Utbildningsförvaltningen")
    assert (limits.yearly_budget_sek, limits.yearly_hours) == (10, 99)


# --- Hand-computed weighted means --------------------------------------------------------------


def test_weighted_mean_with_inverted_risk_two_members():
    # Member 1: 3*5 + 2*4 + 2*3 + 1*(6-4) + 2*2 = 15 + 8 + 6 + 2 + 4 = 35  -> 35/10 = 3.50
    # Member 2: 3*3 + 2*3 + 2*3 + 1*(6-1) + 2*3 =  9 + 6 + 6 + 5 + 6 = 32  -> 32/10 = 3.20
    # Mean (3.50 + 3.20) / 2 = 3.35. Deviations +-0.15: variance 0.0225, std dev 0.15;
    # range 3.50 - 3.20 = 0.30.
    [result] = evaluate(CONFIG, [proposal(1, scores(5, 4, 3, 4, 2), scores(3, 3, 3, 1, 3))])
    assert result.status == "ranked" and result.rank == 1 and result.scorers == 2
    assert result.weighted_mean == Decimal("3.35")
    assert result.member_weighted == {"ledamot1": Decimal("3.50"), "ledamot2": Decimal("3.20")}
    assert result.spread_stdev == Decimal("0.15")
    assert result.spread_range == Decimal("0.30")
    # Per-criterion means are of the scores as given (risk (4+1)/2 = 2.50, not inverted).
    assert result.criterion_means == {
        "benefit": Decimal("4.00"), "urgency": Decimal("3.50"), "feasibility": Decimal("3.00"),
        "risk": Decimal("2.50"), "strategic_fit": Decimal("2.50")}


def test_weighted_mean_three_members_rounds_half_up_at_the_end():
    # Members 1 and 2 as above: 35/10 and 32/10.
    # Member 3: 3*4 + 2*5 + 2*4 + 1*(6-2) + 2*3 = 12 + 10 + 8 + 4 + 6 = 40 -> 4.00
    # Mean (35 + 32 + 40) / 30 = 107/30 = 3.5666... -> 3.57
    # Deviations in 30ths: 105-107 = -2, 96-107 = -11, 120-107 = +13;
    # variance (4 + 121 + 169) / 900 / 3 = 294/2700 = 0.108888...; std dev 0.32998... -> 0.33
    # Range 4.00 - 3.20 = 0.80.
    # Criterion means: benefit (5+3+4)/3 = 4.00, urgency (4+3+5)/3 = 4.00,
    # feasibility (3+3+4)/3 = 3.33, risk (4+1+2)/3 = 2.33, strategic_fit (2+3+3)/3 = 2.67.
    # Check: (3*4 + 2*4 + 2*10/3 + 1*(6 - 7/3) + 2*8/3) / 10 = (12+8+6.667+3.667+5.333)/10
    #        = 3.5667, the same weighted mean.
    [result] = evaluate(CONFIG, [proposal(
        1, scores(5, 4, 3, 4, 2), scores(3, 3, 3, 1, 3), scores(4, 5, 4, 2, 3))])
    assert result.weighted_mean == Decimal("3.57")
    assert result.spread_stdev == Decimal("0.33")
    assert result.spread_range == Decimal("0.80")
    assert result.criterion_means == {
        "benefit": Decimal("4.00"), "urgency": Decimal("4.00"), "feasibility": Decimal("3.33"),
        "risk": Decimal("2.33"), "strategic_fit": Decimal("2.67")}


def test_high_risk_counts_against_the_proposal():
    # Only risk differs: score 1 counts 6-1 = 5, score 5 counts 6-5 = 1; weight 1 of 10,
    # so the difference is (5 - 1) * 1/10 = 0.40.
    # Low risk:  (3*4 + 2*4 + 2*4 + 1*5 + 2*4) / 10 = 41/10 = 4.10
    # High risk: (3*4 + 2*4 + 2*4 + 1*1 + 2*4) / 10 = 37/10 = 3.70
    low, high = evaluate(CONFIG, [proposal(1, scores(4, 4, 4, 1, 4)),
                                  proposal(2, scores(4, 4, 4, 5, 4))])
    assert (low.case_id, low.weighted_mean, low.rank) == (1, Decimal("4.10"), 1)
    assert (high.case_id, high.weighted_mean, high.rank) == (2, Decimal("3.70"), 2)


def test_extremes_map_to_the_ends_of_the_scale():
    best, worst = evaluate(CONFIG, [proposal(1, scores(5, 5, 5, 1, 5)),
                                    proposal(2, scores(1, 1, 1, 5, 1))])
    assert best.weighted_mean == Decimal("5.00") and worst.weighted_mean == Decimal("1.00")
    assert best.spread_stdev == Decimal("0.00") and best.spread_range == Decimal("0.00")


# --- Ranking -----------------------------------------------------------------------------------


def test_ties_share_a_rank_and_the_next_rank_skips():
    # Means 4.00, 3.50, 3.50, 3.00 -> ranks 1, 2, 2, 4; the tie is listed by case id.
    results = evaluate(small_config(), [
        proposal(40, one_score(3)),
        proposal(31, one_score(3), one_score(4)),
        proposal(12, one_score(4)),
        proposal(25, one_score(4), one_score(3)),
    ])
    assert [(r.case_id, r.rank, str(r.weighted_mean)) for r in results] == [
        (12, 1, "4.00"), (25, 2, "3.50"), (31, 2, "3.50"), (40, 4, "3.00")]


def test_competition_ranks_helper():
    assert competition_ranks({1: 5, 2: 3, 3: 3, 4: 1, 5: 3}) == {1: 1, 2: 2, 3: 2, 5: 2, 4: 5}
    assert competition_ranks({}) == {}


def test_mandatory_is_flagged_listed_first_and_not_ranked():
    results = evaluate(small_config(), [
        proposal(1, one_score(3)),
        proposal(2, one_score(5), mandatory=True),
        proposal(3, one_score(4)),
    ])
    assert [(r.case_id, r.status, r.rank) for r in results] == [
        (2, "mandatory", None), (3, "ranked", 1), (1, "ranked", 2)]
    assert results[0].weighted_mean is None and results[0].mandatory
    assert STATUSES["mandatory"].startswith("Obligatoriskt")


def test_unscored_and_outdated_scores_are_not_ranked():
    results = evaluate(CONFIG, [
        proposal(7),
        proposal(8, {"benefit": 5}),                 # scored before the other criteria existed
        proposal(9, scores(3, 3, 3, 3, 3), {"nytta": 5}),
    ])
    assert [(r.case_id, r.status, r.rank, r.scorers) for r in results] == [
        (9, "ranked", 1, 1), (7, "unscored", None, 0), (8, "unscored", None, 0)]
    assert results[1].warnings == ()
    [warning] = results[2].warnings
    assert warning.code == "member_score_outdated"
    assert warning.params == {"member": "ledamot1", "id": 8}
    assert results[0].warnings[0].params == {"member": "ledamot2", "id": 9}


def test_evaluate_refuses_repeated_cases_and_members():
    with pytest.raises(ValueError, match="Repeated case id"):
        evaluate(small_config(), [proposal(1), proposal(1)])
    with pytest.raises(ValueError, match="more than once"):
        Proposal(1, "x", False, 0, 0, [MemberScore("a", {}), MemberScore("a", {})])
    with pytest.raises(ValueError, match="cost_sek"):
        Proposal(1, "x", False, -5, 0)


def test_to_dict_is_json_safe():
    results = evaluate(CONFIG, [proposal(1, scores(5, 4, 3, 4, 2)), proposal(2, mandatory=True)])
    data = json.loads(json.dumps([r.to_dict() for r in results]))
    assert data[1]["weighted_mean"] == "3.50" and data[1]["criterion_means"]["risk"] == "4.00"
    assert data[0]["rank"] is None and data[0]["status"] == "mandatory"
    json.dumps(capacity(CONFIG, "X", results).to_dict())


# --- Capacity ----------------------------------------------------------------------------------


def test_capacity_cut_off_at_the_exact_budget_boundary():
    # Budget 1 000 000 kr and 100 h. Mandatory (handed in last) walks first: 400 000 kr, 40 h.
    # Rank 1: +600 000 kr, +60 h -> exactly 1 000 000 kr and 100 h: equal fits.
    # Rank 2: +1 kr -> 1 000 001 kr: does not fit. Rank 3 costs 0 but the running total is still
    # over the budget: the council's order is kept, so it does not fit either.
    results = evaluate(small_config(), [
        proposal(1, one_score(5), cost=600_000, hours=60),
        proposal(2, one_score(4), cost=1, hours=0),
        proposal(3, one_score(3), cost=0, hours=0),
        proposal(4, mandatory=True, cost=400_000, hours=40),
    ])
    result = capacity(small_config(), "Tekniska förvaltningen", results)
    assert [(line.case_id, line.cumulative_cost_sek, line.cumulative_hours, line.fits)
            for line in result.lines] == [
        (4, 400_000, 40, True), (1, 1_000_000, 100, True),
        (2, 1_000_001, 100, False), (3, 1_000_001, 100, False)]
    assert result.not_fitting == (2, 3)
    assert (result.fitting_cost_sek, result.fitting_hours) == (1_000_000, 100)
    assert (result.remaining_budget_sek, result.remaining_hours) == (0, 0)
    assert (result.demand_cost_sek, result.demand_hours) == (1_000_001, 100)
    assert result.warnings == ()
    assert not result.own_capacity


def test_hours_alone_can_stop_a_proposal():
    # 100 h: 60 + 40 = 100 fits, + 1 h = 101 does not, although the money would last.
    results = evaluate(small_config(), [proposal(1, one_score(5), cost=10, hours=60),
                                        proposal(2, one_score(4), cost=10, hours=40),
                                        proposal(3, one_score(3), cost=10, hours=1)])
    result = capacity(small_config(), "X", results)
    assert [line.fits for line in result.lines] == [True, True, False]
    assert result.remaining_budget_sek == 1_000_000 - 20 and result.remaining_hours == 0


def test_mandatory_cost_counts_even_over_capacity():
    # Mandatory 1 200 000 kr > 1 000 000 kr: it does not fit, nothing after it does, and the
    # council is told the mandatory cases alone exceed the year's room.
    results = evaluate(small_config(), [proposal(1, one_score(5), cost=1, hours=1),
                                        proposal(2, mandatory=True, cost=1_200_000, hours=10)])
    result = capacity(small_config(), "X", results)
    assert [(line.case_id, line.fits) for line in result.lines] == [(2, False), (1, False)]
    [warning] = result.warnings
    assert warning.code == "mandatory_over_capacity"
    assert warning.params == {"cost": 1_200_000, "hours": 10, "budget": 1_000_000,
                              "capacity_hours": 100}


def test_unknown_cost_counts_as_zero_with_a_warning():
    results = evaluate(small_config(), [proposal(5, one_score(5), cost=None, hours=None),
                                        proposal(6, one_score(4), cost=1_000_000, hours=100)])
    result = capacity(small_config(), "X", results)
    assert [line.fits for line in result.lines] == [True, True]
    assert [(w.code, w.params) for w in result.warnings] == [
        ("cost_unknown", {"id": 5, "number": 1}), ("hours_unknown", {"id": 5, "number": 1})]
    assert result.warnings[0].message.startswith("Ärende %(id)s saknar kostnad")


def test_council_priority_order_replaces_the_rank_but_not_mandatory_first():
    results = evaluate(small_config(), [proposal(1, one_score(5), cost=900_000, hours=0),
                                        proposal(2, one_score(3), cost=100_000, hours=0),
                                        proposal(3, one_score(4), cost=1, hours=0),
                                        proposal(4, mandatory=True, cost=0, hours=0)])
    result = capacity(small_config(), "X", results, priority_order=[2, 1])
    # Mandatory 4 first; then the council's order 2, 1; case 3 (not ordered) last.
    assert [(line.case_id, line.rank, line.fits) for line in result.lines] == [
        (4, None, True), (2, 3, True), (1, 1, True), (3, 2, False)]
    with pytest.raises(ValueError, match="not in the list"):
        capacity(small_config(), "X", results, priority_order=[99])


def test_plain_proposals_keep_their_given_order_after_mandatory():
    items = [proposal(3), proposal(1), proposal(2, mandatory=True)]
    assert [p.case_id for p in council_order(items)] == [2, 3, 1]


def test_department_capacity_is_used():
    result = capacity(CONFIG, "Socialförvaltningen", [proposal(1, cost=5_000_000, hours=6_000)])
    assert result.own_capacity and result.lines[0].fits
    assert capacity(CONFIG, "Tekniska förvaltningen",
                    [proposal(1, cost=5_000_000, hours=6_000)]).not_fitting == (1,)


# --- Score validation --------------------------------------------------------------------------


def test_validate_scores_returns_the_scores_in_criteria_order():
    raw = {"strategic_fit": 2, "risk": 5, "benefit": 1, "urgency": 3, "feasibility": 4}
    assert list(validate_scores(CONFIG, raw).items()) == [
        ("benefit", 1), ("urgency", 3), ("feasibility", 4), ("risk", 5), ("strategic_fit", 2)]


def test_validate_scores_names_every_bad_criterion_in_swedish():
    raw = {"benefit": 0, "urgency": "3", "risk": True, "feasibility": 6, "kostnad": 2}
    with pytest.raises(ScoreError) as caught:
        validate_scores(CONFIG, raw)
    assert [(f.code, f.params["criterion"]) for f in caught.value.failures] == [
        ("score_unknown_criterion", "kostnad"),
        ("score_out_of_range", "benefit"),
        ("score_not_whole_number", "urgency"),
        ("score_out_of_range", "feasibility"),
        ("score_not_whole_number", "risk"),
        ("score_missing", "strategic_fit"),
    ]
    assert str(caught.value).splitlines() == [
        "Bedömningsmallen har inget kriterium som heter kostnad. Ta bort det betyget.",
        "Nytta: betyget 0 ligger utanför skalan. Ge ett betyg från 1 till 5.",
        "Angelägenhet: betyget måste vara ett heltal från 1 till 5.",
        "Genomförbarhet: betyget 6 ligger utanför skalan. Ge ett betyg från 1 till 5.",
        "Risk: betyget måste vara ett heltal från 1 till 5.",
        "Strategisk koppling: betyg saknas. Ge ett betyg från 1 till 5.",
    ]
    assert isinstance(caught.value, ValueError)


def test_validate_scores_refuses_something_that_is_not_a_mapping():
    with pytest.raises(ScoreError, match="Betygen saknas"):
        validate_scores(CONFIG, [1, 2, 3])


@pytest.mark.parametrize("payload", [
    {"scores": {"benefit": "3"}},
    {"scores": {"benefit": 3.0}},
    {"scores": {"benefit": True}},
    {"scores": {"benefit": 0}},
    {"scores": {"benefit": 6}},
    {"scores": {"Benefit!": 3}},
    {"scores": {"benefit": 3}, "comment": "x" * 1001},
    {"scores": {"benefit": 3}, "member": "someone"},
])
def test_score_model_rejects(payload):
    with pytest.raises(ValidationError):
        Score.model_validate(payload)


def test_score_model_accepts_and_strips():
    score = Score.model_validate({"scores": scores(5, 4, 3, 2, 1), "comment": "  Bra förslag. "})
    assert score.comment == "Bra förslag."
    assert validate_scores(CONFIG, score.scores) == scores(5, 4, 3, 2, 1)


# --- Loader errors -----------------------------------------------------------------------------


def error_for(data) -> PrioritisationConfigError:
    with pytest.raises(PrioritisationConfigError) as caught:
        parse_config(data, source="prio.toml")
    return caught.value


@pytest.mark.parametrize(("data", "entry", "fix"), [
    ({**config_data(), "criterion": []}, "criterion", "[[criteria]], [capacity] and [weights]"),
    (config_data(criteria=[]), "[[criteria]]", "Add at least one"),
    ({"capacity": config_data()["capacity"]}, "[[criteria]]", "Add at least one"),
    (config_data(criteria=[criteria_entry(weight=0)]),
     '[[criteria]] entry 1 (id "benefit"): weight', "positive number"),
    (config_data(criteria=[criteria_entry(weight=-1.5)]),
     '[[criteria]] entry 1 (id "benefit"): weight', "positive number"),
    (config_data(criteria=[criteria_entry(weight="2")]),
     '[[criteria]] entry 1 (id "benefit"): weight', "without quotes"),
    (config_data(criteria=[criteria_entry(weight=True)]),
     '[[criteria]] entry 1 (id "benefit"): weight', "positive number"),
    (config_data(criteria=[criteria_entry(weight=float("nan"))]),
     '[[criteria]] entry 1 (id "benefit"): weight', "positive number"),
    (config_data(criteria=[criteria_entry(wieght=2)]),
     '[[criteria]] entry 1 (id "benefit"): wieght', "correct its spelling"),
    (config_data(criteria=[criteria_entry(id="Nytta")]),
     '[[criteria]] entry 1 (id "Nytta"): id', "lower case"),
    (config_data(criteria=[criteria_entry(inverted="yes")]),
     '[[criteria]] entry 1 (id "benefit"): inverted', "true or false"),
    (config_data(criteria=[criteria_entry(description_sv="1 = lite\n5 = mycket")]),
     '[[criteria]] entry 1 (id "benefit"): description_sv', "one line"),
    (config_data(criteria=[criteria_entry(), criteria_entry(id="risk"), criteria_entry()]),
     '[[criteria]] entry 3 (id "benefit")', "its own id"),
    (config_data(capacity=None), "[capacity]", "yearly_budget_sek and yearly_hours"),
    (config_data(capacity={"yearly_budget_sek": 1}), "[capacity]: yearly_hours", "Add the key"),
    (config_data(capacity={"yearly_budget_sek": -1, "yearly_hours": 1}),
     "[capacity]: yearly_budget_sek", "whole kronor"),
    (config_data(capacity={"yearly_budget_sek": 1, "yearly_hours": 1, "budget": 5}),
     "[capacity]: budget", '[capacity."Förvaltningens namn"]'),
    (config_data(capacity={"yearly_budget_sek": 1, "yearly_hours": 1, "Socialförvaltningen": {}}),
     '[capacity."Socialförvaltningen"]', "remove the table"),
    (config_data(capacity={"yearly_budget_sek": 1, "yearly_hours": 1,
                           "Socialförvaltningen": {"hours": 5}}),
     '[capacity."Socialförvaltningen"]: hours', "correct its spelling"),
    (config_data(capacity={"yearly_budget_sek": 1, "yearly_hours": 1, " Social ": {"yearly_hours": 5}}),
     '[capacity." Social "]', "without spaces"),
])
def test_loader_errors_name_entry_and_fix(data, entry, fix):
    error = error_for(data)
    assert error.source == "prio.toml"
    assert error.entry == entry
    assert fix in error.fix
    assert str(error).startswith(f"prio.toml: {entry}: ")


def test_load_config_names_the_file(tmp_path: Path):
    broken = tmp_path / "prioritisation.toml"
    broken.write_text("[[criteria]\nid = 1\n", encoding="utf-8")
    with pytest.raises(PrioritisationConfigError, match="prioritisation.toml: TOML"):
        load_config(broken)
    broken.write_text("[capacity]\nyearly_budget_sek = 1\nyearly_hours = 1\n", encoding="utf-8")
    with pytest.raises(PrioritisationConfigError, match=r"\[\[criteria\]\]: is missing"):
        load_config(broken)


def test_fractional_weights_are_allowed():
    data = config_data(criteria=[criteria_entry(weight=1.5),
                                 criteria_entry(id="risk", weight=0.5, inverted=True)])
    config = parse_config(data, source="test")
    assert [c.weight for c in config.criteria] == [Decimal("1.5"), Decimal("0.5")]
    # (1.5*4 + 0.5*(6-2)) / 2 = (6 + 2) / 2 = 4.00
    [result] = evaluate(config, [proposal(1, {"benefit": 4, "risk": 2})])
    assert result.weighted_mean == Decimal("4.00")


# --- Properties --------------------------------------------------------------------------------

weights = st.one_of(st.integers(1, 10), st.sampled_from([0.25, 0.5, 1.5, 2.5, 7.75]))


@st.composite
def configs(draw):
    count = draw(st.integers(1, 6))
    entries = [criteria_entry(id=f"c{number}", weight=draw(weights), inverted=draw(st.booleans()))
               for number in range(count)]
    return parse_config(config_data(criteria=entries), source="test")


def member_scores(config):
    return st.fixed_dictionaries({c.id: st.integers(1, 5) for c in config.criteria})


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_weighted_mean_stays_on_the_scale(data):
    config = data.draw(configs())
    given_scores = data.draw(st.lists(member_scores(config), min_size=1, max_size=6))
    [result] = evaluate(config, [proposal(1, *given_scores)])
    assert Decimal(1) <= result.weighted_mean <= Decimal(5)
    assert all(Decimal(1) <= value <= Decimal(5) for value in result.member_weighted.values())
    assert Decimal(0) <= result.spread_stdev <= result.spread_range <= Decimal(4)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_raising_a_non_inverted_score_never_lowers_the_mean(data):
    config = data.draw(configs())
    plain = [c.id for c in config.criteria if not c.inverted]
    if not plain:
        return
    given_scores = data.draw(st.lists(member_scores(config), min_size=1, max_size=5))
    member = data.draw(st.integers(0, len(given_scores) - 1))
    criterion = data.draw(st.sampled_from(plain))
    raised = [dict(s) for s in given_scores]
    raised[member][criterion] = data.draw(st.integers(raised[member][criterion], 5))
    [before] = evaluate(config, [proposal(1, *given_scores)])
    [after] = evaluate(config, [proposal(1, *raised)])
    assert after.weighted_mean >= before.weighted_mean


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_ranks_are_a_competition_ranking(data):
    config = small_config()
    count = data.draw(st.integers(1, 12))
    proposals = []
    for case_id in data.draw(st.lists(st.integers(1, 1000), min_size=count, max_size=count,
                                      unique=True)):
        given_scores = data.draw(st.lists(st.integers(1, 5).map(one_score), max_size=3))
        mandatory = data.draw(st.booleans()) and data.draw(st.booleans())
        proposals.append(proposal(case_id, *given_scores, mandatory=mandatory))
    results = evaluate(config, proposals)
    assert sorted(r.case_id for r in results) == sorted(p.case_id for p in proposals)
    ranked = [r for r in results if r.status == "ranked"]
    assert all(r.rank is None for r in results if r.status != "ranked")
    for item in ranked:
        better = sum(other.weighted_mean > item.weighted_mean for other in ranked)
        assert item.rank == 1 + better
    assert [(r.rank, r.case_id) for r in ranked] == sorted((r.rank, r.case_id) for r in ranked)
    if ranked:
        assert ranked[0].rank == 1
    statuses = [r.status for r in results]
    assert statuses == sorted(statuses, key=["mandatory", "ranked", "unscored"].index)


def test_a_förvaltning_may_weigh_criteria_its_own_way(tmp_path):
    from workflow.calc.prioritisation import DEFAULT_CONFIG_FILE, load_config
    config = load_config(DEFAULT_CONFIG_FILE)
    own = config.for_department("Socialförvaltningen")
    weights = {c.id: c.weight for c in own.criteria}
    assert weights["benefit"] == 4 and weights["urgency"] == 2
    assert config.for_department("Tekniska förvaltningen") is config
    broken = tmp_path / "p.toml"
    broken.write_text(DEFAULT_CONFIG_FILE.read_text(encoding="utf-8").replace(
        "benefit = 4", "bogus = 4"), encoding="utf-8")
    with pytest.raises(ValueError, match='weights."Socialförvaltningen"'):
        load_config(broken)
