"""Backup and restore round trip on SQLite and PostgreSQL: every row comes back, a database
with data is only overwritten on --force, and the restored case history stays append-only."""
from __future__ import annotations

import json
import sqlite3
import stat
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from helpers import new_draft
from workflow.ops.backup import has_data, pg_connection
from workflow.platform.extensions import db


def _hashable(value):
    return json.dumps(value, sort_keys=True) if isinstance(value, (dict, list)) else value


def snapshot(app) -> dict[str, set[tuple]]:
    """Every row of every table, and the recorded migration."""
    with app.app_context():
        rows = {table.name: {tuple(_hashable(v) for v in row)
                             for row in db.session.execute(select(table))}
                for table in db.metadata.sorted_tables}
        rows["alembic_version"] = set(db.session.execute(
            text("SELECT version_num FROM alembic_version")).all())
    return rows


def damage(app) -> None:
    """Change, delete and add data (a new case, with history rows the restore must remove)."""
    with app.app_context():
        db.session.execute(text("UPDATE cases SET title = 'Överskriven titel'"))
        db.session.execute(text("DELETE FROM benefit_reports"))
        db.session.execute(text("DELETE FROM notifications"))
        db.session.commit()
        new_draft()


@pytest.fixture
def scratch_uri(database_uri, tmp_path):
    """A second, empty database to restore into: a new SQLite file, or a PostgreSQL database
    created (and dropped afterwards) on the server of TEST_DATABASE_URL."""
    if database_uri.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    server = make_url(database_uri)
    name = f"{server.database}_restore"
    admin_dsn = server.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    yield server.set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def assert_history_is_append_only(app) -> None:
    with app.app_context():
        for statement in ("UPDATE case_history SET comment = 'ändrad'",
                          "DELETE FROM case_history"):
            with pytest.raises(DBAPIError, match="append-only"):
                db.session.execute(text(statement))
            db.session.rollback()


def test_round_trip(demo_app, make_app, database_uri, scratch_uri, tmp_path):
    source = demo_app
    original = snapshot(source)
    assert all(original[name] for name in ("case_history", "benefit_reports", "notifications",
                                           "meetings", "dossiers"))

    backup_path = tmp_path / "backups" / "demo.backup"
    result = source.test_cli_runner().invoke(args=["backup", str(backup_path)])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(backup_path.stat().st_mode) == 0o600
    assert [p.name for p in backup_path.parent.iterdir()] == ["demo.backup"]  # no leftovers

    # Into an empty database: no --force needed; everything is there, at the same migration.
    target = make_app(SQLALCHEMY_DATABASE_URI=scratch_uri)
    assert not has_data(scratch_uri)
    runner = target.test_cli_runner()
    result = runner.invoke(args=["restore", str(backup_path)])
    assert result.exit_code == 0, result.output
    assert snapshot(target) == original
    assert target.test_client().get("/healthz").status_code == 200

    # Over a database with data: refused without --force, and nothing is touched.
    damage(target)
    damaged = snapshot(target)
    assert damaged != original
    result = runner.invoke(args=["restore", str(backup_path)])
    assert result.exit_code == 1 and "--force" in result.output
    assert snapshot(target) == damaged

    result = runner.invoke(args=["restore", "--force", str(backup_path)])
    assert result.exit_code == 0, result.output
    assert snapshot(target) == original
    assert_history_is_append_only(target)


def test_default_path_is_in_the_instance_folder(app, database_uri, tmp_path):
    app.instance_path = str(tmp_path / "instance")
    result = app.test_cli_runner().invoke(args=["backup"])
    assert result.exit_code == 0, result.output
    [written] = (Path(app.instance_path) / "backups").iterdir()
    assert written.name.startswith("idefloedet-")
    assert written.suffix == (".sqlite3" if database_uri.startswith("sqlite") else ".dump")
    assert str(written) in result.output


def test_restore_refuses_a_file_that_is_not_a_backup_for_this_database(make_app, database_uri,
                                                                      scratch_uri, tmp_path):
    target = make_app(SQLALCHEMY_DATABASE_URI=scratch_uri)
    wrong = tmp_path / "wrong.backup"
    if database_uri.startswith("sqlite"):
        wrong.write_bytes(b"PGDMP not an SQLite file")
    else:
        with sqlite3.connect(wrong) as connection:
            connection.execute("CREATE TABLE t (x)")
    result = target.test_cli_runner().invoke(args=["restore", str(wrong)])
    assert result.exit_code == 1 and "inte" in result.output
    missing = target.test_cli_runner().invoke(args=["restore", str(tmp_path / "nothing")])
    assert missing.exit_code == 1 and "finns inte" in missing.output
    assert not has_data(scratch_uri)


def test_password_goes_in_the_environment_not_the_command_line():
    url = make_url("postgresql+psycopg://idef:s3cr%40t@db.example:6543/prod?sslmode=require")
    conninfo, environment = pg_connection(url)
    assert "s3cr" not in conninfo
    assert environment["PGPASSWORD"] == "s3cr@t"
    assert psycopg.conninfo.conninfo_to_dict(conninfo) == {
        "host": "db.example", "port": "6543", "user": "idef", "dbname": "prod",
        "sslmode": "require"}
