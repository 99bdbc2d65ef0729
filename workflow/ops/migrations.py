"""The schema's migrations (Alembic through Flask-Migrate), loaded only where they are used.

A web worker never migrates, yet importing Flask-Migrate imports Alembic, Mako and their
dialect code, and Alembic's ``ScriptDirectory`` imports every migration script: together
about 34 MiB of every worker (issue 14, bench/README.md). So:

* ``flask db …`` is registered as a stand-in that sets up Flask-Migrate when such a command
  runs, then hands the whole command line to Flask-Migrate's own ``db`` group;
* :func:`enable` sets it up for code that migrates in-process (the tests, the benchmark);
* :func:`revisions` reads what ``/healthz`` needs (the head and every known revision) from
  the scripts' text, without running them; tests/test_health.py checks it against Alembic's
  own reading of the same folder.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import click
from flask import Flask

from workflow.platform.extensions import db
from workflow.platform.settings import PROJECT_ROOT

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"
COMMAND = "db"


# What the database keeps that the models do not describe, so that autogenerate (``flask db
# migrate``) never proposes to drop it: APScheduler's job store (it creates its own table) and
# the index of the cases' texts (migration 0021, kept by the database itself: SQLite's FTS5
# table ``cases_fts`` with its shadow tables, PostgreSQL's ``cases.search`` column with its GIN
# index; docs/similar-ideas.md).
NOT_IN_MODELS = {("table", "apscheduler_jobs"), ("column", "cases.search"),
                 ("index", "ix_cases_search")}
NOT_IN_MODELS_TABLE_PREFIX = "cases_fts"


def in_models(obj: Any, name: str | None, type_: str, reflected: bool,
              compare_to: Any) -> bool:
    """Alembic's ``include_object``: whether autogenerate compares this schema object (a
    table's column, index or constraint goes with its table)."""
    table = obj.name if type_ == "table" else getattr(getattr(obj, "table", None), "name", "")
    if table and (table.startswith(NOT_IN_MODELS_TABLE_PREFIX)
                  or ("table", table) in NOT_IN_MODELS):
        return False
    if type_ == "column":
        name = f"{table}.{name}"
    return (type_, name) not in NOT_IN_MODELS


def init_app(app: Flask) -> None:
    app.cli.add_command(_MigrationCommands(), name=COMMAND)


def enable(app: Flask) -> None:
    """Flask-Migrate on ``app``, as `flask db` uses it (``flask_migrate.upgrade()`` and the
    other functions need it). Once per app."""
    if "migrate" in app.extensions:
        return
    from flask_migrate import Migrate

    Migrate(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True, compare_type=True,
            command=COMMAND)


class _MigrationCommands(click.Command):
    """Stands in for Flask-Migrate's ``db`` group until a ``flask db …`` command runs: then
    the command line goes to that group, options and subcommands alike."""

    def __init__(self) -> None:
        super().__init__(COMMAND, help="Perform database migrations (Flask-Migrate, Alembic).",
                         context_settings={"ignore_unknown_options": True})

    def make_context(self, info_name: str | None, args: list[str],
                     parent: click.Context | None = None, **extra: Any) -> click.Context:
        from flask.cli import ScriptInfo

        if parent is None:
            raise click.UsageError("flask db: run through the flask command")
        enable(parent.ensure_object(ScriptInfo).load_app())
        from flask_migrate.cli import db as commands

        return commands.make_context(info_name, args, parent=parent, **extra)


@dataclass(frozen=True)
class Revisions:
    """The head revision(s) and every revision among the scripts."""

    heads: frozenset[str]
    known: frozenset[str]


@cache  # the scripts do not change while the process runs
def revisions(directory: Path = MIGRATIONS_DIR) -> Revisions:
    """Each script's ``revision`` and ``down_revision`` as written at its top level (a string,
    a tuple of strings for a merge, or None); the heads are the revisions no other script
    revises."""
    known: set[str] = set()
    revised: set[str] = set()
    for path in sorted((directory / "versions").glob("*.py")):
        values = _assignments(path, {"revision", "down_revision"})
        if "revision" not in values:  # as Alembic, which would refuse to migrate
            raise ValueError(f"{path.name}: a migration script without a revision")
        known.add(values["revision"])
        down = values.get("down_revision")
        revised.update((down,) if isinstance(down, str) else (down or ()))
    return Revisions(heads=frozenset(known - revised), known=frozenset(known))


def _assignments(path: Path, names: set[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for node in ast.parse(path.read_text(encoding="utf-8"), str(path)).body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        for target in targets:
            if isinstance(target, ast.Name) and target.id in names:
                found[target.id] = ast.literal_eval(value)
    return found
