"""The case service: the one place where cases are created, edited and moved along.

Every entry point (web views, JSON API, CLI, seeding, scheduler) calls these functions.
Each call is one unit of work: it commits everything or nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from functools import lru_cache
from typing import Any, Callable, Mapping

from flask import current_app
from sqlalchemy import Select, bindparam, func, inspect, literal, or_, select, union, union_all
from sqlalchemy.orm import contains_eager, joinedload, undefer
from sqlalchemy.orm.attributes import set_committed_value

from workflow.cases import access
from workflow.delegation import service as delegation
from workflow.dossier import service as dossier
from workflow.follow_up import service as follow_up
from workflow.models import (
    TEXT_MAX,
    TITLE_MAX,
    AnonymousSubmission,
    Case,
    CaseEvent,
    Comment,
    Department,
    StatusToken,
    Unit,
    User,
    utcnow,
)
from workflow.notifications import service as notifications
from workflow.platform.errors import (
    Conflict,
    GuardFailed,
    InvalidState,
    NotFound,
    PermissionDenied,
    ServiceError,
    ValidationFailed,
)
from workflow.platform.extensions import db
from workflow.platform.i18n import localized
from workflow.platform.uow import local_day, record, record_transition, unit_of_work
from workflow.platform.validation import ID_LIMIT, as_id, clean_text
from workflow.processes.registry import current_process, process_of
from workflow.similar import service as similar
from workflow.states import (
    GUARDS,
    CaseRef,
    EventSpec,
    Facts,
    Failure,
    InvalidFields,
    Process,
    Refusal,
    features,
)
from workflow.states import delegation as delegation_rules
from workflow.states.i18n import N_
from workflow.states.roles import AUTHOR
from workflow.states.vocabulary import DIRECTION_FOCUS, DIRECTION_REACH, ORIGINS, STAFF_ORIGINS

MAX_COST_SEK = 10**12
EDITABLE_FIELDS = ("title", "need", "effect", "cost_estimate_sek", "direction",
                   "planned_go_live", "actual_cost_sek")
# Roles that may register a case of another origin than a staff idea (political, mandatory).
LEADING_ROLES = {"developer", "management", "registrar", "admin"}
POLITICAL_DECISIONS = features.POLITICAL_DECISIONS
# The nämnd's decisions on a case, each with its own meeting date and paragraph (§), and what
# it decided; återremiss included (docs/decisions.md).
COMMITTEE_DECISIONS = {features.DECIDE_YES: N_("Bifall"), features.DECIDE_NO: N_("Avslag"),
                       features.REMIT: N_("Återremiss")}
# Event fields that also set a column of the case when the event fires.
EVENT_FIELDS_ON_CASE = {"priority": "priority", "go_live_date": "go_live_date",
                        "target_case": "merged_into_id", "planned_year": "planned_year",
                        "actual_cost_sek": "actual_cost_sek", "diarienummer": "diarienummer"}
PLANNED_YEARS = range(2000, 2101)
# The registry's diarienummer is no field of the state's editors: the registrar or the
# management set or correct it while the decision is pending (docs/decisions.md).
REGISTRY_FIELDS = ("diarienummer",)
REGISTRY_ROLES = frozenset({"registrar", "management"})
REGISTRY_STATES = frozenset(features.REGISTRY_STATES)
DIARIENUMMER_MAX = 60


# ---------------------------------------------------------------- reading

# Every access check reads the case's förvaltning and unit: load them with the case.
CASE_LOADS = (joinedload(Case.department).options(
                  joinedload(Department.region, innerjoin=True),
                  undefer(Department.has_active_webhooks)),
              joinedload(Case.unit))
# What the case page shows besides: the author, the history with its actors, the comments
# with their authors, the ideas merged into it. The collections are read by statements built
# once, not by selectin loaders: 0.9 against 0.5 ms a page (issue 14).
# A collection the case's row says is empty (``has_comments``, ``has_merged_cases``, read with
# it) is not asked for.
_PAGE_COLLECTIONS = (
    ("history", select(CaseEvent).where(CaseEvent.case_id == bindparam("case_id"))
     .order_by(CaseEvent.id).options(joinedload(CaseEvent.actor)), None),
    ("comments", select(Comment).where(Comment.case_id == bindparam("case_id"))
     .order_by(Comment.id).options(joinedload(Comment.author)), "has_comments"),
    ("merged_cases", select(Case).where(Case.merged_into_id == bindparam("case_id"))
     .order_by(Case.id), "has_merged_cases"),
)


@lru_cache(maxsize=2)
def _case_statement(for_page: bool) -> Select:
    """The case with what the role checks read (and on its page, its author), built once
    (issue 14: building the loader options for each request cost a tenth of firing an
    event). Joined by the statement and filled in by ``contains_eager`` (what CASE_LOADS
    loads): the ORM sets up a fifth less for each row than for ``joinedload``'s aliases."""
    statement = (select(Case).join(Case.department).join(Department.region)
                 .outerjoin(Case.unit).where(Case.id == bindparam("id")))
    options = [contains_eager(Case.department).options(
                   contains_eager(Department.region), undefer(Department.has_active_webhooks)),
               contains_eager(Case.unit)]
    if for_page:
        statement = statement.outerjoin(Case.author)
        options += [contains_eager(Case.author), undefer(Case.has_memo),
                    undefer(Case.has_comments), undefer(Case.has_merged_cases),
                    undefer(Case.has_pending_proposals)]
    return statement.options(*options)


def get_case(user: User, case_id: Any, *, for_page: bool = False) -> Case:
    """The case, if ``user`` may see it; otherwise :class:`NotFound` (never a hint it exists).
    ``for_page`` also loads what the case page shows, in three queries instead of one per
    person named."""
    key, case = as_id(case_id), None
    if key and db.session.identity_key(Case, key) in db.session.identity_map:
        case = db.session.get(Case, key)  # this session has it already
    elif key:
        case = db.session.execute(_case_statement(for_page), {"id": key}).unique() \
            .scalar_one_or_none()
    if case is None or not access.can_view(user, case):
        raise NotFound()
    if for_page:
        for name, statement, known in _PAGE_COLLECTIONS:
            some = known is None or case.__dict__.get(known, True)  # read with the case
            set_committed_value(case, name, list(db.session.scalars(
                statement, {"case_id": case.id})) if some else [])
    return case


@dataclass(frozen=True, slots=True)
class ListedUnit:
    name: str
    closed_at: datetime | None

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


@dataclass(frozen=True, slots=True)
class ListedCase:
    """A case as a list shows it (a row of the case table, an item of the API's list, a line
    of the weekly digest): read as columns with its unit's name, without the ORM's
    bookkeeping for each case (issue 14: loading 50 cases as entities cost 0.4 ms a list)."""
    id: int
    title: str
    state: str
    origin: str
    process_name: str
    process_version: int
    department_id: int
    unit_id: int | None
    author_id: int | None
    updated_at: datetime
    unit: ListedUnit | None


_LISTED = (Case.id, Case.title, Case.state, Case.origin, Case.process_name,
           Case.process_version, Case.department_id, Case.unit_id, Case.author_id,
           Case.updated_at, Unit.name.label("unit_name"), Unit.closed_at.label("unit_closed_at"))


def _listed(row: Any) -> ListedCase:
    *fields, unit_name, unit_closed_at = row
    return ListedCase(*fields, unit=None if fields[7] is None
                      else ListedUnit(unit_name, unit_closed_at))


@dataclass(frozen=True)
class Page:
    items: list[ListedCase]
    page: int
    per_page: int
    total: int
    # False: the list holds more than ``total`` cases (counted no further: list_cases).
    exact: bool = True

    @property
    def pages(self) -> int:
        """The number of pages; when the count is not exact, the fewest there can be."""
        if not self.exact:
            return self.total // self.per_page + 1
        return max(1, -(-self.total // self.per_page))


def counted_up_to(offset: int, per_page: int, limit: int | None) -> int:
    """How far a list's cases are counted: whole blocks of ``limit`` past the page's end, so
    that each page knows whether another follows and the figure stays the same across a
    block's pages (docs/lists.md). No limit: every case (ID_LIMIT is more than a table
    holds)."""
    if not limit:
        return ID_LIMIT
    return limit * -(-(offset + per_page) // limit)


def list_cases(user: User, *, state: str | None = None, unit_id: int | None = None,
               page: int = 1, per_page: int | None = None, todo: bool = False,
               mine: bool = False, exact: bool = False) -> Page:
    """A page of a person's cases, newest change first. The cases are counted up to
    LIST_COUNT_LIMIT past the page (counted_up_to): past it the page says "fler än" (more
    than), as counting 55 000 cases took most of the list's time at 100 000 (issue 14).
    ``exact`` counts them all (the weekly digest)."""
    per_page = per_page or current_app.config["PAGE_SIZE"]
    if page >= ID_LIMIT:  # an offset beyond the database's integers
        raise ValidationFailed({"page": N_("Sidnumret är för stort.")})
    if mine:
        whose: tuple[str, Any] = ("mine", user.id)
    elif todo:
        whose = ("todo", access.todo_rule(user))
    else:
        whose = ("visible", access.visibility_rule(user))
    offset = (max(page, 1) - 1) * per_page
    in_parts = whose[0] != "mine" and offset + per_page <= READ_IN_PARTS_UP_TO
    count, rows = _list_statements(whose, state, bool(unit_id), per_page, in_parts)
    count_to = counted_up_to(offset, per_page,
                             None if exact else current_app.config["LIST_COUNT_LIMIT"])
    values = {"state": state, "unit_id": unit_id, "offset": offset, "upto": offset + per_page,
              "count_upto": count_to + 1}
    total = db.session.scalar(count, values) or 0
    items = ([_listed(row) for row in db.session.connection().execute(rows, values)]
             if total > offset else [])
    return Page(items=items, page=max(page, 1), per_page=per_page, total=min(total, count_to),
                exact=total <= count_to)


# The order of every list: the latest changed first.
def _newest_first(id_column, updated_column) -> tuple:
    return updated_column.desc(), id_column.desc()


def _disjoint_count(condition) -> Select:
    """The cases that match ``condition``, counted up to the bound ``count_upto``: the terms'
    cases one after the other (no case matches two terms), each term from its own index; the
    count stops reading at the limit."""
    terms = [select(literal(1).label("one")).select_from(Case).where(term)
             for term in access.disjoint_terms(condition)]
    matching = (terms[0] if len(terms) == 1 else union_all(*terms))
    return select(func.count()).select_from(
        matching.limit(bindparam("count_upto")).subquery())


# A list's page is read in parts (access.ordered_parts) while it ends within this many rows;
# a page further on is read from the whole rule and sorted, as each part would read that many
# rows.
READ_IN_PARTS_UP_TO = 1000


@lru_cache(maxsize=access.STATEMENTS_KEPT)
def _list_statements(whose: tuple[str, Any], state: str | None, by_unit: bool,
                     per_page: int, in_parts: bool = False) -> tuple[Select, Select]:
    """A list's count and page, built once per person's rule (access.Rule), state and kind of
    filter; the unit and offset are bound when run (issue 14: building them and their cache
    keys cost about half a millisecond a list)."""
    kind, key = whose
    condition = Case.author_id == key if kind == "mine" else access.condition_of(key)
    query = select(Case.id).where(condition)
    if state:
        query = query.where(Case.state == bindparam("state"))
    if by_unit:
        query = query.where(Case.unit_id == bindparam("unit_id"))
    count = select(func.count()).select_from(
        query.limit(bindparam("count_upto")).subquery())
    parts = access.ordered_parts(key, state) if kind != "mine" else None
    if parts is not None and by_unit:
        parts = [part & (Case.unit_id == bindparam("unit_id")) for part in parts]
    if kind != "mine":
        # Counted as terms that no case matches twice, one after the other: each term read
        # from the index of its own columns, where the rule's OR read every case in the state
        # (SQLite) or every matching row (PostgreSQL). Issue 14: the council's list 0.7 ->
        # 0.1 ms, the unfiltered list 0.4 -> 0.2 ms (SQLite) and 1.6 -> 0.4 ms (PostgreSQL).
        if parts == []:  # the rule reaches no case in that state
            count = select(literal(0))
        else:
            count = _disjoint_count(or_(*parts) if parts is not None and state
                                    else query.whereclause)
    # Every list shows each case's unit: read with the case.
    listed = select(*_LISTED).outerjoin(Unit, Unit.id == Case.unit_id)
    if not parts or not in_parts:
        rows = (listed.where(query.whereclause)
                .order_by(*_newest_first(Case.id, Case.updated_at))
                .limit(per_page).offset(bindparam("offset")))
        return count, rows
    # Each part's newest cases up to the page's end, read in order from an index; the page
    # from their union (a case in two parts counts once); then only the page's cases read.
    members = [select(Case.id, Case.updated_at).where(part)
               .order_by(*_newest_first(Case.id, Case.updated_at))
               .limit(bindparam("upto")).subquery() for part in parts]
    picked = union(*(select(m.c.id, m.c.updated_at) for m in members)).subquery("picked")
    page = (select(picked.c.id, picked.c.updated_at)
            .order_by(*_newest_first(picked.c.id, picked.c.updated_at))
            .limit(per_page).offset(bindparam("offset")).subquery("page"))
    rows = (listed.join(page, page.c.id == Case.id)
            .order_by(*_newest_first(page.c.id, page.c.updated_at)))
    return count, rows


def latest_committee_decision(case: Case) -> CaseEvent | None:
    """The nämnd's latest decision on the case (bifall, avslag or återremiss), if any."""
    return next((entry for entry in reversed(case.history)
                 if entry.event in COMMITTEE_DECISIONS), None)


def committee_decisions_last(case_ids: list[int]) -> dict[int, CaseEvent]:
    """For each of the cases whose latest change of state was the nämnd's decision, that
    decision (one query for a whole list, e.g. Mina idéer)."""
    if not case_ids:
        return {}
    latest = (select(func.max(CaseEvent.id)).where(CaseEvent.case_id.in_(case_ids),
                                                  CaseEvent.from_state != CaseEvent.to_state)
              .group_by(CaseEvent.case_id))
    entries = db.session.scalars(select(CaseEvent).where(
        CaseEvent.id.in_(latest), CaseEvent.event.in_(list(COMMITTEE_DECISIONS))))
    return {entry.case_id: entry for entry in entries}


# What an event does to the submitter's anonymity, said where it is offered (issue 12).
EVENT_NOTICES = {features.SUBMIT_DIRECT: N_("Din idé skickas med ditt namn. Vill du vara anonym, "
                                     "använd Ny idé och välj Anonymt.")}


def event_notice(case: Case, event: str) -> str | None:
    """A msgid to show with ``event`` on ``case``: sending a named draft straight to the
    management is not anonymous."""
    return EVENT_NOTICES.get(event) if case.author_id is not None else None


def available_events(user: User, case: Case) -> list[EventSpec]:
    return process_of(case).available_events(case.state, access.roles_for(user, case))


# ---------------------------------------------------------------- creating and editing

def create_case(actor: User, fields: Mapping[str, Any], *, submit: bool = False,
                anonymous: bool = False, now: datetime | None = None) -> Case:
    """A new case in ``draft``, owned by ``actor``; with ``submit`` also submitted at once.

    With ``anonymous`` the case is sent straight to the management channel in the same
    transaction and nothing about ``actor`` is stored: no author, no actor in the history,
    and times kept to the day so they cannot be matched against other traces. The returned
    case then carries ``status_token``, the secret for the submitter's status link, which is
    stored only as a digest and can be shown this once. Either way a refused submission
    stores nothing at all.
    """
    now = now or utcnow()
    if anonymous:
        values = _validate_case_fields(fields, creating=True, unit_required=False)
        department, unit = _anonymous_place(actor, fields)
        _validate_origin(actor, unit, fields.get("origin"), anonymous)
        with unit_of_work():
            case = _register_anonymous(department, unit, values, _day_of(now))
            # Shown once to the submitter, who can follow the idea without being known.
            case.status_token = notifications.issue_status_token(case)
        return case
    values = _validate_case_fields(fields, creating=True)
    unit = _unit_in_region(actor, fields.get("unit_id"))
    origin = _validate_origin(actor, unit, fields.get("origin"), anonymous)
    process = current_process()
    with unit_of_work():
        case = Case(unit=unit, department=unit.department, author=actor, origin=origin,
                    state=process.initial, process_name=process.name,
                    process_version=process.version, created_at=now, updated_at=now)
        _apply_fields(case, values)
        db.session.add(case)
        db.session.flush()
        record(case, "create", None, case.state, actor, now)
        similar.refresh_hints(case, new=True)
        if submit:
            _transition(case, features.SUBMIT, {AUTHOR}, {}, actor, now)
    return case


def submit_anonymously(actor: User, fields: Mapping[str, Any], *,
                       now: datetime | None = None) -> str:
    """Hold an anonymous idea until tonight's batch (:func:`register_anonymous_submission`,
    run by the scheduler) and return the secret for the submitter's status link.

    The idea is checked now, as if it were sent to the management (a refused idea stores
    nothing, and no case id is used up), but no case row is written: a case id or a
    timestamp would tell when within the day it was sent. What is stored is the idea's
    fields, the förvaltning (``department_id``) and a unit only if the sender chose one
    (``unit_id``: a small unit can be enough to name the sender), the calendar day and the
    status link's digest.
    """
    now = now or utcnow()
    values = _validate_case_fields(fields, creating=True, unit_required=False)
    department, unit = _anonymous_place(actor, fields)
    _validate_origin(actor, unit, fields.get("origin"), True)
    _check_direct_submission(department, unit, values, _day_of(now))
    token = notifications.new_status_secret()
    with unit_of_work():
        db.session.add(AnonymousSubmission(
            token_hash=notifications.status_digest(token), department_id=department.id,
            unit_id=unit.id if unit is not None else None,
            fields={name: value for name, value in fields.items()
                    if name in EDITABLE_FIELDS and name in values},
            submitted_on=_day_of(now).date()))
    return token


def register_anonymous_submission(submission: AnonymousSubmission) -> Case:
    """Turn a held anonymous idea into a case dated its day; its status link now shows the
    case. The caller commits (the scheduler's nightly batch, in random order)."""
    department = db.session.get(Department, submission.department_id)
    unit = (db.session.get(Unit, submission.unit_id)
            if submission.unit_id is not None else None)
    values = _validate_case_fields(submission.fields, creating=True, unit_required=False)
    stamp = datetime(submission.submitted_on.year, submission.submitted_on.month,
                     submission.submitted_on.day, tzinfo=timezone.utc)
    case = _register_anonymous(department, unit, values, stamp)
    db.session.add(StatusToken(token_hash=submission.token_hash, case=case))
    db.session.delete(submission)
    return case


def _register_anonymous(department: Department, unit: Unit | None, values: Mapping[str, Any],
                        stamp: datetime) -> Case:
    """A case without author sent straight to the management, every time kept to the day;
    it names the förvaltning and, only if the sender chose one, a unit."""
    process = current_process()
    case = Case(department=department, unit=unit, author=None, origin="direct_channel",
                state=process.initial, process_name=process.name, process_version=process.version,
                created_at=stamp, updated_at=stamp)
    _apply_fields(case, values)
    db.session.add(case)
    db.session.flush()
    similar.refresh_hints(case, new=True)
    _transition(case, features.SUBMIT_DIRECT, {AUTHOR}, {}, actor=None, now=stamp)
    return case


def _check_direct_submission(department: Department, unit: Unit | None,
                             values: Mapping[str, Any], stamp: datetime) -> None:
    """Refuse, as ``submit_direct`` would, an idea the management channel cannot take, on a
    case that is never added to the session (no row, no id used up)."""
    process = current_process()
    probe = Case(department_id=department.id, unit_id=unit.id if unit is not None else None,
                 origin="direct_channel", state=process.initial,
                 process_name=process.name, process_version=process.version)
    set_committed_value(probe, "department", department)
    set_committed_value(probe, "unit", unit)
    _apply_fields(probe, values)
    try:
        event = features.SUBMIT_DIRECT
        facts = _facts(probe, process.event(event), process.parse_values(event, {}), stamp)
        _check_with_diarienummer(process, probe, event, {AUTHOR}, facts)
        process.next_state(probe.state, event)
    except InvalidFields as exc:
        raise ValidationFailed(exc.errors) from None
    except Refusal as refusal:
        raise _refusal_error(process, refusal) from None
    finally:
        if probe in db.session:
            db.session.expunge(probe)


def update_case(actor: User, case: Case, fields: Mapping[str, Any], *,
                expected_version: int | None = None, now: datetime | None = None) -> Case:
    """Edit the case's own fields; the change lands in the history with before and after.
    The diarienummer follows its own rule (:func:`can_set_diarienummer`)."""
    own = {name: value for name, value in fields.items() if name not in REGISTRY_FIELDS}
    registry = {name: fields[name] for name in REGISTRY_FIELDS if name in fields}
    if (own or not registry) and not access.can_edit(actor, case):
        raise PermissionDenied(message=N_("Du får inte ändra ärendet i dess nuvarande läge."))
    if registry and not can_set_diarienummer(actor, case):
        raise PermissionDenied(message=N_(
            "Bara nämndsekreteraren och förvaltningsledningen kan ange diarienumret, medan "
            "ärendet väntar på beslut i förvaltningsledningen eller nämnden."))
    unknown = set(own) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationFailed({name: N_("Fältet kan inte ändras.") for name in sorted(unknown)})
    values = _validate_case_fields(own, creating=False)
    if registry:
        values["diarienummer"] = checked_diarienummer(case, registry["diarienummer"])
    _check_version(case, expected_version)
    now = now or utcnow()
    with unit_of_work():
        before = _field_snapshot(case)
        _apply_fields(case, values)
        after = _field_snapshot(case)
        changes = {k: {"before": before[k], "after": after[k]}
                   for k in values if before[k] != after[k]}
        if changes:
            case.updated_at = now
            record(case, "edit", case.state, case.state, actor, now, data={"changes": changes})
        if {"title", "need"} & set(changes):
            similar.refresh_hints(case)  # the trigger of migration 0025 forgot the old ones
    return case


def can_set_diarienummer(user: User, case: Case) -> bool:
    """The registrar or the management set or correct the case's diarienummer while the
    decision is pending in the management or the nämnd (docs/decisions.md)."""
    return (case.state in REGISTRY_STATES
            and bool(access.roles_for(user, case) & REGISTRY_ROLES))


def diarienummer_rule(case: Case) -> tuple[str, str]:
    """The region's diarienummer pattern and example, or the defaults of
    config/settings.toml [decisions] (docs/decisions.md)."""
    region = case.department.region
    return (region.diarienummer_pattern or current_app.config["DIARIENUMMER_PATTERN"],
            region.diarienummer_example or current_app.config["DIARIENUMMER_EXAMPLE"])


def checked_diarienummer(case: Case, value: Any) -> str:
    """``value`` trimmed, if it is a diarienummer in the region's format; otherwise
    :class:`ValidationFailed` naming the example."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed({"diarienummer": (
            N_("Ange ärendets diarienummer (t.ex. %(example)s)."),
            {"example": diarienummer_rule(case)[1]})})
    number = value.strip()
    if len(number) > DIARIENUMMER_MAX:
        raise ValidationFailed({"diarienummer": N_("Diarienumret är för långt.")})
    failures = _diarienummer_failures(case, number)
    if failures:
        raise ValidationFailed({"diarienummer": [(f.message, f.params) for f in failures]})
    return number


def _diarienummer_failures(case: Case, number: str) -> list[Failure]:
    pattern, example = diarienummer_rule(case)
    return GUARDS["diarienummer_given"].check(Facts(
        values={"diarienummer": number}, diarienummer_pattern=pattern,
        diarienummer_example=example))


def add_comment(actor: User, case: Case, body: Any, now: datetime | None = None) -> Comment:
    if not isinstance(body, str) or not body.strip():
        raise ValidationFailed({"body": N_("Skriv en kommentar.")})
    if len(body) > TEXT_MAX:
        raise ValidationFailed({"body": N_("Texten är för lång.")})
    with unit_of_work():
        comment = Comment(case=case, author=actor, body=body.strip(), created_at=now or utcnow())
        db.session.add(comment)
    return comment


# ---------------------------------------------------------------- firing events

# Handlers that may take an event over before it fires, e.g. ``merge`` into a case the actor
# does not own becomes a proposal (cases/merging.py). Registered by workflow/cases/__init__.py,
# so that this module needs no import of the modules that build on it.
Interceptor = Callable[..., Any]
_INTERCEPTORS: dict[str, Interceptor] = {}


def intercept(event: str, handler: Interceptor) -> None:
    """Let ``handler(case, actor, data, now=, also=)`` see ``event`` before :func:`fire`
    fires it; when it returns anything but None it has dealt with the event, and nothing
    fires. An event fired with ``consent`` is not intercepted."""
    _INTERCEPTORS[event] = handler


def fire(case: Case, event: Any, actor: User, data: Mapping[str, Any] | None = None, *,
         expected_version: int | None = None, now: datetime | None = None,
         also: Callable[[], None] | None = None,
         consent: Mapping[str, Any] | None = None) -> Case:
    """Fire ``event`` on ``case`` as ``actor``: the only way a case changes state.

    Checks the event, the actor's roles in the case's scope, the state and every guard, then
    writes the new state and the history row in one transaction. A concurrent change to the
    case makes this call fail with :class:`Conflict` and write nothing. ``also`` runs inside
    the same transaction (e.g. a meeting's agenda item recording the decision).

    ``merge`` into a case that ``actor`` does not own only proposes the merge and changes
    no state (cases/merging.py); ``consent`` is how an accepted proposal fires it, and
    is recorded on both cases' history rows.
    """
    if not isinstance(event, str) or not event:
        raise ValidationFailed({"event": N_("Ange en händelse.")})
    if event not in process_of(case).definition.events:
        raise ValidationFailed({"event": N_("Händelsen finns inte i ärendets process.")})
    _check_version(case, expected_version)
    _load_unit(case)
    interceptor = _INTERCEPTORS.get(event)
    if interceptor is not None and consent is None:
        if interceptor(case, actor, data or {}, now=now or utcnow(), also=also) is not None:
            return case
    with unit_of_work():
        _transition(case, event, access.roles_for(actor, case), data or {}, actor,
                    now or utcnow(), consent=consent)
        if also is not None:
            also()
    return case


# A case's förvaltning with its region, and its unit (none joins when unit_id is NULL).
_PLACE = (select(Department, Unit)
          .outerjoin(Unit, Unit.id == bindparam("unit_id"))
          .where(Department.id == bindparam("department_id"))
          .options(joinedload(Department.region, innerjoin=True),
                   undefer(Department.has_active_webhooks)))


def _load_unit(case: Case) -> None:
    """The role check and the guards read the case's förvaltning (with its region) and unit:
    when the caller has not loaded them, read all three in one query, or by primary key when
    the identity map has the förvaltning already."""
    unloaded = inspect(case).unloaded
    if "department" in unloaded and db.session.identity_map.get(
            db.session.identity_key(Department, case.department_id)) is None:
        row = db.session.execute(_PLACE, {"department_id": case.department_id,
                                          "unit_id": case.unit_id}).first()
        if row is not None:
            set_committed_value(case, "department", row[0])
            if "unit" in unloaded:
                set_committed_value(case, "unit", row[1] if case.unit_id is not None else None)
            return
    if "department" in unloaded:
        set_committed_value(case, "department", db.session.get(Department, case.department_id))
    if "unit" in unloaded:
        set_committed_value(case, "unit", db.session.get(Unit, case.unit_id)
                            if case.unit_id is not None else None)


def checked_event(case: Case, event: str, actor: User, data: Mapping[str, Any],
                  now: datetime) -> dict[str, Any]:
    """The event's values if ``actor`` may fire it on ``case`` now (roles, state and every
    guard); otherwise the error :func:`fire` would raise. Changes nothing."""
    _load_unit(case)
    return _checked(case, event, access.roles_for(actor, case), data, actor, now)[0]


def _checked(case: Case, event: str, roles: set[str], data: Mapping[str, Any],
             actor: User | None, now: datetime
             ) -> tuple[dict[str, Any], Facts, str, dict[str, Any]]:
    """The event's values, the facts its guards saw, the next state, and the delegation
    facts read for them (empty unless the event checks ``within_delegation``)."""
    process = process_of(case)
    delegation_facts: dict[str, Any] = {}
    try:
        values = {name: clean_text(value) if isinstance(value, str) else value
                  for name, value in process.parse_values(event, data).items()}
        _check_planned_year(values.get("planned_year"))
        _check_event_values(values)
        facts = _facts(case, process.event(event), values, now, actor, delegation_facts)
        _check_with_diarienummer(process, case, event, roles, facts)
        new_state = process.next_state(case.state, event)
    except InvalidFields as exc:
        raise ValidationFailed(exc.errors) from None
    except Refusal as refusal:
        raise _refusal_error(process, refusal) from None
    return values, facts, new_state, delegation_facts


def _transition(case: Case, event: str, roles: set[str], data: Mapping[str, Any],
                actor: User | None, now: datetime,
                consent: Mapping[str, Any] | None = None) -> None:
    process = process_of(case)
    values, facts, new_state, delegation_facts = _checked(case, event, roles, data, actor, now)
    old_state = case.state
    moved: dict[str, Any] = {"state": new_state, "updated_at": now}
    for field_name, column in EVENT_FIELDS_ON_CASE.items():
        value = values.get(field_name)
        if value is not None:
            moved[column] = int(value) if isinstance(value, Decimal) else value
    data = _jsonable(values)
    if event in features.COMMITTEE_DECISION_EVENTS:  # the nämnd is the förvaltning's own
        data["committee"] = case.department.committee_name
        diarienummer = moved.get("diarienummer", case.diarienummer)
        if diarienummer:  # the decision names the registered case (docs/decisions.md)
            data.setdefault("diarienummer", diarienummer)
    if "within_delegation" in process.event(event).guards:
        # The decision names the delegation point it was taken under (docs/delegation.md).
        # The order version the guard checked (read with its points, not read again).
        data["delegation"] = delegation.record_of(
            delegation_rules.verdict_of(facts), delegation_facts["_order_version"],
            facts.prisbasbelopp_sek)
    if consent:  # an accepted merge proposal: who proposed and who accepted
        data["consent"] = dict(consent)
    # The people to notify of a new state are told with the history row
    # (notifications.transition_follow), or else by case_changed below.
    entry, notified = record_transition(
        case, moved, event, old_state, actor, now,
        comment=_main_text(process.event(event), values), data=data,
        follow=lambda entry, dialect: notifications.transition_follow(case, entry, now,
                                                                       dialect))
    if case.merged_into is not None and event == features.MERGE:
        # The other case's history shows what joined it, so the link runs both ways.
        record(case.merged_into, "merged_in", case.merged_into.state, case.merged_into.state,
               actor, now, comment=entry.comment,
               data={"case": case.id, "title": case.title,
                     **({"consent": dict(consent)} if consent else {})})
    db.session.flush()
    if not notified:
        notifications.case_changed(case, entry, now)


def _check_with_diarienummer(process: Process, case: Case, event: str, roles: set[str],
                             facts: Facts) -> None:
    """The process's own check, and a diarienummer given with an event whose guards do not
    check it (escalate) must also follow the region's format (docs/decisions.md)."""
    number = facts.values.get("diarienummer")
    extra = (_diarienummer_failures(case, number) if number
             and "diarienummer_given" not in process.event(event).guards else [])
    try:
        process.check(case.state, event, roles, facts)
    except Refusal as refusal:
        if refusal.kind == "guard":
            refusal.failures.extend(extra)
        raise
    if extra:
        raise Refusal("guard", extra)


def _check_planned_year(year: Decimal | None) -> None:
    if year is not None and (year != int(year) or int(year) not in PLANNED_YEARS):
        raise ValidationFailed({"planned_year": N_("Ange ett årtal, t.ex. 2028.")})


def _check_event_values(values: dict[str, Any]) -> None:
    """Event fields that become columns of the case: whole kronor, a trimmed diarienummer."""
    cost = values.get("actual_cost_sek")
    if cost is not None and (cost != int(cost) or not 0 <= cost <= MAX_COST_SEK):
        raise ValidationFailed({"actual_cost_sek": N_("Ange ett belopp i hela kronor.")})
    if "diarienummer" in values:
        number = str(values["diarienummer"] or "").strip()
        if len(number) > 60:
            raise ValidationFailed({"diarienummer": N_("Diarienumret är för långt.")})
        if number:
            values["diarienummer"] = number
        else:
            del values["diarienummer"]


def _refusal_error(process: Process, refusal: Refusal) -> ServiceError:
    errors = {"role": PermissionDenied, "state": InvalidState, "guard": GuardFailed,
              "event": InvalidState}
    return errors[refusal.kind]([_with_labels(process, f) for f in refusal.failures])


def _with_labels(process: Process, failure: Failure) -> Failure:
    """Show events and states by their labels in the user's language, not their identifiers."""
    params = dict(failure.params)
    events, states = process.definition.events, process.definition.states
    if params.get("event") in events:
        params["event"] = localized(events[params["event"]].label)
    if params.get("state") in states:
        params["state"] = localized(states[params["state"]].label)
    return Failure(failure.code, failure.message, params)


def _facts(case: Case, event: EventSpec, values: Mapping[str, Any], now: datetime,
           actor: User | None = None, delegation_facts: dict[str, Any] | None = None) -> Facts:
    """What the event's guards check. ``delegation_facts``, if given, receives the
    delegation order's facts read for ``within_delegation``."""
    department = case.department
    today = local_day(now)
    dossier_view, unreported = None, 0
    if delegation_facts is None:
        delegation_facts = {}
    needs_dossier = bool({"dossier_complete", "within_delegation"} & set(event.guards))
    if "within_delegation" in event.guards:  # with the dossier, if the case has not read it
        delegation_facts.update(delegation.facts_for(
            department, today, dossier_of=case if needs_dossier else None))
    if needs_dossier:
        dossier_view = dossier.view(case, today, delegation_facts.get("_same_kind_direct"))
    if "benefits_followed_up" in event.guards:
        unreported = follow_up.unreported_count(case)
    limit = department.delegation_limit_sek
    if limit is None:
        limit = current_app.config["DEFAULT_DELEGATION_LIMIT_SEK"]
    region = department.region
    return Facts(
        case_id=case.id, title=case.title, need=case.need, effect=case.effect,
        # An anonymous idea may name only its förvaltning (docs/threat-model.md).
        unit_given=case.unit_id is not None or case.origin == "direct_channel",
        origin=case.origin,
        cost_estimate_sek=case.cost_estimate_sek, direction_given=case.direction is not None,
        delegation_limit_sek=limit, values=values,
        target=_target_ref(case, values.get("target_case"), actor),
        unreported_checkpoints=unreported,
        total_cost_sek=dossier_view.total_cost_sek if dossier_view else None,
        dossier_failures=tuple(dossier_view.failures) if dossier_view else None,
        today=today,
        diarienummer=case.diarienummer,
        diarienummer_pattern=(region.diarienummer_pattern
                              or current_app.config["DIARIENUMMER_PATTERN"]),
        diarienummer_example=(region.diarienummer_example
                              or current_app.config["DIARIENUMMER_EXAMPLE"]),
        memo_proposal_given=bool(case.memo is not None and case.memo.proposal.strip())
        if "memo_proposal_given" in event.guards else False,
        actual_cost_sek=case.actual_cost_sek,
        delegation_points=delegation_facts.get("delegation_points"),
        prisbasbelopp_sek=delegation_facts.get("prisbasbelopp_sek"),
        contract_value_sek=dossier_view.contract_value_sek if dossier_view else None,
        has_dossier=bool(dossier_view and dossier_view.exists),
        personal_data_level=dossier_view.personal_data_level if dossier_view else None,
    )


def _target_ref(case: Case, target_id: int | None, actor: User | None) -> CaseRef | None:
    """The merge target as the guard may know it: whether it is final, and whether it lies
    within the actor's reach (visible to the actor, the same förvaltning, no draft)."""
    target_id = as_id(target_id)  # an id beyond the column's range names no case
    target = (db.session.get(Case, target_id, options=CASE_LOADS)
              if target_id is not None else None)
    if target is None:
        return None
    process = process_of(target)
    mergeable = (actor is not None and access.can_view(actor, target)
                 and target.department_id == case.department_id
                 and target.state != process.definition.initial)
    return CaseRef(id=target.id, final=process.state(target.state).final, mergeable=mergeable)


def _main_text(event: EventSpec, values: Mapping[str, Any]) -> str | None:
    texts = [values[f.name] for f in event.fields if f.type == "text" and values.get(f.name)]
    return values.get("comment") or (texts[0] if texts else None)


def _jsonable(values: Mapping[str, Any]) -> dict[str, Any]:
    def convert(value: Any) -> Any:
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, Decimal):
            return int(value) if value == value.to_integral_value() else str(value)
        return value
    return {k: convert(v) for k, v in values.items() if v is not None}


def _check_version(case: Case, expected_version: Any) -> None:
    if expected_version is None:
        return
    if as_id(expected_version) is None:
        raise ValidationFailed({"version": N_("Ange ärendets version som ett heltal.")})
    if int(expected_version) != case.version:
        raise Conflict()


# ---------------------------------------------------------------- validation

def _validate_case_fields(fields: Mapping[str, Any], creating: bool,
                          unit_required: bool = True) -> dict[str, Any]:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name in EDITABLE_FIELDS:
        if name not in fields:
            continue
        try:
            values[name] = _CHECKS[name](fields[name])
        except ValueError as exc:
            errors[name] = str(exc)
    if creating and not values.get("title") and "title" not in errors:
        errors["title"] = N_("Ge idén en rubrik.")
    if creating and unit_required and as_id(fields.get("unit_id")) is None:
        errors["unit_id"] = N_("Välj en enhet.")
    if errors:
        raise ValidationFailed(errors)
    return values


def _text(max_length: int, required: bool = False, multiline: bool = True):
    def check(value: Any) -> str:
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise ValueError(N_("Ange en text."))
        value = clean_text(value, multiline).strip()  # no control characters (exports, NUL)
        if required and not value:
            raise ValueError(N_("Fältet får inte vara tomt."))
        if len(value) > max_length:
            raise ValueError(N_("Texten är för lång."))
        return value
    return check


def _whole_kronor(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(N_("Ange ett belopp i hela kronor."))
    if value < 0:
        raise ValueError(N_("Beloppet kan inte vara negativt."))
    if value > MAX_COST_SEK:
        raise ValueError(N_("Beloppet är orimligt stort."))
    return value


def _direction(value: Any) -> dict[str, str] | None:
    if value is None:
        return None
    if (not isinstance(value, Mapping) or set(value) != {"focus", "reach"}
            or not all(isinstance(value[key], str) for key in ("focus", "reach"))
            or value["focus"] not in DIRECTION_FOCUS or value["reach"] not in DIRECTION_REACH):
        raise ValueError(N_("Ange inriktning som focus (efficiency/innovation) och reach "
                            "(internal/external)."))
    return {"focus": value["focus"], "reach": value["reach"]}


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(N_("Ange ett datum som ÅÅÅÅ-MM-DD."))


_CHECKS = {
    "planned_go_live": _date,
    "actual_cost_sek": _whole_kronor,
    "title": _text(TITLE_MAX, required=True, multiline=False),
    "need": _text(TEXT_MAX),
    "effect": _text(TEXT_MAX),
    "cost_estimate_sek": _whole_kronor,
    "direction": _direction,
}


def _apply_fields(case: Case, values: Mapping[str, Any]) -> None:
    for name, value in values.items():
        if name == "direction":
            case.direction_focus = value["focus"] if value else None
            case.direction_reach = value["reach"] if value else None
        else:
            setattr(case, name, value)


def _field_snapshot(case: Case) -> dict[str, Any]:
    snapshot = {name: getattr(case, name) for name in (*EDITABLE_FIELDS, *REGISTRY_FIELDS)}
    if snapshot["planned_go_live"] is not None:  # history data is JSON
        snapshot["planned_go_live"] = snapshot["planned_go_live"].isoformat()
    return snapshot


def _unit_in_region(actor: User, unit_id: Any) -> Unit:
    unit = db.session.get(Unit, key) if (key := as_id(unit_id)) else None
    if unit is None or unit.department.region_id != actor.region_id:
        raise ValidationFailed({"unit_id": N_("Välj en enhet som finns.")})
    if unit.is_closed:
        raise ValidationFailed({"unit_id": N_("Enheten är stängd. Välj en annan enhet.")})
    return unit


def _anonymous_place(actor: User, fields: Mapping[str, Any]) -> tuple[Department, Unit | None]:
    """Where an anonymous idea belongs: the förvaltning, or a unit the sender actively chose
    (docs/threat-model.md). A unit given decides the förvaltning; one given with another
    förvaltning is refused rather than guessed."""
    unit_id, department_id = fields.get("unit_id"), fields.get("department_id")
    if unit_id not in (None, ""):
        unit = _unit_in_region(actor, unit_id)
        if department_id not in (None, "") and as_id(department_id) != unit.department_id:
            raise ValidationFailed({"unit_id": N_("Enheten hör inte till den förvaltning du "
                                                  "valde.")})
        return unit.department, unit
    department = (db.session.get(Department, key)
                  if (key := as_id(department_id)) else None)
    if department is None or department.region_id != actor.region_id:
        raise ValidationFailed({"department_id": N_("Välj vilken förvaltning idén gäller.")})
    if department.is_closed:
        raise ValidationFailed({"department_id": N_("Förvaltningen är stängd. Välj en annan.")})
    return department, None


def _validate_origin(actor: User, unit: Unit | None, origin: Any, anonymous: bool) -> str:
    if anonymous:
        if origin not in (None, "direct_channel"):
            raise ValidationFailed({"origin": N_("En anonym idé kommer alltid via direktkanalen.")})
        return "direct_channel"
    origin = origin or "staff_idea"
    if origin not in ORIGINS or origin == "direct_channel":
        raise ValidationFailed({"origin": N_("Välj ett av ursprungen.")})
    if origin not in STAFF_ORIGINS and not access.has_role_for_unit(actor, unit, LEADING_ROLES):
        raise ValidationFailed({"origin": N_("Bara verksamhetsutvecklare, ledning och "
                                             "nämndsekreterare kan registrera detta ursprung.")})
    return origin



def _day_of(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
