"""A request that only read ends its transaction with COMMIT, anything else with ROLLBACK
(workflow/platform/read_only.py, issue 14): psycopg forgets its prepared statements on a
rollback, so PostgreSQL planned every statement of every page anew."""
from __future__ import annotations

import pytest
from sqlalchemy import event, select, text, update

from helpers import login
from workflow import user_statement
from workflow.models import Case
from workflow.platform.extensions import db


def ends(app) -> list[str]:
    """How each transaction on the app's engine ends from now on."""
    with app.app_context():
        engine = db.engine
    seen: list[str] = []
    event.listen(engine, "commit", lambda connection: seen.append("commit"))
    event.listen(engine, "rollback", lambda connection: seen.append("rollback"))
    return seen


def a_case(app) -> tuple[int, str]:
    with app.app_context():
        case = db.session.scalars(select(Case).order_by(Case.id)).first()
        return case.id, case.title


def test_a_page_that_only_reads_ends_with_a_commit(demo_app):
    client = login(demo_app.test_client(), "fchef")
    case_id, _title = a_case(demo_app)
    pages = [f"/cases/{case_id}", "/cases?state=council"]
    for page in pages:  # the first view of a case page stores its duplicate hints
        assert client.get(page).status_code == 200
    seen = ends(demo_app)
    for page in pages:
        assert client.get(page).status_code == 200
    assert seen == ["commit", "commit"]


def test_a_write_nobody_committed_is_rolled_back(demo_app):
    case_id, title = a_case(demo_app)
    seen = ends(demo_app)
    with demo_app.app_context():
        db.session.execute(update(Case).where(Case.id == case_id)
                           .values(title="Ändrad men aldrig sparad"))
    with demo_app.app_context():  # an ORM change never flushed
        db.session.get(Case, case_id).title = "Ändrad i minnet"
    assert seen == ["rollback", "rollback"]
    with demo_app.app_context():
        assert db.session.get(Case, case_id).title == title


def test_a_context_that_ends_in_an_error_is_rolled_back(demo_app):
    seen = ends(demo_app)
    with pytest.raises(RuntimeError):
        with demo_app.app_context():
            db.session.scalar(select(Case.id).limit(1))
            raise RuntimeError("the request failed")
    assert seen == ["rollback"]


def test_a_statement_stays_prepared_from_one_request_to_the_next(postgres_uri):
    """psycopg prepares a statement on its fifth run on a connection; ended by a commit, the
    transaction leaves it prepared for the next request (on PostgreSQL; SQLite's driver keeps
    its statements whichever way a transaction ends)."""
    from conftest import _settings

    from workflow import create_app

    app = create_app(_settings(postgres_uri))
    try:
        for _ in range(6):  # as six requests would, each loading the user
            with app.app_context():
                db.session.execute(user_statement(), {"id": 1}).unique().all()
        with app.app_context():
            assert db.session.scalar(text(
                "SELECT count(*) FROM pg_prepared_statements")) >= 1
    finally:
        with app.app_context():
            db.engine.dispose()


def _assert_the_pool_hands_out_the_last_returned(database_uri: str) -> None:
    from conftest import _settings

    from workflow import create_app

    app = create_app(_settings(database_uri))
    try:
        with app.app_context():
            first, second = db.engine.raw_connection(), db.engine.raw_connection()
            warm = second.dbapi_connection
            first.close()  # back to the pool first: the one idle longest
            second.close()
            again = db.engine.raw_connection()
            assert again.dbapi_connection is warm
            again.close()
    finally:
        with app.app_context():
            db.engine.dispose()


def test_a_worker_takes_the_connection_it_gave_back_last(postgres_uri):
    """The pool hands out the connection returned last (pool_use_lifo on PostgreSQL), so a
    worker's next request finds its own prepared statements instead of taking each idle
    connection in turn."""
    _assert_the_pool_hands_out_the_last_returned(postgres_uri)


def test_on_sqlite_too_a_worker_takes_the_connection_it_gave_back_last(tmp_path):
    """SQLite keeps a page cache for each connection, which a write through another
    connection empties: the pool hands out the connection returned last there too. An
    SQLite database in memory has a single connection and no pool order to set."""
    from workflow.platform.settings import load_settings

    _assert_the_pool_hands_out_the_last_returned(f"sqlite:///{tmp_path / 'lifo.sqlite3'}")
    for memory in ("sqlite://", "sqlite:///:memory:", "sqlite:///file:x?mode=memory&uri=true"):
        options = load_settings(tmp_path, {"SQLALCHEMY_DATABASE_URI": memory})[
            "SQLALCHEMY_ENGINE_OPTIONS"]
        assert "pool_use_lifo" not in options


def test_prepared_statements_can_be_switched_off_for_a_pooler(postgres_uri, monkeypatch):
    """DATABASE_PREPARED_STATEMENTS=0 (PgBouncer in transaction mode before 1.21): psycopg
    prepares nothing, however often a statement runs."""
    from conftest import _settings

    from workflow import create_app

    monkeypatch.setenv("DATABASE_PREPARED_STATEMENTS", "0")
    app = create_app(_settings(postgres_uri))
    try:
        with app.app_context():
            for _ in range(8):
                db.session.execute(user_statement(), {"id": 1}).unique().all()
            assert db.session.scalar(text(
                "SELECT count(*) FROM pg_prepared_statements")) == 0
    finally:
        with app.app_context():
            db.engine.dispose()
