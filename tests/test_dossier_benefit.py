"""Benefit calculation (nyttokalkyl): hand-computed examples, validation, problems, invariants."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from workflow.calc.benefit import (
    BENEFICIARIES,
    CATEGORIES,
    COLOURS,
    FIELD_LABELS,
    QUESTIONS,
    Benefit,
    BenefitCalculation,
    Checkpoint,
    CostYear,
    YearRow,
    calculate,
    problems,
    total_cost_sek,
)

ANSWERS = {
    "how_realised": "Färre manuella moment i hemtjänstens planering",
    "who_realises": "Enhetschef hemtjänst",
    "when": "Från driftstart",
    "follow_up_method": "Uttag ur planeringssystemet",
    "follow_up_owner": "Verksamhetsutvecklare",
    "indicator": "Timmar per vecka för planering",
    "baseline": "40 timmar per vecka",
}


def benefit(category="financial", colour="green", beneficiary="internal", amounts=(), **fields):
    values = {"description": "Mindre tid för schemaläggning", **ANSWERS,
              "checkpoints": [{"months_after_go_live": 6, "target": "30 timmar"},
                              {"months_after_go_live": 12, "target": "25 timmar"}]}
    values.update(fields)
    return Benefit(category=category, colour=colour, beneficiary=beneficiary,
                   amounts_sek=list(amounts), **values)


def example_one() -> BenefitCalculation:
    return BenefitCalculation(
        horizon_years=3, discount_rate=Decimal("0.03"), hourly_cost_sek=450,
        costs=[CostYear(year=1, investment_sek=300_000, running_sek=50_000, internal_hours=100),
               CostYear(year=2, running_sek=50_000),
               CostYear(year=3, running_sek=50_000)],
        benefits=[benefit("financial", "green", "internal", [200_000] * 3),
                  benefit("reallocation", "yellow", "citizens", [80_000] * 3),
                  benefit("non_monetary", "red", "citizens", [])])


def example_two() -> BenefitCalculation:
    return BenefitCalculation(
        horizon_years=4, discount_rate=Decimal("0.05"), hourly_cost_sek=455,
        costs=[CostYear(year=3, running_sek=20_000),
               CostYear(year=2, investment_sek=100_000, internal_hours=Decimal("12.5"))],
        benefits=[benefit("financial", "red", "other_organisation", [10_000, 0, 30_000]),
                  benefit("reallocation", "green", "citizens", [0, 0, 25_000, 25_000])])


# --- Hand-computed examples ----------------------------------------------------------------------


def test_example_one_by_hand():
    # Horizon 3 years, rate 3 %, 450 kr/h.
    # Cost y1 = 300 000 + 50 000 + 100 h × 450 = 395 000; y2 = y3 = 50 000; total 495 000.
    # Money benefit per year = 200 000 (financial, green, internal) + 80 000 (reallocation,
    #   yellow, citizens) = 280 000; the non-monetary benefit counts 0 kr; total 840 000.
    # Net: -115 000, 230 000, 230 000; cumulative -115 000, 115 000, 345 000 → payback year 2.
    # Discounted (end of year): -115 000 / 1.03      = -111 650.49 → -111 650
    #                            230 000 / 1.0609    =  216 797.06 →  216 797
    #                            230 000 / 1.092727  =  210 482.58 →  210 483
    # NPV = -111 650.485 + 216 797.059 + 210 482.582 = 315 629.155 → 315 629
    #   (the rounded rows sum to 315 630: NPV is rounded once, at the end).
    # Ratio 840 000 / 495 000 = 1.6969… → 1.70. Citizens' share 240 000 / 840 000 = 0.2857 → 0.29.
    result = calculate(example_one())
    assert result.yearly == (
        YearRow(1, 395_000, 280_000, -115_000, -111_650, -115_000),
        YearRow(2, 50_000, 280_000, 230_000, 216_797, 115_000),
        YearRow(3, 50_000, 280_000, 230_000, 210_483, 345_000),
    )
    assert result.npv_sek == 315_629
    assert result.payback_year == 2
    assert result.benefit_cost_ratio == Decimal("1.70")
    assert (result.total_cost_sek, result.total_benefit_sek, result.net_benefit_sek) == (
        495_000, 840_000, 345_000)
    assert (result.financial_sek, result.reallocation_sek) == (600_000, 240_000)
    assert result.by_colour == {"green": 600_000, "yellow": 240_000, "red": 0, "blue": 495_000}
    assert result.by_category == {"financial": 600_000, "reallocation": 240_000,
                                  "non_monetary_count": 1}
    assert result.by_beneficiary == {"internal": 600_000, "citizens": 240_000,
                                     "other_organisation": 0}
    assert result.citizen_share == Decimal("0.29")
    assert result.not_applicable is False
    assert total_cost_sek(example_one()) == 495_000


def test_example_two_by_hand():
    # Horizon 4 years, rate 5 %, 455 kr/h; costs entered out of order, none in years 1 and 4.
    # Cost y2 = 100 000 + 12.5 h × 455 = 100 000 + 5 687.5 → 105 688 (half up); y3 = 20 000.
    # Benefit A (financial, red, other organisation): 10 000, 0, 30 000 (nothing entered for y4).
    # Benefit B (reallocation, green, citizens): 0, 0, 25 000, 25 000.
    # Money per year: 10 000, 0, 55 000, 25 000 = 90 000; cost total 125 688.
    # Net: 10 000, -105 688, 35 000, 25 000 = -35 688; cumulative 10 000, -95 688, -60 688,
    #   -35 688. Year 1 is ≥ 0 but nothing has been spent yet, so it is no payback → None.
    # Discounted:  10 000 / 1.05       =   9 523.81 →   9 524
    #            -105 688 / 1.1025     = -95 862.13 → -95 862
    #              35 000 / 1.157625   =  30 234.32 →  30 234
    #              25 000 / 1.21550625 =  20 567.56 →  20 568
    # NPV = 9 523.810 - 95 862.132 + 30 234.316 + 20 567.562 = -35 536.444 → -35 536.
    # Ratio 90 000 / 125 688 = 0.716 → 0.72. Citizens 50 000 / 90 000 = 0.556 → 0.56.
    result = calculate(example_two())
    assert [row.to_dict() for row in result.yearly] == [
        {"year": 1, "cost_sek": 0, "benefit_sek": 10_000, "net_sek": 10_000,
         "discounted_net_sek": 9_524, "cumulative_net_sek": 10_000},
        {"year": 2, "cost_sek": 105_688, "benefit_sek": 0, "net_sek": -105_688,
         "discounted_net_sek": -95_862, "cumulative_net_sek": -95_688},
        {"year": 3, "cost_sek": 20_000, "benefit_sek": 55_000, "net_sek": 35_000,
         "discounted_net_sek": 30_234, "cumulative_net_sek": -60_688},
        {"year": 4, "cost_sek": 0, "benefit_sek": 25_000, "net_sek": 25_000,
         "discounted_net_sek": 20_568, "cumulative_net_sek": -35_688},
    ]
    assert result.npv_sek == -35_536
    assert result.payback_year is None
    assert result.benefit_cost_ratio == Decimal("0.72")
    assert result.net_benefit_sek == -35_688
    assert result.by_colour == {"green": 50_000, "yellow": 0, "red": 40_000, "blue": 125_688}
    assert result.by_category == {"financial": 40_000, "reallocation": 50_000,
                                  "non_monetary_count": 0}
    assert result.by_beneficiary == {"internal": 0, "citizens": 50_000,
                                     "other_organisation": 40_000}
    assert result.citizen_share == Decimal("0.56")


def test_finance_only_npv_counts_financial_benefits_against_every_cost():
    """Inera's nyttokalkyl keeps money recovered (finansiell) apart from reallocated time
    (docs/dossier-rules.md). Example one: financial 200 000 kr a year against the costs
    395 000, 50 000 and 50 000 kr: nets -195 000, 150 000, 150 000;
    -195 000/1.03 + 150 000/1.0609 + 150 000/1.092727 = 89 340.25 → 89 340 kr."""
    result = calculate(example_one())
    assert result.financial_npv_sek == 89_340
    assert result.npv_sek == 315_629  # the total keeps the reallocated time
    assert result.to_dict()["financial_npv_sek"] == 89_340
    # Example two: financial 10 000, 0, 30 000, 0 against costs 0, 105 688, 20 000, 0.
    # 10 000/1.05 - 105 688/1.1025 + 10 000/1.157625 = 9 523.81 - 95 862.13 + 8 638.38
    assert calculate(example_two()).financial_npv_sek == -77_700


def test_the_stated_conventions_are_how_it_computes():
    """docs/dossier-rules.md: end-of-year discounting from year 1, payback on the undiscounted
    cumulative net, the benefit/cost ratio undiscounted; each has its explanation."""
    from workflow.calc.benefit import CONVENTIONS
    assert set(CONVENTIONS) == {"discounting", "financial_npv", "payback", "ratio"}
    result = calculate(BenefitCalculation(
        horizon_years=2, discount_rate=Decimal("0.10"),
        costs=[CostYear(year=1, investment_sek=100_000)],
        benefits=[benefit(amounts=[55_000, 55_000])]))
    assert [row.discounted_net_sek for row in result.yearly] == [-40_909, 45_455]  # /1.1, /1.21
    assert result.payback_year == 2  # cumulative -45 000, +10 000 (undiscounted)
    assert result.npv_sek == 4_545 and result.benefit_cost_ratio == Decimal("1.10")


def test_model_messages_are_translated_before_they_are_filled_in():
    """A validation message keeps its msgid and parameters apart (the API translates it)."""
    from workflow.platform.validation import field_errors
    with pytest.raises(ValidationError) as caught:
        BenefitCalculation.model_validate({"horizon_years": 3,
                                           "costs": [{"year": 4, "running_sek": 1}]})
    [(message, params)] = field_errors(caught.value)["body"]
    assert "%(year)s" in message and params == {"year": 4, "horizon": 3}


def test_to_dict_is_json_safe():
    data = calculate(example_one()).to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["benefit_cost_ratio"] == "1.70"
    assert data["citizen_share"] == "0.29"
    assert data["discount_rate"] == "0.03"
    assert data["yearly"][0]["cost_sek"] == 395_000


def test_empty_calculation_is_valid_and_all_zero():
    calc = BenefitCalculation()
    assert (calc.horizon_years, calc.discount_rate, calc.hourly_cost_sek) == (
        5, Decimal("0.03"), 450)
    result = calculate(calc)
    assert len(result.yearly) == 5
    assert result.npv_sek == 0
    assert result.payback_year is None
    assert result.benefit_cost_ratio is None
    assert result.citizen_share is None
    assert result.by_colour == {"green": 0, "yellow": 0, "red": 0, "blue": 0}


def test_payback_without_costs_is_year_one_when_there_is_benefit():
    # Nothing is spent, so there is nothing to pay back: the benefit counts from year 1,
    # even if the first amount comes in year 2.
    calc = BenefitCalculation(horizon_years=3, benefits=[benefit(amounts=[0, 5_000])])
    result = calculate(calc)
    assert result.payback_year == 1
    assert result.benefit_cost_ratio is None


def test_payback_year_counts_a_cumulative_of_exactly_zero():
    # Cost 100 000 in year 1, benefit 50 000 per year: cumulative -50 000, 0 → payback year 2.
    calc = BenefitCalculation(horizon_years=3, costs=[CostYear(year=1, investment_sek=100_000)],
                              benefits=[benefit(amounts=[50_000] * 3)])
    assert [row.cumulative_net_sek for row in calculate(calc).yearly] == [-50_000, 0, 50_000]
    assert calculate(calc).payback_year == 2


def test_only_non_monetary_benefits_give_no_money_and_no_share():
    calc = BenefitCalculation(costs=[CostYear(year=1, running_sek=10_000)],
                              benefits=[benefit("non_monetary", "red", "citizens")])
    result = calculate(calc)
    assert result.total_benefit_sek == 0
    assert result.citizen_share is None
    assert result.benefit_cost_ratio == Decimal("0.00")
    assert result.by_category["non_monetary_count"] == 1


def test_staff_time_is_rounded_half_up_per_year():
    # 0.5 h × 451 kr = 225.5 → 226; 0.25 h × 450 = 112.5 → 113.
    calc = BenefitCalculation(hourly_cost_sek=451,
                              costs=[CostYear(year=1, internal_hours=Decimal("0.5"))])
    assert total_cost_sek(calc) == 226
    calc = BenefitCalculation(costs=[CostYear(year=2, internal_hours=0.25)])
    assert calculate(calc).yearly[1].cost_sek == 113


def test_not_applicable_still_computes_and_is_flagged():
    calc = example_one().model_copy(update={"not_applicable_reason": "Lagkrav, ingen nytta."})
    result = calculate(calc)
    assert result.not_applicable is True
    assert result.npv_sek == 315_629


# --- Validation ---------------------------------------------------------------------------------

VALID_BENEFIT = {"category": "financial", "colour": "green", "beneficiary": "internal"}


@pytest.mark.parametrize("data", [
    {"horizon_years": 0},
    {"horizon_years": 16},
    {"horizon_years": "5"},
    {"horizon_years": 5.0},
    {"discount_rate": 0.5},
    {"discount_rate": -0.01},
    {"discount_rate": "0.03"},
    {"discount_rate": True},
    {"hourly_cost_sek": "450"},
    {"hourly_cost_sek": 450.5},
    {"hourly_cost_sek": -1},
    {"unknown": 1},
    {"not_applicable_reason": "x" * 2001},
    {"costs": [{"year": 1, "investment_sek": "100"}]},
    {"costs": [{"year": 1, "investment_sek": 1.5}]},
    {"costs": [{"year": 1, "investment_sek": True}]},
    {"costs": [{"year": 1, "running_sek": -1}]},
    {"costs": [{"year": 1, "running_sek": 10**12 + 1}]},
    {"costs": [{"year": 1, "internal_hours": "3"}]},
    {"costs": [{"year": 1, "internal_hours": True}]},
    {"costs": [{"year": 1, "internal_hours": -1}]},
    {"costs": [{"year": 1, "internal_hours": 10**7 + 1}]},
    {"costs": [{"year": 1, "internal_hours": float("nan")}]},
    {"costs": [{"year": 0}]},
    {"costs": [{"year": 1, "extra": 1}]},
    {"costs": [{"investment_sek": 5}]},
    {"benefits": [{**VALID_BENEFIT, "amounts_sek": ["100"]}]},
    {"benefits": [{**VALID_BENEFIT, "amounts_sek": [-5]}]},
    {"benefits": [{**VALID_BENEFIT, "amounts_sek": [1.5]}]},
    {"benefits": [{**VALID_BENEFIT, "category": "money"}]},
    {"benefits": [{**VALID_BENEFIT, "colour": "blue"}]},
    {"benefits": [{**VALID_BENEFIT, "beneficiary": "everyone"}]},
    {"benefits": [{"colour": "green", "beneficiary": "internal"}]},
    {"benefits": [{**VALID_BENEFIT, "description": "x" * 2001}]},
    {"benefits": [{**VALID_BENEFIT, "how_realised": "x" * 501}]},
    {"benefits": [{**VALID_BENEFIT, "baseline": "x" * 201}]},
    {"benefits": [{**VALID_BENEFIT, "nickname": "x"}]},
    {"benefits": [{**VALID_BENEFIT, "checkpoints": [{"months_after_go_live": 0}]}]},
    {"benefits": [{**VALID_BENEFIT, "checkpoints": [{"months_after_go_live": 121}]}]},
    {"benefits": [{**VALID_BENEFIT, "checkpoints": [
        {"months_after_go_live": 6, "target": "x" * 201}]}]},
    {"benefits": [VALID_BENEFIT] * 51},
])
def test_rejects_malformed_input(data):
    with pytest.raises(ValidationError):
        BenefitCalculation.model_validate(data)


def error_text(data) -> str:
    with pytest.raises(ValidationError) as caught:
        BenefitCalculation.model_validate(data)
    return str(caught.value)


def test_rejects_cost_year_beyond_horizon():
    text = error_text({"horizon_years": 3, "costs": [{"year": 4, "running_sek": 1}]})
    assert "år 4 ligger utanför kalkylperioden på 3 år" in text


def test_rejects_duplicate_cost_years():
    text = error_text({"costs": [{"year": 2, "running_sek": 1}, {"year": 2, "running_sek": 2}]})
    assert "År 2 finns flera gånger" in text


def test_rejects_more_amounts_than_horizon_years():
    text = error_text({"horizon_years": 2,
                       "benefits": [VALID_BENEFIT, {**VALID_BENEFIT, "amounts_sek": [1, 2, 3]}]})
    assert "Nytta 2 har belopp för 3 år men kalkylperioden är 2 år" in text


def test_rejects_amounts_on_a_non_monetary_benefit():
    text = error_text({"benefits": [{**VALID_BENEFIT, "category": "non_monetary",
                                     "amounts_sek": [0]}]})
    assert "Ej i pengar kan inte ha belopp i kronor" in text


def test_rejects_duplicate_checkpoint_months():
    text = error_text({"benefits": [{**VALID_BENEFIT, "checkpoints": [
        {"months_after_go_live": 6}, {"months_after_go_live": 6}]}]})
    assert "6 månader efter driftstart finns flera gånger" in text


def test_accepts_json_numbers_for_hours_and_rate_and_round_trips():
    calc = BenefitCalculation.model_validate_json(
        '{"discount_rate": 0.035, "costs": [{"year": 1, "internal_hours": 7.5},'
        ' {"year": 2, "internal_hours": 8}]}')
    assert calc.discount_rate == Decimal("0.035")
    assert [cost.internal_hours for cost in calc.costs] == [Decimal("7.5"), Decimal(8)]
    assert BenefitCalculation.model_validate_json(calc.model_dump_json()) == calc
    assert BenefitCalculation.model_validate(calc.model_dump(mode="json")) == calc
    assert BenefitCalculation.model_validate(example_one().model_dump(mode="json")) == example_one()


def test_defaults_strip_and_blank_reason():
    calc = BenefitCalculation.model_validate({
        "not_applicable_reason": "   ",
        "benefits": [{**VALID_BENEFIT, "description": "  Kortare väntetid  "}]})
    assert calc.not_applicable_reason is None
    only = calc.benefits[0]
    assert only.description == "Kortare väntetid"
    assert only.amounts_sek == []
    assert only.checkpoints == [Checkpoint(months_after_go_live=6, target=""),
                                Checkpoint(months_after_go_live=12, target="")]


def test_every_field_and_choice_has_a_swedish_label():
    for model in (BenefitCalculation, CostYear, Benefit, Checkpoint):
        assert set(model.model_fields) <= set(FIELD_LABELS)
    assert set(CATEGORIES) == {"financial", "reallocation", "non_monetary"}
    assert set(COLOURS) == {"green", "yellow", "red"}
    assert set(BENEFICIARIES) == {"internal", "citizens", "other_organisation"}
    assert [FIELD_LABELS[q] for q in QUESTIONS] == [
        "Hur realiseras nyttan?", "Vem realiserar den?", "När?", "Hur följs den upp?",
        "Vem äger uppföljningen?", "Vilken indikator?"]


# --- Problems -----------------------------------------------------------------------------------


def codes(failures) -> list[str]:
    return [failure.code for failure in failures]


def rendered(failures) -> list[str]:
    return [failure.message % dict(failure.params) for failure in failures]


def test_complete_calculation_has_no_problems():
    assert problems(example_one(), mandatory=False, replacement=False) == []
    assert problems(example_two(), mandatory=False, replacement=False) == []


def test_empty_calculation_needs_costs_and_benefits():
    assert codes(problems(BenefitCalculation(), mandatory=False, replacement=False)) == [
        "costs_missing", "benefits_missing"]


def test_staff_hours_at_zero_hourly_cost_are_no_cost():
    calc = example_one().model_copy(update={
        "hourly_cost_sek": 0, "costs": [CostYear(year=1, internal_hours=100)]})
    assert codes(problems(calc, mandatory=False, replacement=False)) == ["costs_missing"]
    calc = calc.model_copy(update={"hourly_cost_sek": 450})
    assert problems(calc, mandatory=False, replacement=False) == []


def test_blank_benefit_lists_everything_missing():
    calc = BenefitCalculation(costs=[CostYear(year=1, investment_sek=1)],
                              benefits=[benefit(amounts=[1]),
                                        Benefit(**VALID_BENEFIT, amounts_sek=[0, 0])])
    failures = problems(calc, mandatory=False, replacement=False)
    assert codes(failures) == [
        "benefit_description_missing", "benefit_amount_missing",
        "benefit_questions_unanswered", "benefit_baseline_missing",
        "benefit_checkpoint_target_missing", "benefit_checkpoint_target_missing"]
    assert all(failure.params["number"] == 2 for failure in failures)
    questions = failures[2]
    assert questions.params["fields"] == QUESTIONS
    assert rendered([questions]) == [
        "Nytta 2 saknar svar. Besvara: Hur realiseras nyttan? Vem realiserar den? När? "
        "Hur följs den upp? Vem äger uppföljningen? Vilken indikator?"]
    assert [f.params["months"] for f in failures[4:]] == [6, 12]
    assert rendered(failures[4:5]) == [
        "Nytta 2: ange målvärdet för indikatorn vid uppföljningen 6 månader efter driftstart."]


def test_non_monetary_benefit_needs_an_indicator_once():
    calc = example_one().model_copy(update={"benefits": [
        benefit("non_monetary", "red", "citizens", indicator="", when="")]})
    failures = problems(calc, mandatory=False, replacement=False)
    assert codes(failures) == ["benefit_indicator_missing", "benefit_questions_unanswered"]
    assert failures[1].params["fields"] == ("when",)
    assert rendered(failures)[0].startswith("Nytta 1 värderas inte i pengar: ange en indikator")


def test_benefit_without_checkpoints():
    calc = example_one().model_copy(update={"benefits": [benefit(amounts=[1], checkpoints=[])]})
    failures = problems(calc, mandatory=False, replacement=False)
    assert codes(failures) == ["benefit_checkpoints_missing"]


@pytest.mark.parametrize("mandatory, replacement", [(True, False), (False, True), (True, True)])
def test_not_applicable_is_enough_for_mandatory_cases_and_replacements(mandatory, replacement):
    calc = BenefitCalculation(not_applicable_reason="Lagkrav från 1 juli, ingen valfrihet.")
    assert problems(calc, mandatory=mandatory, replacement=replacement) == []


def test_not_applicable_is_refused_for_other_cases():
    calc = BenefitCalculation(not_applicable_reason="Vi tycker inte det behövs.")
    failures = problems(calc, mandatory=False, replacement=False)
    assert codes(failures) == ["not_applicable_not_allowed"]
    assert failures[0].message.startswith(
        "Ej tillämplig får bara anges för tvingande ärenden och ersättning av likvärdig lösning.")


def test_not_applicable_reason_must_be_a_sentence():
    calc = BenefitCalculation(not_applicable_reason="Lag.")
    failures = problems(calc, mandatory=True, replacement=False)
    assert codes(failures) == ["not_applicable_reason_too_short"]
    assert failures[0].params == {"minimum": 10}
    assert "minst 10 tecken" in rendered(failures)[0]


# --- Properties ---------------------------------------------------------------------------------

amounts = st.integers(0, 10**7)
hours = st.decimals(0, 10_000, places=2)
rates = st.decimals(0, Decimal("0.2"), places=4)


@st.composite
def benefits(draw, horizon: int) -> Benefit:
    category = draw(st.sampled_from(sorted(CATEGORIES)))
    money = [] if category == "non_monetary" else draw(st.lists(amounts, max_size=horizon))
    return Benefit(category=category, colour=draw(st.sampled_from(sorted(COLOURS))),
                   beneficiary=draw(st.sampled_from(sorted(BENEFICIARIES))), amounts_sek=money)


@st.composite
def calculations(draw, with_costs: bool = True, with_benefits: bool = True):
    horizon = draw(st.integers(1, 15))
    years = draw(st.lists(st.integers(1, horizon), unique=True, max_size=horizon)
                 if with_costs else st.just([]))
    costs = [CostYear(year=year, investment_sek=draw(amounts), running_sek=draw(amounts),
                      internal_hours=draw(hours)) for year in years]
    return BenefitCalculation(
        horizon_years=horizon, discount_rate=draw(rates),
        hourly_cost_sek=draw(st.integers(0, 2_000)), costs=costs,
        benefits=draw(st.lists(benefits(horizon), max_size=5)) if with_benefits else [])


def at_rate(calc: BenefitCalculation, rate: Decimal) -> BenefitCalculation:
    return calc.model_copy(update={"discount_rate": rate})


FAST = settings(max_examples=60, deadline=None)


@FAST
@given(calculations())
def test_npv_at_rate_zero_is_the_net_benefit(calc):
    result = calculate(at_rate(calc, Decimal(0)))
    assert result.npv_sek == result.net_benefit_sek


@FAST
@given(calculations())
def test_totals_add_up(calc):
    result = calculate(calc)
    colours = result.by_colour
    assert colours["green"] + colours["yellow"] + colours["red"] == result.total_benefit_sek
    assert colours["blue"] == result.total_cost_sek == total_cost_sek(calc)
    assert result.financial_sek + result.reallocation_sek == result.total_benefit_sek
    assert sum(result.by_beneficiary.values()) == result.total_benefit_sek
    assert result.net_benefit_sek == result.total_benefit_sek - result.total_cost_sek
    assert [row.year for row in result.yearly] == list(range(1, calc.horizon_years + 1))
    assert all(row.net_sek == row.benefit_sek - row.cost_sek for row in result.yearly)
    assert sum(row.cost_sek for row in result.yearly) == result.total_cost_sek
    assert result.yearly[-1].cumulative_net_sek == result.net_benefit_sek


@FAST
@given(calculations())
def test_payback_year_is_the_first_year_paid_back_after_spending(calc):
    result = calculate(calc)
    spent, paid_back = 0, []
    for row in result.yearly:
        spent += row.cost_sek
        if spent > 0 and row.cumulative_net_sek >= 0:
            paid_back.append(row.year)
    if result.total_cost_sek:
        assert result.payback_year == (paid_back[0] if paid_back else None)
    else:
        assert result.payback_year == (1 if result.total_benefit_sek else None)


@FAST
@given(calculations(), st.integers(1, 15), st.integers(1, 10**7))
def test_adding_a_benefit_amount_never_lowers_npv(calc, year, amount):
    year = min(year, calc.horizon_years)
    extra = Benefit(category="financial", colour="green", beneficiary="internal",
                    amounts_sek=[0] * (year - 1) + [amount])
    richer = calc.model_copy(update={"benefits": [*calc.benefits, extra]})
    assert calculate(richer).npv_sek >= calculate(calc).npv_sek
    assert calculate(richer).total_benefit_sek == calculate(calc).total_benefit_sek + amount


@FAST
@given(calculations(with_costs=False), rates, rates)
def test_npv_does_not_rise_with_the_rate_when_every_net_is_positive(calc, low, high):
    low, high = sorted((low, high))
    assert calculate(at_rate(calc, low)).npv_sek >= calculate(at_rate(calc, high)).npv_sek


@FAST
@given(calculations(with_benefits=False), rates, rates)
def test_npv_does_not_fall_with_the_rate_when_every_net_is_negative(calc, low, high):
    low, high = sorted((low, high))
    assert calculate(at_rate(calc, low)).npv_sek <= calculate(at_rate(calc, high)).npv_sek


@FAST
@given(calculations())
def test_shares_and_ratio_are_in_range(calc):
    result = calculate(calc)
    if result.total_benefit_sek:
        assert Decimal(0) <= result.citizen_share <= Decimal(1)
    else:
        assert result.citizen_share is None
    assert (result.benefit_cost_ratio is None) == (result.total_cost_sek == 0)
    assume(result.benefit_cost_ratio is not None)
    assert result.benefit_cost_ratio >= 0


@FAST
@given(calculations())
def test_round_trips_through_json(calc):
    assert BenefitCalculation.model_validate_json(calc.model_dump_json()) == calc
    data = calculate(calc).to_dict()
    assert json.loads(json.dumps(data)) == data
