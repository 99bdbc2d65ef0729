"""The organisation as a user meets it: units to pick, origins to choose."""
from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import Department, Unit, User
from ..states.vocabulary import ORIGINS, STAFF_ORIGINS
from .cases import LEADING_ROLES


def units_in_region(user: User) -> list[Unit]:
    query = (select(Unit).join(Department).where(Department.region_id == user.region_id)
             .order_by(Department.name, Unit.name))
    return list(db.session.scalars(query))


def unit_choices(user: User) -> dict[str, list[tuple[int, str]]]:
    """Units grouped by förvaltning, for a select with option groups."""
    grouped: dict[str, list[tuple[int, str]]] = {}
    for unit in units_in_region(user):
        grouped.setdefault(unit.department.name, []).append((unit.id, unit.name))
    return grouped


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


def departments_in_region(user: User) -> list[Department]:
    query = (select(Department).where(Department.region_id == user.region_id)
             .order_by(Department.name))
    return list(db.session.scalars(query))
