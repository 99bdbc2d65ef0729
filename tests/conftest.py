"""Test fixtures: every database test runs on SQLite and, when TEST_DATABASE_URL is set,
on PostgreSQL too. Both get their schema from the real Alembic migrations.

Each pytest-xdist worker migrates once and seeds the demo once (session fixtures are per
worker); each test gets a copy. ``database_uri``/``make_app``: an empty, migrated database.
``app``: the demo organisation and its accounts (``seed_demo(with_cases=False)``).
``demo_app``: the whole demo with its cases, plan and meetings (``seed_demo()``).
``make_demo_app``: either demo under other settings. SQLite copies a template file; PostgreSQL
empties the worker's database (DELETE) and copies the demo's rows back in (COPY), which is
faster than seeding through the services and than CREATE DATABASE … TEMPLATE plus DROP
DATABASE per test."""
from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from flask_migrate import upgrade
from smtp_support import smtp_server  # noqa: F401  (a fixture for every test module)
from sqlalchemy import create_engine, event, make_url, text
from sqlalchemy.engine import Engine

from workflow import create_app
from workflow.ops import migrations
from workflow.ops.seeding import seed_demo
from workflow.platform.extensions import db
from workflow.platform.settings import database_url

PG_URL = os.environ.get("TEST_DATABASE_URL")


@event.listens_for(Engine, "connect")
def _sqlite_without_fsync(dbapi_connection, _record) -> None:
    """Test databases need no durability: SQLite commits need not wait for the disk."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA synchronous = OFF")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def _pg_url() -> str:
    """TEST_DATABASE_URL, or under pytest-xdist a database of this worker's own beside it
    (``test_gw0``, ``test_gw1``…, created when missing), so that workers never share tables."""
    os.environ["DATABASE_URL"] = PG_URL
    try:
        url = database_url(Path("."))
    finally:
        del os.environ["DATABASE_URL"]
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    base = make_url(url)
    own = base.set(database=f"{base.database}_{worker}")
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                    {"name": own.database}).scalar()
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{own.database}"'))
        # A test database needs no durability: commits need not wait for the disk.
        connection.execute(text(f'ALTER DATABASE "{own.database}" SET synchronous_commit = off'))
    engine.dispose()
    return own.render_as_string(hide_password=False)


def _migrate(url: str, instance: Path) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    app.instance_path = str(instance)
    migrations.enable(app)
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("sqlite-template")
    path = folder / "template.sqlite3"
    _migrate(f"sqlite:///{path}", folder)
    return path


@pytest.fixture(scope="session")
def pg_schema(tmp_path_factory) -> str:
    url = _pg_url()
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    _migrate(url, tmp_path_factory.mktemp("pg"))
    return url


# What each demo passes to seed_demo: "base" for `app`, "full" for `demo_app`.
DEMOS = {"base": {"with_cases": False}, "full": {}}


def _settings(database_uri: str, **overrides) -> dict:
    return {"SQLALCHEMY_DATABASE_URI": database_uri, "TESTING": True, "WTF_CSRF_ENABLED": False,
            "SECRET_KEY": "test", "MAIL_BACKEND": "none", **overrides}


def _seed(url: str, instance: Path, demo: str) -> None:
    """Seed ``demo`` into an empty database through the real services, as the tests did."""
    app = create_app(_settings(url))
    app.instance_path = str(instance)
    with app.app_context():
        seed_demo(**DEMOS[demo])
        db.session.remove()
        db.engine.dispose()


class DemoTemplates:
    """The demos of this worker, seeded on first use: an SQLite file per demo, and per demo the
    PostgreSQL rows (COPY's text format, table by table in foreign-key order) and sequences."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._files: dict[str, Path] = {}
        self._rows: dict[str, tuple[list[tuple[str, bytes]], list[tuple[str, int]]]] = {}

    def load(self, request, database_uri: str, demo: str) -> None:
        """Put ``demo`` into the test's empty database (no connection to it may be open)."""
        if database_uri.startswith("sqlite"):
            shutil.copy(self._file(demo, request.getfixturevalue("sqlite_template")),
                        make_url(database_uri).database)
        elif demo in self._rows:
            _copy_rows_in(database_uri, *self._rows[demo])
        else:  # the first time: seed the test's own (empty) database and keep its rows
            _seed(database_uri, self._folder, demo)
            self._rows[demo] = _copy_rows_out(database_uri)

    def _file(self, demo: str, empty: Path) -> Path:
        if demo not in self._files:
            path = self._folder / f"{demo}.sqlite3"
            shutil.copy(empty, path)
            _seed(f"sqlite:///{path}", self._folder, demo)
            self._files[demo] = path
        return self._files[demo]


def _copy_rows_out(url: str) -> tuple[list[tuple[str, bytes]], list[tuple[str, int]]]:
    engine = create_engine(url)
    tables = []
    with engine.connect() as connection:
        cursor = connection.connection.driver_connection.cursor()
        for table in db.metadata.sorted_tables:
            with cursor.copy(f'COPY "{table.name}" TO STDOUT') as copy:
                data = b"".join(bytes(block) for block in copy)
            if data:
                tables.append((table.name, data))
        sequences = connection.execute(text(
            "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename), last_value "
            "FROM pg_sequences WHERE last_value IS NOT NULL")).all()
    engine.dispose()
    return tables, [tuple(row) for row in sequences]


def _copy_rows_in(url: str, tables: list[tuple[str, bytes]],
                  sequences: list[tuple[str, int]]) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        cursor = connection.connection.driver_connection.cursor()
        cursor.execute("SET LOCAL synchronous_commit = off")
        for name, data in tables:
            with cursor.copy(f'COPY "{name}" FROM STDIN') as copy:
                copy.write(data)
        if sequences:
            cursor.execute("SELECT " + ", ".join("setval(%s, %s)" for _ in sequences),
                           [value for sequence in sequences for value in sequence])
    engine.dispose()


@pytest.fixture(scope="session")
def demo_templates(tmp_path_factory) -> DemoTemplates:
    return DemoTemplates(tmp_path_factory.mktemp("demo-templates"))


def _truncate_all(url: str) -> None:
    """Empty every table and restart every sequence, as TRUNCATE … RESTART IDENTITY would but
    with DELETE: TRUNCATE gives every table and index new files, which took a busy server up to
    a second per test, DELETE on the few rows a test leaves a few milliseconds. The append-only
    tables' triggers refuse DELETE; they are off for it within the same transaction."""
    engine = create_engine(url)
    with engine.begin() as connection:
        guarded = set(connection.scalars(text(
            "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal")))
        statements = ["SET LOCAL synchronous_commit = off"]  # a test database needs no durability
        for table in reversed(db.metadata.sorted_tables):  # who refers before whom is referred to
            if table.name in guarded:
                statements += [f'ALTER TABLE "{table.name}" DISABLE TRIGGER USER',
                               f'DELETE FROM "{table.name}"',
                               f'ALTER TABLE "{table.name}" ENABLE TRIGGER USER']
            else:
                statements.append(f'DELETE FROM "{table.name}"')
        statements.append("SELECT setval(quote_ident(schemaname) || '.' || "
                          "quote_ident(sequencename), start_value, false) FROM pg_sequences")
        connection.exec_driver_sql(";\n".join(statements))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_uri(request, tmp_path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "test.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("pg_schema")
        _truncate_all(url)
        yield url


@pytest.fixture
def postgres_uri(request) -> str:
    """A clean PostgreSQL database, for the tests about PostgreSQL itself."""
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL is not set (CI always sets it)")
    url = request.getfixturevalue("pg_schema")
    _truncate_all(url)
    return url


# The apps make_app built for the running test (modules may wrap make_app in their own).
APPS = pytest.StashKey[list]()


@pytest.fixture
def make_app(request, database_uri, tmp_path):
    """Build an app on the test database; tests that need other settings pass them."""
    apps = request.node.stash[APPS] = []

    def factory(**overrides):
        app = create_app(_settings(database_uri, **overrides))
        apps.append(app)
        return app

    yield factory
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def make_demo_app(request, make_app, database_uri, demo_templates):
    """Build an app (with other settings if given) on a copy of a demo of this worker: "base",
    the organisation and its accounts, or "full", also the cases, plan and meetings. One demo
    per test; calling again builds another app on the same database."""
    loaded = []

    def factory(demo: str = "base", **overrides):
        if not loaded:
            if request.node.stash.get(APPS, None):  # an app may hold the database open
                with make_app().app_context():
                    seed_demo(**DEMOS[demo])
            else:
                demo_templates.load(request, database_uri, demo)
            loaded.append(demo)
        elif loaded != [demo]:
            raise ValueError(f"this test's database already holds the {loaded[0]} demo")
        return make_app(**overrides)

    return factory


@pytest.fixture
def app(make_demo_app):
    """An app on the demo organisation and its accounts, without cases."""
    return make_demo_app()


@pytest.fixture
def demo_app(make_demo_app):
    """An app on the whole demo: its cases, plan and meetings as `flask seed-demo` makes them."""
    return make_demo_app("full")


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def admin_client(app):
    """A test client logged in as the demo's region administrator."""
    from helpers import login
    client = app.test_client()
    login(client, "admin")
    return client
