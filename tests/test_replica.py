"""The portfolio may read from a read replica (docs/deploy.md, "Beyond one machine").

No replica is started here: the replica bind is a second engine on the same test database,
so these tests show where each statement goes, and that the figures are the same; what
streaming replication itself does is PostgreSQL's part."""
from __future__ import annotations

import pytest
from sqlalchemy import event

from helpers import api_headers, login
from workflow.models import Notification, User
from workflow.platform.extensions import db
from workflow.platform.replica import BIND_KEY, reading
from workflow.platform.settings import load_settings


class Recorder:
    def __init__(self, engine):
        self.statements: list[str] = []
        event.listen(engine, "before_cursor_execute", self._record)

    def _record(self, _conn, _cursor, statement, *_args):
        self.statements.append(" ".join(statement.split()).lower())


@pytest.fixture
def replica_app(make_demo_app, database_uri):
    return make_demo_app("full", SQLALCHEMY_BINDS={BIND_KEY: database_uri})


def test_the_setting_names_the_replica_as_sqlalchemy_needs_it(monkeypatch, tmp_path):
    monkeypatch.setenv("PORTFOLIO_DATABASE_URL", "postgres://reader@replica.example:5432/ide")
    binds = load_settings(tmp_path)["SQLALCHEMY_BINDS"]
    assert binds == {BIND_KEY: "postgresql+psycopg://reader@replica.example:5432/ide"}
    monkeypatch.delenv("PORTFOLIO_DATABASE_URL")
    assert "SQLALCHEMY_BINDS" not in load_settings(tmp_path)


def test_the_portfolio_page_counts_on_the_replica_and_nothing_else_does(replica_app):
    with replica_app.app_context():
        primary = Recorder(db.engines[None])
        replica = Recorder(db.engines[BIND_KEY])
    client = replica_app.test_client()
    login(client, "admin")
    primary.statements.clear()
    assert client.get("/portfolio").status_code == 200
    # funnel, lead times, throughput, balance, capacity, benefits, maturity
    assert len(replica.statements) >= 7
    assert any(s.startswith("select cases.state, count(*)") for s in replica.statements)
    assert any("maturity_assessments" in s for s in replica.statements)
    assert [s for s in primary.statements if "group by" in s] == []  # the unread count stays
    replica.statements.clear()
    assert client.get("/cases?state=council").status_code == 200
    assert client.get("/todo").status_code == 200
    assert replica.statements == []  # lists and case pages never read a lagging copy


def test_the_figures_are_the_same_with_and_without_the_replica(replica_app, make_demo_app):
    with_replica = replica_app.test_client()
    figures = with_replica.get("/api/v1/portfolio",
                               headers=api_headers(with_replica, "admin")).get_json()
    plain_app = make_demo_app("full")
    plain = plain_app.test_client()
    expected = plain.get("/api/v1/portfolio", headers=api_headers(plain, "admin")).get_json()
    assert figures == expected
    assert figures["funnel"]


def test_changes_made_while_reading_still_go_to_the_primary(replica_app):
    with replica_app.app_context():
        primary = Recorder(db.engines[None])
        replica = Recorder(db.engines[BIND_KEY])
        user = db.session.query(User).filter_by(username="admin").one()
        with reading():
            db.session.add(Notification(key="replica-test", user_id=user.id, kind="test",
                                        subject="Test", body="Test"))
            db.session.flush()
        assert any(s.startswith("insert into notifications") for s in primary.statements)
        assert not any(s.startswith("insert") for s in replica.statements)
        db.session.rollback()
