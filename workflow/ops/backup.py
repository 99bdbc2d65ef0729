"""Backup and restore: ``flask --app workflow backup [PATH]`` and ``restore PATH [--force]``.

* SQLite: SQLite's online backup API (``sqlite3.Connection.backup``), a consistent copy even
  while the app and the scheduler write; restoring copies the file back the same way.
* PostgreSQL: ``pg_dump -Fc`` and ``pg_restore --clean --if-exists --no-owner`` in a single
  transaction (a failed restore changes nothing). The connection comes from DATABASE_URL; the
  password goes to the tools in the ``PGPASSWORD`` environment variable, never on the
  command line where ``ps`` would show it.

A restore refuses to overwrite a database that holds data unless told ``force``. A backup is
written to a temporary file first and renamed when complete, readable by its owner only (it
holds personal data).
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess  # nosec B404: runs pg_dump/pg_restore from an argument list, no shell
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import click
from flask import Flask
from sqlalchemy import create_engine, inspect, select
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from workflow.platform.extensions import db

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
# Tables whose rows are not the organisation's data: an empty database may have these filled.
NOT_DATA = {"alembic_version", "scheduler_leases", "apscheduler_jobs"}
# Query parameters of a SQLAlchemy URL that are not libpq connection parameters.
_NOT_LIBPQ = {"client_encoding_none"}


class BackupError(Exception):
    """A backup or restore that cannot be done, with the reason in Swedish for the CLI."""


@dataclass(frozen=True)
class Database:
    url: URL

    @classmethod
    def from_uri(cls, uri: str) -> Database:
        return cls(make_url(uri))

    @property
    def backend(self) -> str:
        return self.url.get_backend_name()

    @property
    def suffix(self) -> str:
        return ".sqlite3" if self.backend == "sqlite" else ".dump"

    def sqlite_path(self) -> Path:
        name = self.url.database
        if not name or name == ":memory:" or name.startswith("file:"):
            raise BackupError(f"Kan inte säkerhetskopiera SQLite-databasen {name or '(i minnet)'}.")
        return Path(name)


def default_path(directory: Path, database: Database, now: datetime | None = None) -> Path:
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
    return directory / f"idefloedet-{stamp}{database.suffix}"


# --- backup ----------------------------------------------------------------------------------


def backup(uri: str, path: Path) -> Path:
    """Write a complete copy of the database at ``uri`` to ``path``."""
    database = Database.from_uri(uri)
    path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    with _temporary_beside(path) as temporary:
        if database.backend == "sqlite":
            _sqlite_backup(database.sqlite_path(), temporary)
        elif database.backend == "postgresql":
            _run_pg_tool(["pg_dump", "--format=custom", f"--file={temporary}"], database)
        else:
            raise BackupError(f"Databasen {database.backend} stöds inte för säkerhetskopiering.")
        os.replace(temporary, path)
    return path


@contextmanager
def _temporary_beside(path: Path) -> Iterator[Path]:
    """A private temporary file in the target's directory (so the final rename is atomic),
    removed if anything fails before it is renamed."""
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(handle)
    temporary = Path(name)
    temporary.chmod(0o600)
    try:
        yield temporary
    finally:
        temporary.unlink(missing_ok=True)


def _sqlite_backup(source: Path, target: Path) -> None:
    if not source.is_file():
        raise BackupError(f"SQLite-databasen {source} finns inte.")
    with _sqlite(f"file:{source}?mode=ro", uri=True) as origin, _sqlite(str(target)) as copy:
        origin.backup(copy)
        if copy.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise BackupError("Kopian klarade inte SQLite:s kontroll (quick_check).")


@contextmanager
def _sqlite(database: str, **options) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(database, timeout=30, **options)
    try:
        yield connection
    finally:
        connection.close()


# --- restore ---------------------------------------------------------------------------------


def restore(uri: str, path: Path, *, force: bool = False) -> None:
    """Replace the database at ``uri`` by the backup at ``path``. Refuses (BackupError) when
    the backup is not one for this kind of database, or the database holds data and
    ``force`` is not given. Stop the web and scheduler processes first on PostgreSQL:
    the restore waits for their locks."""
    database = Database.from_uri(uri)
    if not path.is_file():
        raise BackupError(f"Säkerhetskopian {path} finns inte.")
    _check_backup_kind(database, path)
    if not force and has_data(uri):
        raise BackupError("Databasen innehåller redan data. Återställ med --force för att "
                          "skriva över den (allt som ändrats sedan säkerhetskopian går "
                          "förlorat).")
    if database.backend == "sqlite":
        _sqlite_restore(path, database.sqlite_path())
    else:
        _run_pg_tool(["pg_restore", "--clean", "--if-exists", "--no-owner",
                      "--single-transaction", str(path)], database)


def _check_backup_kind(database: Database, path: Path) -> None:
    if database.backend not in ("sqlite", "postgresql"):
        raise BackupError(f"Databasen {database.backend} stöds inte för återställning.")
    with path.open("rb") as backup_file:
        head = backup_file.read(len(SQLITE_MAGIC))
    expected = SQLITE_MAGIC if database.backend == "sqlite" else PG_DUMP_MAGIC
    if not head.startswith(expected):
        kind = "en SQLite-fil" if database.backend == "sqlite" else "en pg_dump-fil (-Fc)"
        raise BackupError(f"{path} är inte {kind}, som den här databasen behöver.")
    if database.backend == "sqlite":
        with _sqlite(f"file:{path}?mode=ro", uri=True) as copy:
            if copy.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise BackupError(f"{path} är skadad (SQLite:s quick_check).")
            if not copy.execute("SELECT name FROM sqlite_master WHERE name = 'alembic_version'"
                                ).fetchone():
                raise BackupError(f"{path} är ingen säkerhetskopia av Idéflödet.")


def has_data(uri: str) -> bool:
    """Whether any of the application's tables has a row (a migrated but empty schema has
    none). An SQLite file that does not exist yet is empty."""
    database = Database.from_uri(uri)
    if database.backend == "sqlite" and not database.sqlite_path().exists():
        return False
    engine = create_engine(database.url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            present = set(inspect(connection).get_table_names())
            tables = [t for t in db.metadata.sorted_tables
                      if t.name in present and t.name not in NOT_DATA]
            return any(connection.execute(select(1).select_from(t).limit(1)).first()
                       for t in tables)
    except SQLAlchemyError as exc:
        raise BackupError(f"Kan inte läsa databasen: {type(exc).__name__}: "
                          f"{str(exc.orig if isinstance(exc, DBAPIError) else exc).strip()}"
                          ) from exc
    finally:
        engine.dispose()


def _sqlite_restore(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with _sqlite(f"file:{source}?mode=ro", uri=True) as origin, _sqlite(str(target)) as live:
        origin.backup(live)


# --- PostgreSQL tools ------------------------------------------------------------------------


def pg_connection(url: URL) -> tuple[str, dict[str, str]]:
    """The libpq connection string without the password, and the environment with it."""
    params = {key: value for key, value in url.query.items()
              if key not in _NOT_LIBPQ and isinstance(value, str)}
    params.update({key: value for key, value in (
        ("host", url.host), ("port", str(url.port) if url.port else None),
        ("user", url.username), ("dbname", url.database)) if value})
    environment = dict(os.environ)
    environment.pop("PGPASSWORD", None)
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    from psycopg.conninfo import make_conninfo  # psycopg only where PostgreSQL is backed up
    return make_conninfo(**params), environment


def _run_pg_tool(arguments: list[str], database: Database) -> None:
    tool = arguments[0]
    if shutil.which(tool) is None:
        raise BackupError(f"{tool} finns inte på datorn (Debian: apt-get install "
                          "postgresql-client).")
    conninfo, environment = pg_connection(database.url)
    command = [*arguments, f"--dbname={conninfo}"]
    # nosec B603: a fixed tool name (pg_dump/pg_restore, found on PATH) and an argument list
    # built here; the connection string travels as one argument and the password in the env.
    result = subprocess.run(command, env=environment, capture_output=True, text=True,  # nosec B603
                            check=False)
    if result.returncode != 0:
        raise BackupError(f"{tool} misslyckades (kod {result.returncode}): "
                          f"{result.stderr.strip()}")


# --- command line ----------------------------------------------------------------------------


def register_cli(app: Flask) -> None:
    """``flask --app workflow backup [PATH]`` and ``flask --app workflow restore PATH``."""

    @app.cli.command("backup")
    @click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
    def backup_command(path: Path | None) -> None:
        """Write a backup of the database (DATABASE_URL) to PATH [default:
        instance/backups/idefloedet-<UTC time>.sqlite3 or .dump]. Safe while the app runs."""
        uri = app.config["SQLALCHEMY_DATABASE_URI"]
        if path is None:
            path = default_path(Path(app.instance_path) / "backups", Database.from_uri(uri))
        try:
            written = backup(uri, path)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"Säkerhetskopia skriven: {written}")

    @app.cli.command("restore")
    @click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--force", is_flag=True,
                  help="Overwrite a database that already holds data.")
    def restore_command(path: Path, force: bool) -> None:
        """Restore the database (DATABASE_URL) from the backup at PATH. Refuses to overwrite
        a database with data unless --force. Stop the web and scheduler processes first."""
        with app.app_context():
            db.engine.dispose()  # no pooled connection of ours holds a lock
        try:
            restore(app.config["SQLALCHEMY_DATABASE_URI"], path, force=force)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"Databasen återställd från {path}. Kör sedan "
                   "flask --app workflow db upgrade om säkerhetskopian är äldre än koden.")
