"""Factories for test data on top of the demo organisation (the `app`/`ctx` fixtures): cases in
any state, people with roles, meetings and a case's recorded events. Everything goes through
the service layer or the models the services use, inside an app context.

The case builders live in helpers.py (with the paths that drive a case to each state) and are
re-exported here, so that a test imports its data from one place."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select

from helpers import NORR, PATHS, case_in, drive, new_direct_case, new_draft, unit, user
from workflow.meetings import service as meetings
from workflow.models import Case, CaseEvent, Department, Meeting, RoleAssignment, Unit, User
from workflow.platform.extensions import db

__all__ = ["NORR", "PATHS", "SOCIAL", "case_events", "case_in", "department", "drive",
           "meeting", "new_direct_case", "new_draft", "person", "unit", "user"]

SOCIAL = "Socialförvaltningen"
# A meeting's default time: a weekday morning in the future of every test's calendar.
MEETING_TIME = datetime(2026, 12, 3, 9, 0, tzinfo=timezone.utc)


def department(name: str = SOCIAL) -> Department:
    """A demo förvaltning by name (Socialförvaltningen holds Hemtjänst Visby norr)."""
    return db.session.scalar(select(Department).where(Department.name == name))


def person(username: str, display_name: str | None = None, *,
           roles: list[tuple[str, Unit | Department | None]] | None = None,
           password: str | None = None, **fields) -> User:
    """A new person in the demo region with ``roles``: (role, where) pairs, where a unit, a
    förvaltning or None (region-wide). By default a staff member of Hemtjänst Visby norr."""
    made = User(username=username, display_name=display_name or username.title(),
                region_id=user("vu").region_id, **fields)
    if password:
        made.set_password(password)
    db.session.add(made)
    for role, where in roles if roles is not None else [("staff", unit())]:
        db.session.add(RoleAssignment(
            user=made, role=role, unit=where if isinstance(where, Unit) else None,
            department=where if isinstance(where, Department) else None))
    db.session.commit()
    return made


def meeting(kind: str = "council", chair: str = "rad", *, starts_at: datetime = MEETING_TIME,
            place: str = "Visborgsallén 19, sal Gute", **fields) -> Meeting:
    """A meeting called through the meeting service (its agenda proposed from waiting cases):
    the council of Socialförvaltningen by default; an APT is the chef's, of Visby norr."""
    where = {"department_id": unit().department.id}
    if kind == "apt":
        where["unit_id"] = unit().id
    return meetings.create_meeting(user(chair), {"kind": kind, **where, "starts_at": starts_at,
                                                 "place": place, **fields})


def case_events(case: Case) -> list[str]:
    """The events recorded on a case, oldest first."""
    return list(db.session.scalars(select(CaseEvent.event).where(CaseEvent.case_id == case.id)
                                   .order_by(CaseEvent.id)))
