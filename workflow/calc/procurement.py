"""Procurement check (upphandlingskontroll): lag (2016:1145) om offentlig upphandling (LOU).

The rules, their boundaries and their sources are written out in ``docs/procurement-rules.md``;
this module is their code. In short:

- The **estimated value** is the whole contract term including options and extensions, in whole
  kronor without VAT (LOU 5 kap.). It decides the route the check proposes:
  **direktupphandling** while the value "uppgår till högst" the direct-award limit (700 000 kr
  since 1 February 2022); **annonserad upphandling** below the EU threshold; an **upphandling
  enligt EU-direktiven** once the value "uppgår till eller överstiger" the EU threshold. An
  existing agreement or a **ramavtal** call-off is always worth checking first (a hint says so).
- Direct awards **av samma slag** in the same förvaltning and **räkenskapsår** (the calendar year,
  ``financial_year``) are added together (LOU 19 kap. 8 §). The service layer passes the OTHER
  cases' direct awards in as data (``same_kind_direct``: case id and value); when this case's
  value plus theirs is more than the limit allows, a direct award is **refused** (a problem, so
  the ``dossier_complete`` guard stops ``approve`` and ``escalate``), and the message names the
  other cases by number only.
- **Dokumentationsplikt**: judged on the same aggregated sum ("uppgår till eller överstiger"
  100 000 kr).
- A chosen route also **does not fit** when an advertised procedure reaches the EU threshold, a
  framework call-off does not name the framework, or a call-off from Kammarkollegiet's IT
  frameworks lacks the avropsanmälan/avropsbekräftelse reference.
- An EU threshold whose SEK figure is **not confirmed** (``sek_confirmed = false``) is estimated
  from the euro figure and a dated exchange rate, with a band of uncertainty around it: below the
  band a value is national, inside it the check only warns, and only above the band may it refuse
  an advertised procedure. A preliminary figure never refuses a lawful national procedure.
- The **checklist** carries what KPMG and the research consortium ask for before buying (IT
  consulted, reuse, compatibility, data ownership, personuppgiftsbiträdesavtal, third-country
  transfer, säkerhetsskydd, exit plan). "Ja" needs no explanation; "nej" and "ej aktuellt" need a
  motivation, and "IT consulted: ja" needs who and when.

Thresholds are dated values in ``config/procurement.toml`` together with the law's wording of
each boundary (``högst``, ``uppgår till eller överstiger``…); the comparisons follow the written
wording. The date of the check picks the values in force. ``load_thresholds`` is the only I/O
here.

Shape validation happens in the pydantic models. Completeness is not a validation error: a
half-filled check can be saved, and ``problems`` lists what blocks approval. The check passes
when ``problems`` is empty.
"""
from __future__ import annotations

import operator
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from workflow.states.guards import Failure
from workflow.states.i18n import N_

DEFAULT_THRESHOLDS_FILE = Path(__file__).resolve().parents[2] / "config" / "procurement.toml"

# --- Labels ------------------------------------------------------------------------------------

Route = Literal[
    "existing_agreement", "framework_call_off", "direct_procurement",
    "advertised_procedure", "eu_procedure",
]
ROUTES: dict[str, str] = {
    "existing_agreement": N_("Befintligt avtal"),
    "framework_call_off": N_("Avrop från ramavtal"),
    "direct_procurement": N_("Direktupphandling"),
    "advertised_procedure": N_("Annonserad upphandling under EU:s tröskelvärde"),
    "eu_procedure": N_("Upphandling enligt EU-direktiven"),
}
# The routes the value decides, in rising order of value.
VALUE_ROUTES: tuple[str, ...] = ("direct_procurement", "advertised_procedure", "eu_procedure")

Framework = Literal["adda", "kammarkollegiet", "own"]
FRAMEWORKS: dict[str, str] = {
    "adda": N_("Adda"),
    "kammarkollegiet": N_("Kammarkollegiet (Statens inköpscentral)"),
    "own": N_("Eget ramavtal"),
}

Answer = Literal["yes", "no", "not_relevant"]
ANSWERS: dict[str, str] = {
    "yes": N_("Ja"),
    "no": N_("Nej"),
    "not_relevant": N_("Ej aktuellt"),
}

ItemId = Literal[
    "it_consulted", "reuse_considered", "compatibility", "data_ownership",
    "dpa", "third_country", "security_protection", "exit_plan",
]
CHECKLIST_ITEMS: dict[str, str] = {
    "it_consulted": N_("Har IT-/digitaliseringsavdelningen konsulterats? Ange vem och när."),
    "reuse_considered": N_("Har återanvändning av befintligt system eller minskad omfattning "
                           "prövats?"),
    "compatibility": N_("Är kompatibilitet och integrationer med befintliga system utredda?"),
    "data_ownership": N_("Ställs krav på att organisationen äger och kontrollerar sin data, med "
                         "öppna standarder och öppna API:er?"),
    "dpa": N_("Finns personuppgiftsbiträdesavtal när personuppgifter behandlas?"),
    "third_country": N_("Överföring till tredje land: stannar personuppgifterna inom EU/EES, "
                        "eller finns laglig grund för överföringen?"),
    "security_protection": N_("Säkerhetsskydd: är det utrett om säkerhetsskyddslagen gäller, och "
                              "är säkerhetsskyddet i så fall hanterat?"),
    "exit_plan": N_("Finns en exitplan som säkrar att data kan flyttas ut (dataportabilitet)?"),
}
# The texts and the input types must name the same items, in the same order.
if tuple(CHECKLIST_ITEMS) != get_args(ItemId) or tuple(ROUTES) != get_args(Route):
    raise RuntimeError("CHECKLIST_ITEMS/ROUTES and the ItemId/Route types disagree")

# --- Input -------------------------------------------------------------------------------------

Kronor = Annotated[int, Field(strict=True, ge=0, le=10**12)]
ShortText = Annotated[str, Field(max_length=200)]


class ChecklistAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    answer: Answer | None = None
    motivation: Annotated[str, Field(max_length=2000)] = ""
    who: ShortText = ""
    when: date | None = None


class ProcurementCheck(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    estimated_value_sek: Kronor | None = None
    contract_years: Annotated[int, Field(strict=True, ge=1, le=20)] | None = None
    kind: ShortText = ""
    chosen_route: Route | None = None
    framework: Framework | None = None
    framework_name: ShortText = ""
    call_off_notice: ShortText = ""
    checked_on: date
    checklist: dict[ItemId, ChecklistAnswer] = Field(default_factory=dict)


# --- Thresholds --------------------------------------------------------------------------------


class _Period(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    valid_from: date
    valid_to: date | None = None

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


# The law's wording of each boundary, as written in config/procurement.toml, and the comparison
# it means. A limit says up to which value something is ALLOWED; a threshold says from which
# value a duty or a procedure APPLIES.
LIMIT_BOUNDARIES: dict[str, Callable[[int, int], bool]] = {
    "högst": operator.le,         # "uppgår till högst" (LOU since 1 February 2022): ≤
    "understiger": operator.lt,   # the older wording: <
}
THRESHOLD_BOUNDARIES: dict[str, Callable[[int, int], bool]] = {
    "uppgår till eller överstiger": operator.ge,  # ≥ (documentation duty; Directive art. 4)
    "överstiger": operator.gt,                     # >
}
LimitBoundary = Literal["högst", "understiger"]
ThresholdBoundary = Literal["uppgår till eller överstiger", "överstiger"]
if set(get_args(LimitBoundary)) != set(LIMIT_BOUNDARIES) or \
        set(get_args(ThresholdBoundary)) != set(THRESHOLD_BOUNDARIES):
    raise RuntimeError("the boundary wordings and their comparisons disagree")


class DirectProcurementPeriod(_Period):
    limit_sek: Kronor
    limit_boundary: LimitBoundary
    documentation_from_sek: Kronor
    documentation_boundary: ThresholdBoundary


class EuThresholdPeriod(_Period):
    eur: Kronor
    boundary: ThresholdBoundary
    # The official SEK figure; required once confirmed, left out while it is not.
    sek: Kronor | None = None
    sek_confirmed: Annotated[bool, Field(strict=True)] = True
    # While the SEK figure is not confirmed: the estimate's exchange rate, where it comes from,
    # its date and the band of uncertainty (per cent either side of the estimate).
    eur_sek_rate: Annotated[Decimal, Field(gt=0, le=1000)] | None = None
    rate_source: ShortText = ""
    rate_date: date | None = None
    uncertainty_percent: Annotated[Decimal, Field(ge=0, le=50)] | None = None

    @property
    def estimated_sek(self) -> int | None:
        if self.eur_sek_rate is None:
            return None
        return int((self.eur * self.eur_sek_rate).quantize(Decimal(1), ROUND_HALF_UP))


TABLES: dict[str, type[_Period]] = {
    "direct_procurement": DirectProcurementPeriod,
    "eu_threshold": EuThresholdPeriod,
}


@dataclass(frozen=True)
class Thresholds:
    source: str
    direct_procurement: tuple[DirectProcurementPeriod, ...]
    eu_threshold: tuple[EuThresholdPeriod, ...]


@dataclass(frozen=True)
class ThresholdSet:
    """The values in force on one day; the period is where all of them stay the same.

    ``eu_threshold_sek`` is the confirmed SEK figure, or while ``eu_threshold_sek_confirmed`` is
    false the estimate (euro × ``eu_sek_rate``); an unconfirmed figure needs
    ``eu_uncertainty_percent``, the band either side of the estimate.
    """

    direct_limit_sek: int
    documentation_from_sek: int
    eu_threshold_sek: int
    eu_threshold_eur: int
    eu_threshold_sek_confirmed: bool
    valid_from: date
    valid_to: date | None
    direct_limit_boundary: str = "högst"
    documentation_boundary: str = "uppgår till eller överstiger"
    eu_threshold_boundary: str = "uppgår till eller överstiger"
    eu_sek_rate: Decimal | None = None
    eu_rate_source: str = ""
    eu_rate_date: date | None = None
    eu_uncertainty_percent: Decimal | None = None

    def __post_init__(self) -> None:
        if self.direct_limit_boundary not in LIMIT_BOUNDARIES:
            raise ValueError(f"unknown direct limit boundary {self.direct_limit_boundary!r}")
        for wording in (self.documentation_boundary, self.eu_threshold_boundary):
            if wording not in THRESHOLD_BOUNDARIES:
                raise ValueError(f"unknown threshold boundary {wording!r}")
        if not self.eu_threshold_sek_confirmed and self.eu_uncertainty_percent is None:
            raise ValueError("an unconfirmed EU threshold needs eu_uncertainty_percent")

    @property
    def eu_threshold_preliminary(self) -> bool:
        return not self.eu_threshold_sek_confirmed

    @property
    def eu_band_sek(self) -> tuple[int, int] | None:
        """The band of uncertainty around a preliminary SEK figure; None once confirmed."""
        if self.eu_threshold_sek_confirmed:
            return None
        share = Decimal(self.eu_uncertainty_percent) / 100
        estimate = Decimal(self.eu_threshold_sek)
        return (int((estimate * (1 - share)).to_integral_value(ROUND_FLOOR)),
                int((estimate * (1 + share)).to_integral_value(ROUND_CEILING)))

    def to_dict(self) -> dict[str, Any]:
        band = self.eu_band_sek
        return {
            "direct_limit_sek": self.direct_limit_sek,
            "direct_limit_boundary": self.direct_limit_boundary,
            "documentation_from_sek": self.documentation_from_sek,
            "documentation_boundary": self.documentation_boundary,
            "eu_threshold_sek": self.eu_threshold_sek,
            "eu_threshold_eur": self.eu_threshold_eur,
            "eu_threshold_boundary": self.eu_threshold_boundary,
            "eu_threshold_sek_confirmed": self.eu_threshold_sek_confirmed,
            "eu_threshold_preliminary": self.eu_threshold_preliminary,
            "eu_sek_rate": str(self.eu_sek_rate) if self.eu_sek_rate is not None else None,
            "eu_rate_source": self.eu_rate_source or None,
            "eu_rate_date": _iso(self.eu_rate_date),
            "eu_uncertainty_percent": (str(self.eu_uncertainty_percent)
                                       if self.eu_uncertainty_percent is not None else None),
            "eu_band_sek": list(band) if band else None,
            "valid_from": self.valid_from.isoformat(),
            "valid_to": _iso(self.valid_to),
        }


class ThresholdsError(ValueError):
    """A thresholds file that cannot be used, with where and how to fix it."""

    def __init__(self, source: str, entry: str, problem: str, fix: str):
        self.source, self.entry, self.problem, self.fix = source, entry, problem, fix
        super().__init__(f"{source}: {entry}: {problem}. {fix}")


class NoThresholdsInForce(ValueError):
    """No entry of a table covers the day of a check."""

    def __init__(self, source: str, table: str, day: date):
        self.source, self.table, self.day = source, table, day
        super().__init__(
            f"{source}: no [[{table}]] entry is in force on {day.isoformat()}. Add an entry whose "
            "period covers that day (Upphandlingsmyndigheten publishes new thresholds before "
            "they apply).")


def load_thresholds(path: Path) -> Thresholds:
    """Read and check a thresholds file (config/procurement.toml)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ThresholdsError(str(path), "TOML", f"cannot be parsed ({exc})",
                              "Correct the syntax.") from exc
    return parse_thresholds(data, source=str(path))


def parse_thresholds(data: Mapping[str, Any], *, source: str) -> Thresholds:
    unknown = sorted(set(data) - set(TABLES))
    if unknown:
        raise ThresholdsError(source, unknown[0], "is not a known table",
                              f"Use only {', '.join(f'[[{t}]]' for t in TABLES)}.")
    tables = {table: _parse_table(data, table, source) for table in TABLES}
    return Thresholds(source, tables["direct_procurement"], tables["eu_threshold"])


def _parse_table(data: Mapping[str, Any], table: str, source: str) -> tuple[Any, ...]:
    raw = data.get(table)
    if not isinstance(raw, list) or not raw:
        raise ThresholdsError(source, f"[[{table}]]", "is missing or holds no entries",
                              f"Add at least one [[{table}]] entry with valid_from and its "
                              "values.")
    periods = tuple(_parse_entry(entry, table, number, source)
                    for number, entry in enumerate(raw, start=1))
    _check_sequence(periods, table, source)
    return tuple(sorted(periods, key=lambda period: period.valid_from))


_FIXES = {
    "missing": "Add the key to the entry.",
    "extra_forbidden": "Remove the key or correct its spelling.",
    "literal_error": "Write the boundary in the law's own words, exactly one of those named.",
}


def _parse_entry(entry: Any, table: str, number: int, source: str) -> _Period:
    name = f"[[{table}]] entry {number}"
    try:
        period = TABLES[table].model_validate(entry)
    except ValidationError as exc:
        # A misspelt key also shows as a missing one: name the misspelling first.
        error = min(exc.errors(), key=lambda err: err["type"] != "extra_forbidden")
        key = ".".join(str(part) for part in error["loc"]) or "entry"
        raise ThresholdsError(
            source, f"{name}: {key}", error["msg"],
            _FIXES.get(error["type"], "Write amounts as whole kronor from 0 without quotes "
                                      "(700000) and dates as YYYY-MM-DD.")) from exc
    if period.valid_to is not None and period.valid_to < period.valid_from:
        raise ThresholdsError(source, name, "ends before it starts",
                              "Make valid_to the same day as valid_from or later.")
    if isinstance(period, DirectProcurementPeriod) and \
            period.documentation_from_sek > period.limit_sek:
        raise ThresholdsError(source, name, "documentation_from_sek is above limit_sek",
                              "The documentation duty starts below the direct limit.")
    if isinstance(period, EuThresholdPeriod):
        _check_eu_entry(period, name, source)
    return period


_RATE_KEYS = ("eur_sek_rate", "rate_source", "rate_date", "uncertainty_percent")


def _check_eu_entry(period: EuThresholdPeriod, name: str, source: str) -> None:
    if period.sek_confirmed and period.sek is None:
        raise ThresholdsError(
            source, f"{name}: sek", "is missing although sek_confirmed is true",
            "Write the SEK figure published in the Official Journal, or set sek_confirmed = "
            "false and give eur_sek_rate, rate_source, rate_date and uncertainty_percent.")
    if period.sek_confirmed:
        return
    if period.sek is not None:
        raise ThresholdsError(
            source, f"{name}: sek", "is given although sek_confirmed is false",
            "Remove sek while the figure is unconfirmed (the check estimates it as eur × "
            "eur_sek_rate), or, once checked against the published figure, set "
            "sek_confirmed = true.")
    for key in _RATE_KEYS:
        if getattr(period, key) in (None, ""):
            raise ThresholdsError(
                source, f"{name}: {key}", "is missing although sek_confirmed is false",
                "An unconfirmed SEK figure is estimated from the euro figure: give "
                "eur_sek_rate, rate_source, rate_date and uncertainty_percent.")


def _check_sequence(periods: Sequence[_Period], table: str, source: str) -> None:
    numbered = sorted(enumerate(periods, start=1), key=lambda pair: pair[1].valid_from)
    for (first_number, first), (number, second) in pairwise(numbered):
        name = f"[[{table}]] entry {number} (from {second.valid_from.isoformat()})"
        if first.valid_to is None or second.valid_from <= first.valid_to:
            raise ThresholdsError(
                source, name, f"overlaps entry {first_number}",
                f"Let entry {first_number} end (valid_to) the day before this one starts.")
        if second.valid_from > first.valid_to + timedelta(days=1):
            raise ThresholdsError(
                source, name, f"leaves a gap after entry {first_number}, which ends "
                f"{first.valid_to.isoformat()}",
                "Start it the day after the previous entry ends, or add an entry between.")


def thresholds_on(thresholds: Thresholds, day: date) -> ThresholdSet:
    """The values in force on ``day``; refuses a day no entry covers."""
    direct = _period_on(thresholds.direct_procurement, day, "direct_procurement", thresholds)
    eu = _period_on(thresholds.eu_threshold, day, "eu_threshold", thresholds)
    ends = [end for end in (direct.valid_to, eu.valid_to) if end is not None]
    return ThresholdSet(
        direct_limit_sek=direct.limit_sek,
        documentation_from_sek=direct.documentation_from_sek,
        eu_threshold_sek=eu.sek if eu.sek_confirmed else eu.estimated_sek,
        eu_threshold_eur=eu.eur,
        eu_threshold_sek_confirmed=eu.sek_confirmed,
        valid_from=max(direct.valid_from, eu.valid_from),
        valid_to=min(ends) if ends else None,
        direct_limit_boundary=direct.limit_boundary,
        documentation_boundary=direct.documentation_boundary,
        eu_threshold_boundary=eu.boundary,
        eu_sek_rate=None if eu.sek_confirmed else eu.eur_sek_rate,
        eu_rate_source="" if eu.sek_confirmed else eu.rate_source,
        eu_rate_date=None if eu.sek_confirmed else eu.rate_date,
        eu_uncertainty_percent=None if eu.sek_confirmed else eu.uncertainty_percent,
    )


def _period_on(periods: Iterable[Any], day: date, table: str, thresholds: Thresholds) -> Any:
    for period in periods:
        if period.covers(day):
            return period
    raise NoThresholdsInForce(thresholds.source, table, day)


def financial_year(day: date) -> int:
    """Swedish municipalities and regions keep the calendar year as their financial year."""
    return day.year


# --- Evaluation --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SameKindAward:
    """Another case's direct award of the same kind, förvaltning and räkenskapsår: its number
    and value only (the actor may not be allowed to read that case)."""

    case_id: int
    value_sek: int


@dataclass(frozen=True)
class ProcurementResult:
    proposed_route: str | None
    route_fits: bool
    route_problem: Failure | None
    documentation_required: bool
    direct_sum_sek: int | None
    warnings: list[Failure]
    hints: list[Failure]
    thresholds: ThresholdSet
    # The other cases in ``direct_sum_sek`` (numbers only), in rising order.
    same_kind_case_ids: tuple[int, ...] = ()
    # Where the value stands against the EU threshold: "below", "uncertain" (inside the band of
    # a preliminary SEK figure) or "reached"; None without a value.
    eu_threshold_position: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "proposed_route": self.proposed_route,
            "route_fits": self.route_fits,
            "route_problem": _failure_dict(self.route_problem) if self.route_problem else None,
            "documentation_required": self.documentation_required,
            "direct_sum_sek": self.direct_sum_sek,
            "same_kind_case_ids": list(self.same_kind_case_ids),
            "eu_threshold_position": self.eu_threshold_position,
            "warnings": [_failure_dict(failure) for failure in self.warnings],
            "hints": [_failure_dict(failure) for failure in self.hints],
            "thresholds": self.thresholds.to_dict(),
        }


def direct_award_allowed(amount_sek: int, thresholds: ThresholdSet) -> bool:
    """Whether a direct award of this (aggregated) value is within the limit's written wording."""
    return LIMIT_BOUNDARIES[thresholds.direct_limit_boundary](amount_sek,
                                                              thresholds.direct_limit_sek)


def documentation_duty(amount_sek: int, thresholds: ThresholdSet) -> bool:
    """Whether a direct award of this (aggregated) value must be documented."""
    return THRESHOLD_BOUNDARIES[thresholds.documentation_boundary](
        amount_sek, thresholds.documentation_from_sek)


def eu_threshold_position(value_sek: int, thresholds: ThresholdSet) -> str:
    """"below", "uncertain" or "reached". A confirmed figure is compared by its written
    wording; a preliminary one only counts as reached above the upper edge of its band and as
    not reached below the lower edge, so that it never refuses a lawful national procedure."""
    band = thresholds.eu_band_sek
    if band is None:
        reaches = THRESHOLD_BOUNDARIES[thresholds.eu_threshold_boundary]
        return "reached" if reaches(value_sek, thresholds.eu_threshold_sek) else "below"
    low, high = band
    if value_sek < low:
        return "below"
    return "reached" if value_sek > high else "uncertain"


def proposed_route(value_sek: int, thresholds: ThresholdSet, *,
                   same_kind_sum_sek: int = 0) -> str:
    """The route the value calls for (an existing agreement or a call-off may still be better).

    ``same_kind_sum_sek``: the other same-kind direct awards of the räkenskapsår; a direct award
    is proposed only while this value plus them is within the limit.
    """
    if direct_award_allowed(value_sek + same_kind_sum_sek, thresholds):
        return "direct_procurement"
    if not _reaches_eu_threshold(value_sek, thresholds):
        return "advertised_procedure"
    return "eu_procedure"


def _reaches_eu_threshold(value_sek: int, thresholds: ThresholdSet) -> bool:
    """For the proposal: a preliminary figure's estimate decides (inside the band the check
    warns, and either route is accepted)."""
    if thresholds.eu_threshold_sek_confirmed:
        return eu_threshold_position(value_sek, thresholds) == "reached"
    reaches = THRESHOLD_BOUNDARIES[thresholds.eu_threshold_boundary]
    return reaches(value_sek, thresholds.eu_threshold_sek)


def evaluate(check: ProcurementCheck, *, thresholds: ThresholdSet,
             same_kind_direct: Iterable[SameKindAward | tuple[int, int]] = ()) -> ProcurementResult:
    """Propose a route, judge the chosen one and add up same-kind direct awards.

    ``same_kind_direct``: the OTHER cases' direct awards of the same kind in the same
    förvaltning and räkenskapsår, as (case id, value in kronor), found by the service layer.
    """
    others = _same_kind_awards(same_kind_direct)
    others_sum = sum(award.value_sek for award in others)
    value = check.estimated_value_sek
    by_value = None if value is None else proposed_route(value, thresholds)
    goes_direct = value is not None and (check.chosen_route or by_value) == "direct_procurement"
    direct_sum = value + others_sum if goes_direct else None
    proposed = None if value is None else proposed_route(
        value, thresholds, same_kind_sum_sek=others_sum if goes_direct else 0)
    ids = tuple(sorted({award.case_id for award in others})) if goes_direct else ()
    sum_problem = None
    if direct_sum is not None and value is not None and direct_award_allowed(value, thresholds) \
            and not direct_award_allowed(direct_sum, thresholds):
        sum_problem = _sum_above_limit(direct_sum, ids, check.checked_on, thresholds)
    problem = _route_problem(check, thresholds)
    if problem is None and check.chosen_route == "direct_procurement":
        problem = sum_problem
    documentation = direct_sum is not None and documentation_duty(direct_sum, thresholds)
    position = None if value is None else eu_threshold_position(value, thresholds)
    warnings = []
    if sum_problem is not None and check.chosen_route is None:
        warnings.append(sum_problem)  # why direct award is not proposed
    warnings += _eu_warnings(value, position, check.chosen_route, thresholds)
    return ProcurementResult(
        proposed_route=proposed,
        route_fits=check.chosen_route is not None and value is not None and problem is None,
        route_problem=problem,
        documentation_required=documentation,
        direct_sum_sek=direct_sum,
        warnings=warnings,
        hints=_hints(check, documentation, value, direct_sum, thresholds),
        thresholds=thresholds,
        same_kind_case_ids=ids,
        eu_threshold_position=position,
    )


def _same_kind_awards(items: Iterable[Any]) -> tuple[SameKindAward, ...]:
    awards = []
    for item in items:
        award = item if isinstance(item, SameKindAward) else SameKindAward(*item)
        if not (_is_kronor(award.case_id) and _is_kronor(award.value_sek)):
            raise ValueError("same_kind_direct must hold (case id, value in whole kronor from "
                             "0) pairs")
        awards.append(award)
    return tuple(awards)


def _sum_above_limit(direct_sum: int, ids: tuple[int, ...], day: date,
                     thresholds: ThresholdSet) -> Failure:
    params = {"year": str(financial_year(day)), "sum": direct_sum,
              "limit": thresholds.direct_limit_sek,
              "cases": ", ".join(str(case_id) for case_id in ids)}
    if len(ids) == 1:
        message = N_("Direktupphandling är inte tillåten: direktupphandlingar av samma slag i "
                     "förvaltningen under räkenskapsåret %(year)s blir sammanlagt %(sum)s kr "
                     "(detta ärende och ärende %(cases)s), mer än gränsen %(limit)s kr tillåter "
                     "(LOU 19 kap. 8 §). Välj annonserad upphandling eller avropa från ett "
                     "ramavtal.")
    else:
        message = N_("Direktupphandling är inte tillåten: direktupphandlingar av samma slag i "
                     "förvaltningen under räkenskapsåret %(year)s blir sammanlagt %(sum)s kr "
                     "(detta ärende och ärendena %(cases)s), mer än gränsen %(limit)s kr "
                     "tillåter (LOU 19 kap. 8 §). Välj annonserad upphandling eller avropa från "
                     "ett ramavtal.")
    return Failure("direct_sum_above_limit", message, params)


def _route_problem(check: ProcurementCheck, thresholds: ThresholdSet) -> Failure | None:
    route, value = check.chosen_route, check.estimated_value_sek
    if route == "framework_call_off":
        return _framework_problem(check)
    if value is None:
        return None
    if route == "direct_procurement" and not direct_award_allowed(value, thresholds):
        return Failure(
            "direct_above_limit",
            N_("Direktupphandling är inte tillåten: värdet %(value)s kr är mer än "
               "direktupphandlingsgränsen %(limit)s kr tillåter. Välj annonserad upphandling "
               "eller avropa från ett ramavtal."),
            {"value": value, "limit": thresholds.direct_limit_sek})
    if route == "advertised_procedure" and \
            eu_threshold_position(value, thresholds) == "reached":
        if thresholds.eu_threshold_preliminary:
            low, high = thresholds.eu_band_sek
            return Failure(
                "advertised_above_eu_threshold",
                N_("Annonserad upphandling under EU:s tröskelvärde räcker inte: värdet "
                   "%(value)s kr är över EU:s tröskelvärde %(threshold_eur)s euro även med "
                   "osäkerhetsmarginalen för det preliminära beloppet i kronor (högst %(high)s "
                   "kr). Upphandla enligt EU-direktiven eller avropa från ett ramavtal."),
                {"value": value, "threshold": thresholds.eu_threshold_sek,
                 "threshold_eur": thresholds.eu_threshold_eur, "low": low, "high": high})
        return Failure(
            "advertised_above_eu_threshold",
            N_("Annonserad upphandling under EU:s tröskelvärde räcker inte: värdet %(value)s kr "
               "når EU:s tröskelvärde %(threshold)s kr (%(threshold_eur)s euro). Upphandla "
               "enligt EU-direktiven eller avropa från ett ramavtal."),
            {"value": value, "threshold": thresholds.eu_threshold_sek,
             "threshold_eur": thresholds.eu_threshold_eur})
    return None


def _framework_problem(check: ProcurementCheck) -> Failure | None:
    if check.framework is None or not check.framework_name:
        return Failure(
            "framework_missing",
            N_("Ange vilket ramavtal ni avropar från: vem som har upphandlat det (Adda, "
               "Kammarkollegiet eller ni själva) och ramavtalets namn."))
    if check.framework == "kammarkollegiet" and not check.call_off_notice:
        return Failure(
            "call_off_notice_missing",
            N_("Kammarkollegiets IT-ramavtal kräver en avropsanmälan: skriv referensen till "
               "avropsanmälan eller avropsbekräftelsen."),
            {"framework_name": check.framework_name})
    return None


def _eu_warnings(value: int | None, position: str | None, route: str | None,
                 thresholds: ThresholdSet) -> list[Failure]:
    """Inside the band of a preliminary SEK figure the check warns instead of refusing; an
    existing agreement, a call-off or an EU procedure does not depend on the figure."""
    if position != "uncertain" or route in ("existing_agreement", "framework_call_off",
                                            "eu_procedure"):
        return []
    low, high = thresholds.eu_band_sek
    return [Failure(
        "eu_threshold_preliminary",
        N_("EU:s tröskelvärde i kronor för perioden från %(valid_from)s är preliminärt: "
           "ungefär %(threshold)s kr (%(threshold_eur)s euro omräknat med en uppskattad "
           "växelkurs). Värdet %(value)s kr ligger inom osäkerhetsmarginalen %(low)s–%(high)s "
           "kr, så det går ännu inte att säga om upphandlingen når EU:s tröskelvärde. En "
           "annonserad upphandling godtas tills vidare; be administratören lägga in det "
           "fastställda beloppet innan ni annonserar."),
        {"value": value, "threshold": thresholds.eu_threshold_sek,
         "threshold_eur": thresholds.eu_threshold_eur, "low": low, "high": high,
         "valid_from": thresholds.valid_from.isoformat()})]


def _hints(check: ProcurementCheck, documentation: bool, value: int | None,
           direct_sum: int | None, thresholds: ThresholdSet) -> list[Failure]:
    hints = []
    if check.chosen_route not in ("existing_agreement", "framework_call_off"):
        hints.append(Failure(
            "check_agreements_first",
            N_("Kontrollera först om ett befintligt avtal eller ett ramavtal (till exempel från "
               "Adda eller Kammarkollegiet) täcker behovet. Då behöver ni ingen egen "
               "upphandling.")))
    if documentation and direct_sum == value:
        hints.append(Failure(
            "documentation_required",
            N_("Direktupphandlingen ska dokumenteras eftersom värdet är minst %(limit)s kr: "
               "skriv ner vilka leverantörer som tillfrågades, vem som fick kontraktet och "
               "varför."),
            {"limit": thresholds.documentation_from_sek}))
    elif documentation:
        hints.append(Failure(
            "documentation_required",
            N_("Direktupphandlingen ska dokumenteras: tillsammans med andra "
               "direktupphandlingar av samma slag i förvaltningen under räkenskapsåret "
               "%(year)s blir värdet %(sum)s kr, minst %(limit)s kr. Skriv ner vilka "
               "leverantörer som tillfrågades, vem som fick kontraktet och varför."),
            {"limit": thresholds.documentation_from_sek, "sum": direct_sum,
             "year": str(financial_year(check.checked_on))}))
    return hints


# --- Problems ----------------------------------------------------------------------------------


def problems(check: ProcurementCheck, result: ProcurementResult) -> list[Failure]:
    """What keeps the check from passing; empty when the route fits and all is answered."""
    found = []
    if check.estimated_value_sek is None:
        found.append(Failure(
            "estimated_value_missing",
            N_("Ange det uppskattade värdet i kronor utan moms för hela avtalstiden, med alla "
               "optioner och förlängningar.")))
    if check.chosen_route is None:
        found.append(Failure(
            "route_missing",
            N_("Välj hur ni ska köpa: befintligt avtal, avrop från ramavtal, direktupphandling, "
               "annonserad upphandling eller upphandling enligt EU-direktiven."),
            {"proposed_route": result.proposed_route}))
    elif result.route_problem is not None:
        found.append(result.route_problem)
    if check.chosen_route == "direct_procurement" and not check.kind:
        found.append(Failure(
            "kind_missing",
            N_("Beskriv vad som köps (till exempel \"Licenser för schemaläggning\"), så att "
               "direktupphandlingar av samma slag under året kan räknas samman.")))
    return found + _checklist_problems(check.checklist)


def _checklist_problems(checklist: Mapping[str, ChecklistAnswer]) -> list[Failure]:
    found = []
    for number, (item, question) in enumerate(CHECKLIST_ITEMS.items(), start=1):
        problem = _item_problem(item, checklist.get(item) or ChecklistAnswer())
        if problem is not None:
            code, message = problem
            found.append(Failure(code, message,
                                 {"number": number, "item": item, "question": question}))
    return found


def _item_problem(item: str, answer: ChecklistAnswer) -> tuple[str, str] | None:
    if answer.answer is None:
        return ("checklist_unanswered",
                N_("Fråga %(number)s saknar svar: %(question)s Svara ja, nej eller ej aktuellt."))
    if answer.answer == "no" and not answer.motivation:
        return ("checklist_no_without_motivation",
                N_("Fråga %(number)s är besvarad med nej: skriv varför och vad ni gör i stället."))
    if answer.answer == "not_relevant" and not answer.motivation:
        return ("checklist_not_relevant_without_motivation",
                N_("Fråga %(number)s är markerad som ej aktuell: skriv varför den inte gäller "
                   "det här köpet."))
    if item == "it_consulted" and answer.answer == "yes" and \
            (not answer.who or answer.when is None):
        return ("it_consultation_details_missing",
                N_("Fråga %(number)s: skriv vem på IT-/digitaliseringsavdelningen ni har "
                   "pratat med och när."))
    return None


# --- Helpers -----------------------------------------------------------------------------------


def _is_kronor(amount: Any) -> bool:
    return isinstance(amount, int) and not isinstance(amount, bool) and amount >= 0


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _failure_dict(failure: Failure) -> dict[str, Any]:
    return {"code": failure.code, "message": failure.message, "params": dict(failure.params)}
