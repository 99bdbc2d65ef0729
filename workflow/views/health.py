"""``/healthz`` for load balancers, systemd watchdogs and monitoring.

200 when the database answers and its schema is at the newest migration, 503 otherwise, with
``{"status", "database", "migrations", "revision", "head"}``; in production settings (see
workflow/server_details.py) without ``revision`` and ``head``, which would tell a stranger
which release runs. No login, no personal data, two small queries; the newest migration is
read from the scripts' text once, at start-up (ops/migrations.py: without importing Alembic
or the scripts).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, current_app, jsonify
from flask.blueprints import BlueprintSetupState
from sqlalchemy import column, inspect, select, table
from sqlalchemy.exc import SQLAlchemyError

from workflow.ops import migrations as schema_migrations
from workflow.platform.extensions import db
from workflow.platform.server_details import exposes_server_details

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)

MIGRATIONS_KEY = "workflow.health.migrations"
MIGRATIONS_DIR = schema_migrations.MIGRATIONS_DIR
VERSION_TABLE = "alembic_version"


@dataclass(frozen=True)
class Migrations:
    """What the code knows: the head revision(s) and every revision in the scripts."""

    heads: frozenset[str]
    known: frozenset[str]

    @classmethod
    def from_directory(cls, directory: Path) -> Migrations:
        found = schema_migrations.revisions(directory)
        return cls(found.heads, found.known)

    def compare(self, applied: frozenset[str]) -> str:
        """current, behind (an older revision of ours), ahead (a revision this code does not
        know: the database was migrated by a newer release) or missing (never migrated)."""
        if not applied:
            return "missing"
        if applied == self.heads:
            return "current"
        if applied <= self.known:
            return "behind"
        return "ahead"


@bp.record_once
def _read_migrations(state: BlueprintSetupState) -> None:
    state.app.extensions[MIGRATIONS_KEY] = Migrations.from_directory(MIGRATIONS_DIR)


def _applied_revisions() -> frozenset[str]:
    with db.engine.connect() as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return frozenset()
        rows = connection.execute(select(column("version_num")).select_from(table(VERSION_TABLE)))
        return frozenset(rows.scalars())


def _joined(revisions: frozenset[str]) -> str | None:
    return ",".join(sorted(revisions)) or None


@bp.get("/healthz")
def healthz():
    migrations: Migrations = current_app.extensions[MIGRATIONS_KEY]
    body = {"status": "error", "database": "error", "migrations": "unknown",
            "revision": None, "head": _joined(migrations.heads)}
    try:
        applied = _applied_revisions()
    except SQLAlchemyError as exc:
        log.warning("health check: the database did not answer (%s)", type(exc).__name__)
    else:
        body.update(database="ok", migrations=migrations.compare(applied),
                    revision=_joined(applied))
        if body["migrations"] == "current":
            body["status"] = "ok"
    if not exposes_server_details(current_app):
        del body["revision"], body["head"]
    response = jsonify(body)
    response.status_code = 200 if body["status"] == "ok" else 503
    response.headers["Cache-Control"] = "no-store"
    return response
