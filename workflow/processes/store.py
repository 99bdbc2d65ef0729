"""The process versions loaded at run time (``process_definitions``), merged into the
registry of the running application.

Every web worker and scheduler merges rows it has not seen yet: one cheap query (the newest
row id) at most once per request or job, see :func:`workflow.processes.registry.registry`.
This module imports neither the registry's accessors nor the administration
(workflow/processes/admin.py), which both build on it.
"""
from __future__ import annotations

import logging
import threading
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.pool import StaticPool

from workflow.models import StoredProcessDefinition
from workflow.platform.extensions import db
from workflow.states import DefinitionError, ProcessRegistry
from workflow.states.definition import load_definition_text
from workflow.states.features import check_features

log = logging.getLogger("workflow.processes")

SYNC_KEY = "workflow.processes.database"


@dataclass
class _SyncState:
    """The newest ``process_definitions`` row this app has merged (rows are never deleted)."""

    mark: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    table_seen: bool = False  # the table exists: the check may run in the caller's transaction


def refresh_registry(processes: ProcessRegistry, newest: int | None = None) -> None:
    """Merge stored versions this app has not seen yet. Costs one ``max(id)`` query when
    nothing is new, none when the caller read it already (``newest``: the user loader reads
    it with the user, :data:`NEWEST`). A database without the table yet (before migrating)
    is left alone."""
    sync: _SyncState = current_app.extensions.setdefault(SYNC_KEY, _SyncState())
    if newest is not None and sync.table_seen and newest <= sync.mark:
        return
    try:
        with _connection(sync) as connection:
            newest = connection.scalar(_NEWEST) or 0
            sync.table_seen = True
            if newest <= sync.mark:
                return
            with sync.lock:
                rows = connection.execute(
                    select(StoredProcessDefinition.id, StoredProcessDefinition.source,
                           StoredProcessDefinition.filename)
                    .where(StoredProcessDefinition.id > sync.mark)
                    .order_by(StoredProcessDefinition.id)).all()
                _merge_rows(processes, rows)
                sync.mark = max([sync.mark, *(row.id for row in rows)])
    except (OperationalError, ProgrammingError) as exc:
        log.warning("stored process definitions not read: %s", exc.__class__.__name__)


# Built once: it runs on every request (issue 14), as a statement of its own or as a column
# of the user loader's statement (:data:`NEWEST`).
_NEWEST = select(func.max(StoredProcessDefinition.id))
NEWEST = _NEWEST.scalar_subquery().label("newest_process")


def table_seen() -> bool:
    """Whether this app has read ``process_definitions`` (tables are never dropped): then a
    caller's statement may read :data:`NEWEST` without risking its transaction."""
    sync = current_app.extensions.get(SYNC_KEY)
    return sync is not None and sync.table_seen


def _connection(sync: _SyncState) -> Any:
    """A connection of its own, so that a missing table cannot spoil the caller's transaction;
    once the table has been read (tables are never dropped), the session's connection if its
    transaction is already under way (a request, after loading the user): no second
    connection per request. An in-memory SQLite database has only the session's one."""
    if isinstance(db.engine.pool, StaticPool):
        return nullcontext(db.session.connection())
    transaction = db.session().get_transaction()
    if sync.table_seen and transaction is not None and transaction.is_active:
        return nullcontext(db.session.connection())
    return db.engine.connect()


def _merge_rows(processes: ProcessRegistry, rows: list[Any]) -> None:
    definitions = []
    for row in rows:
        try:
            definition = load_definition_text(row.source, source=_row_source(row))
        except DefinitionError as error:  # e.g. a guard since removed from the code
            log.error("stored process definition #%s cannot be used: %s", row.id, error)
            continue
        # Checked when it was loaded; a feature added to the code since then is reported,
        # but the version is kept: cases run on it (docs/process.md).
        for found in check_features(definition):
            log.error("stored process definition #%s: %s", row.id, found.text)
        definitions.append(definition)
    for clash in processes.merge(definitions):
        log.error("%s: %s version %s is also defined elsewhere; that one is used",
                  clash.source, clash.name, clash.version)


def _row_source(row: Any) -> str:
    return f"process_definitions #{row.id} ({row.filename})"
