"""Benefit follow-up after go-live: what each benefit came to at each checkpoint, whether the
solution is used as intended, and the realisation summary shown when a case is closed."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Iterable, Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..dossier.benefit import MONEY_CATEGORIES
from ..extensions import db
from ..models import BenefitReport, Case, Dossier, User, utcnow
from ..states.i18n import N_
from . import access
from .cases import record, unit_of_work
from .errors import NotFound, PermissionDenied, ValidationFailed
from .notifications import add_months

REPORTERS = {"developer", "management"}
REPORTING_STATES = ("follow_up",)
USE = {"yes": N_("Ja"), "partly": N_("Delvis"), "no": N_("Nej")}
MAX_VALUE, MAX_COMMENT, MAX_SEK = 200, 2000, 10**12
IN_CHUNK = 1000  # case ids per IN (...) list


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


def _benefits(case: Case) -> list[Mapping[str, Any]]:
    return _benefit_list(case.dossier.benefit if case.dossier else None)


def _benefit_list(document: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    """The benefits of a dossier's benefit calculation (none when it does not apply)."""
    document = document or {}
    if document.get("not_applicable_reason"):
        return []
    return list(document.get("benefits", []))


def checkpoints(case: Case, reports: Iterable[BenefitReport] | None = None) -> list[Checkpoint]:
    """``reports``: the case's reports when the caller has read them already (the portfolio
    reads those of every case it shows in one query)."""
    if reports is None:
        reports = db.session.scalars(select(BenefitReport)
                                     .where(BenefitReport.case_id == case.id))
    by_point = {(r.benefit_number, r.months): r for r in reports}
    found = []
    for number, benefit in enumerate(_benefits(case), start=1):
        for point in benefit.get("checkpoints", []):
            months = point["months_after_go_live"]
            due = add_months(case.go_live_date, months) if case.go_live_date else None
            found.append(Checkpoint(
                benefit_number=number, description=benefit.get("description", ""),
                colour=benefit.get("colour", ""), category=benefit.get("category", ""),
                indicator=benefit.get("indicator", ""), baseline=benefit.get("baseline", ""),
                months=months, target=point.get("target", ""), due=due,
                report=by_point.get((number, months))))
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
    values = _validated(fields)
    now = now or utcnow()
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
    """Planned against realised benefit per year, by PENG colour and by category."""

    by_colour: dict[str, tuple[int, int]] = field(default_factory=dict)
    by_category: dict[str, tuple[int, int]] = field(default_factory=dict)
    used: dict[str, int] = field(default_factory=dict)
    reported: int = 0
    checkpoints: int = 0

    @property
    def planned_sek(self) -> int:
        return sum(planned for planned, _ in self.by_category.values())

    @property
    def realised_sek(self) -> int:
        return sum(realised for _, realised in self.by_category.values())


def realisations(cases: Sequence[Case]) -> list[Realisation]:
    """:func:`realisation` of many cases (the portfolio, the public page), with their
    reports read in one query. Load the cases with ``with_benefit_calculation`` so that their
    dossiers come in one query too."""
    reports: dict[int, list[BenefitReport]] = {case.id: [] for case in cases}
    ids = list(reports)
    for start in range(0, len(ids), IN_CHUNK):
        for report in db.session.scalars(select(BenefitReport).where(
                BenefitReport.case_id.in_(ids[start:start + IN_CHUNK]))):
            reports[report.case_id].append(report)
    return [realisation(case, reports[case.id]) for case in cases]


def reported_amounts(case_ids: Sequence[int]) -> dict[int, dict[tuple[int, int], int | None]]:
    """Per case, the realised amount of each reported checkpoint (benefit number, months),
    read as columns in one query per chunk of ids."""
    found: dict[int, dict[tuple[int, int], int | None]] = {case_id: {} for case_id in case_ids}
    ids = list(found)
    for start in range(0, len(ids), IN_CHUNK):
        for row in db.session.execute(select(
                BenefitReport.case_id, BenefitReport.benefit_number, BenefitReport.months,
                BenefitReport.realised_sek).where(
                BenefitReport.case_id.in_(ids[start:start + IN_CHUNK]))):
            found[row.case_id][(row.benefit_number, row.months)] = row.realised_sek
    return found


def planned_and_realised(document: Mapping[str, Any] | None,
                         reported: Mapping[tuple[int, int], int | None]) -> tuple[int, int]:
    """``planned_sek`` and ``realised_sek`` of :func:`realisation` from a benefit calculation
    and :func:`reported_amounts` of its case, without building the checkpoints."""
    planned = realised = 0
    for number, benefit in enumerate(_benefit_list(document), start=1):
        if benefit.get("category") not in MONEY_CATEGORIES:
            continue
        planned += _planned(benefit)
        months = [point["months_after_go_live"] for point in benefit.get("checkpoints", [])
                  if (number, point["months_after_go_live"]) in reported]
        realised += (reported[(number, max(months))] or 0) if months else 0
    return planned, realised


def _planned(benefit: Mapping[str, Any]) -> int:
    """A benefit's planned amount per year: the mean of its yearly amounts."""
    amounts = benefit.get("amounts_sek") or []
    return round(sum(amounts) / len(amounts)) if amounts else 0


def with_benefit_calculation() -> Any:
    """A loader option for a query of cases: their dossiers' benefit calculations, in one
    query instead of one per case."""
    return selectinload(Case.dossier).load_only(Dossier.benefit)


def realisation(case: Case, reports: Iterable[BenefitReport] | None = None) -> Realisation:
    """Planned = the benefit's mean yearly amount in the calculation; realised = the amount
    reported at its latest reported checkpoint (0 while none is reported)."""
    summary = Realisation()
    points = checkpoints(case, reports)
    summary.checkpoints = len(points)
    for number, benefit in enumerate(_benefits(case), start=1):
        if benefit.get("category") not in MONEY_CATEGORIES:
            continue
        planned = _planned(benefit)
        reported = [p.report for p in points if p.benefit_number == number and p.report]
        latest = max(reported, key=lambda r: r.months) if reported else None
        realised = (latest.realised_sek or 0) if latest else 0
        for table, key in ((summary.by_colour, benefit["colour"]),
                           (summary.by_category, benefit["category"])):
            old = table.get(key, (0, 0))
            table[key] = (old[0] + planned, old[1] + realised)
    for point in points:
        if point.report:
            summary.reported += 1
            used = point.report.used_as_intended
            summary.used[used] = summary.used.get(used, 0) + 1
    return summary
