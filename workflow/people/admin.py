"""People and roles, for the region administrator: accounts, dated role assignments and
deactivation that hands a person's open tasks on.

Every change is validated first and then written, with its admin-log entries, in one
transaction. A role assignment covers the whole region, a förvaltning or a unit, from
``valid_from`` to ``valid_to`` (inclusive, in the organisation's time zone); a stand-in
(ersättare) is simply a dated assignment. ``User.roles`` holds only the assignments valid
today, so every access check respects the dates.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Mapping

from sqlalchemy import exists, func, or_, select

from workflow.admin import log as admin_log
from workflow.cases import access
from workflow.models import (
    ApiToken,
    Case,
    Department,
    RoleAssignment,
    Unit,
    User,
    local_today,
    utcnow,
)
from workflow.platform.errors import (
    Conflict,
    Message,
    NotFound,
    PermissionDenied,
    ServiceError,
    ValidationFailed,
    translate,
)
from workflow.platform.extensions import db
from workflow.platform.uow import in_unit_of_work
from workflow.platform.validation import as_id
from workflow.processes.registry import process_of
from workflow.states import Failure
from workflow.states.i18n import N_
from workflow.states.roles import AUTHOR, ROLE_LABELS, ROLES

PAGE_SIZE = 50
USERNAME_MAX = 80
DISPLAY_NAME_MAX = 200
EMAIL_MAX = 254
PASSWORD_MIN = 8
PASSWORD_MAX = 200
# The medarbetare role is membership of a unit, not a duty: it is not handed to a successor.
NOT_TRANSFERRED = {"staff"}

USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]*")
EMAIL = re.compile(r"[^@\s;,]+@[^@\s;,]+\.[^@\s;,]+")

REQUIRED = N_("Fältet krävs.")
BAD_USERNAME = N_("Använd små bokstäver a–z, siffror och . _ - @ (börja med en bokstav eller "
                  "siffra).")
USERNAME_TAKEN = N_("Användarnamnet är redan upptaget.")
TOO_LONG = N_("Texten får vara högst %(max_length)s tecken.")
BAD_EMAIL = N_("Ange en giltig e-postadress, t.ex. namn@example.se.")
SHORT_PASSWORD = N_("Lösenordet måste ha minst %(min_length)s tecken.")
UNKNOWN_ROLE = N_("Okänd roll.")
UNKNOWN_DEPARTMENT = N_("Okänd förvaltning.")
UNKNOWN_UNIT = N_("Okänd enhet.")
UNIT_NOT_IN_DEPARTMENT = N_("Enheten hör inte till den valda förvaltningen.")
BAD_DATE = N_("Ange ett datum som ÅÅÅÅ-MM-DD.")
FROM_AFTER_TO = N_("Från och med-datumet ligger efter till och med-datumet.")
OVERLAP = N_("Personen har redan rollen i denna omfattning under en del av perioden "
             "(%(period)s).")


class PersonNotFound(NotFound):
    message = N_("Personen finns inte.")


class AssignmentNotFound(NotFound):
    message = N_("Rolltilldelningen finns inte.")


class OpenTasksPending(ServiceError):
    """Deactivation refused: the person has open tasks and no successor or ``end_roles``."""

    status = 409
    message = N_("Personen har öppna uppgifter. Välj en efterträdare som tar över rollerna, "
                 "eller välj uttryckligen att rollerna avslutas.")

    def __init__(self, tasks: list["OpenTask"]):
        self.tasks = tasks
        super().__init__([Failure("open_task", N_("Ärende %(id)s, %(title)s, väntar på %(roles)s."),
                                  {"id": str(t.case.id), "title": t.case.title,
                                   "roles": role_names(t.roles)}) for t in tasks])


def role_names(roles: tuple[str, ...]) -> str:
    return ", ".join(translate(ROLE_LABELS[role]) for role in roles)


# ---------------------------------------------------------------- reading

@dataclass(frozen=True)
class UserFilter:
    text: str | None = None
    department_id: int | None = None
    role: str | None = None
    active: bool | None = None


@dataclass(frozen=True)
class UserPage:
    items: list[User]
    total: int
    page: int
    pages: int
    exact: bool = True  # counted in full (the pagination macro reads it, as for case lists)


def list_users(admin: User, filters: UserFilter = UserFilter(), page: int = 1,
               per_page: int = PAGE_SIZE) -> UserPage:
    """The people of the admin's region matching ``filters``, by display name. The
    förvaltning and role filters look at assignments valid today or later."""
    query = _filtered(select(User).where(User.region_id == admin.region_id), filters)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = db.session.scalars(query.order_by(User.display_name, User.id)
                              .limit(per_page).offset((page - 1) * per_page))
    return UserPage(list(rows), total, page, pages)


def _filtered(query: Any, f: UserFilter) -> Any:
    if f.text:
        pattern = "%" + re.sub(r"([\\%_])", r"\\\1", f.text.strip()) + "%"
        query = query.where(or_(User.username.ilike(pattern, escape="\\"),
                                User.display_name.ilike(pattern, escape="\\"),
                                User.email.ilike(pattern, escape="\\")))
    if f.active is not None:
        query = query.where(User.is_active_user.is_(f.active))
    if f.role or f.department_id:
        holds = (RoleAssignment.user_id == User.id) & or_(
            RoleAssignment.valid_to.is_(None), RoleAssignment.valid_to >= local_today())
        if f.role:
            holds &= RoleAssignment.role == f.role
        if f.department_id:
            units = select(Unit.id).where(Unit.department_id == f.department_id)
            holds &= or_(RoleAssignment.department_id == f.department_id,
                         RoleAssignment.unit_id.in_(units))
        query = query.where(exists().where(holds))
    return query


def get_user(admin: User, user_id: int) -> User:
    person = db.session.get(User, user_id)
    if person is None or person.region_id != admin.region_id:
        raise PersonNotFound()
    return person


def get_assignment(admin: User, assignment_id: int) -> RoleAssignment:
    assignment = db.session.get(RoleAssignment, assignment_id)
    if assignment is None or assignment.user.region_id != admin.region_id:
        raise AssignmentNotFound()
    return assignment


def departments(region_id: int) -> list[Department]:
    return list(db.session.scalars(select(Department).where(Department.region_id == region_id)
                                   .order_by(Department.name)))


def assignment_status(assignment: RoleAssignment, today: date | None = None) -> str:
    """``current``, ``future`` or ``ended``."""
    today = today or local_today()
    if assignment.valid_from is not None and assignment.valid_from > today:
        return "future"
    if assignment.valid_to is not None and assignment.valid_to < today:
        return "ended"
    return "current"


def scope_label(assignment: RoleAssignment) -> str:
    """Where the role applies, in Swedish (for the admin log; pages translate their own)."""
    if assignment.unit is not None:
        return f"{assignment.unit.name} ({assignment.unit.department.name})"
    if assignment.department is not None:
        return assignment.department.name
    return "Hela regionen"


# ---------------------------------------------------------------- field checks

def clean_text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def check_username(value: Any) -> tuple[str, Message | None]:
    username = clean_text(value).lower()
    if not username:
        return username, REQUIRED
    if len(username) > USERNAME_MAX:
        return username, (TOO_LONG, {"max_length": USERNAME_MAX})
    if not USERNAME.fullmatch(username):
        return username, BAD_USERNAME
    return username, None


def check_display_name(value: Any) -> tuple[str, Message | None]:
    name = " ".join(clean_text(value).split())
    if not name:
        return name, REQUIRED
    if len(name) > DISPLAY_NAME_MAX:
        return name, (TOO_LONG, {"max_length": DISPLAY_NAME_MAX})
    return name, None


def check_email(value: Any) -> tuple[str | None, Message | None]:
    if value is not None and not isinstance(value, str):
        return None, BAD_EMAIL
    email = clean_text(value)
    if not email:
        return None, None
    if len(email) > EMAIL_MAX or not EMAIL.fullmatch(email):
        return email, BAD_EMAIL
    return email, None


def check_date(value: Any) -> tuple[date | None, Message | None]:
    if value is None or isinstance(value, date):
        return value, None
    if not isinstance(value, str):
        return None, BAD_DATE
    text = clean_text(value)
    if not text:
        return None, None
    try:
        return date.fromisoformat(text), None
    except ValueError:
        return None, BAD_DATE


def username_taken(username: str, except_id: int | None = None) -> bool:
    query = select(User.id).where(func.lower(User.username) == username)
    if except_id is not None:
        query = query.where(User.id != except_id)
    return db.session.scalar(query.limit(1)) is not None


# ---------------------------------------------------------------- accounts

def snapshot(person: User) -> dict[str, Any]:
    return {"username": person.username, "display_name": person.display_name,
            "email": person.email, "is_active": person.is_active_user}


@in_unit_of_work
def create_user(admin: User | None, fields: Mapping[str, Any], *,
                region_id: int | None = None) -> User:
    """A new, active account in the admin's region (``region_id`` for the command line)."""
    errors: dict[str, Message] = {}
    username, error = check_username(fields.get("username"))
    if error is None and username_taken(username):
        error = USERNAME_TAKEN
    _collect(errors, "username", error)
    values = _account_values(fields, errors)
    if errors:
        raise ValidationFailed(errors)
    person = User(username=username, region_id=region_id or admin.region_id,
                  display_name=values["display_name"], email=values["email"],
                  is_active_user=True)
    if values.get("password"):
        person.set_password(values["password"])
    db.session.add(person)
    db.session.flush()
    admin_log.record(admin, "user.create", person, region_id=person.region_id, before=None,
                     after={**snapshot(person), "password_set": bool(values.get("password"))})
    return person


@in_unit_of_work
def update_user(admin: User, person: User, fields: Mapping[str, Any]) -> User:
    """Change display name and email; a non-empty ``password`` sets a new password."""
    errors: dict[str, Message] = {}
    values = _account_values(fields, errors)
    if errors:
        raise ValidationFailed(errors)
    old = snapshot(person)
    person.display_name, person.email = values["display_name"], values["email"]
    before, after = admin_log.changes(old, snapshot(person))
    if values.get("password"):
        person.set_password(values["password"])
        # Web sessions begun with the old password end (the caller keeps its own, see views).
        person.session_generation = User.session_generation + 1
        before["password"], after["password"] = "—", "ändrat"
    if after:
        admin_log.record(admin, "user.update", person, before=before, after=after)
    return person


def _account_values(fields: Mapping[str, Any], errors: dict[str, Message]) -> dict[str, Any]:
    display_name, error = check_display_name(fields.get("display_name"))
    _collect(errors, "display_name", error)
    email, error = check_email(fields.get("email"))
    _collect(errors, "email", error)
    password = fields.get("password") or ""
    if not isinstance(password, str):
        password, error = "", REQUIRED
    elif password and len(password) < PASSWORD_MIN:
        error = (SHORT_PASSWORD, {"min_length": PASSWORD_MIN})
    elif len(password) > PASSWORD_MAX:
        error = (TOO_LONG, {"max_length": PASSWORD_MAX})
    else:
        error = None
    _collect(errors, "password", error)
    return {"display_name": display_name, "email": email, "password": password}


def _collect(errors: dict[str, Message], key: str, error: Message | None) -> None:
    if error is not None:
        errors[key] = error


# ---------------------------------------------------------------- role assignments

@dataclass(frozen=True)
class RoleChoice:
    role: str
    department_id: int | None
    unit_id: int | None
    valid_from: date | None
    valid_to: date | None


def assignment_snapshot(assignment: RoleAssignment) -> dict[str, Any]:
    return {"user": assignment.user.username, "role": assignment.role,
            "scope": scope_label(assignment), "valid_from": assignment.valid_from,
            "valid_to": assignment.valid_to}


def assignment_label(assignment: RoleAssignment) -> str:
    return f"{assignment.user.display_name} ({assignment.user.username}): {assignment.role}, " \
           f"{scope_label(assignment)}"


def check_role_choice(region_id: int, fields: Mapping[str, Any]) -> RoleChoice:
    """The validated role, scope and dates, or :class:`ValidationFailed`."""
    errors: dict[str, Message] = {}
    role = fields.get("role")
    if role not in ROLES:
        errors["role"] = UNKNOWN_ROLE
    department_id, unit_id = _scope(region_id, fields, errors)
    valid_from, error = check_date(fields.get("valid_from"))
    _collect(errors, "valid_from", error)
    valid_to, error = check_date(fields.get("valid_to"))
    _collect(errors, "valid_to", error)
    if valid_from and valid_to and valid_from > valid_to:
        errors["valid_to"] = FROM_AFTER_TO
    if errors:
        raise ValidationFailed(errors)
    return RoleChoice(role, department_id, unit_id, valid_from, valid_to)


def _scope(region_id: int, fields: Mapping[str, Any],
           errors: dict[str, Message]) -> tuple[int | None, int | None]:
    department_id, unit_id = _id(fields.get("department_id")), _id(fields.get("unit_id"))
    if department_id is False:
        errors["department_id"] = UNKNOWN_DEPARTMENT
    if unit_id is False:
        errors["unit_id"] = UNKNOWN_UNIT
    if department_id is False or unit_id is False:
        return None, None
    department = db.session.get(Department, department_id) if department_id else None
    if department_id and (department is None or department.region_id != region_id):
        errors["department_id"] = UNKNOWN_DEPARTMENT
        return None, None
    unit = db.session.get(Unit, unit_id) if unit_id else None
    if unit_id and (unit is None or unit.department.region_id != region_id):
        errors["unit_id"] = UNKNOWN_UNIT
        return None, None
    if unit is not None and department is not None:
        if unit.department_id != department.id:
            errors["unit_id"] = UNIT_NOT_IN_DEPARTMENT
            return None, None
        return None, unit.id  # the unit is the narrower scope
    return department_id or None, unit_id or None


def _id(value: Any) -> int | None | bool:
    """An id from a form or JSON; None when empty, False when malformed."""
    if value is None or value == "":
        return None
    return as_id(value) or False


def overlapping(person: User, choice: RoleChoice) -> RoleAssignment | None:
    """An assignment of the same role and scope whose period overlaps the chosen one."""
    for a in person.role_assignments:
        if (a.role, a.department_id, a.unit_id) != (choice.role, choice.department_id,
                                                    choice.unit_id):
            continue
        if _periods_overlap(a.valid_from, a.valid_to, choice.valid_from, choice.valid_to):
            return a
    return None


def _periods_overlap(from_a: date | None, to_a: date | None, from_b: date | None,
                     to_b: date | None) -> bool:
    return ((to_b is None or from_a is None or from_a <= to_b)
            and (to_a is None or from_b is None or from_b <= to_a))


def period_text(valid_from: date | None, valid_to: date | None) -> str:
    return f"{valid_from.isoformat() if valid_from else '…'}–" \
           f"{valid_to.isoformat() if valid_to else '…'}"


@in_unit_of_work
def assign_role(admin: User | None, person: User, fields: Mapping[str, Any]) -> RoleAssignment:
    choice = check_role_choice(person.region_id, fields)
    clash = overlapping(person, choice)
    if clash is not None:
        raise ValidationFailed({"role": (OVERLAP, {
            "period": period_text(clash.valid_from, clash.valid_to)})})
    assignment = add_assignment(admin, person, choice)
    return assignment


def add_assignment(admin: User | None, person: User, choice: RoleChoice,
                   action: str = "role.assign") -> RoleAssignment:
    """Add and log an assignment; the caller has validated ``choice`` and commits."""
    assignment = RoleAssignment(role=choice.role, department_id=choice.department_id,
                                unit_id=choice.unit_id, valid_from=choice.valid_from,
                                valid_to=choice.valid_to)
    person.role_assignments.append(assignment)
    db.session.flush()
    admin_log.record(admin, action, assignment, region_id=person.region_id, before=None,
                     after=assignment_snapshot(assignment), label=assignment_label(assignment))
    return assignment


@in_unit_of_work
def remove_role(admin: User, assignment: RoleAssignment) -> None:
    person = assignment.user
    if person.id == admin.id and _is_own_admin_lifeline(admin, assignment):
        raise PermissionDenied(message=N_("Du kan inte ta bort din egen administratörsroll; "
                                          "be en annan administratör."))
    _delete_assignment(admin, assignment)


def _is_own_admin_lifeline(admin: User, assignment: RoleAssignment) -> bool:
    """Would removing this leave the admin without a region-wide admin role today?"""
    others = [a for a in admin.roles if a.id != assignment.id]
    return assignment in admin.roles and not any(
        a.role == "admin" and a.unit_id is None and a.department_id is None for a in others)


def _delete_assignment(admin: User | None, assignment: RoleAssignment) -> None:
    admin_log.record(admin, "role.remove", assignment, region_id=assignment.user.region_id,
                     before=assignment_snapshot(assignment), after=None,
                     label=assignment_label(assignment))
    assignment.user.role_assignments.remove(assignment)
    db.session.flush()


def _end_assignment(admin: User | None, assignment: RoleAssignment, today: date) -> None:
    """End an assignment yesterday; one that has not started yet is removed."""
    if assignment.valid_from is not None and assignment.valid_from >= today:
        _delete_assignment(admin, assignment)
        return
    before = {"valid_to": assignment.valid_to}
    assignment.valid_to = today - timedelta(days=1)
    admin_log.record(admin, "role.end", assignment, region_id=assignment.user.region_id,
                     before=before, after={"valid_to": assignment.valid_to},
                     label=assignment_label(assignment))


# ---------------------------------------------------------------- open tasks and deactivation

@dataclass(frozen=True)
class OpenTask:
    """A case waiting for an action the person may take through one of their roles."""

    case: Case
    roles: tuple[str, ...]
    others: tuple[User, ...]  # who else could act on it

    @property
    def orphaned(self) -> bool:
        return not self.others


def open_tasks(person: User) -> list[OpenTask]:
    """The person's Att göra that comes from their roles (their own drafts are not tasks
    anyone else could take over), with who else could act on each case."""
    query = select(Case).where(access.todo_condition(person)).order_by(Case.id)
    tasks = []
    for case in db.session.scalars(query):
        waiting = set(process_of(case).state(case.state).waiting_for)
        mine = (waiting & access.roles_for(person, case)) - {AUTHOR}
        if mine:
            tasks.append(OpenTask(case, tuple(sorted(mine)), _others(case, waiting, person)))
    return tasks


def _others(case: Case, waiting: set[str], person: User) -> tuple[User, ...]:
    return tuple(p for p in access.users_acting_on(case, waiting)
                 if p.id != person.id and p.is_active_user)


@dataclass(frozen=True)
class Deactivation:
    person: User
    successor: User | None
    tasks: list[OpenTask]
    orphaned: list[OpenTask]  # cases nobody active can act on any more
    transferred: int
    ended: int


@in_unit_of_work
def deactivate(admin: User, person: User, *, successor_id: Any = None,
               end_roles: bool = False) -> Deactivation:
    """Deactivate ``person``. With open tasks the admin must choose: a successor, who
    receives the person's current and future role assignments in the same scopes (the
    person's end yesterday), or ``end_roles``. Without open tasks the roles stay as they are
    unless one of the two is given. Also revokes the person's API tokens. One transaction."""
    if person.id == admin.id:
        raise PermissionDenied(message=N_("Du kan inte inaktivera ditt eget konto."))
    if not person.is_active_user:
        raise Conflict(message=N_("Personen är redan inaktiverad."))
    successor = _successor(admin, person, successor_id)
    tasks = open_tasks(person)
    if tasks and successor is None and not end_roles:
        raise OpenTasksPending(tasks)
    today = local_today()
    transferred = ended = 0
    if successor is not None or end_roles:
        transferred, ended = _hand_over(admin, person, successor, today)
    person.is_active_user = False
    revoked = _revoke_tokens(person)
    db.session.flush()
    orphaned = [t for t in tasks if not _others(t.case, set(process_of(t.case).state(
        t.case.state).waiting_for), person)]
    admin_log.record(admin, "user.deactivate", person, before={"is_active": True}, after={
        "is_active": False, "successor": successor.username if successor else None,
        "end_roles": end_roles, "roles_transferred": transferred, "roles_ended": ended,
        "open_tasks": [t.case.id for t in tasks],
        "without_anyone": [t.case.id for t in orphaned], "tokens_revoked": revoked})
    return Deactivation(person, successor, tasks, orphaned, transferred, ended)


def _successor(admin: User, person: User, successor_id: Any) -> User | None:
    if successor_id in (None, ""):
        return None
    ident = _id(successor_id)
    successor = db.session.get(User, ident) if ident else None
    if successor is None or successor.region_id != admin.region_id:
        raise ValidationFailed({"successor_id": N_("Välj en person i regionen.")})
    if successor.id == person.id or not successor.is_active_user:
        raise ValidationFailed({"successor_id": N_("Välj en annan, aktiv person.")})
    return successor


def _hand_over(admin: User, person: User, successor: User | None,
               today: date) -> tuple[int, int]:
    transferred = ended = 0
    for assignment in list(person.role_assignments):
        if assignment.valid_to is not None and assignment.valid_to < today:
            continue  # already over: history
        if successor is not None and assignment.role not in NOT_TRANSFERRED:
            choice = RoleChoice(assignment.role, assignment.department_id, assignment.unit_id,
                                max(assignment.valid_from or today, today), assignment.valid_to)
            if overlapping(successor, choice) is None:
                add_assignment(admin, successor, choice, action="role.transfer")
                transferred += 1
        _end_assignment(admin, assignment, today)
        ended += 1
    return transferred, ended


def _revoke_tokens(person: User) -> int:
    tokens = db.session.scalars(select(ApiToken).where(ApiToken.user_id == person.id,
                                                       ApiToken.revoked_at.is_(None))).all()
    now = utcnow()
    for token in tokens:
        token.revoked_at = now
    return len(tokens)


@in_unit_of_work
def reactivate(admin: User, person: User) -> User:
    """Let the person log in again, with the role assignments they still hold."""
    if person.is_active_user:
        raise Conflict(message=N_("Personen är redan aktiv."))
    person.is_active_user = True
    admin_log.record(admin, "user.reactivate", person, before={"is_active": False},
                     after={"is_active": True})
    return person
