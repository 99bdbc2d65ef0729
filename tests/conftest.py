"""Test fixtures: every database test runs on SQLite and, when TEST_DATABASE_URL is set,
on PostgreSQL too. Both get their schema from the real Alembic migrations."""
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


def _truncate_all(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        tables = ", ".join(t.name for t in db.metadata.sorted_tables)
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
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


@pytest.fixture
def make_app(database_uri, tmp_path):
    """Build an app on the test database; tests that need other settings pass them."""
    apps = []

    def factory(**overrides):
        settings = {"SQLALCHEMY_DATABASE_URI": database_uri, "TESTING": True,
                    "WTF_CSRF_ENABLED": False, "SECRET_KEY": "test", "MAIL_BACKEND": "none",
                    **overrides}
        app = create_app(settings)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        seed_demo(with_cases=False)
    return app


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
