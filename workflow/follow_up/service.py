"""Benefit follow-up after go-live (nyttorealisering, docs/follow-up.md): what each benefit
came to at each checkpoint, whether the solution is used as intended, the realisation summary
shown when a case is closed, and the efterkalkyl beside the calculation's cost.

Rules: a checkpoint is reported from its due day (go-live + its months, in the organisation's
local date), never before; "planned per year" is the calculation's amount for the year of
the horizon the checkpoint falls in (year 1 = the twelve months from the decision), not an
average over the horizon."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Iterable, Mapping, Sequence

from sqlalchemy import ScalarSelect, Select, func, literal, select
from sqlalchemy.orm import selectinload

from workflow.calc import benefit as benefit_rules
from workflow.calc.benefit import MONEY_CATEGORIES
from workflow.cases import access
from workflow.models import BenefitReport, Case, CaseEvent, Dossier, User, utcnow
from workflow.notifications.service import add_months
from workflow.platform.errors import GuardFailed, NotFound, PermissionDenied, ValidationFailed
from workflow.platform.extensions import db
from workflow.platform.uow import local_day, record, unit_of_work
from workflow.states import Failure, features
from workflow.states.i18n import N_

REPORTERS = {"developer", "management"}
REPORTING_STATES = features.REPORTING_STATES
USE = {"yes": N_("Ja"), "partly": N_("Delvis"), "no": N_("Nej")}
MAX_VALUE, MAX_COMMENT, MAX_SEK = 200, 2000, 10**12
IN_CHUNK = 1000  # case ids per IN (...) list
# The state a positive decision leads to: the benefit calculation's year 1 starts then.
DECIDED_STATE = features.DECIDED_STATE


@dataclass(frozen=True)
class Checkpoint:
    benefit_number: int
    description: str
    colour: str
    category: str
    indicator: str
    baseline: str
    months: int
    target: str
    due: date | None
    report: BenefitReport | None
    # The year of the calculation's horizon the checkpoint falls in, and the calculation's
    # amount for that year (None for a benefit not valued in money).
    year: int = 1
    planned_sek: int | None = None

    def is_due(self, today: date) -> bool:
        """Whether the checkpoint may be reported on ``today`` (its due day or later)."""
        return self.due is not None and self.due <= today


def local_today() -> date:
    """Today in the organisation's time zone: the day checkpoints are judged by."""
    return local_day(utcnow())


def plan_year(start: date | None, day: date | None) -> int:
    """The year of the benefit calculation's horizon that a checkpoint due on ``day`` reports
    on (docs/follow-up.md, "Planerat per år"): year 1 is the twelve months from ``start`` (the
    decision), year 2 the twelve after, and so on. A checkpoint reports on the months before
    it, so one due exactly twelve months after ``start`` still belongs to year 1. A day before
    ``start``, or no day, is year 1."""
    if start is None or day is None:
        return 1
    year = 1
    while add_months(start, 12 * year) < day:
        year += 1
    return year


def planned_for_year(amounts: Sequence[int] | None, year: int) -> int:
    """The calculation's amount for ``year`` (1-based); 0 for a year it gives none."""
    amounts = amounts or []
    return amounts[year - 1] if 1 <= year <= len(amounts) else 0


# The history rows into the decided state, with the state written into the statement rather
# than bound, so that the database may read them from their partial index (migration 0029)
# in every plan, also in one PostgreSQL keeps for any parameters.
_INTO_DECIDED = CaseEvent.to_state == literal(DECIDED_STATE, literal_execute=True)


def decision_days(case_ids: Sequence[int]) -> dict[int, date]:
    """The local day each case was decided (the event into ``approved``), for the cases that
    were; one query per chunk of ids."""
    found: dict[int, date] = {}
    ids = list(case_ids)
    for start in range(0, len(ids), IN_CHUNK):
        for case_id, moment in db.session.execute(
                select(CaseEvent.case_id, func.max(CaseEvent.at))
                .where(CaseEvent.case_id.in_(ids[start:start + IN_CHUNK]), _INTO_DECIDED)
                .group_by(CaseEvent.case_id)):
            found[case_id] = local_day(moment)
    return found


def _benefits(case: Case) -> list[Mapping[str, Any]]:
    return _benefit_list(case.dossier.benefit if case.dossier else None)


def _benefit_list(document: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    """The benefits of a dossier's benefit calculation (none when it does not apply)."""
    document = document or {}
    if document.get("not_applicable_reason"):
        return []
    return list(document.get("benefits", []))


def checkpoints(case: Case, reports: Iterable[BenefitReport] | None = None,
                decided_on: date | None = None) -> list[Checkpoint]:
    """``reports`` and ``decided_on``: the case's reports and decision day when the caller has
    read them already (the portfolio reads those of every case it shows in one query); both
    are read here when ``reports`` is None. Without a decision the plan counts from go-live."""
    if reports is None:
        reports = db.session.scalars(select(BenefitReport)
                                     .where(BenefitReport.case_id == case.id))
        decided_on = decision_days([case.id]).get(case.id) if case.id else None
    by_point = {(r.benefit_number, r.months): r for r in reports}
    start = decided_on or case.go_live_date
    found = []
    for number, benefit in enumerate(_benefits(case), start=1):
        for point in benefit.get("checkpoints", []):
            months = point["months_after_go_live"]
            due = add_months(case.go_live_date, months) if case.go_live_date else None
            year = plan_year(start, due)
            found.append(Checkpoint(
                benefit_number=number, description=benefit.get("description", ""),
                colour=benefit.get("colour", ""), category=benefit.get("category", ""),
                indicator=benefit.get("indicator", ""), baseline=benefit.get("baseline", ""),
                months=months, target=point.get("target", ""), due=due,
                report=by_point.get((number, months)), year=year,
                planned_sek=(planned_for_year(benefit.get("amounts_sek"), year)
                             if benefit.get("category") in MONEY_CATEGORIES else None)))
    return found


def unreported_count(case: Case) -> int:
    """Checkpoints without a report: closing the case waits for every one of them."""
    return sum(1 for point in checkpoints(case) if point.report is None)


def can_report(user: User, case: Case) -> bool:
    return case.state in REPORTING_STATES and bool(access.roles_for(user, case) & REPORTERS)


def report(actor: User, case: Case, benefit_number: Any, months: Any, fields: Mapping[str, Any],
           now: datetime | None = None) -> BenefitReport:
    """Report (or correct) one checkpoint; the history keeps what was reported before."""
    if not can_report(actor, case):
        raise PermissionDenied(message=N_("Bara verksamhetsutvecklare och ledning kan rapportera "
                                          "nyttan, och bara efter driftstart."))
    point = next((p for p in checkpoints(case) if p.benefit_number == benefit_number
                  and p.months == months), None)
    if point is None:
        raise NotFound(message=N_("Uppföljningstillfället finns inte i nyttokalkylen."))
    now = now or utcnow()
    _check_due(point, local_day(now))
    values = _validated(fields)
    with unit_of_work():
        row = point.report or BenefitReport(case=case, benefit_number=benefit_number,
                                            months=months, reported_by=actor)
        before = _snapshot(point.report)
        for name, value in values.items():
            setattr(row, name, value)
        row.reported_by, row.reported_at = actor, now
        db.session.add(row)
        record(case, "benefit_reported", case.state, case.state, actor, now,
               comment=values.get("comment") or None,
               data={"benefit": benefit_number, "months": months, "before": before,
                     "after": _snapshot(row)})
    return row


def _check_due(point: Checkpoint, today: date) -> None:
    """A checkpoint is reported from its due day on, in the organisation's local date: what
    the benefit came to cannot be known before (DIGG's Vägledning i nyttorealisering;
    docs/follow-up.md, "Uppföljningstillfällen")."""
    if point.is_due(today):
        return
    if point.due is None:
        raise GuardFailed([Failure("go_live_missing", N_(
            "Driftstarten är inte registrerad, så uppföljningen kan inte rapporteras än."))])
    raise GuardFailed([Failure("checkpoint_not_due", N_(
        "Uppföljningen %(months)s månader efter driftstart kan rapporteras från och med "
        "%(due)s, inte före."), {"months": point.months, "due": point.due.isoformat()})])


def _validated(fields: Mapping[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    actual = fields.get("actual_value")
    if not isinstance(actual, str) or not actual.strip():
        errors["actual_value"] = N_("Ange indikatorns faktiska värde.")
    elif len(actual) > MAX_VALUE:
        errors["actual_value"] = N_("Texten är för lång.")
    realised = fields.get("realised_sek")
    if realised is not None and (isinstance(realised, bool) or not isinstance(realised, int)
                                 or not 0 <= realised <= MAX_SEK):
        errors["realised_sek"] = N_("Ange realiserad nytta i hela kronor per år.")
    used = fields.get("used_as_intended")
    if used not in USE:
        errors["used_as_intended"] = N_("Svara ja, delvis eller nej.")
    comment = fields.get("comment") or ""
    if not isinstance(comment, str) or len(comment) > MAX_COMMENT:
        errors["comment"] = N_("Texten är för lång.")
    if errors:
        raise ValidationFailed(errors)
    return {"actual_value": actual.strip(), "realised_sek": realised,
            "used_as_intended": used, "comment": comment.strip()}


def _snapshot(row: BenefitReport | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"actual_value": row.actual_value, "realised_sek": row.realised_sek,
            "used_as_intended": row.used_as_intended, "comment": row.comment}


# ---------------------------------------------------------------- realisation summary

@dataclass
class Realisation:
    """Planned against realised benefit per year, by PENG colour and by category.

    Planned is the calculation's amount for the year of the horizon the compared checkpoint
    falls in (``years``), realised the amount reported at that checkpoint."""

    by_colour: dict[str, tuple[int, int]] = field(default_factory=dict)
    by_category: dict[str, tuple[int, int]] = field(default_factory=dict)
    used: dict[str, int] = field(default_factory=dict)
    reported: int = 0
    checkpoints: int = 0
    # The years of the horizon the planned amounts are taken from (usually one).
    years: tuple[int, ...] = ()

    @property
    def planned_sek(self) -> int:
        return sum(planned for planned, _ in self.by_category.values())

    @property
    def realised_sek(self) -> int:
        return sum(realised for _, realised in self.by_category.values())


def realisations(cases: Sequence[Case]) -> list[Realisation]:
    """:func:`realisation` of many cases (the portfolio, the public page), with their
    reports and decision days read in one query each. Load the cases with
    ``with_benefit_calculation`` so that their dossiers come in one query too."""
    reports: dict[int, list[BenefitReport]] = {case.id: [] for case in cases}
    ids = list(reports)
    for start in range(0, len(ids), IN_CHUNK):
        for report in db.session.scalars(select(BenefitReport).where(
                BenefitReport.case_id.in_(ids[start:start + IN_CHUNK]))):
            reports[report.case_id].append(report)
    decided = decision_days(ids)
    return [realisation(case, reports[case.id], decided.get(case.id)) for case in cases]


def reported_amounts(case_ids: Sequence[int] | Select
                     ) -> dict[int, dict[tuple[int, int], int | None]]:
    """Per case, the realised amount of each reported checkpoint (benefit number, months),
    read as columns: in one query per chunk of ids, or, given a SELECT of case ids (a filter
    of many cases), in one query for all of them (cases without reports are then absent)."""
    if isinstance(case_ids, Select):
        found: dict[int, dict[tuple[int, int], int | None]] = defaultdict(dict)
        parts = [BenefitReport.case_id.in_(case_ids)]
    else:
        found = {case_id: {} for case_id in case_ids}
        ids = list(found)
        parts = [BenefitReport.case_id.in_(ids[start:start + IN_CHUNK])
                 for start in range(0, len(ids), IN_CHUNK)]
    for part in parts:
        for row in db.session.execute(select(
                BenefitReport.case_id, BenefitReport.benefit_number, BenefitReport.months,
                BenefitReport.realised_sek).where(part)):
            found[row.case_id][(row.benefit_number, row.months)] = row.realised_sek
    return found


def decision_moment() -> ScalarSelect:
    """The moment a case was decided (its latest event into ``approved``; NULL if it was
    not), as a column of a query over cases: :func:`decision_days` without a list of ids."""
    return (select(func.max(CaseEvent.at))
            .where(CaseEvent.case_id == Case.id, _INTO_DECIDED)
            .correlate(Case).scalar_subquery())


def _compared_months(benefit: Mapping[str, Any], number: int,
                     reported: Iterable[tuple[int, int]]) -> tuple[int | None, bool]:
    """The checkpoint a benefit's plan is compared at: its latest reported one, or while none
    is reported its first one (the plan the first report will meet); and whether reported."""
    months = sorted(point["months_after_go_live"] for point in benefit.get("checkpoints", []))
    done = set(reported)
    latest = [m for m in months if (number, m) in done]
    if latest:
        return latest[-1], True
    return (months[0] if months else None), False


def _planned_year(go_live: date | None, start: date | None, months: int | None) -> int:
    due = add_months(go_live, months) if go_live is not None and months is not None else None
    return plan_year(start or go_live, due)


def planned_and_realised(document: Mapping[str, Any] | None,
                         reported: Mapping[tuple[int, int], int | None],
                         go_live: date | None = None,
                         decided_on: date | None = None) -> tuple[int, int]:
    """``planned_sek`` and ``realised_sek`` of :func:`realisation` from a benefit calculation,
    :func:`reported_amounts` of its case, its go-live and decision days, without building
    the checkpoints."""
    planned = realised = 0
    for number, benefit in enumerate(_benefit_list(document), start=1):
        if benefit.get("category") not in MONEY_CATEGORIES:
            continue
        months, done = _compared_months(benefit, number, reported)
        year = _planned_year(go_live, decided_on, months)
        planned += planned_for_year(benefit.get("amounts_sek"), year)
        realised += (reported[(number, months)] or 0) if done else 0
    return planned, realised


def with_benefit_calculation() -> Any:
    """A loader option for a query of cases: their dossiers' benefit calculations, in one
    query instead of one per case."""
    return selectinload(Case.dossier).load_only(Dossier.benefit)


def realisation(case: Case, reports: Iterable[BenefitReport] | None = None,
                decided_on: date | None = None) -> Realisation:
    """Planned = the benefit's amount in the calculation for the year of the horizon its
    compared checkpoint falls in (:func:`_compared_months`); realised = the amount reported
    at that checkpoint (0 while none is reported). ``reports`` and ``decided_on`` as in
    :func:`checkpoints`."""
    summary = Realisation()
    points = checkpoints(case, reports, decided_on)
    summary.checkpoints = len(points)
    by_point = {(p.benefit_number, p.months): p for p in points}
    reported = [key for key, point in by_point.items() if point.report is not None]
    years = set()
    for number, benefit in enumerate(_benefits(case), start=1):
        if benefit.get("category") not in MONEY_CATEGORIES:
            continue
        months, done = _compared_months(benefit, number, reported)
        point = by_point.get((number, months))
        year = point.year if point is not None else 1
        years.add(year)
        planned = planned_for_year(benefit.get("amounts_sek"), year)
        realised = (point.report.realised_sek or 0) if done and point is not None else 0
        for table, key in ((summary.by_colour, benefit["colour"]),
                           (summary.by_category, benefit["category"])):
            old = table.get(key, (0, 0))
            table[key] = (old[0] + planned, old[1] + realised)
    summary.years = tuple(sorted(years))
    for point in points:
        if point.report:
            summary.reported += 1
            used = point.report.used_as_intended
            summary.used[used] = summary.used.get(used, 0) + 1
    return summary


# ---------------------------------------------------------------- efterkalkyl

@dataclass(frozen=True)
class CostComparison:
    """The efterkalkyl (actual cost) beside the calculation's cost (docs/follow-up.md,
    "Efterkalkyl"): the planned cost of each year of the horizon and their total."""

    planned_yearly_sek: tuple[int, ...]
    planned_total_sek: int | None
    actual_sek: int | None

    @property
    def difference_sek(self) -> int | None:
        """Actual minus planned: positive when the case cost more than calculated."""
        if self.planned_total_sek is None or self.actual_sek is None:
            return None
        return self.actual_sek - self.planned_total_sek


def cost_comparison(case: Case) -> CostComparison:
    document = case.dossier.benefit if case.dossier else None
    if document is None:
        return CostComparison((), None, case.actual_cost_sek)
    calculation = benefit_rules.BenefitCalculation.model_validate(document)
    yearly = tuple(benefit_rules.yearly_costs(calculation))
    total = sum(yearly)
    if calculation.not_applicable_reason and not total:
        return CostComparison((), None, case.actual_cost_sek)
    return CostComparison(yearly, total, case.actual_cost_sek)
