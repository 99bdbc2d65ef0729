"""The case history's hash chain.

Every ``case_history`` row carries ``prev_hash``, the ``hash`` of the previous row of the same
case (64 zeros for a case's first row), and its own ``hash``: SHA-256 over ``prev_hash`` and
the canonical JSON of the row's content. The database already refuses to update or delete
history rows (triggers); the chain shows it when someone with direct database access got past
that anyway: a changed row no longer matches its hash, a deleted or inserted row breaks the
link of the row after it. ``flask --app workflow audit-verify`` walks every chain.

The row's content is made canonical in exactly one place, :func:`canonical_content`, and
hashed by :func:`link` for every CaseEvent the ORM inserts (:func:`_link_into_chain`, a mapper
listener the app factory installs, :func:`install`), so no writer can forget it. The row of a
transition, which cases/service.py writes with an UPDATE and an INSERT … SELECT of its own
instead of the ORM's flush (:func:`append`, issue 14), is hashed by that INSERT: on SQLite by
:func:`chain_hash` itself (an SQL function, platform/sqlite_functions.py), on PostgreSQL by
its ``sha256`` over the same bytes (the newest hash, then the canonical content made here;
tests/test_audit_chain.py checks the two agree, Swedish letters and emoji included). Any
other INSERT that bypasses the ORM fails on the NOT NULL columns.
Rows refer to their actor by id only, so erasing a person's data (workflow/ops/gdpr.py)
leaves every chain intact.

What the chain cannot show on its own: the removal of a case's newest rows, or a chain
recomputed from scratch by someone who also rewrites every later hash. Comparing the
audit-verify output or a case's newest hash with an earlier copy (a backup) covers that.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, Callable, Iterable

from sqlalchemy import (
    Integer,
    String,
    Text,
    bindparam,
    event,
    func,
    insert,
    literal_column,
    select,
    true,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapper, Session, object_session
from sqlalchemy.sql.expression import FromClause

from workflow.models import Case, CaseEvent, utcnow
from workflow.platform.sqlite_functions import sqlite_function

GENESIS = "0" * 64
# Per flush: the newest hash of each case whose rows this flush inserts, so that several
# rows of one case in one flush chain in insertion (= id) order.
_TAILS_KEY = "workflow.platform.audit.tails"
# Per flush: the cases whose row this flush has already UPDATEd. That UPDATE holds the lock
# :func:`_lock_case` would take (the row's lock in PostgreSQL, the database's write lock in
# SQLite) until the transaction ends, so their new history rows need no second lock. The
# ORM writes a case before the history rows that refer to it.
_UPDATED_KEY = "workflow.platform.audit.updated"


def canonical_content(*, case_id: int, event: str, from_state: str | None, to_state: str,
                      actor_id: int | None, at: datetime, comment: str | None,
                      data: Any) -> str:
    """The row's content as canonical JSON: sorted keys, no spaces, UTF-8 text, the time as
    ISO 8601 in UTC with microseconds (what both databases store)."""
    return json.dumps({
        "case_id": case_id, "event": event, "from_state": from_state, "to_state": to_state,
        "actor_id": actor_id, "at": iso_utc(at), "comment": comment,
        "data": data if data is not None else {},
    }, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(prev_hash: str, content: str) -> str:
    return hashlib.sha256((prev_hash + content).encode("utf-8")).hexdigest()


def iso_utc(moment: datetime) -> str:
    """SQLite hands datetimes back naive (they are stored in UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def row_hash(prev_hash: str, row: Any) -> str:
    """The hash of ``row`` (a CaseEvent or any object with its columns as attributes)."""
    return chain_hash(prev_hash, canonical_content(
        case_id=row.case_id, event=row.event, from_state=row.from_state, to_state=row.to_state,
        actor_id=row.actor_id, at=row.at, comment=row.comment, data=row.data))


# ---------------------------------------------------------------- writing

def install() -> None:
    """Link every CaseEvent the ORM inserts into its case's chain (called by the app factory;
    calling it again changes nothing)."""
    for target, name, listener in ((Session, "before_flush", _start_flush),
                                   (Case, "before_update", _case_to_update),
                                   (Case, "after_update", _case_updated),
                                   (CaseEvent, "before_insert", _link_into_chain)):
        if not event.contains(target, name, listener):
            event.listen(target, name, listener)


def _start_flush(session: Session, flush_context: Any, instances: Any) -> None:
    session.info[_TAILS_KEY] = {}
    session.info[_UPDATED_KEY] = {}


def _case_to_update(mapper: Mapper, connection: Connection, target: Case) -> None:
    """Note whether the flush will UPDATE the case's row (the ORM emits no UPDATE for a case
    without net changes, although it calls the update listeners for it)."""
    session = object_session(target)
    if session is not None:
        updated = session.info.setdefault(_UPDATED_KEY, {})
        updated[target.id] = session.is_modified(target, include_collections=False)


def _case_updated(mapper: Mapper, connection: Connection, target: Case) -> None:
    """The case's UPDATE has run (a lost race would have raised): its row is locked."""
    session = object_session(target)
    updated = session.info.get(_UPDATED_KEY) if session is not None else None
    if updated is not None and updated.get(target.id) is True:
        updated[target.id] = "locked"


def _link_into_chain(mapper: Mapper, connection: Connection, target: CaseEvent) -> None:
    """Set ``prev_hash`` and ``hash`` just before the row is inserted, when its foreign keys
    (case, actor) are known."""
    if target.at is None:  # the column default would only apply in the INSERT itself
        target.at = utcnow()
    if target.data is None:
        target.data = {}
    if target.actor is not None and target.actor_id is None:
        target.actor_id = target.actor.id
    session = object_session(target)
    tails: dict[int, str] = session.info.setdefault(_TAILS_KEY, {}) if session else {}
    prev_hash = tails.get(target.case_id)
    if prev_hash is None:
        updated = session.info.get(_UPDATED_KEY, {}) if session else {}
        prev_hash = _stored_tail(connection, target.case_id,
                                 locked=updated.get(target.case_id) == "locked")
    tails[target.case_id] = link(target, prev_hash)


def link(entry: CaseEvent, prev_hash: str) -> str:
    """Link ``entry`` after the row whose hash is ``prev_hash``: set and return its hash."""
    entry.prev_hash = prev_hash
    entry.hash = row_hash(prev_hash, entry)
    return entry.hash


_HISTORY = CaseEvent.__table__
_CASES = Case.__table__
_CASE_COLUMNS = frozenset(column.key for column in _CASES.columns)
_APPEND = insert(_HISTORY).returning(_HISTORY.c.id)
_APPENDED = tuple(column.key for column in _HISTORY.columns if column.key != "id")
_CONTENT = ("case_id", "event", "from_state", "to_state", "actor_id", "at", "comment", "data")


@dataclass(frozen=True)
class Follow:
    """What else a transition writes, as an INSERT … SELECT in the same round as its history
    row (e.g. its notifications, notifications/service.py): ``build(appended)`` makes it
    from a FROM clause with the new row's ``appended_id``; built once per ``build`` (keep
    it a module-level object). ``params`` are its values; one named as another part of the
    statement's must have the same value."""
    build: Callable[[FromClause], Any]
    params: dict[str, Any]


@dataclass(frozen=True)
class Appended:
    id: int
    followed: bool  # the Follow was written with the row


def append(connection: Connection, entry: CaseEvent, move: tuple[Any, dict[str, Any]],
           follow: Follow | None = None) -> Appended | None:
    """Write a transition: ``move`` (the case's UPDATE, which checks its version, and its
    parameters), then ``entry`` (not in any session; its ``case_id``, ``at`` and ``data``
    set) as the newest row of its case, and ``follow``. None, with nothing written, when the
    UPDATE found the case changed since it was read. The caller has flushed the session, so
    no row of the case is pending.

    The row is written by INSERT … SELECT that reads the newest hash itself and hashes
    ``prev_hash`` followed by the row's canonical content (made here, by
    :func:`canonical_content`) in the database: PostgreSQL's ``sha256``, the digest of
    :func:`chain_hash` (tests/test_audit_chain.py checks that they agree), or on SQLite
    :func:`chain_hash` itself (platform/sqlite_functions.py).

    On PostgreSQL all of it is one statement (issue 14): WITH moved AS (the UPDATE),
    appended AS (the INSERT), followed AS (``follow``). One statement has one snapshot,
    taken before the UPDATE waited for the case's lock: a row another transaction appended
    meanwhile would not be seen. Such a writer counts up the case's ``history_seq``
    (:func:`_lock_case`), so the INSERT runs only when the count the UPDATE met is the one
    the snapshot saw; otherwise the row is appended by two steps, the SELECT of the newest
    hash and the INSERT, with the lock held (``followed`` is False: the caller writes what
    ``follow`` would have). SQLite: the UPDATE (which takes the database's write lock), the
    INSERT, ``follow``."""
    statement, params = move
    content = {key: getattr(entry, key) for key in _CONTENT}
    values = {**content, "genesis": GENESIS, "content": canonical_content(**content)}
    dialect = connection.dialect.name
    for more in (params, follow.params if follow is not None else {}):
        if any(values[key] != more[key] for key in values.keys() & more.keys()):
            raise ValueError("a parameter of the transition's statement has two values")
        values.update(more)
    if dialect == "postgresql":
        if _CASE_COLUMNS & values.keys():  # SQLAlchemy would add them to the UPDATE's SET
            raise ValueError(f"parameters named as columns of cases: "
                             f"{sorted(_CASE_COLUMNS & values.keys())}")
        row = connection.execute(
            _transition_statement(statement, follow.build if follow else None), values).one()
        if not row.moved:
            return None
        if row.appended_id is not None:
            entry.prev_hash, entry.hash = row.appended_prev_hash, row.appended_hash
            return Appended(row.appended_id, follow is not None)
    elif connection.execute(statement, params).rowcount != 1:
        return None
    elif dialect == "sqlite":
        row = connection.execute(_sqlite_append(), values).one()
        entry.prev_hash, entry.hash = row.appended_prev_hash, row.appended_hash
        if follow is not None:  # with the row's parameters, as in PostgreSQL's statement
            connection.execute(_following(follow.build),
                               {**values, "appended_id": row.appended_id})
        return Appended(row.appended_id, follow is not None)
    link(entry, _stored_tail(connection, entry.case_id, locked=True))
    row = {key: getattr(entry, key) for key in _APPENDED}
    return Appended(connection.execute(_APPEND, row).scalar_one(), False)


def _linked_insert(digest: Callable[[Any, Any], Any], select_from: Any = None,
                   where: Any = None) -> Any:
    """INSERT INTO case_history (…, prev_hash, hash) SELECT …, tail, digest(tail, :content)
    FROM [select_from,] (the newest hash, or the genesis) AS tail [WHERE where] RETURNING
    id, prev_hash, hash (as appended_id, appended_prev_hash, appended_hash)."""
    columns = _HISTORY.c
    tail = select(func.coalesce(_TAIL.scalar_subquery(), bindparam("genesis", type_=String))
                  .label("prev")).subquery("tail")
    values = [bindparam(key, type_=columns[key].type) for key in _CONTENT]
    rows = select(*values, tail.c.prev, digest(tail.c.prev, bindparam("content", type_=Text)))
    rows = rows.select_from(select_from.join(tail, true()) if select_from is not None else tail)
    if where is not None:
        rows = rows.where(where)
    return (insert(_HISTORY)
            .from_select([*_CONTENT, "prev_hash", "hash"], rows)
            .returning(columns.id.label("appended_id"),
                       columns.prev_hash.label("appended_prev_hash"),
                       columns.hash.label("appended_hash")))


def _sha256_hex(prev: Any, content: Any) -> Any:
    """PostgreSQL's digest of :func:`chain_hash` (sha256 since version 11)."""
    return func.encode(func.sha256(func.convert_to(prev.concat(content),
                                                   literal_column("'UTF8'"))),
                       literal_column("'hex'"))


@sqlite_function("workflow_chain_hash", 2)
def _sqlite_chain_hash(prev: str, content: str) -> str:
    return chain_hash(prev, content)


@lru_cache(maxsize=1)
def _sqlite_append() -> Any:
    return _linked_insert(lambda prev, content: func.workflow_chain_hash(prev, content))


@lru_cache(maxsize=16)
def _following(build: Callable[[FromClause], Any]) -> Any:
    """``build`` from the new row's id, given as the parameter ``appended_id``."""
    return build(select(bindparam("appended_id", type_=Integer).label("appended_id"))
                 .subquery("appended"))


@lru_cache(maxsize=64)
def _transition_statement(move: Any, follow: Callable[[FromClause], Any] | None) -> Any:
    """WITH moved AS (``move`` RETURNING history_seq), appended AS (the INSERT of
    :func:`_linked_insert` FROM moved, WHERE moved's history_seq is the snapshot's)[,
    followed AS (``follow(appended)``)] SELECT the rows moved, the new row (NULLs when
    none)[, the rows followed]."""
    moved = move.returning(_CASES.c.history_seq.label("seq")).cte("moved")
    seen = (select(_CASES.c.history_seq).where(_CASES.c.id == bindparam("case_id"))
            .correlate(None).scalar_subquery())
    appended = _linked_insert(_sha256_hex, moved, moved.c.seq == seen).cte("appended")
    parts = [select(func.count()).select_from(moved).scalar_subquery().label("moved"),
             appended.c.appended_id, appended.c.appended_prev_hash, appended.c.appended_hash]
    if follow is not None:
        followed = follow(appended).cte("followed")
        parts.append(select(func.count()).select_from(followed).scalar_subquery()
                     .label("followed"))
    one = select(literal_column("1").label("one")).subquery("one")
    return select(*parts).select_from(one.outerjoin(appended, true()))


def _stored_tail(connection: Connection, case_id: int, locked: bool = False) -> str:
    """The hash of the case's newest stored row, read after locking the case so that two
    transactions cannot both append to the same tail (which would fork the chain). ``locked``:
    this flush has UPDATEd the case's row already, which holds the same lock."""
    if not locked:
        _lock_case(connection, case_id)
    tail = connection.execute(_TAIL, {"case_id": case_id}).scalar()
    return tail or GENESIS


# The newest row of one case, through the index on (case_id, id) (migration 0023; with an
# index on case_id alone PostgreSQL walked the primary key backwards from the newest row of
# all cases until it met one of this case: tens of thousands of rows, milliseconds). LIMIT 1
# is written into the statement, not passed as a parameter: with a parameter PostgreSQL
# cannot cost a generic plan of the prepared statement and plans it again on every run
# (issue 14: a third of a transition's INSERT … SELECT was planning).
_TAIL = (select(CaseEvent.hash).where(CaseEvent.case_id == bindparam("case_id"))
         .order_by(CaseEvent.id.desc()).limit(literal_column("1")))


def _lock_case(connection: Connection, case_id: int) -> None:
    """Take the case's lock by counting up its ``history_seq``: the row's lock in PostgreSQL
    (and the count tells a transition's one statement that a row was appended after its
    snapshot, :func:`append`), the database's write lock in SQLite, which every other
    writer then waits for until this transaction ends."""
    connection.execute(_COUNT_APPEND, {"case_id": case_id})


_COUNT_APPEND = (update(_CASES).where(_CASES.c.id == bindparam("case_id"))
                 .values(history_seq=_CASES.c.history_seq + 1))


# ---------------------------------------------------------------- verifying

@dataclass(frozen=True)
class BrokenLink:
    case_id: int
    row_id: int
    problem: str

    def __str__(self) -> str:
        return f"case {self.case_id}, row {self.row_id}: {self.problem}"


@dataclass
class Verification:
    cases: int = 0
    rows: int = 0
    broken: list[BrokenLink] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.broken


def verify(session: Session) -> Verification:
    """Walk every case's chain in id order and report each broken link.

    Reads the columns with a plain SELECT (not ORM objects), so that what is checked is what
    the database holds, not what the session remembers."""
    columns = select(CaseEvent.id, CaseEvent.case_id, CaseEvent.event, CaseEvent.from_state,
                     CaseEvent.to_state, CaseEvent.actor_id, CaseEvent.at, CaseEvent.comment,
                     CaseEvent.data, CaseEvent.prev_hash, CaseEvent.hash)
    rows = session.execute(columns.order_by(CaseEvent.case_id, CaseEvent.id)
                           .execution_options(yield_per=1000))
    return verify_rows(rows)


def verify_rows(rows: Iterable[Any]) -> Verification:
    """The check itself, over rows ordered by case and id."""
    result = Verification()
    case_id, previous_hash, previous_id = None, GENESIS, None
    for row in rows:
        if row.case_id != case_id:
            case_id, previous_hash, previous_id = row.case_id, GENESIS, None
            result.cases += 1
        result.rows += 1
        result.broken += _problems(row, previous_hash, previous_id)
        previous_hash, previous_id = row.hash, row.id
    return result


def _problems(row: Any, expected_prev: str | None, previous_id: int | None) -> list[BrokenLink]:
    problems = []
    if row.prev_hash != expected_prev:
        if previous_id is None:
            what = ("prev_hash is not the genesis value although this is the case's first "
                    "row: earlier rows were deleted")
        else:
            what = (f"prev_hash does not match the hash of the previous row {previous_id}: "
                    "a row between them was deleted or inserted, or the link was changed")
        problems.append(BrokenLink(row.case_id, row.id, what))
    if row.prev_hash is None or row.hash != row_hash(row.prev_hash, row):
        problems.append(BrokenLink(
            row.case_id, row.id,
            "the stored hash does not match the row's content (event, states, actor, time, "
            "comment or data): the row was changed"))
    return problems
