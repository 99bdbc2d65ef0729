"""A request that only read ends its transaction with COMMIT, not ROLLBACK.

The two end a transaction that wrote nothing the same way, except in one respect: psycopg
forgets every statement it has prepared on the connection when the transaction rolls back
(it cannot tell whether the rollback undid something a prepared plan relies on). Ended by
a rollback, as Flask-SQLAlchemy ends every request's session, no statement ever stays
prepared, and PostgreSQL plans each of a page's statements anew on every request (issue 14:
planning the case page's statements cost 3 of its 9 ms; the user with their roles alone
0.6 ms to plan, 0.07 ms to run).

So at the end of an app context (a request, a CLI command, a scheduler job), when the
session's transaction ran nothing but ``SELECT`` statements, it is committed; anything else
(a write, a statement that is no ``SELECT``, a pending change, an error) is rolled back as
before. Writes are committed by their unit of work (platform/uow.py), never here.
"""
from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from workflow.platform.extensions import db

# Set on the connection's info by any statement that is no SELECT, until its transaction ends.
WROTE = "workflow.read_only.wrote"


def init_app(app: Flask) -> None:
    """Commit a read-only session at the end of each app context (before Flask-SQLAlchemy
    removes the session: teardown functions run in reverse order of registration)."""
    for name, listener in (("before_cursor_execute", _note_statement),
                           ("commit", _forget), ("rollback", _forget)):
        if not event.contains(Engine, name, listener):
            event.listen(Engine, name, listener)
    app.teardown_appcontext(_end_read_only)


def _note_statement(connection: Any, cursor: Any, statement: str, parameters: Any,
                    context: Any, executemany: bool) -> None:
    if executemany or statement.lstrip()[:6].upper() != "SELECT":
        connection.info[WROTE] = True


def _forget(connection: Any) -> None:
    if not (connection.closed or connection.invalidated):  # a lost connection has no info
        connection.info.pop(WROTE, None)


def _end_read_only(error: BaseException | None) -> None:
    if error is not None or not db.session.registry.has():
        return
    session = db.session.registry()
    transaction = session.get_transaction()
    if transaction is None or not transaction.is_active or transaction.nested:
        return
    if session.new or session.dirty or session.deleted:
        return  # changes no unit of work committed: rolled back when the session closes
    # The transaction's connections (SQLAlchemy keeps no public list of them): one, that ran
    # only SELECTs. None known: rolled back as before.
    connections = {id(entry[0]): entry[0]
                   for entry in getattr(transaction, "_connections", {}).values()}
    if len(connections) != 1 or next(iter(connections.values())).info.get(WROTE, False):
        return
    # As the rollback would, the commit leaves the loaded objects as they are (a caller may
    # still read one after its app context ended): nothing was written to reload.
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    except Exception:  # noqa: BLE001 — the session's removal rolls back what is left
        session.rollback()
    finally:
        session.expire_on_commit = expire
