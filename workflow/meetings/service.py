"""Meetings: APT per unit, digitaliseringsråd and ledningsgrupp per förvaltning.

The agenda is proposed from the cases waiting for the forum; each decision taken in the
meeting fires the case's event through the case service (same roles and guards), in the
same transaction as the agenda item that records it. Adjusted (justerade) minutes are locked.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Mapping

from sqlalchemy import select

from workflow.cases import access
from workflow.cases import service as cases
from workflow.models import (
    MEETING_KINDS,
    AgendaItem,
    Case,
    Department,
    Meeting,
    MeetingAttendee,
    RoleAssignment,
    Unit,
    User,
    local_today,
    utcnow,
)
from workflow.notifications import service as notifications
from workflow.notifications.messages import message
from workflow.platform.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    ServiceError,
    ValidationFailed,
)
from workflow.platform.extensions import db
from workflow.platform.uow import in_unit_of_work, unit_of_work
from workflow.platform.validation import as_id
from workflow.states import features
from workflow.states.i18n import N_

KIND_LABELS = {"apt": N_("APT"), "council": N_("Digitaliseringsråd"),
               "management": N_("Ledningsgrupp")}


def forum_name(meeting: Meeting) -> str | None:
    """The förvaltning's own name for its council or ledningsgrupp, where the administrator
    set one (else None: show the kind's label)."""
    department = meeting.department or (meeting.unit.department if meeting.unit else None)
    if department is None:
        return None
    return {"council": department.council_name,
            "management": department.management_group_name}.get(meeting.kind) or None
# The state whose cases each forum takes up, and the role that leads it.
AGENDA_STATE = features.AGENDA_STATES
CHAIR_ROLE = {"apt": "manager", "council": "council", "management": "management"}
MAX_PLACE = 200
MAX_NOTE = 5000


# ---------------------------------------------------------------- who may do what

def _holds(user: User, role: str, department: Department, unit: Unit | None) -> bool:
    for assignment in user.roles:
        if assignment.role != role:
            continue
        if unit is not None and assignment.unit_id == unit.id:
            return True
        if assignment.department_id == department.id:
            return True
        if (assignment.unit_id is None and assignment.department_id is None
                and user.region_id == department.region_id):
            return True
    return False


def can_lead(user: User, meeting: Meeting) -> bool:
    return _holds(user, CHAIR_ROLE[meeting.kind], meeting.department, meeting.unit)


def can_view(user: User, meeting: Meeting) -> bool:
    if any(a.user_id == user.id for a in meeting.attendees):
        return True
    scope_roles = {a.role for a in user.roles if a.role != "staff"}
    return any(_holds(user, role, meeting.department, meeting.unit) for role in scope_roles)


def _require_lead(user: User, meeting: Meeting) -> None:
    if not can_lead(user, meeting):
        raise PermissionDenied(message=N_("Bara den som leder mötet kan ändra det."))


def _require_open(meeting: Meeting) -> None:
    if meeting.locked:
        raise Conflict(message=N_("Protokollet är justerat och kan inte ändras."))


# ---------------------------------------------------------------- planning

def create_meeting(actor: User, fields: Mapping[str, Any], now: datetime | None = None) -> Meeting:
    kind, errors = fields.get("kind"), {}
    if kind not in MEETING_KINDS:
        errors["kind"] = N_("Välj typ av möte.")
    department = _department(actor, fields.get("department_id"))
    if department is None:
        errors["department_id"] = N_("Välj en förvaltning.")
    unit = _unit(department, fields.get("unit_id")) if department else None
    if kind == "apt" and unit is None:
        errors["unit_id"] = N_("Välj den enhet som har APT.")
    starts_at = fields.get("starts_at")
    if not isinstance(starts_at, datetime) or starts_at.tzinfo is None:
        errors["starts_at"] = N_("Ange datum och tid för mötet.")
    place = fields.get("place") or ""
    if not isinstance(place, str) or len(place) > MAX_PLACE:
        errors["place"] = N_("Texten är för lång.")
    if errors:
        raise ValidationFailed(errors)
    meeting = Meeting(kind=kind, department=department, unit=unit if kind == "apt" else None,
                      starts_at=starts_at, place=place.strip(), chair=actor,
                      created_at=now or utcnow())
    _require_lead(actor, meeting)
    with unit_of_work():
        db.session.add(meeting)
        for person in _default_attendees(meeting, actor):
            meeting.attendees.append(MeetingAttendee(user=person))
        for position, case in enumerate(proposed_agenda(actor, meeting), start=1):
            meeting.items.append(AgendaItem(case=case, position=position))
    return meeting


def _department(actor: User, department_id: Any) -> Department | None:
    if as_id(department_id) is None:
        return None
    department = db.session.get(Department, int(department_id))
    return (department if department and department.region_id == actor.region_id
            and not department.is_closed else None)


def _unit(department: Department, unit_id: Any) -> Unit | None:
    if as_id(unit_id) is None:
        return None
    unit = db.session.get(Unit, int(unit_id))
    return unit if unit and unit.department_id == department.id and not unit.is_closed else None


def _default_attendees(meeting: Meeting, actor: User) -> list[User]:
    people = access.users_holding((CHAIR_ROLE[meeting.kind],),
                                  region_id=meeting.department.region_id,
                                  department_id=meeting.department_id,
                                  unit_id=meeting.unit_id)
    if meeting.kind == "apt":  # the unit's staff meet at their APT
        staff = (select(User).join(RoleAssignment)
                 .where(RoleAssignment.unit_id == meeting.unit_id,
                        RoleAssignment.valid_on(local_today()), User.is_active_user.is_(True))
                 .distinct())
        people += [p for p in db.session.scalars(staff) if p not in people]
    return people if actor in people else [actor, *people]


def proposed_agenda(user: User, meeting: Meeting) -> list[Case]:
    """The cases waiting for this forum that the user may see, oldest change first."""
    query = select(Case).where(Case.state == AGENDA_STATE[meeting.kind])
    if meeting.kind == "apt":
        query = query.where(Case.unit_id == meeting.unit_id)
    else:
        query = query.where(Case.department_id == meeting.department_id)
    return [c for c in db.session.scalars(query.order_by(Case.updated_at, Case.id))
            if access.can_view(user, c)]


def meetings_for(user: User) -> list[Meeting]:
    query = (select(Meeting).join(Department)
             .where(Department.region_id == user.region_id)
             .order_by(Meeting.starts_at.desc()))
    return [m for m in db.session.scalars(query) if can_view(user, m)]


def get_meeting(user: User, meeting_id: Any) -> Meeting:
    meeting = db.session.get(Meeting, key) if (key := as_id(meeting_id)) else None
    if meeting is None or not can_view(user, meeting):
        raise NotFound(message=N_("Mötet finns inte, eller så har du inte behörighet att se det."))
    return meeting


def set_attendance(actor: User, meeting: Meeting, present_ids: set[int]) -> None:
    _require_lead(actor, meeting)
    _require_open(meeting)
    with unit_of_work():
        for attendee in meeting.attendees:
            attendee.present = attendee.user_id in present_ids


def belongs_to_forum(meeting: Meeting, case: Case) -> bool:
    """An APT takes up its unit's cases; a council or ledningsgrupp its förvaltning's."""
    if meeting.kind == "apt":
        return case.unit_id is not None and case.unit_id == meeting.unit_id
    return case.department_id == meeting.department_id


def visible_items(user: User, meeting: Meeting) -> set[int]:
    """The ids of the agenda items whose case ``user`` may open; the others are shown without
    title or text."""
    return {item.id for item in meeting.items if access.can_view(user, item.case)}


def add_case(actor: User, meeting: Meeting, case_id: Any) -> AgendaItem:
    _require_lead(actor, meeting)
    _require_open(meeting)
    case = (db.session.get(Case, key, options=cases.CASE_LOADS)
            if (key := as_id(case_id)) else None)
    if case is None or not access.can_view(actor, case) or not belongs_to_forum(meeting, case):
        # One answer whether the case is missing, hidden or another forum's: an id tells nothing.
        raise ValidationFailed({"case_id": N_("Ärendet finns inte eller hör inte till mötets "
                                              "forum.")})
    if any(item.case_id == case.id for item in meeting.items):
        raise ValidationFailed({"case_id": N_("Ärendet finns redan på dagordningen.")})
    with unit_of_work():
        item = AgendaItem(case=case, position=len(meeting.items) + 1)
        meeting.items.append(item)
    return item


def move_item(actor: User, meeting: Meeting, item_id: int, step: int) -> None:
    """Move an item one place up (step -1) or down (+1) on the agenda."""
    _require_lead(actor, meeting)
    _require_open(meeting)
    items = list(meeting.items)
    index = next((i for i, item in enumerate(items) if item.id == item_id), None)
    if index is None:
        raise NotFound()
    other = index + (1 if step > 0 else -1)
    if not 0 <= other < len(items):
        return
    items[index], items[other] = items[other], items[index]
    with unit_of_work():
        for position, item in enumerate(items, start=1):
            item.position = position


# ---------------------------------------------------------------- holding the meeting

def decide(actor: User, meeting: Meeting, item_id: int, event: str, data: Mapping[str, Any],
           note: str = "", now: datetime | None = None) -> AgendaItem:
    """Take the meeting's decision on one item: the case's event fires through the case
    service and the item records it, together. A refused decision raises and changes
    nothing, neither the case nor the minutes."""
    _require_lead(actor, meeting)
    _require_open(meeting)
    item = next((i for i in meeting.items if i.id == item_id), None)
    if item is None:
        raise NotFound()
    if item.decision is not None:
        raise Conflict(message=N_("Punkten är redan beslutad."))
    if not isinstance(note, str) or len(note) > MAX_NOTE:
        raise ValidationFailed({"note": N_("Texten är för lång.")})
    now = now or utcnow()
    before = item.case.state

    def record_on_agenda() -> None:
        # A merge into a case the forum does not own is only proposed until the target's
        # owners accept (cases/merging.py): the minutes say so.
        outcome = "fired" if item.case.state != before else "proposed"
        item.note, item.decision, item.outcome = note.strip(), event, outcome
        item.decided_at, item.decided_by = now, actor

    cases.fire(item.case, event, actor, data, now=now, also=record_on_agenda)
    return item


def save_note(actor: User, meeting: Meeting, item_id: int, note: str) -> None:
    _require_lead(actor, meeting)
    _require_open(meeting)
    item = next((i for i in meeting.items if i.id == item_id), None)
    if item is None:
        raise NotFound()
    if not isinstance(note, str) or len(note) > MAX_NOTE:
        raise ValidationFailed({"note": N_("Texten är för lång.")})
    with unit_of_work():
        item.note = note.strip()


def adjust(actor: User, meeting: Meeting, now: datetime | None = None) -> None:
    """The chair adjusts (justerar) the minutes; from then on nothing in them can change."""
    if actor.id != meeting.chair_id:
        raise PermissionDenied(message=N_("Bara mötets ordförande kan justera protokollet."))
    _require_open(meeting)
    with unit_of_work():
        meeting.adjusted_at, meeting.adjusted_by = now or utcnow(), actor


def refusal_reasons(error: ServiceError) -> list[str]:
    if isinstance(error, ValidationFailed):
        return [m for messages in error.translated_field_errors.values() for m in messages]
    return error.reasons or [error.text]


# ---------------------------------------------------------------- reminders (scheduler)

def upcoming(now: datetime, within: timedelta) -> list[Meeting]:
    query = select(Meeting).where(Meeting.starts_at > now, Meeting.starts_at <= now + within,
                                  Meeting.adjusted_at.is_(None))
    return list(db.session.scalars(query))


@in_unit_of_work
def remind_attendees(now: datetime, within: timedelta = timedelta(days=2)) -> int:
    """Send each attendee the agenda before the meeting (once per meeting and person)."""
    created = 0
    for meeting in upcoming(now, within):
        when = notifications.local_time(meeting.starts_at).strftime("%Y-%m-%d %H:%M")
        for attendee in meeting.attendees:
            # Each attendee sees only the titles of the cases they may open.
            agenda = [
                message(N_("%(position)s. Ärende %(case)s: %(title)s"), position=i.position,
                        case=i.case.id, title=i.case.title)
                if access.can_view(attendee.user, i.case)
                else message(N_("%(position)s. Ärende som du inte har behörighet till"),
                             position=i.position)
                for i in meeting.items] or [message(N_("Dagordningen är tom."))]
            kind = message(KIND_LABELS[meeting.kind])
            body = [message(N_("%(kind)s %(when)s, %(place)s."), kind=kind, when=when,
                            place=meeting.place or message(N_("plats ej angiven"))),
                    "", message(N_("Dagordning:")), *agenda]
            created += notifications.notify(
                attendee.user, "meeting", f"meeting:{meeting.id}:{attendee.user_id}",
                message(N_("Påminnelse: %(kind)s %(when)s"), kind=kind, when=when), body,
                now=now) is not None
    return created

