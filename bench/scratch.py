"""The scratch database: SQLite in a temporary folder, or the PostgreSQL database named by
BENCH_DATABASE_URL (its public schema is dropped and rebuilt). Either way the schema comes
from the real Alembic migrations, as in tests/conftest.py."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from workflow import create_app
from workflow.ops import migrations
from workflow.platform.extensions import db
from workflow.platform.settings import database_url

SECRET_KEY = "bench"
# Settings every benchmark app gets: no mail, a fixed key, 50 rows per list page.
APP_SETTINGS: dict[str, Any] = {"SECRET_KEY": SECRET_KEY, "MAIL_BACKEND": "none",
                                "PAGE_SIZE": 50}
PROTECTED_DATABASES = {"test"}  # the shared test database is never touched


def sqlalchemy_url(workdir: Path, bench_url: str | None) -> str:
    """The SQLAlchemy URL of the scratch database, normalised as the app normalises it."""
    if not bench_url:
        return f"sqlite:///{workdir / 'bench.sqlite3'}"
    previous = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = bench_url
    try:
        url = database_url(workdir)
    finally:
        if previous is None:
            del os.environ["DATABASE_URL"]
        else:
            os.environ["DATABASE_URL"] = previous
    if make_url(url).database in PROTECTED_DATABASES:
        raise SystemExit(f"Refusing to benchmark on the database {make_url(url).database!r}; "
                         "create one of its own (createdb bench).")
    return url


def make_app(url: str, workdir: Path, **overrides: Any) -> Flask:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, **APP_SETTINGS, **overrides})
    app.instance_path = str(workdir)
    return app


def create_schema(url: str, workdir: Path) -> None:
    """An empty database at the newest migration."""
    if url.startswith("postgresql"):
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    app = make_app(url, workdir)
    migrations.enable(app)
    from flask_migrate import upgrade  # not in the memory worker, which imports this module

    with app.app_context():
        upgrade()
        db.engine.dispose()
