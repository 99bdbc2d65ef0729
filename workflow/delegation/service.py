"""The delegationsordning per förvaltning, the year's prisbasbelopp and the anmälan av
delegationsbeslut (docs/delegation.md).

The rules themselves are pure (workflow/states/delegation.py); this module reads and stores the
data they need and lists the decisions taken on delegation.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Mapping

from flask import current_app
from sqlalchemy import and_, bindparam, inspect, literal_column, select
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value

from workflow.admin import log as admin_log
from workflow.cases import access
from workflow.models import (
    Case,
    CaseEvent,
    DelegationOrder,
    Department,
    Dossier,
    PriceBaseAmount,
    User,
    local_today,
    utcnow,
)
from workflow.platform.errors import NotFound, PermissionDenied, ValidationFailed
from workflow.platform.extensions import db
from workflow.platform.uow import local_day, unit_of_work
from workflow.platform.validation import as_id
from workflow.states import delegation as rules
from workflow.states import features
from workflow.states.i18n import N_

MAX_POINTS = 60
# Limits of the order's and the prisbasbelopp's fields (the API schemas show them too).
TITLE_MAX, ADOPTED_BY_MAX, SOURCE_MAX = 200, 300, 300
MAX_SEK, MAX_PBB = 10**12, Decimal(100000)
YEARS, PRICE_BASE_SEK = (2000, 2100), (10_000, 1_000_000)
NUMBER = re.compile(r"[0-9A-Za-z][0-9A-Za-z.:\-]{0,19}")
# The events whose decisions are taken on delegation and reported to the nämnd.
DELEGATED_EVENTS = features.DELEGATED_EVENTS
# Who may read the anmälan: the nämnd's secretary, the förvaltning's management, the admin.
READERS = {"registrar", "management", "admin"}


# ---------------------------------------------------------------- prisbasbelopp

@dataclass(frozen=True)
class PriceBase:
    year: int
    amount_sek: int
    source: str
    stored: bool  # added in the browser (else from config/prisbasbelopp.toml)


def _file_amounts() -> dict[int, PriceBase]:
    path = Path(current_app.config["PRISBASBELOPP_FILE"])
    key = "workflow.prisbasbelopp"
    cached = current_app.extensions.get(key)
    if cached is None:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        cached = {}
        for number, entry in enumerate(data.get("prisbasbelopp", []), start=1):
            try:
                year, amount = int(entry["year"]), int(entry["amount_sek"])
                source = str(entry["source"])
            except (KeyError, TypeError, ValueError) as exc:
                raise ValueError(f"{path}: [[prisbasbelopp]] entry {number}: needs year, "
                                 f"amount_sek and source ({exc})") from None
            cached[year] = PriceBase(year, amount, source, stored=False)
        current_app.extensions[key] = cached
    return cached


def price_base_amounts() -> list[PriceBase]:
    amounts = dict(_file_amounts())
    for row in db.session.scalars(select(PriceBaseAmount)):
        amounts[row.year] = PriceBase(row.year, row.amount_sek, row.source, stored=True)
    return [amounts[year] for year in sorted(amounts, reverse=True)]


def prisbasbelopp(year: int) -> PriceBase | None:
    row = db.session.get(PriceBaseAmount, year)
    if row is not None:
        return PriceBase(row.year, row.amount_sek, row.source, stored=True)
    return _file_amounts().get(year)


def set_prisbasbelopp(actor: User, fields: Mapping[str, Any]) -> PriceBase:
    errors: dict[str, str] = {}
    year = _int(fields.get("year"))
    amount = _int(fields.get("amount_sek"))
    source = str(fields.get("source") or "").strip()
    if year is None or not YEARS[0] <= year <= YEARS[1]:
        errors["year"] = N_("Ange ett årtal, t.ex. 2027.")
    if amount is None or not PRICE_BASE_SEK[0] <= amount <= PRICE_BASE_SEK[1]:
        errors["amount_sek"] = N_("Ange prisbasbeloppet i hela kronor (t.ex. 59200).")
    if not source or len(source) > SOURCE_MAX:
        errors["source"] = N_("Ange var beloppet är publicerat (högst 300 tecken).")
    if errors:
        raise ValidationFailed(errors)
    with unit_of_work():
        row = db.session.get(PriceBaseAmount, year)
        before = prisbasbelopp(year)
        if row is None:
            row = PriceBaseAmount(year=year)
            db.session.add(row)
        row.amount_sek, row.source, row.created_by_id = amount, source, actor.id
        row.created_at = utcnow()
        db.session.flush()
        admin_log.record(actor, "prisbasbelopp.set", row, region_id=actor.region_id,
                         label=str(year),
                         before={"amount_sek": before.amount_sek, "source": before.source}
                         if before else None,
                         after={"amount_sek": amount, "source": source})
    return prisbasbelopp(year)


# ---------------------------------------------------------------- the order

def orders(department: Department) -> list[DelegationOrder]:
    """Every version, newest first."""
    return list(db.session.scalars(
        select(DelegationOrder).where(DelegationOrder.department_id == department.id)
        .order_by(DelegationOrder.version.desc())))


def order_on(department: Department, day: date) -> DelegationOrder | None:
    """The version in force on ``day``: the newest version that had started by then (a later
    version replaces an earlier one from its start date, whatever that date is)."""
    return db.session.scalar(_ORDER_ON, {"department_id": department.id, "day": day})


# Built once (issue 14: building it cost more than running it, on every approval).
_ORDER_ON = (select(DelegationOrder)
             .where(DelegationOrder.department_id == bindparam("department_id"),
                    DelegationOrder.valid_from <= bindparam("day"))
             .order_by(DelegationOrder.version.desc()).limit(1))


def points_of(order: DelegationOrder) -> tuple[rules.DelegationPoint, ...]:
    return tuple(rules.point_from_dict(point) for point in order.points)


def facts_for(department: Department, day: date, dossier_of: Case | None = None
              ) -> dict[str, Any]:
    """The delegation facts a guard needs on ``day``: the order in force (:func:`order_on`)
    and the year's prisbasbelopp (:func:`prisbasbelopp`), read as columns in one statement
    (issue 14: an approval read them as two entities). ``dossier_of``: a case whose dossier
    the caller reads next (an approval's gates), read by the same statement when the case
    has not loaded it yet."""
    params = {"department_id": department.id, "day": day, "year": day.year}
    same_kind = None
    if dossier_of is not None and "dossier" in inspect(dossier_of).unloaded:
        rows = db.session.execute(_FACTS_AND_DOSSIER, {**params, "case_id": dossier_of.id}
                                  ).all()
        row = rows[0]
        set_committed_value(dossier_of, "dossier", row.Dossier)
        if row.Dossier is not None and row.Dossier.procurement_kind:
            same_kind = SameKindDirect(
                row.Dossier.procurement_kind, row.Dossier.procurement_year,
                tuple(sorted((r.award_case_id, r.award_value_sek) for r in rows
                             if r.award_counted is not None)))
    else:
        row = db.session.connection().execute(_FACTS, params).one()
    amount = row.stored_amount
    if amount is None:
        from_file = _file_amounts().get(day.year)
        amount = from_file.amount_sek if from_file else None
    limit = department.delegation_limit_sek
    if limit is None:
        limit = current_app.config["DEFAULT_DELEGATION_LIMIT_SEK"]
    return {"delegation_points": tuple(rules.point_from_dict(point) for point in row.points)
            if row.version is not None else None,
            "delegation_limit_sek": limit,
            "prisbasbelopp_sek": amount,
            "_order_version": row.version,
            "_same_kind_direct": same_kind}


@dataclass(frozen=True)
class SameKindDirect:
    """The other cases' direct awards of the kind and räkenskapsår the case's dossier stored,
    as (case id, value): what the procurement check sums (LOU 19 kap. 8 §,
    docs/procurement-rules.md), read with the delegation facts for an approval
    (dossier/service.py uses them when the check's kind and year are these)."""
    kind: str
    year: int | None
    awards: tuple[tuple[int, int], ...]


# The order's version and points (NULL when none is in force) and the stored prisbasbelopp
# of the year (NULL: the file's, if any), as one row.
_FACTS = select(
    _ORDER_ON.with_only_columns(DelegationOrder.version).scalar_subquery().label("version"),
    _ORDER_ON.with_only_columns(DelegationOrder.points).scalar_subquery().label("points"),
    select(PriceBaseAmount.amount_sek).where(PriceBaseAmount.year == bindparam("year"))
    .scalar_subquery().label("stored_amount"))
# The same row with the case's dossier (NULL when it has none), once for each other dossier
# with a direct award of the kind and year the dossier stored (NULL when none), with that
# award's case when it counts: in the förvaltning and not ended (dossier/service.py reads
# the same with its own statement when a check's kind or year differs from the stored ones).
# Two plain joins, so that each database finds the awards by the kind's index.
_AWARD, _AWARD_CASE = aliased(Dossier, name="award"), aliased(Case, name="award_case")
_FACTS_AND_DOSSIER = (
    select(*_FACTS.selected_columns, Dossier,
           _AWARD.case_id.label("award_case_id"),
           _AWARD.procurement_value_sek.label("award_value_sek"),
           _AWARD_CASE.id.label("award_counted"))
    .select_from(select(literal_column("1").label("one")).subquery("one"))
    .outerjoin(Dossier, Dossier.case_id == bindparam("case_id"))
    .outerjoin(_AWARD, and_(_AWARD.procurement_kind == Dossier.procurement_kind,
                            _AWARD.procurement_year == Dossier.procurement_year,
                            _AWARD.case_id != Dossier.case_id,
                            _AWARD.procurement_route == "direct_procurement",
                            _AWARD.procurement_value_sek.is_not(None)))
    .outerjoin(_AWARD_CASE, and_(_AWARD_CASE.id == _AWARD.case_id,
                                 _AWARD_CASE.department_id == bindparam("department_id"),
                                 _AWARD_CASE.state.not_in(features.ENDED_STATES))))


def record_of(verdict: rules.Verdict, order_version: int | None,
              prisbasbelopp_sek: int | None) -> dict[str, Any]:
    """What a decision's history row keeps about the delegation it used."""
    point = verdict.point
    return {"point": point.number, "title": point.title, "decider": point.decider,
            "limit_sek": verdict.limit_sek, "limit_pbb": None if point.limit_pbb is None
            else format(point.limit_pbb, "f"), "amount_sek": verdict.amount_sek,
            "basis": verdict.basis, "order_version": order_version,
            "prisbasbelopp_sek": prisbasbelopp_sek if point.limit_pbb is not None else None}


def save_order(actor: User, department: Department, fields: Mapping[str, Any]) -> DelegationOrder:
    """Add the next version of the förvaltning's delegation order (versions never change)."""
    if not access.is_region_admin(actor) or department.region_id != actor.region_id:
        raise PermissionDenied()
    points, errors = parse_points(fields.get("points"))
    valid_from = _day(fields.get("valid_from"))
    adopted_by = str(fields.get("adopted_by") or "").strip()
    if valid_from is None:
        errors["valid_from"] = N_("Ange från vilket datum versionen gäller (ÅÅÅÅ-MM-DD).")
    if not adopted_by or len(adopted_by) > ADOPTED_BY_MAX:
        errors["adopted_by"] = N_("Ange nämndens beslut om delegationsordningen, t.ex. "
                                  "\"Socialnämnden 2026-01-28 § 12\".")
    if errors:
        raise ValidationFailed(errors)
    previous = orders(department)
    with unit_of_work():
        order = DelegationOrder(
            department=department, version=(previous[0].version + 1) if previous else 1,
            valid_from=valid_from, adopted_by=adopted_by,
            points=[point.as_dict() for point in points], created_by_id=actor.id,
            created_at=utcnow())
        db.session.add(order)
        db.session.flush()
        admin_log.record(
            actor, "delegation_order.save", order, region_id=department.region_id,
            label=f"{department.name}, version {order.version}",
            before=_order_summary(previous[0]) if previous else None,
            after=_order_summary(order))
    return order


def _order_summary(order: DelegationOrder) -> dict[str, Any]:
    return {"version": order.version, "valid_from": order.valid_from.isoformat(),
            "adopted_by": order.adopted_by, "points": order.points}


def parse_points(raw: Any) -> tuple[list[rules.DelegationPoint], dict[str, str]]:
    """Validate a list of points; errors keyed ``points`` or ``points.<n>.<field>``."""
    if not isinstance(raw, list):
        return [], {"points": N_("Ange minst en delegationspunkt.")}
    # Rows left empty in the form are not points; errors keep the row's own number.
    entries = [(index, item) for index, item in enumerate(raw)
               if not (isinstance(item, Mapping) and _blank_point(item))]
    if not entries:
        return [], {"points": N_("Ange minst en delegationspunkt.")}
    if len(entries) > MAX_POINTS:
        return [], {"points": N_("Högst 60 delegationspunkter.")}
    points, errors, numbers = [], {}, set()
    for index, item in entries:
        key = f"points.{index}"
        if not isinstance(item, Mapping):
            errors[key] = N_("Varje punkt ska ha nummer, rubrik, delegat och gräns.")
            continue
        number = str(item.get("number") or "").strip()
        title = str(item.get("title") or "").strip()
        decider = item.get("decider")
        conditions = item.get("conditions") or []
        limit_sek = _int(item.get("limit_sek")) if item.get("limit_sek") not in (None, "") \
            else None
        limit_pbb = _decimal(item.get("limit_pbb")) if item.get("limit_pbb") not in (None, "") \
            else None
        if not NUMBER.fullmatch(number):
            errors[f"{key}.number"] = N_("Ange punktens nummer, t.ex. 3.2.")
        elif number in numbers:
            errors[f"{key}.number"] = N_("Två punkter har samma nummer.")
        numbers.add(number)
        if not title or len(title) > TITLE_MAX:
            errors[f"{key}.title"] = N_("Ange vad punkten gäller (högst 200 tecken).")
        if decider not in rules.DECIDERS:
            errors[f"{key}.decider"] = N_("Välj delegat: förvaltningschef, avdelningschef eller "
                                          "nämnden.")
        if not isinstance(conditions, list) or any(c not in rules.CONDITIONS
                                                   for c in conditions):
            errors[f"{key}.conditions"] = N_("Okänt villkor.")
            conditions = []
        bad_sek = item.get("limit_sek") not in (None, "") and \
            (limit_sek is None or not 0 <= limit_sek <= MAX_SEK)
        bad_pbb = item.get("limit_pbb") not in (None, "") and \
            (limit_pbb is None or not Decimal(0) <= limit_pbb <= MAX_PBB)
        if bad_sek or bad_pbb:
            errors[f"{key}.limit"] = N_("Ange gränsen i hela kronor eller i prisbasbelopp "
                                        "(t.ex. 10 eller 2,5).")
        elif decider in rules.DELEGATES and (limit_sek is None) == (limit_pbb is None):
            errors[f"{key}.limit"] = N_("Ange gränsen antingen i kronor eller i "
                                        "prisbasbelopp, inte båda.")
        if f"{key}.number" not in errors and f"{key}.title" not in errors and \
                f"{key}.decider" not in errors and f"{key}.limit" not in errors:
            points.append(rules.DelegationPoint(number=number, title=title, decider=decider,
                                                limit_sek=limit_sek, limit_pbb=limit_pbb,
                                                conditions=tuple(dict.fromkeys(conditions))))
    return points, errors


def _blank_point(item: Mapping[str, Any]) -> bool:
    return not any(str(item.get(key) or "").strip()
                   for key in ("number", "title", "limit_sek", "limit_pbb"))


# ---------------------------------------------------------------- anmälan av delegationsbeslut

@dataclass(frozen=True)
class DelegationDecision:
    case_id: int
    diarienummer: str | None
    title: str
    decided_on: date
    delegate: str
    point: str
    point_title: str
    decider: str
    amount_sek: int | None
    limit_sek: int | None


@dataclass(frozen=True)
class Anmalan:
    department: Department
    committee: str
    start: date
    end: date
    decisions: list[DelegationDecision]


def region_departments(user: User) -> list[Department]:
    return list(db.session.scalars(
        select(Department).where(Department.region_id == user.region_id)
        .order_by(Department.name)))


def departments_for(user: User) -> list[Department]:
    """The förvaltningar whose anmälan the user may read."""
    return [d for d in region_departments(user) if can_read_anmalan(user, d)]


def can_read_anmalan(user: User, department: Department) -> bool:
    if department.region_id != user.region_id:
        return False
    return any(assignment.role in READERS and assignment.unit_id is None
               and assignment.department_id in (None, department.id)
               for assignment in user.roles)


def anmalan(user: User, department_id: Any, start: Any, end: Any) -> Anmalan:
    """Every decision taken on delegation in the förvaltning between ``start`` and ``end``
    (both included), in date order: the list the nämnd secretary reports to the nämnd."""
    department = db.session.get(Department, as_id(department_id) or 0)
    if department is None or not can_read_anmalan(user, department):
        raise NotFound()
    errors = {}
    first, last = _day(start), _day(end)
    if first is None:
        errors["from"] = N_("Ange ett datum som ÅÅÅÅ-MM-DD.")
    if last is None:
        errors["to"] = N_("Ange ett datum som ÅÅÅÅ-MM-DD.")
    if first and last and last < first:
        errors["to"] = N_("Slutdatumet ligger före startdatumet.")
    if errors:
        raise ValidationFailed(errors)
    rows = db.session.execute(
        select(CaseEvent, Case).join(Case, Case.id == CaseEvent.case_id)
        .where(Case.department_id == department.id, CaseEvent.event.in_(DELEGATED_EVENTS))
        .order_by(CaseEvent.at, CaseEvent.id)).all()
    decisions = []
    for entry, case in rows:
        day = local_day(entry.at)
        if not first <= day <= last:
            continue
        record = (entry.data or {}).get("delegation") or {}
        decisions.append(DelegationDecision(
            case_id=case.id, diarienummer=case.diarienummer, title=case.title,
            decided_on=day, delegate=entry.actor.display_name if entry.actor else "",
            point=record.get("point") or "", point_title=record.get("title") or "",
            decider=record.get("decider") or "", amount_sek=record.get("amount_sek"),
            limit_sek=record.get("limit_sek")))
    return Anmalan(department=department, committee=department.committee_name or "",
                   start=first, end=last, decisions=decisions)


def default_period(today: date | None = None) -> tuple[date, date]:
    """The calendar month so far: what a secretary usually reports at the next meeting."""
    today = today or local_today()
    return today.replace(day=1), today


# ---------------------------------------------------------------- helpers

def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit() and \
            len(value.strip()) <= 15:
        return int(value.strip())
    return None


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip().replace(",", ".").replace(" ", ""))
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite() or len(str(value)) > 20:
        return None
    return Decimal(int(number)) if number == number.to_integral_value() else number.normalize()


def _day(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None
