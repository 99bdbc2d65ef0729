"""Benefit calculation (nyttokalkyl); the conventions and their sources are in
docs/dossier-rules.md ("Nyttokalkyl").

Shape: Inera's nyttokalkyl template, built on E-delegationen's (now DIGG's) *Vägledning i
nyttorealisering*, with the colours of PENG (Prioritera Enligt NyttoGrunder):

- Costs and benefits are entered **year by year**, year 1 first, over a horizon of 1-15 years
  (default 5) with a discount rate (kalkylränta, default 3 % as in Inera's template). PENG shows
  costs in **blue** (blå).
- A year's cost is investment + running cost + own staff time, the hours valued at an hourly
  cost (default 450 kr/h as in Sundsvall; the service layer passes the configured value),
  rounded half up to whole kronor.
- Each benefit has a category: **finansiell** (money actually recovered), **omfördelning** (freed
  time valued in money but not recovered) or **ej i pengar** (not valued in money: it carries an
  indicator only and never counts in kronor); a PENG colour: **grön** (direct, affects money),
  **gul** (indirect), **röd** (hard to value); and a beneficiary: the organisation itself,
  citizens/brukare or another organisation (internal efficiency vs value for citizens, 004:46).
- Each benefit answers E-delegationen's seven questions (what, how realised, who realises it,
  when, how followed up, who owns the follow-up, which indicator) and has a baseline (nuläge) and
  effect targets at checkpoints after go-live (default 6 and 12 months, 003:1148-1156).
- "Ej tillämplig, därför att …" is a valid answer only for mandatory cases and like-for-like
  replacements (003:788-791, 1158-1163), and it must be explained.

Shape validation (types, ranges, lengths, unknown keys, years inside the horizon) happens in the
pydantic models. Completeness is not a validation error: a half-filled calculation can be saved,
and ``problems`` lists what blocks approval. ``calculate`` is pure and never refuses.

Hours and the discount rate are JSON numbers (text and booleans are refused) kept as Decimals,
and ``model_dump(mode="json")`` writes them back as numbers, so a stored calculation validates
again. ``DEFAULTS`` holds the defaults (5 years, 3 %, 450 kr/h, checkpoints at 6 and 12 months).

Money conventions: kronor are whole ints; Decimal precision is kept inside the calculation and
rounding is half up (away from zero for negative amounts, ``ROUND_HALF_UP``), done last.

Figure conventions, shown beside the figures (``CONVENTIONS``): end-of-year discounting from
year 1; the payback year from the undiscounted cumulative net; the benefit/cost ratio
undiscounted; the finance-only net present value beside the total one.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
    model_validator,
)

from workflow.states.guards import Failure
from workflow.states.i18n import N_, MessageError, Texts

# --- Labels ------------------------------------------------------------------------------------

CATEGORIES: dict[str, str] = {
    "financial": N_("Finansiell"),
    "reallocation": N_("Omfördelning"),
    "non_monetary": N_("Ej i pengar"),
}
COLOURS: dict[str, str] = {
    "green": N_("Grön – direkt, påverkar pengar"),
    "yellow": N_("Gul – indirekt"),
    "red": N_("Röd – svår att värdera"),
}
# PENG shows costs in blue; ``BenefitResult.by_colour`` uses these four keys.
RESULT_COLOURS: dict[str, str] = {**COLOURS, "blue": N_("Blå – kostnader")}
BENEFICIARIES: dict[str, str] = {
    "internal": N_("Intern"),
    "citizens": N_("Medborgare/brukare"),
    "other_organisation": N_("Annan organisation"),
}

FIELD_LABELS: dict[str, str] = {
    # BenefitCalculation
    "not_applicable_reason": N_("Ej tillämplig, därför att"),
    "horizon_years": N_("Kalkylperiod (år)"),
    "discount_rate": N_("Kalkylränta"),
    "hourly_cost_sek": N_("Timkostnad för egen personal (kr)"),
    "costs": N_("Kostnader per år"),
    "benefits": N_("Nyttor"),
    # CostYear
    "year": N_("År"),
    "investment_sek": N_("Investering (kr)"),
    "running_sek": N_("Driftkostnad (kr)"),
    "internal_hours": N_("Egen arbetstid (timmar)"),
    # Benefit
    "description": N_("Vad är nyttan?"),
    "category": N_("Kategori"),
    "colour": N_("Färg (PENG)"),
    "beneficiary": N_("Vem får nyttan?"),
    "amounts_sek": N_("Nytta per år (kr)"),
    "how_realised": N_("Hur realiseras nyttan?"),
    "who_realises": N_("Vem realiserar den?"),
    "when": N_("När?"),
    "follow_up_method": N_("Hur följs den upp?"),
    "follow_up_owner": N_("Vem äger uppföljningen?"),
    "indicator": N_("Vilken indikator?"),
    "baseline": N_("Nuläge (indikatorns utgångsvärde)"),
    "checkpoints": N_("Uppföljningstillfällen"),
    # Checkpoint
    "months_after_go_live": N_("Månader efter driftstart"),
    "target": N_("Målvärde"),
}

RESULT_LABELS: dict[str, str] = {
    "year": N_("År"),
    "cost_sek": N_("Kostnad (kr)"),
    "benefit_sek": N_("Nytta i pengar (kr)"),
    "net_sek": N_("Nettonytta (kr)"),
    "discounted_net_sek": N_("Nuvärde av nettonyttan (kr)"),
    "cumulative_net_sek": N_("Ackumulerad nettonytta (kr)"),
    "npv_sek": N_("Nettonuvärde (kr)"),
    "financial_npv_sek": N_("Nuvärde av enbart finansiell nytta (kr)"),
    "payback_year": N_("Återbetalningsår"),
    "benefit_cost_ratio": N_("Nytta per kostnadskrona"),
    "total_cost_sek": N_("Total kostnad (kr)"),
    "total_benefit_sek": N_("Total nytta i pengar (kr)"),
    "net_benefit_sek": N_("Nettonytta (kr)"),
    "financial_sek": N_("Finansiell nytta (kr)"),
    "reallocation_sek": N_("Omfördelning (kr)"),
    "non_monetary_count": N_("Nyttor som inte värderas i pengar (antal)"),
    "citizen_share": N_("Andel av nyttan som går till medborgare/brukare"),
}

# How the figures are computed, shown beside them (docs/dossier-rules.md, "Nyttokalkyl").
CONVENTIONS: dict[str, str] = {
    "discounting": N_("Nuvärdet diskonterar varje års netto vid årets slut, från år 1: år 1 "
                      "delas med (1 + kalkylräntan), år 2 med (1 + kalkylräntan)², och så "
                      "vidare."),
    "financial_npv": N_("Nuvärdet av enbart finansiell nytta räknar bara med pengar som tas "
                        "hem (kategorin Finansiell) minus alla kostnader; omfördelad tid ingår "
                        "inte."),
    "payback": N_("Återbetalningsåret är det första år då den ackumulerade nettonyttan, utan "
                  "diskontering, är noll eller mer."),
    "ratio": N_("Nytta per kostnadskrona är summan av nyttan i pengar delad med summan av "
                "kostnaderna, utan diskontering."),
}

# E-delegationen's questions after "what is it" (the description), in the guidance's order.
QUESTIONS: tuple[str, ...] = (
    "how_realised", "who_realises", "when", "follow_up_method", "follow_up_owner", "indicator",
)
MONEY_CATEGORIES = frozenset({"financial", "reallocation"})
MAX_YEARS = 15
MIN_REASON_LENGTH = 10

DEFAULTS: dict[str, Any] = {
    "horizon_years": 5,
    "discount_rate": Decimal("0.03"),
    "hourly_cost_sek": 450,
    "checkpoint_months": (6, 12),
}

# --- Input types -------------------------------------------------------------------------------

Kronor = Annotated[int, Field(strict=True, ge=0, le=10**12)]
Year = Annotated[int, Field(strict=True, ge=1, le=MAX_YEARS)]


def _json_number(value: Any) -> Decimal:
    """A JSON number (int, float or Decimal) as a Decimal; text and booleans are refused."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise ValueError(N_("Ange ett tal."))
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(N_("Ange ett ändligt tal."))
        return Decimal(repr(value))
    return Decimal(value)


def _number_to_json(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _number(low: int | str, high: int | str) -> Any:
    return Annotated[
        Decimal,
        BeforeValidator(_json_number),
        Field(ge=Decimal(low), le=Decimal(high)),
        PlainSerializer(_number_to_json, when_used="json"),
    ]


Hours = _number(0, 10**7)
Rate = _number(0, "0.2")

Category = Literal["financial", "reallocation", "non_monetary"]
Colour = Literal["green", "yellow", "red"]
Beneficiary = Literal["internal", "citizens", "other_organisation"]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CostYear(_Input):
    """Costs of one year of the horizon (blue in PENG)."""

    year: Year
    investment_sek: Kronor = 0
    running_sek: Kronor = 0
    internal_hours: Hours = Decimal(0)


class Checkpoint(_Input):
    """When the indicator is followed up after go-live, and its target value then."""

    months_after_go_live: Annotated[int, Field(strict=True, ge=1, le=120)]
    target: Annotated[str, Field(max_length=200)] = ""


def _default_checkpoints() -> list[Checkpoint]:
    return [Checkpoint(months_after_go_live=m) for m in DEFAULTS["checkpoint_months"]]


Answer = Annotated[str, Field(max_length=500)]


class Benefit(_Input):
    """One benefit with E-delegationen's questions, its baseline and follow-up checkpoints."""

    description: Annotated[str, Field(max_length=2000)] = ""
    category: Category
    colour: Colour
    beneficiary: Beneficiary
    amounts_sek: Annotated[list[Kronor], Field(max_length=MAX_YEARS)] = []
    how_realised: Answer = ""
    who_realises: Answer = ""
    when: Answer = ""
    follow_up_method: Answer = ""
    follow_up_owner: Answer = ""
    indicator: Answer = ""
    baseline: Annotated[str, Field(max_length=200)] = ""
    checkpoints: Annotated[list[Checkpoint], Field(max_length=20)] = Field(
        default_factory=_default_checkpoints)

    @property
    def in_money(self) -> bool:
        return self.category in MONEY_CATEGORIES

    @model_validator(mode="after")
    def _consistent(self) -> Benefit:
        if self.category == "non_monetary" and self.amounts_sek:
            raise ValueError(N_(
                "En nytta i kategorin Ej i pengar kan inte ha belopp i kronor. Ta bort "
                "beloppen, eller välj kategorin Finansiell eller Omfördelning."))
        months = [c.months_after_go_live for c in self.checkpoints]
        repeated = sorted({m for m in months if months.count(m) > 1})
        if repeated:
            raise MessageError(N_(
                "Uppföljningen %(months)s månader efter driftstart finns flera gånger. "
                "Ange varje tidpunkt en gång."), {"months": repeated[0]})
        return self


class BenefitCalculation(_Input):
    """The whole nyttokalkyl; ``BenefitCalculation()`` is a valid, empty one."""

    not_applicable_reason: Annotated[str, Field(max_length=2000)] | None = None
    horizon_years: Year = DEFAULTS["horizon_years"]
    discount_rate: Rate = DEFAULTS["discount_rate"]
    hourly_cost_sek: Kronor = DEFAULTS["hourly_cost_sek"]
    costs: Annotated[list[CostYear], Field(max_length=MAX_YEARS)] = []
    benefits: Annotated[list[Benefit], Field(max_length=50)] = []

    @field_validator("not_applicable_reason")
    @classmethod
    def _blank_reason_is_none(cls, value: str | None) -> str | None:
        return value or None

    @model_validator(mode="after")
    def _inside_horizon(self) -> BenefitCalculation:
        horizon = self.horizon_years
        years = [cost.year for cost in self.costs]
        for year in years:
            if years.count(year) > 1:
                raise MessageError(N_(
                    "År %(year)s finns flera gånger bland kostnaderna. Samla årets kostnader "
                    "på en rad."), {"year": year})
            if year > horizon:
                raise MessageError(N_(
                    "Kostnaden för år %(year)s ligger utanför kalkylperioden på %(horizon)s år. "
                    "Förläng kalkylperioden eller ta bort året."),
                    {"year": year, "horizon": horizon})
        for number, benefit in enumerate(self.benefits, start=1):
            if len(benefit.amounts_sek) > horizon:
                raise MessageError(N_(
                    "Nytta %(number)s har belopp för %(count)s år men kalkylperioden är "
                    "%(horizon)s år. Ta bort beloppen efter år %(horizon)s eller förläng "
                    "kalkylperioden."),
                    {"number": number, "count": len(benefit.amounts_sek), "horizon": horizon})
        return self


# --- Results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class YearRow:
    year: int
    cost_sek: int
    benefit_sek: int
    net_sek: int
    discounted_net_sek: int
    cumulative_net_sek: int

    def to_dict(self) -> dict[str, int]:
        return {
            "year": self.year,
            "cost_sek": self.cost_sek,
            "benefit_sek": self.benefit_sek,
            "net_sek": self.net_sek,
            "discounted_net_sek": self.discounted_net_sek,
            "cumulative_net_sek": self.cumulative_net_sek,
        }


@dataclass(frozen=True)
class BenefitResult:
    """What ``calculate`` reports. Kronor are ints; ratio and share are Decimals (2 decimals).

    ``by_colour`` has green, yellow and red (monetary benefit) and blue (total cost);
    ``by_category`` has financial and reallocation in kronor and ``non_monetary_count``, the
    number of benefits not valued in money; ``by_beneficiary`` is monetary benefit in kronor.
    """

    not_applicable: bool
    horizon_years: int
    discount_rate: Decimal
    yearly: tuple[YearRow, ...]
    npv_sek: int
    # Net present value of the financial benefits alone minus every cost: the money the
    # organisation actually gets back (Inera keeps it apart from omfördelning).
    financial_npv_sek: int
    payback_year: int | None
    benefit_cost_ratio: Decimal | None
    total_cost_sek: int
    total_benefit_sek: int
    net_benefit_sek: int
    financial_sek: int
    reallocation_sek: int
    by_colour: Mapping[str, int]
    by_category: Mapping[str, int]
    by_beneficiary: Mapping[str, int]
    citizen_share: Decimal | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "not_applicable": self.not_applicable,
            "horizon_years": self.horizon_years,
            "discount_rate": str(self.discount_rate),
            "yearly": [row.to_dict() for row in self.yearly],
            "npv_sek": self.npv_sek,
            "financial_npv_sek": self.financial_npv_sek,
            "payback_year": self.payback_year,
            "benefit_cost_ratio": _str_or_none(self.benefit_cost_ratio),
            "total_cost_sek": self.total_cost_sek,
            "total_benefit_sek": self.total_benefit_sek,
            "net_benefit_sek": self.net_benefit_sek,
            "financial_sek": self.financial_sek,
            "reallocation_sek": self.reallocation_sek,
            "by_colour": dict(self.by_colour),
            "by_category": dict(self.by_category),
            "by_beneficiary": dict(self.by_beneficiary),
            "citizen_share": _str_or_none(self.citizen_share),
        }


def _str_or_none(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


# --- Calculation -------------------------------------------------------------------------------

_CENT = Decimal("0.01")


def _round_kronor(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _ratio(part: int, whole: int) -> Decimal:
    return (Decimal(part) / Decimal(whole)).quantize(_CENT, rounding=ROUND_HALF_UP)


def _year_cost(cost: CostYear, hourly_cost_sek: int) -> int:
    staff_time = _round_kronor(cost.internal_hours * hourly_cost_sek)
    return cost.investment_sek + cost.running_sek + staff_time


def yearly_costs(calc: BenefitCalculation) -> list[int]:
    """Cost per year 1..horizon (index 0 is year 1); years without an entry cost 0."""
    costs = [0] * calc.horizon_years
    for cost in calc.costs:
        if cost.year <= calc.horizon_years:
            costs[cost.year - 1] += _year_cost(cost, calc.hourly_cost_sek)
    return costs


def _yearly_money(benefits: Iterable[Benefit], horizon: int,
                  categories: Iterable[str] = MONEY_CATEGORIES) -> list[int]:
    """Monetary benefit per year 1..horizon of the benefits in ``categories`` (by default
    financial and reallocation); benefits not valued in money never count."""
    money = [0] * horizon
    wanted = frozenset(categories) & MONEY_CATEGORIES
    for benefit in benefits:
        if benefit.category in wanted:
            for index, amount in enumerate(benefit.amounts_sek[:horizon]):
                money[index] += amount
    return money


def _money_by(calc: BenefitCalculation, key: Callable[[Benefit], str],
              keys: Iterable[str]) -> dict[str, int]:
    totals = dict.fromkeys(keys, 0)
    for benefit in calc.benefits:
        if benefit.in_money:
            totals[key(benefit)] += sum(benefit.amounts_sek[:calc.horizon_years])
    return totals


def total_cost_sek(calc: BenefitCalculation) -> int:
    """Total cost over the horizon, undiscounted (approval compares it with the delegation)."""
    return sum(yearly_costs(calc))


def _discount_factors(rate: Decimal, horizon: int) -> list[Decimal]:
    return [(1 + rate) ** year for year in range(1, horizon + 1)]


def _npv(nets: list[int], factors: list[Decimal]) -> int:
    discounted = (Decimal(net) / factor for net, factor in zip(nets, factors, strict=True))
    return _round_kronor(sum(discounted, Decimal(0)))


def _yearly_rows(costs: list[int], money: list[int], factors: list[Decimal]) -> tuple[YearRow, ...]:
    rows, cumulative = [], 0
    for index, (cost, benefit, factor) in enumerate(zip(costs, money, factors, strict=True)):
        net = benefit - cost
        cumulative += net
        rows.append(YearRow(
            year=index + 1, cost_sek=cost, benefit_sek=benefit, net_sek=net,
            discounted_net_sek=_round_kronor(Decimal(net) / factor),
            cumulative_net_sek=cumulative))
    return tuple(rows)


def _payback_year(rows: tuple[YearRow, ...]) -> int | None:
    """First year whose cumulative net is ≥ 0 once some cost has occurred.

    Without any cost there is nothing to pay back: year 1 when there is monetary benefit,
    otherwise None (an empty calculation has no payback).
    """
    if not any(row.cost_sek for row in rows):
        return 1 if any(row.benefit_sek for row in rows) else None
    cost_so_far = 0
    for row in rows:
        cost_so_far += row.cost_sek
        if cost_so_far > 0 and row.cumulative_net_sek >= 0:
            return row.year
    return None


def calculate(calc: BenefitCalculation) -> BenefitResult:
    """Year-by-year costs and benefits, net present value, payback year and the PENG split.

    Years run 1..horizon. Cost of year t = investment + running + hours × hourly cost (staff
    time rounded half up to whole kronor). Monetary benefit of year t = the sum of year t's
    amounts of the financial and reallocation benefits; non-monetary benefits are only counted.

    NPV uses end-of-year discounting: NPV = Σ_{t=1..H} (benefit_t − cost_t) / (1 + r)^t, so
    year 1 is discounted once and nothing is undiscounted. It is summed in Decimal and rounded
    to whole kronor at the end; each row's ``discounted_net_sek`` is rounded on its own, so
    the rows may differ from ``npv_sek`` by a krona or two. The payback year is the first year
    whose cumulative undiscounted net is ≥ 0 once some cost has occurred (see
    ``_payback_year`` for a calculation without costs). The benefit/cost ratio is total
    monetary benefit / total cost (undiscounted), None without costs. ``financial_npv_sek`` is
    the same discounting over the financial benefits alone minus every cost (reallocated time
    brings no money back). ``citizen_share`` is the
    citizens' part of the monetary benefit, None without monetary benefit.

    A calculation marked "ej tillämplig" is still computed from what was entered, and the
    result carries ``not_applicable=True``.
    """
    horizon = calc.horizon_years
    costs = yearly_costs(calc)
    money = _yearly_money(calc.benefits, horizon)
    financial = _yearly_money(calc.benefits, horizon, ("financial",))
    with localcontext(prec=60):
        factors = _discount_factors(calc.discount_rate, horizon)
        rows = _yearly_rows(costs, money, factors)
        npv = _npv([row.net_sek for row in rows], factors)
        financial_npv = _npv([benefit - cost for benefit, cost in zip(financial, costs,
                                                                        strict=True)], factors)
    total_cost, total_benefit = sum(costs), sum(money)
    by_category = _money_by(calc, lambda b: b.category, MONEY_CATEGORIES)
    by_beneficiary = _money_by(calc, lambda b: b.beneficiary, BENEFICIARIES)
    non_monetary = sum(1 for benefit in calc.benefits if not benefit.in_money)
    return BenefitResult(
        not_applicable=calc.not_applicable_reason is not None,
        horizon_years=horizon,
        discount_rate=calc.discount_rate,
        yearly=rows,
        npv_sek=npv,
        financial_npv_sek=financial_npv,
        payback_year=_payback_year(rows),
        benefit_cost_ratio=_ratio(total_benefit, total_cost) if total_cost else None,
        total_cost_sek=total_cost,
        total_benefit_sek=total_benefit,
        net_benefit_sek=total_benefit - total_cost,
        financial_sek=by_category["financial"],
        reallocation_sek=by_category["reallocation"],
        by_colour={**_money_by(calc, lambda b: b.colour, COLOURS), "blue": total_cost},
        by_category={"financial": by_category["financial"],
                     "reallocation": by_category["reallocation"],
                     "non_monetary_count": non_monetary},
        by_beneficiary=by_beneficiary,
        citizen_share=(_ratio(by_beneficiary["citizens"], total_benefit)
                       if total_benefit else None),
    )


# --- Problems (what blocks approval) -----------------------------------------------------------


def problems(calc: BenefitCalculation, *, mandatory: bool, replacement: bool) -> list[Failure]:
    """What must be done before the calculation can support a decision; empty when complete.

    ``mandatory``: the case is mandatory (law, expiring contract, city-wide initiative);
    ``replacement``: it replaces a solution like for like. Only then may the calculation be
    "ej tillämplig", with a reason of at least a sentence, and nothing else is required.
    """
    if calc.not_applicable_reason is not None:
        return _not_applicable_problems(calc.not_applicable_reason, mandatory or replacement)
    failures = []
    if not any(yearly_costs(calc)):
        failures.append(Failure("costs_missing", N_(
            "Ange kostnaderna: minst ett år med investering, driftkostnad eller egen "
            "arbetstid.")))
    if not calc.benefits:
        failures.append(Failure("benefits_missing", N_(
            "Lägg till minst en nytta. En nytta som inte kan värderas i pengar går också bra: "
            "välj kategorin Ej i pengar och ange en indikator.")))
    for number, benefit in enumerate(calc.benefits, start=1):
        failures.extend(_benefit_problems(benefit, number))
    return failures


def _not_applicable_problems(reason: str, allowed: bool) -> list[Failure]:
    if not allowed:
        return [Failure("not_applicable_not_allowed", N_(
            "Ej tillämplig får bara anges för tvingande ärenden och ersättning av likvärdig "
            "lösning. Ta bort motiveringen och fyll i kostnader och nyttor."))]
    if len(reason) < MIN_REASON_LENGTH:
        return [Failure("not_applicable_reason_too_short", N_(
            "Förklara med minst en hel mening (minst %(minimum)s tecken) varför en nyttokalkyl "
            "inte är tillämplig."), {"minimum": MIN_REASON_LENGTH})]
    return []


def _benefit_problems(benefit: Benefit, number: int) -> list[Failure]:
    failures = []
    where = {"number": number}
    if not benefit.description:
        failures.append(Failure("benefit_description_missing", N_(
            "Nytta %(number)s: beskriv vad nyttan är."), where))
    if benefit.in_money and not any(benefit.amounts_sek):
        failures.append(Failure("benefit_amount_missing", N_(
            "Nytta %(number)s: ange nyttan i kronor för minst ett år, eller välj kategorin "
            "Ej i pengar om den inte kan värderas i pengar."), where))
    if not benefit.in_money and not benefit.indicator:
        failures.append(Failure("benefit_indicator_missing", N_(
            "Nytta %(number)s värderas inte i pengar: ange en indikator som visar att nyttan "
            "uppnås."), where))
    failures.extend(_unanswered(benefit, number))
    if not benefit.baseline:
        failures.append(Failure("benefit_baseline_missing", N_(
            "Nytta %(number)s: beskriv nuläget, indikatorns värde i dag, så att effekten kan "
            "mätas."), where))
    failures.extend(_checkpoint_problems(benefit, number))
    return failures


def _unanswered(benefit: Benefit, number: int) -> list[Failure]:
    """One failure listing the unanswered questions; a missing indicator on a benefit not
    valued in money has its own failure and is not listed twice."""
    skip = {"indicator"} if not benefit.in_money else set()
    missing = tuple(q for q in QUESTIONS if q not in skip and not getattr(benefit, q))
    if not missing:
        return []
    return [Failure("benefit_questions_unanswered", N_(
        "Nytta %(number)s saknar svar. Besvara: %(questions)s"),
        {"number": number, "fields": missing,
         "questions": Texts(FIELD_LABELS[q] for q in missing)})]


def _checkpoint_problems(benefit: Benefit, number: int) -> list[Failure]:
    if not benefit.checkpoints:
        return [Failure("benefit_checkpoints_missing", N_(
            "Nytta %(number)s: lägg till minst ett uppföljningstillfälle, till exempel 6 och 12 "
            "månader efter driftstart."), {"number": number})]
    return [
        Failure("benefit_checkpoint_target_missing", N_(
            "Nytta %(number)s: ange målvärdet för indikatorn vid uppföljningen %(months)s "
            "månader efter driftstart."),
            {"number": number, "checkpoint": position, "months": checkpoint.months_after_go_live})
        for position, checkpoint in enumerate(benefit.checkpoints, start=1)
        if not checkpoint.target
    ]
