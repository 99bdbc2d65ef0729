"""An anonymous idea leaves no trace of its sender: not in any table, the history or the logs."""
from __future__ import annotations

import json
import logging
from datetime import datetime

import pytest
from sqlalchemy import select

from helpers import IDEA, unit, user
from workflow import _DropSubmissionAccessLog
from workflow.extensions import db
from workflow.models import Case

IP = "203.0.113.77"


def _hashable(value):
    return json.dumps(value, sort_keys=True) if isinstance(value, (dict, list)) else value


def snapshot() -> dict[str, set[tuple]]:
    return {table.name: {tuple(_hashable(v) for v in row)
                         for row in db.session.execute(select(table))}
            for table in db.metadata.sorted_tables}


def user_columns() -> dict[str, list[int]]:
    """For each table, the positions of columns that refer to a user."""
    return {table.name: [i for i, column in enumerate(table.columns)
                         if any(fk.column.table.name == "users" for fk in column.foreign_keys)]
            for table in db.metadata.sorted_tables}


def assert_no_trace(before, after, sender) -> None:
    traces = {sender.username, sender.display_name, sender.email, IP}
    positions = user_columns()
    new_rows = {name: after[name] - before[name] for name in after}
    assert new_rows["cases"] and new_rows["case_history"]
    for name, rows in new_rows.items():
        for row in rows:
            for position in positions[name]:
                assert row[position] != sender.id, (name, row)
            for value in row:
                text = str(value)
                assert not any(t in text for t in traces), (name, row)
                if isinstance(value, datetime):  # kept to the day: no time to match on
                    assert (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0)


def test_anonymous_idea_from_the_web_form(app, caplog):
    caplog.set_level(logging.DEBUG)
    client = app.test_client()
    client.post("/login", data={"username": "medarbetare", "password": "demo"})
    with app.app_context():
        sender, before = user("medarbetare"), snapshot()
        unit_id = unit().id
    response = client.post("/ideas/new", environ_base={"REMOTE_ADDR": IP},
                           data={**IDEA, "unit_id": unit_id, "anonymous": "y", "submit": "1"})
    assert response.status_code == 200 and "anonymt" in response.get_data(as_text=True)
    with app.app_context():
        assert_no_trace(before, snapshot(), sender)
        case = db.session.scalar(select(Case))
        assert case.state == "direct" and case.author_id is None
        assert case.origin == "direct_channel"
        assert [(h.event, h.actor_id) for h in case.history] == [("submit_direct", None)]
    assert not any(t in caplog.text for t in ("medarbetare", "Anna Lindqvist", IP))
    assert "Anonym" not in client.get("/ideas/mine").get_data(as_text=True)
    assert IDEA["title"] not in client.get("/ideas/mine").get_data(as_text=True)


def test_anonymous_idea_over_the_api(app, caplog):
    caplog.set_level(logging.DEBUG)
    client = app.test_client()
    token = client.post("/api/v1/tokens", json={"username": "medarbetare", "password": "demo"}
                        ).get_json()["token"]
    with app.app_context():
        sender, before = user("medarbetare"), snapshot()
        unit_id = unit().id
    response = client.post("/api/v1/cases", headers={"Authorization": f"Bearer {token}"},
                           environ_base={"REMOTE_ADDR": IP},
                           json={**IDEA, "unit_id": unit_id, "anonymous": True})
    assert response.status_code == 201
    assert response.get_json()["state"] == "direct"
    with app.app_context():
        assert_no_trace(before, snapshot(), sender)
    assert not any(t in caplog.text for t in ("medarbetare", "Anna Lindqvist", IP))


def test_management_sees_the_idea_without_a_sender(app):
    client = app.test_client()
    client.post("/login", data={"username": "medarbetare", "password": "demo"})
    with app.app_context():
        unit_id = unit().id
    client.post("/ideas/new", data={**IDEA, "unit_id": unit_id, "anonymous": "y", "submit": "1"})
    client.post("/logout")
    client.post("/login", data={"username": "admin", "password": "demo"})
    page = client.get("/cases/1").get_data(as_text=True)
    assert "Anonym medarbetare" in page and "Anna Lindqvist" not in page


def test_refused_anonymous_idea_stores_nothing(app):
    client = app.test_client()
    client.post("/login", data={"username": "medarbetare", "password": "demo"})
    with app.app_context():
        unit_id, before = unit().id, snapshot()
    response = client.post("/ideas/new", data={"title": "Bara rubrik", "need": "",
                                               "unit_id": unit_id, "anonymous": "y",
                                               "submit": "1"})
    assert response.status_code == 409
    assert "Beskriv behovet" in response.get_data(as_text=True)
    with app.app_context():
        assert snapshot() == before


@pytest.mark.parametrize("line, kept", [
    ('203.0.113.77 - - [23/Nov/2026 10:00:00] "POST /ideas/new HTTP/1.1" 200 -', False),
    ('203.0.113.77 - - [23/Nov/2026 10:00:00] "POST /api/v1/cases HTTP/1.1" 201 -', False),
    ('203.0.113.77 - - [23/Nov/2026 10:00:00] "GET /ideas/mine HTTP/1.1" 200 -', True),
])
def test_access_log_drops_submission_lines(line, kept):
    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, line, None, None)
    assert _DropSubmissionAccessLog().filter(record) is kept
