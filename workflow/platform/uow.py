"""One unit of work: a service call's changes, its history rows and its notifications are
committed together, or nothing is.

``with unit_of_work():`` commits on success and rolls back on any error; a lost race on a
versioned row (``StaleDataError``) becomes :class:`~workflow.platform.errors.Conflict`.

Units compose: a ``with unit_of_work():`` inside another one joins it, and only the outermost
one commits. An error inside a nested unit rolls the whole unit back once it reaches the
outermost one; if the outer code catches it and carries on, the outermost unit still rolls
back and raises :class:`PartialWork`, so that half a change is never committed.

What a unit writes besides the caller's own rows:

- history rows (:func:`record`) go into the session at once, because they must be there
  for what follows within the unit: the hash chain (workflow/platform/audit.py) links them at
  the flush, a notification's key names the row's id, and a row that sits in
  ``Case.history`` but not in the session makes every autoflush warn. The unit keeps the list
  of rows it wrote (:attr:`Work.history`).
- notifications (:func:`workflow.notifications.service.notify`) are collected, and inserted
  in one batch just before the commit (one statement instead of one per recipient; the
  objects ``notify`` returned are not added to the session and get no id). A notification
  whose unique key another process wrote meanwhile is skipped (ON CONFLICT DO NOTHING).
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache, wraps
from typing import Any, Callable, Iterator, ParamSpec, TypeVar
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import bindparam, insert, inspect, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from workflow.models import Case, CaseEvent, Notification, User
from workflow.platform import audit
from workflow.platform.errors import Conflict
from workflow.platform.extensions import db

# Where the session keeps its running unit of work (scoped sessions: one per app context).
WORK_KEY = "workflow.platform.uow"
P = ParamSpec("P")
R = TypeVar("R")


class PartialWork(RuntimeError):
    """An error inside a nested unit of work was caught, and the outer unit tried to commit
    anyway. Everything was rolled back: a programming error, not a user's."""


@dataclass
class Work:
    """What the running unit of work has collected."""

    history: list[CaseEvent] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)  # of the collected notifications
    failed: bool = False  # a nested unit ended with an error

    def add_notification(self, notification: Notification) -> Notification | None:
        """Keep ``notification`` for the commit; None if this unit already has its key."""
        if notification.key in self.keys:
            return None
        self.keys.add(notification.key)
        self.notifications.append(notification)
        return notification

    def write(self) -> None:
        """Insert the collected notifications in one statement (executemany: no RETURNING
        of each row's id, which would make the ORM insert them one by one). A key another
        process wrote since it was checked is skipped: the INSERT does nothing for it (ON
        CONFLICT DO NOTHING), so no savepoint is needed."""
        pending, self.notifications, self.keys = self.notifications, [], set()
        if not pending:
            return
        db.session.flush()  # cases and people created in this unit get their ids
        rows = [_row(notification) for notification in pending]
        connection = db.session.connection()
        statement = _notification_insert(connection.dialect.name)
        if statement is not None:
            # Core, not the ORM's bulk INSERT: the rows are plain values (issue 14: the ORM's
            # path cost five times the statement). Rows that set the same columns go together.
            groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
            for row in rows:
                groups.setdefault(tuple(sorted(row)), []).append(row)
            for group in groups.values():
                connection.execute(statement, group)
            return
        try:  # a database without ON CONFLICT: a savepoint, and each on its own if one fails
            with db.session.begin_nested():
                db.session.execute(insert(Notification), rows)
        except IntegrityError:
            for row in rows:
                try:
                    with db.session.begin_nested():
                        db.session.execute(insert(Notification), [row])
                except IntegrityError:  # another process created it a moment ago
                    continue


def insert_ignoring_conflicts(model: type, dialect: str, index_elements: list | None = None
                              ) -> Any:
    """INSERT INTO … ON CONFLICT [(index_elements)] DO NOTHING where the database has it
    (PostgreSQL, SQLite); None for another database. A row whose key another process wrote
    meanwhile is skipped, so no savepoint is needed."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    else:
        return None
    return dialect_insert(model).on_conflict_do_nothing(index_elements=index_elements)


@lru_cache(maxsize=None)
def _notification_insert(dialect: str) -> Any:
    return insert_ignoring_conflicts(Notification.__table__, dialect,
                                     index_elements=[Notification.__table__.c.key])


def _row(notification: Notification) -> dict[str, Any]:
    """The notification's column values as set (unset ones take their defaults)."""
    state = inspect(notification)
    row = {attr.key: state.dict[attr.key] for attr in state.mapper.column_attrs
           if attr.key in state.dict}
    if notification.user is not None:
        row["user_id"] = notification.user.id
    if notification.case is not None:
        row["case_id"] = notification.case.id
    return row


def current() -> Work | None:
    """The running unit of work of this session, if any."""
    return db.session.info.get(WORK_KEY)


@contextmanager
def unit_of_work() -> Iterator[Work]:
    """Commit on success; roll back on any error, turning a lost race into :class:`Conflict`.
    Inside another unit of work, join it (see the module's description)."""
    info = db.session.info
    outer = info.get(WORK_KEY)
    if outer is not None:
        history, notifications = len(outer.history), len(outer.notifications)
        try:
            yield outer
        except BaseException:
            outer.failed = True
            for dropped in outer.notifications[notifications:]:
                outer.keys.discard(dropped.key)
            del outer.history[history:], outer.notifications[notifications:]
            raise
        return
    work = info[WORK_KEY] = Work()
    try:
        yield work
        if work.failed:
            raise PartialWork("a nested unit of work failed; nothing was committed")
        work.write()
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise Conflict() from None
    except BaseException:
        db.session.rollback()
        raise
    finally:
        info.pop(WORK_KEY, None)


def in_unit_of_work(function: Callable[P, R]) -> Callable[P, R]:
    """Run each call of ``function`` in one unit of work (e.g. a scheduler job)."""
    @wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with unit_of_work():
            return function(*args, **kwargs)
    return wrapper


def record(case: Case, event: str, from_state: str | None, to_state: str, actor: User | None,
           now: datetime, comment: str | None = None, data: dict | None = None) -> CaseEvent:
    """Add a row to the case's history (its hash is set when it is inserted)."""
    entry = CaseEvent(case=case, event=event, from_state=from_state, to_state=to_state,
                      actor=actor, at=now, comment=comment, data=data or {})
    db.session.add(entry)
    return _recorded(entry)


def _recorded(entry: CaseEvent) -> CaseEvent:
    work = current()
    if work is not None:
        work.history.append(entry)
    for listener in RECORD_LISTENERS:
        listener(entry)
    return entry


_CASES = Case.__table__


@lru_cache(maxsize=64)
def _move(columns: tuple[str, ...]) -> Any:
    """The UPDATE of a case's ``columns`` (and its version), if no one has changed it since
    it was read: one statement for each set of columns an event writes, built once."""
    return (update(_CASES)
            .where(_CASES.c.id == bindparam("case_id"),
                   _CASES.c.version == bindparam("read_version"))
            .values({**{name: bindparam(f"new_{name}") for name in columns},
                     "version": _CASES.c.version + 1}))


def record_transition(case: Case, values: dict[str, Any], event: str, from_state: str | None,
                      actor: User | None, now: datetime, comment: str | None = None,
                      data: dict | None = None,
                      follow: Callable[[CaseEvent, str], audit.Follow | None] | None = None
                      ) -> tuple[CaseEvent, bool]:
    """Write a transition of ``case``: its new column ``values`` (with ``state``) by one UPDATE
    that also checks and counts up its version, and its history row by one INSERT linked into
    its hash chain (platform/audit.py ``append``). What :func:`record` and the ORM's flush
    would do, without the flush's bookkeeping (issue 14: firing an event spent more time in
    the flush than in the database). The case object carries the new values as if loaded; a
    case changed since it was read raises :class:`Conflict`. ``follow(entry, dialect)``: what
    else to write with the row (``audit.Follow``, e.g. the notifications; None: nothing),
    written with it, in the same statement on PostgreSQL. Returns the history row, and
    whether the follow was written (if not, the caller writes it)."""
    session = db.session
    session.flush()  # what the unit changed before is written first
    connection = session.connection()
    version = case.version
    entry = CaseEvent(case_id=case.id, event=event, from_state=from_state,
                      to_state=values["state"], actor_id=actor.id if actor else None, at=now,
                      comment=comment, data=data or {})
    appended = audit.append(
        connection, entry,
        (_move(tuple(values)), {"case_id": case.id, "read_version": version,
                                **{f"new_{name}": value for name, value in values.items()}}),
        follow(entry, connection.dialect.name) if follow is not None else None)
    if appended is None:
        raise Conflict()
    for key, value in values.items():
        set_committed_value(case, key, value)
    set_committed_value(case, "version", version + 1)
    if "merged_into_id" in values:  # the relationship follows its new foreign key
        session.expire(case, ["merged_into"])
    entry.id = appended.id
    make_transient_to_detached(entry)
    session.add(entry)  # persistent, as if loaded: nothing for the flush to do
    set_committed_value(entry, "case", case)
    set_committed_value(entry, "actor", actor)
    loaded = case.__dict__.get("history")  # the collection, if this session has read it
    if loaded is not None:
        set_committed_value(case, "history", [*loaded, entry])
    return _recorded(entry), appended.followed


# Called with each history row :func:`record` adds, before it returns: what a listener writes
# joins the same transaction, so a rolled-back event leaves none of it (e.g. the webhooks'
# deliveries, workflow/webhooks/service.py). Registered with :func:`on_record`.
RECORD_LISTENERS: list[Callable[[CaseEvent], None]] = []


def on_record(listener: Callable[[CaseEvent], None]) -> Callable[[CaseEvent], None]:
    """Call ``listener`` with every history row from now on (once, however often added)."""
    if listener not in RECORD_LISTENERS:
        RECORD_LISTENERS.append(listener)
    return listener


def local_day(moment: datetime) -> date:
    """The calendar day of ``moment`` in the organisation's time zone (how history rows and
    decisions are dated)."""
    zone = current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Europe/Stockholm"
    return moment.astimezone(ZoneInfo(zone)).date()
