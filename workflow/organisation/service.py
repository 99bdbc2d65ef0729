"""The organisation as a user meets it: units to pick, origins to choose."""
from __future__ import annotations

from flask_babel import gettext
from sqlalchemy import bindparam, select, true
from sqlalchemy.orm import contains_eager

from workflow.cases.service import LEADING_ROLES
from workflow.models import Department, Unit, User
from workflow.platform.extensions import db
from workflow.states.vocabulary import ORIGINS, STAFF_ORIGINS


def units_in_region(user: User, include_closed: bool = False) -> list[Unit]:
    """The region's units; closed ones only with ``include_closed`` (a closed unit takes no
    new ideas, meetings or role assignments, but its cases can still be looked up)."""
    query = (select(Unit).join(Department).options(contains_eager(Unit.department))
             .where(Department.region_id == user.region_id)
             .order_by(Department.name, Unit.name))
    if not include_closed:
        query = query.where(Unit.closed_at.is_(None))
    return list(db.session.scalars(query))


def unit_choices(user: User, include_closed: bool = False) -> dict[str, list[tuple[int, str]]]:
    """Units grouped by förvaltning, for a select with option groups. Closed units (only with
    ``include_closed``, e.g. for filtering old cases) are marked as closed. Read as columns:
    the case list shows this select on every page (issue 14)."""
    grouped: dict[str, list[tuple[int, str]]] = {}
    for unit in db.session.connection().execute(_UNIT_CHOICES[include_closed],
                                                {"region_id": user.region_id}):
        label = (gettext("%(name)s (stängd)", name=unit.name) if unit.closed_at is not None
                 else unit.name)
        grouped.setdefault(unit.department, []).append((unit.id, label))
    return grouped


# The statements of unit_choices, built once (with and without the closed units).
_UNIT_CHOICES = {
    closed: (select(Unit.id, Unit.name, Unit.closed_at, Department.name.label("department"))
             .join(Department).where(Department.region_id == bindparam("region_id"),
                                     true() if closed else Unit.closed_at.is_(None))
             .order_by(Department.name, Unit.name))
    for closed in (False, True)}


def home_unit_id(user: User) -> int | None:
    for assignment in user.roles:
        if assignment.unit_id is not None:
            return assignment.unit_id
    return None


def origins_for(user: User) -> list[str]:
    """Staff register staff ideas; leading roles may also register other origins."""
    if any(a.role in LEADING_ROLES for a in user.roles):
        return [key for key in ORIGINS if key != "direct_channel"]
    return list(STAFF_ORIGINS)


def departments_in_region(user: User, include_closed: bool = True) -> list[Department]:
    """The region's förvaltningar; without ``include_closed`` only the open ones (for
    choosers of new meetings and roles)."""
    query = (select(Department).where(Department.region_id == user.region_id)
             .order_by(Department.name))
    if not include_closed:
        query = query.where(Department.closed_at.is_(None))
    return list(db.session.scalars(query))


def open_units(department: Department) -> list[Unit]:
    return [unit for unit in department.units if not unit.is_closed]
