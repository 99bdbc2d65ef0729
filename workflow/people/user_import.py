"""Import of people and role assignments from a CSV file (format: docs/user-import.md).

The file is read and checked completely first; every problem is reported with its line and
column, in Swedish, and if there is any problem nothing is written. A real run then writes
everything in one transaction, with the admin log. Importing the same file again changes
nothing: people are matched by username and assignments by role, scope and dates.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping

from sqlalchemy import select

from workflow.admin import log as admin_log
from workflow.models import Department, Region, Unit, User
from workflow.people.admin import (
    FROM_AFTER_TO,
    OVERLAP,
    RoleChoice,
    add_assignment,
    check_date,
    check_display_name,
    check_email,
    check_username,
    period_text,
    snapshot,
)
from workflow.platform.errors import Message, translate
from workflow.platform.extensions import db
from workflow.platform.uow import in_unit_of_work
from workflow.states.i18n import N_
from workflow.states.roles import ROLE_LABELS, ROLES

COLUMNS = ("username", "display_name", "email", "role", "department", "unit", "valid_from",
           "valid_to")
REQUIRED_COLUMNS = ("username", "display_name")
# Swedish headings are accepted too, as an Excel user might write them.
ALIASES = {"användarnamn": "username", "namn": "display_name", "visningsnamn": "display_name",
           "e-post": "email", "epost": "email", "roll": "role", "förvaltning": "department",
           "enhet": "unit", "från": "valid_from", "från och med": "valid_from",
           "till": "valid_to", "till och med": "valid_to"}
MAX_ROWS = 10_000
DELIMITER = ";"


@dataclass(frozen=True)
class Problem:
    """One problem in the file: its line (1 is the header), the column, a Swedish msgid."""

    line: int
    column: str | None
    message: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return translate(self.message, self.params)

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "message": self.text}


@dataclass
class ImportResult:
    dry_run: bool
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    written: bool = False
    rows: int = 0
    users_created: int = 0
    users_updated: int = 0
    users_unchanged: int = 0
    roles_created: int = 0
    roles_unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def created(self) -> int:
        return self.users_created + self.roles_created

    @property
    def unchanged(self) -> int:
        return self.users_unchanged + self.roles_unchanged

    def summary(self) -> str:
        return translate(N_("%(created)s skapade, %(updated)s ändrade, %(unchanged)s "
                            "oförändrade (personer: %(uc)s skapade, %(uu)s ändrade, %(un)s "
                            "oförändrade; roller: %(rc)s skapade, %(rn)s oförändrade)."),
                         {"created": self.created, "updated": self.users_updated,
                          "unchanged": self.unchanged, "uc": self.users_created,
                          "uu": self.users_updated, "un": self.users_unchanged,
                          "rc": self.roles_created, "rn": self.roles_unchanged})

    def as_dict(self) -> dict[str, Any]:
        return {"dry_run": self.dry_run, "ok": self.ok, "written": self.written,
                "rows": self.rows, "summary": self.summary() if self.ok else None,
                "created": self.created, "unchanged": self.unchanged,
                "users": {"created": self.users_created, "updated": self.users_updated,
                          "unchanged": self.users_unchanged},
                "roles": {"created": self.roles_created, "unchanged": self.roles_unchanged},
                "problems": [p.as_dict() for p in self.problems],
                "warnings": [p.as_dict() for p in self.warnings]}


@dataclass
class _Person:
    line: int
    username: str
    display_name: str
    email: str | None
    email_line: int
    existing: User | None = None


@dataclass(frozen=True)
class _RoleRow:
    line: int
    username: str
    choice: RoleChoice


@dataclass
class _Plan:
    region_id: int
    people: dict[str, _Person] = field(default_factory=dict)
    roles: list[_RoleRow] = field(default_factory=list)


# ---------------------------------------------------------------- entry point

def run_import(actor: User | None, region_id: int, data: bytes | str, *, dry_run: bool,
               source: str = "") -> ImportResult:
    """Check ``data`` and, unless ``dry_run`` or there are problems, write it."""
    result = ImportResult(dry_run=dry_run)
    text = _decode(data, result)
    plan = _Plan(region_id)
    if text is not None:
        _Reader(region_id, result, plan).read(text)
    if result.problems:
        result.problems.sort(key=lambda p: (p.line, COLUMNS.index(p.column)
                                            if p.column in COLUMNS else -1))
        return result
    _compare_with_database(plan, result)
    if result.problems or dry_run:
        return result
    _write(actor, region_id, plan, result, source)
    return result


# ---------------------------------------------------------------- reading the file

def _decode(data: bytes | str, result: ImportResult) -> str | None:
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        result.problems.append(Problem(line, None, N_(
            "Filen är inte sparad som UTF-8. Spara den i Excel som \"CSV UTF-8\" och försök "
            "igen.")))
        return None


class _Reader:
    """Reads the rows into a plan, collecting every problem on the way."""

    def __init__(self, region_id: int, result: ImportResult, plan: _Plan):
        self.result, self.plan = result, plan
        self.organisation = _Organisation(region_id)
        self.headings: dict[str, str] = {}  # column -> the heading as written in the file
        # (username, role, department, unit) -> [(valid_from, valid_to, line)]
        self.seen_roles: dict[tuple[Any, ...], list[tuple[Any, Any, int]]] = {}

    def problem(self, line: int, column: str | None, message: str, /, **params: Any) -> None:
        self.result.problems.append(Problem(line, self.headings.get(column, column)
                                            if column else None, message, params))

    def read(self, text: str) -> None:
        records = _records(text)
        first = next(records, None)
        if first is None:
            self.result.problems.append(Problem(1, None, N_("Filen är tom.")))
            return
        line, header = first
        columns = self._header(line, header)
        if columns is None:
            return
        for line, fields in records:
            if isinstance(fields, str):  # the csv module's own complaint
                self.problem(line, None, N_("Raden kan inte läsas: %(error)s"), error=fields)
                continue
            if not any(value.strip() for value in fields):
                continue
            self.result.rows += 1
            if self.result.rows > MAX_ROWS:
                self.problem(line, None, N_("Filen har fler än %(max)s rader. Dela upp den."),
                             max=MAX_ROWS)
                return
            if len(fields) > len(columns):
                self.problem(line, None, N_("Raden har %(found)s fält men rubrikraden "
                                            "%(expected)s. Kontrollera semikolon i texten."),
                             found=len(fields), expected=len(columns))
                continue
            padded = [v.strip() for v in fields] + [""] * (len(columns) - len(fields))
            self._row(line, dict(zip(columns, padded, strict=True)))

    def _header(self, line: int, header: list[str] | str) -> list[str] | None:
        if isinstance(header, str):
            self.problem(line, None, N_("Rubrikraden kan inte läsas: %(error)s"), error=header)
            return None
        columns: list[str] = []
        ok = True
        if len(header) == 1 and "," in header[0]:
            self.problem(line, None, N_("Kolumnerna ska skiljas med semikolon (;), inte komma."))
            return None
        for heading in header:
            name = " ".join(heading.strip().lower().split())
            column = ALIASES.get(name, name)
            if column not in COLUMNS:
                self.problem(line, heading.strip() or None, N_(
                    "Okänd kolumn \"%(column)s\". Tillåtna kolumner: %(allowed)s."),
                    column=heading.strip(), allowed=", ".join(COLUMNS))
                ok = False
            elif column in columns:
                self.problem(line, heading.strip(), N_("Kolumnen \"%(column)s\" finns två gånger."),
                             column=heading.strip())
                ok = False
            else:
                self.headings[column] = heading.strip()
            columns.append(column)
        for column in REQUIRED_COLUMNS:
            if column not in columns:
                self.problem(line, None, N_("Kolumnen \"%(column)s\" saknas i rubrikraden."),
                             column=column)
                ok = False
        return columns if ok else None

    def _row(self, line: int, row: dict[str, str]) -> None:
        username = self._person(line, row)
        choice = self._role(line, row)
        if username is None or choice is None:
            return
        earlier = self.seen_roles.setdefault(
            (username, choice.role, choice.department_id, choice.unit_id), [])
        for valid_from, valid_to, other in earlier:
            if (valid_from, valid_to) == (choice.valid_from, choice.valid_to):
                self.problem(line, "role", N_("Raden är en dubblett av rad %(other)s."),
                             other=other)
                return
            if _overlap(valid_from, valid_to, choice.valid_from, choice.valid_to):
                self.problem(line, "valid_from", N_("Perioden överlappar samma roll på rad "
                                                    "%(other)s."), other=other)
                return
        earlier.append((choice.valid_from, choice.valid_to, line))
        self.plan.roles.append(_RoleRow(line, username, choice))

    def _person(self, line: int, row: dict[str, str]) -> str | None:
        username, error = check_username(row.get("username"))
        self._maybe(line, "username", error)
        display_name, name_error = check_display_name(row.get("display_name"))
        self._maybe(line, "display_name", name_error)
        email, email_error = check_email(row.get("email"))
        self._maybe(line, "email", email_error)
        if error is not None:
            return None
        person = self.plan.people.get(username)
        if person is None:
            if name_error is None and email_error is None:
                self.plan.people[username] = _Person(line, username, display_name, email, line)
            return username
        if name_error is None and display_name != person.display_name:
            self.problem(line, "display_name", N_(
                "Användaren %(username)s har namnet \"%(other)s\" på rad %(row)s."),
                username=username, other=person.display_name, row=person.line)
        if email_error is None and email:
            if person.email is None:
                person.email, person.email_line = email, line
            elif email.lower() != person.email.lower():
                self.problem(line, "email", N_(
                    "Användaren %(username)s har e-postadressen %(other)s på rad %(row)s."),
                    username=username, other=person.email, row=person.email_line)
        return username

    def _role(self, line: int, row: dict[str, str]) -> RoleChoice | None:
        """The row's role assignment; None if it has none or it has problems."""
        raw_role = row.get("role", "")
        if not raw_role:
            for column in ("department", "unit", "valid_from", "valid_to"):
                if row.get(column):
                    self.problem(line, "role", N_("Ange en roll när %(column)s är ifylld."),
                                 column=self.headings.get(column, column))
                    return None
            return None
        problems_before = len(self.result.problems)
        role = _role_code(raw_role)
        if role is None:
            self.problem(line, "role", N_("Okänd roll \"%(role)s\". Använd en av: %(allowed)s."),
                         role=raw_role, allowed=", ".join(ROLES))
        department_id, unit_id = self._scope(line, row)
        valid_from, error = check_date(row.get("valid_from"))
        self._maybe(line, "valid_from", error)
        valid_to, error = check_date(row.get("valid_to"))
        self._maybe(line, "valid_to", error)
        if valid_from and valid_to and valid_from > valid_to:
            self.problem(line, "valid_to", FROM_AFTER_TO)
        if len(self.result.problems) > problems_before or role is None:
            return None
        return RoleChoice(role, department_id, unit_id, valid_from, valid_to)

    def _scope(self, line: int, row: dict[str, str]) -> tuple[int | None, int | None]:
        department_name, unit_name = row.get("department", ""), row.get("unit", "")
        department = None
        if department_name:
            department = self.organisation.department(department_name)
            if department is None:
                self.problem(line, "department", N_("Okänd förvaltning \"%(name)s\"."),
                             name=department_name)
                return None, None
        if not unit_name:
            return (department.id if department else None), None
        candidates = self.organisation.units(unit_name)
        if department is not None:
            inside = [u for u in candidates if u.department_id == department.id]
            if inside:
                return None, inside[0].id
            if candidates:
                self.problem(line, "unit", N_("Enheten \"%(unit)s\" hör inte till förvaltningen "
                                              "\"%(department)s\" utan till %(actual)s."),
                             unit=unit_name, department=department.name,
                             actual=", ".join(sorted(u.department.name for u in candidates)))
            else:
                self.problem(line, "unit", N_("Okänd enhet \"%(name)s\"."), name=unit_name)
            return None, None
        if len(candidates) == 1:
            return None, candidates[0].id
        if candidates:
            self.problem(line, "unit", N_("Enheten \"%(name)s\" finns i flera förvaltningar; "
                                          "ange förvaltning."), name=unit_name)
        else:
            self.problem(line, "unit", N_("Okänd enhet \"%(name)s\"."), name=unit_name)
        return None, None

    def _maybe(self, line: int, column: str, error: Message | None) -> None:
        if error is None:
            return
        if isinstance(error, tuple):
            self.problem(line, column, error[0], **error[1])
        else:
            self.problem(line, column, error)


def _records(text: str) -> Iterator[tuple[int, list[str] | str]]:
    """(first line of the record, its fields), or the csv module's error text."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=DELIMITER, strict=True)
    line = 1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield line, str(error)
            return
        yield line, fields
        line = reader.line_num + 1


def _role_code(value: str) -> str | None:
    wanted = value.strip().lower()
    for role in ROLES:
        if wanted in (role, ROLE_LABELS[role].lower()):
            return role
    return None


def _overlap(from_a: Any, to_a: Any, from_b: Any, to_b: Any) -> bool:
    return ((to_b is None or from_a is None or from_a <= to_b)
            and (to_a is None or from_b is None or from_b <= to_a))


class _Organisation:
    """The region's förvaltningar and units by name (case and spacing ignored)."""

    def __init__(self, region_id: int):
        self._departments: dict[str, Department] = {}
        self._units: dict[str, list[Unit]] = {}
        for department in db.session.scalars(select(Department)
                                             .where(Department.region_id == region_id)):
            self._departments[_key(department.name)] = department
            for unit in department.units:
                self._units.setdefault(_key(unit.name), []).append(unit)

    def department(self, name: str) -> Department | None:
        return self._departments.get(_key(name))

    def units(self, name: str) -> list[Unit]:
        return self._units.get(_key(name), [])


def _key(name: str) -> str:
    return " ".join(name.lower().split())


# ---------------------------------------------------------------- against the database

def _compare_with_database(plan: _Plan, result: ImportResult) -> None:
    existing = {u.username: u for u in db.session.scalars(
        select(User).where(User.username.in_(list(plan.people))))} if plan.people else {}
    for username, person in plan.people.items():
        user = existing.get(username)
        person.existing = user
        if user is None:
            result.users_created += 1
            continue
        if user.region_id != plan.region_id:
            result.problems.append(Problem(person.line, "username", N_(
                "Användarnamnet %(username)s används redan i en annan region."),
                {"username": username}))
            continue
        if not user.is_active_user:
            result.warnings.append(Problem(person.line, "username", N_(
                "%(username)s är inaktiverad; rollerna läggs till men kontot förblir "
                "inaktiverat."), {"username": username}))
        if _person_changes(user, person):
            result.users_updated += 1
        else:
            result.users_unchanged += 1
    for row in plan.roles:
        user = plan.people[row.username].existing if row.username in plan.people else None
        status = _role_status(user, row.choice)
        if status == "unchanged":
            result.roles_unchanged += 1
        elif status == "create":
            result.roles_created += 1
        else:
            result.problems.append(Problem(row.line, "valid_from", OVERLAP, {"period": status}))


def _person_changes(user: User, person: _Person) -> dict[str, Any]:
    changes = {}
    if user.display_name != person.display_name:
        changes["display_name"] = person.display_name
    if person.email is not None and (user.email or "").lower() != person.email.lower():
        changes["email"] = person.email
    return changes


def _role_status(user: User | None, choice: RoleChoice) -> str:
    """``create``, ``unchanged``, or the overlapping period of an existing assignment."""
    if user is None:
        return "create"
    for a in user.role_assignments:
        if (a.role, a.department_id, a.unit_id) != (choice.role, choice.department_id,
                                                    choice.unit_id):
            continue
        if (a.valid_from, a.valid_to) == (choice.valid_from, choice.valid_to):
            return "unchanged"
        if _overlap(a.valid_from, a.valid_to, choice.valid_from, choice.valid_to):
            return period_text(a.valid_from, a.valid_to)
    return "create"


# ---------------------------------------------------------------- writing

@in_unit_of_work
def _write(actor: User | None, region_id: int, plan: _Plan, result: ImportResult,
           source: str) -> None:
    users: dict[str, User] = {}
    for username, person in plan.people.items():
        users[username] = _write_person(actor, region_id, person)
    for row in plan.roles:
        user = users[row.username]
        if _role_status(user, row.choice) == "create":
            add_assignment(actor, user, row.choice)
    region = db.session.get(Region, region_id)
    admin_log.record(actor, "user.import", region, region_id=region_id, before=None, after={
        "file": source or None, "rows": result.rows, "users_created": result.users_created,
        "users_updated": result.users_updated, "users_unchanged": result.users_unchanged,
        "roles_created": result.roles_created, "roles_unchanged": result.roles_unchanged},
        label=f"Import {source}".strip())
    result.written = True


def _write_person(actor: User | None, region_id: int, person: _Person) -> User:
    user = person.existing
    if user is None:
        user = User(username=person.username, display_name=person.display_name,
                    email=person.email, region_id=region_id, is_active_user=True)
        db.session.add(user)
        db.session.flush()
        admin_log.record(actor, "user.create", user, region_id=region_id, before=None,
                         after={**snapshot(user), "password_set": bool(user.password_hash)})
        return user
    changes = _person_changes(user, person)
    if changes:
        before = {key: getattr(user, key) for key in changes}
        for key, value in changes.items():
            setattr(user, key, value)
        admin_log.record(actor, "user.update", user, region_id=region_id, before=before,
                         after=changes)
    return user
