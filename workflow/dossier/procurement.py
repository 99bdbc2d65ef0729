"""Procurement check (upphandlingskontroll), DOMAIN.md §5: lag (2016:1145) om offentlig
upphandling (LOU).

Rules:

- The **estimated value** is the whole contract term including options and extensions, in whole
  kronor without VAT (LOU 5 kap.). It decides the route the check proposes:
  **direktupphandling** up to and including the direct procurement limit (700 000 kr since
  1 February 2022, LOU 19 a kap.); **annonserad upphandling** below the EU threshold; an
  **upphandling enligt EU-direktiven** from the EU threshold up: a value that *reaches* the EU
  threshold falls under the EU rules (Directive 2014/24/EU art. 4: "equal to or greater than"
  the threshold). An existing agreement or a **ramavtal** call-off (Adda, Kammarkollegiet, the
  organisation's own) is always worth checking first; the result says so in a hint.
- A chosen route **does not fit** when: direct procurement exceeds the direct limit; an advertised
  procedure reaches the EU threshold; a framework call-off does not name the framework; a call-off
  from Kammarkollegiet's IT frameworks lacks the avropsanmälan/avropsbekräftelse reference.
  An existing agreement, a framework call-off and an EU procedure fit any value; an advertised
  procedure also fits a value under the direct limit.
- Direct procurements **av samma slag** in one financial year are added together (LOU 19 a kap.).
  The service sums the other cases' direct procurements of the same ``kind`` in the same
  förvaltning and financial year (``financial_year``: the calendar year, lag (2018:597) om
  kommunal bokföring och redovisning); a sum over the limit is a warning, because whether two
  purchases are "of the same kind" is for the procurement officer to judge.
- **Dokumentationsplikt**: a direct procurement worth at least 100 000 kr must be documented
  (LOU 19 a kap. 11 §).
- The **checklist** carries what KPMG and the research consortium ask for before buying
  (DOMAIN.md §5): IT consulted (001:571-585), reuse or reduced scope (000:194-196),
  compatibility (001:583-585), data ownership with open standards and APIs (000:189-194),
  personuppgiftsbiträdesavtal (GDPR art. 28), third-country transfer, säkerhetsskydd and an exit
  plan. Every question is phrased so that "ja" is the answer that needs no explanation; "nej" and
  "ej aktuellt" need a motivation, and "IT consulted: ja" needs who and when.

Thresholds are dated values in ``config/procurement.toml`` (they change every two years); the
date of the check picks the values in force. ``load_thresholds`` is the only I/O here.

Shape validation happens in the pydantic models. Completeness is not a validation error: a
half-filled check can be saved, and ``problems`` lists what blocks approval. The check passes
when ``problems`` is empty.
"""
from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
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


class DirectProcurementPeriod(_Period):
    limit_sek: Kronor
    documentation_from_sek: Kronor


class EuThresholdPeriod(_Period):
    sek: Kronor
    eur: Kronor
    sek_confirmed: Annotated[bool, Field(strict=True)] = True


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
    """The values in force on one day; the period is where all of them stay the same."""

    direct_limit_sek: int
    documentation_from_sek: int
    eu_threshold_sek: int
    eu_threshold_eur: int
    eu_threshold_sek_confirmed: bool
    valid_from: date
    valid_to: date | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "direct_limit_sek": self.direct_limit_sek,
            "documentation_from_sek": self.documentation_from_sek,
            "eu_threshold_sek": self.eu_threshold_sek,
            "eu_threshold_eur": self.eu_threshold_eur,
            "eu_threshold_sek_confirmed": self.eu_threshold_sek_confirmed,
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
    return period


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
        eu_threshold_sek=eu.sek,
        eu_threshold_eur=eu.eur,
        eu_threshold_sek_confirmed=eu.sek_confirmed,
        valid_from=max(direct.valid_from, eu.valid_from),
        valid_to=min(ends) if ends else None,
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
class ProcurementResult:
    proposed_route: str | None
    route_fits: bool
    route_problem: Failure | None
    documentation_required: bool
    direct_sum_sek: int | None
    warnings: list[Failure]
    hints: list[Failure]
    thresholds: ThresholdSet

    def to_dict(self) -> dict[str, Any]:
        return {
            "proposed_route": self.proposed_route,
            "route_fits": self.route_fits,
            "route_problem": _failure_dict(self.route_problem) if self.route_problem else None,
            "documentation_required": self.documentation_required,
            "direct_sum_sek": self.direct_sum_sek,
            "warnings": [_failure_dict(failure) for failure in self.warnings],
            "hints": [_failure_dict(failure) for failure in self.hints],
            "thresholds": self.thresholds.to_dict(),
        }


def proposed_route(value_sek: int, thresholds: ThresholdSet) -> str:
    """The route the value calls for (an existing agreement or a call-off may still be better)."""
    if value_sek <= thresholds.direct_limit_sek:
        return "direct_procurement"
    if not _reaches_eu_threshold(value_sek, thresholds):
        return "advertised_procedure"
    return "eu_procedure"


def _reaches_eu_threshold(value_sek: int, thresholds: ThresholdSet) -> bool:
    return value_sek >= thresholds.eu_threshold_sek


def evaluate(check: ProcurementCheck, *, thresholds: ThresholdSet,
             same_kind_direct_sum_sek: int) -> ProcurementResult:
    """Propose a route, judge the chosen one and add up same-kind direct procurements.

    ``same_kind_direct_sum_sek``: the OTHER cases' direct procurements of the same kind in the
    same förvaltning and financial year, summed by the service layer.
    """
    if not _is_kronor(same_kind_direct_sum_sek):
        raise ValueError("same_kind_direct_sum_sek must be a whole number of kronor from 0")
    value = check.estimated_value_sek
    proposed = None if value is None else proposed_route(value, thresholds)
    problem = _route_problem(check, thresholds)
    goes_direct = value is not None and (check.chosen_route or proposed) == "direct_procurement"
    direct_sum = value + same_kind_direct_sum_sek if goes_direct else None
    documentation = goes_direct and value >= thresholds.documentation_from_sek
    return ProcurementResult(
        proposed_route=proposed,
        route_fits=check.chosen_route is not None and value is not None and problem is None,
        route_problem=problem,
        documentation_required=documentation,
        direct_sum_sek=direct_sum,
        warnings=_warnings(value, direct_sum, thresholds),
        hints=_hints(check, documentation, thresholds),
        thresholds=thresholds,
    )


def _route_problem(check: ProcurementCheck, thresholds: ThresholdSet) -> Failure | None:
    route, value = check.chosen_route, check.estimated_value_sek
    if route == "framework_call_off":
        return _framework_problem(check)
    if value is None:
        return None
    if route == "direct_procurement" and value > thresholds.direct_limit_sek:
        return Failure(
            "direct_above_limit",
            N_("Direktupphandling är inte tillåten: värdet %(value)s kr är över "
               "direktupphandlingsgränsen %(limit)s kr. Välj annonserad upphandling eller "
               "avropa från ett ramavtal."),
            {"value": value, "limit": thresholds.direct_limit_sek})
    if route == "advertised_procedure" and _reaches_eu_threshold(value, thresholds):
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


def _warnings(value: int | None, direct_sum: int | None,
              thresholds: ThresholdSet) -> list[Failure]:
    warnings = []
    limit = thresholds.direct_limit_sek
    if direct_sum is not None and value is not None and value <= limit < direct_sum:
        warnings.append(Failure(
            "direct_sum_above_limit",
            N_("Direktupphandlingar av samma slag i förvaltningen i år blir %(sum)s kr, över "
               "gränsen %(limit)s kr: räkna samman värdet och överväg annonserad upphandling."),
            {"sum": direct_sum, "limit": limit}))
    if not thresholds.eu_threshold_sek_confirmed and value is not None and value > limit:
        warnings.append(Failure(
            "eu_threshold_unconfirmed",
            N_("EU:s tröskelvärde i kronor (%(threshold)s kr) för perioden från %(valid_from)s "
               "är preliminärt. Be administratören kontrollera det mot Upphandlingsmyndighetens "
               "publicerade värde innan ni bestämmer upphandlingsväg."),
            {"threshold": thresholds.eu_threshold_sek,
             "valid_from": thresholds.valid_from.isoformat()}))
    return warnings


def _hints(check: ProcurementCheck, documentation: bool,
           thresholds: ThresholdSet) -> list[Failure]:
    hints = []
    if check.chosen_route not in ("existing_agreement", "framework_call_off"):
        hints.append(Failure(
            "check_agreements_first",
            N_("Kontrollera först om ett befintligt avtal eller ett ramavtal (till exempel från "
               "Adda eller Kammarkollegiet) täcker behovet. Då behöver ni ingen egen "
               "upphandling.")))
    if documentation:
        hints.append(Failure(
            "documentation_required",
            N_("Direktupphandlingen ska dokumenteras eftersom värdet är minst %(limit)s kr: "
               "skriv ner vilka leverantörer som tillfrågades, vem som fick kontraktet och "
               "varför."),
            {"limit": thresholds.documentation_from_sek}))
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
