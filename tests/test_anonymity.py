"""An anonymous idea leaves no trace of its sender: not in any table, the history or the logs;
it records the förvaltning (or a unit only if the sender chooses one), and it becomes a case
only in the night's batch."""
from __future__ import annotations

import json
import logging
import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from helpers import IDEA, NORR, after_tonights_batch, api_token, login, new_draft, unit, user
from workflow import _DropSubmissionAccessLog
from workflow.models import AnonymousSubmission, Case, Department, Unit
from workflow.ops import jobs
from workflow.platform.extensions import db

IP = "203.0.113.77"
NOT_ANONYMOUS = "Din idé skickas med ditt namn. Vill du vara anonym, använd Ny idé och välj Anonymt."


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


def status_path(page: str) -> str:
    return re.search(r'href="https?://[^/"]+(/status/[^"]+)"', page).group(1)


def assert_no_trace(before, after, sender, expect=("cases", "case_history")) -> None:
    traces = {sender.username, sender.display_name, sender.email, IP}
    positions = user_columns()
    new_rows = {name: after[name] - before[name] for name in after}
    assert all(new_rows[name] for name in expect), {n: r for n, r in new_rows.items() if r}
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
                           data={**IDEA, "unit_id": unit_id, "anonymous_place": f"unit:{unit_id}",
                                 "anonymous": "y", "submit": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "anonymt" in page
    assert "registreras som ärende i natt" in page
    status = client.get(status_path(page)).get_data(as_text=True)
    assert "registreras som ärende i natt" in status and IDEA["title"] not in status
    with app.app_context():
        # Held without a case row: no case id, no timestamp, only the day and the chosen unit.
        held = snapshot()
        assert_no_trace(before, held, sender, expect=("anonymous_submissions",))
        assert db.session.scalar(select(Case)) is None
        assert db.session.scalar(select(AnonymousSubmission)).unit_id == unit_id
        assert jobs.register_anonymous_ideas(datetime.now(timezone.utc)) == 0  # not before night
        assert jobs.register_anonymous_ideas(after_tonights_batch(app)) == 1
        assert_no_trace(held, snapshot(), sender, expect=("cases", "case_history", "status_tokens"))
        case = db.session.scalar(select(Case))
        assert case.state == "direct" and case.author_id is None
        assert case.origin == "direct_channel" and case.unit_id == unit_id
        assert [(h.event, h.actor_id) for h in case.history] == [("submit_direct", None)]
        assert db.session.scalar(select(AnonymousSubmission)) is None
    assert IDEA["title"] in client.get(status_path(page)).get_data(as_text=True)
    assert not any(t in caplog.text for t in ("medarbetare", "Anna Lindqvist", IP))
    assert "Anonym" not in client.get("/ideas/mine").get_data(as_text=True)
    assert IDEA["title"] not in client.get("/ideas/mine").get_data(as_text=True)


def test_the_form_preselects_no_unit_for_an_anonymous_idea(app):
    client = app.test_client()
    login(client, "medarbetare")
    page = client.get("/ideas/new").get_data(as_text=True)
    anonymous_select = page[page.index('name="anonymous_place"'):]
    anonymous_select = anonymous_select[:anonymous_select.index("</select>")]
    # Only the empty "Välj förvaltning" is selected: nothing is chosen for the sender.
    assert re.findall(r"<option[^>]*selected[^>]*>", anonymous_select) == ['<option selected value="">']
    # The whole förvaltning is offered first in its group; a unit comes with a warning.
    assert "Hela Socialförvaltningen (rekommenderas)" in anonymous_select
    assert "en liten enhet kan räcka för att peka ut dig" in page
    with app.app_context():
        unit_id, before = unit().id, snapshot()
    # Ticking Anonymt without choosing a unit sends nothing: the own unit is never taken.
    response = client.post("/ideas/new", data={**IDEA, "unit_id": unit_id, "anonymous": "y",
                                               "submit": "1"})
    assert response.status_code == 422
    assert "Inget är förvalt när du skickar anonymt" in response.get_data(as_text=True)
    with app.app_context():
        assert snapshot() == before


def unit_columns() -> dict[str, list[int]]:
    """For each table, the positions of columns that refer to a unit."""
    return {table.name: [i for i, column in enumerate(table.columns)
                         if any(fk.column.table.name == "units" for fk in column.foreign_keys)]
            for table in db.metadata.sorted_tables}


def assert_no_unit(before, after) -> None:
    """No new row in any table names a unit: the idea is known by its förvaltning only."""
    positions = unit_columns()
    for name, rows in after.items():
        for row in rows - before[name]:
            assert all(row[p] is None for p in positions[name]), (name, row)


def socialforvaltningen() -> Department:
    return db.session.scalar(select(Department).where(Department.name == "Socialförvaltningen"))


def test_an_anonymous_idea_names_only_the_forvaltning(app, caplog):
    """The sender's unit is in no table: not while the idea is held, not once it is a case,
    and a unit's manager (who knows the unit's few staff) does not get it; the förvaltning's
    management does, and the page says no unit was given."""
    caplog.set_level(logging.DEBUG)
    client = app.test_client()
    login(client, "medarbetare")
    with app.app_context():
        sender, before = user("medarbetare"), snapshot()
        unit_id, department_id = unit().id, socialforvaltningen().id
    response = client.post("/ideas/new", environ_base={"REMOTE_ADDR": IP},
                           data={**IDEA, "unit_id": unit_id, "anonymous": "y", "submit": "1",
                                 "anonymous_place": f"department:{department_id}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    with app.app_context():
        held = snapshot()
        assert_no_trace(before, held, sender, expect=("anonymous_submissions",))
        assert_no_unit(before, held)
        submission = db.session.scalar(select(AnonymousSubmission))
        assert (submission.department_id, submission.unit_id) == (department_id, None)
        assert jobs.register_anonymous_ideas(after_tonights_batch(app)) == 1
        after = snapshot()
        assert_no_trace(held, after, sender, expect=("cases", "case_history", "status_tokens"))
        assert_no_unit(held, after)
        case = db.session.scalar(select(Case))
        assert (case.department_id, case.unit_id, case.state) == (department_id, None, "direct")
        case_id = case.id
    assert not any(t in caplog.text for t in ("medarbetare", "Anna Lindqvist", IP, NORR))
    client.post("/logout")
    login(client, "fchef")
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Ingen enhet angiven, Socialförvaltningen" in page
    assert IDEA["title"] in client.get("/cases").get_data(as_text=True)
    export = client.get("/exports/cases.csv").get_data(as_text=True)
    assert IDEA["title"] in export
    client.post("/logout")
    login(client, "chef")  # the sender's own unit manager: a unit role covers unit cases only
    assert client.get(f"/cases/{case_id}").status_code == 404
    assert IDEA["title"] not in client.get("/cases").get_data(as_text=True)


def test_an_anonymous_idea_over_the_api_may_name_only_the_forvaltning(app):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {api_token(client, 'medarbetare')}"}
    with app.app_context():
        department_id = socialforvaltningen().id
        other = db.session.scalar(select(Unit).where(Unit.department_id != department_id))
        other_id, before = other.id, snapshot()
    # A unit of another förvaltning than the one named is refused, not guessed.
    response = client.post("/api/v1/cases", headers=headers, json={
        **IDEA, "anonymous": True, "department_id": department_id, "unit_id": other_id})
    assert response.status_code == 422 and "unit_id" in response.get_json()["fields"]
    # Neither a förvaltning nor a unit: the sender is asked for the förvaltning.
    response = client.post("/api/v1/cases", headers=headers, json={**IDEA, "anonymous": True})
    assert response.status_code == 422
    assert response.get_json()["fields"]["department_id"] == ["Välj vilken förvaltning idén gäller."]
    # A named idea belongs to its unit's förvaltning: department_id alone is refused.
    response = client.post("/api/v1/cases", headers=headers,
                           json={**IDEA, "department_id": department_id})
    assert response.status_code == 422 and "department_id" in response.get_json()["fields"]
    with app.app_context():
        assert snapshot() == before
    response = client.post("/api/v1/cases", headers=headers, json={
        **IDEA, "anonymous": True, "department_id": department_id})
    assert response.status_code == 202
    with app.app_context():
        jobs.register_anonymous_ideas(after_tonights_batch(app))
        case = db.session.scalar(select(Case))
        assert (case.department_id, case.unit_id) == (department_id, None)
    headers = {"Authorization": f"Bearer {api_token(client, 'fchef')}"}
    detail = client.get(f"/api/v1/cases/{case.id}", headers=headers).get_json()
    assert (detail["department_id"], detail["unit_id"]) == (department_id, None)


def test_moving_a_unit_moves_its_cases_to_the_new_forvaltning(app):
    from workflow.organisation import admin as admin_organisation
    with app.app_context():
        case = new_draft()
        target = db.session.scalar(select(Department).where(
            Department.name != "Socialförvaltningen", Department.closed_at.is_(None)))
        admin_organisation.update_unit(user("admin"), unit(), {"department_id": target.id})
        db.session.commit()
        db.session.expire_all()
        assert db.session.get(Case, case.id).department_id == target.id


def test_a_day_of_anonymous_ideas_becomes_cases_at_night_in_random_order(app):
    """Ids of one night's batch follow the shuffle, not the order the ideas were sent in."""
    client = app.test_client()
    login(client, "medarbetare")
    with app.app_context():
        unit_id = unit().id
    for title in ("Först skickad", "Sist skickad"):
        client.post("/ideas/new", data={**IDEA, "title": title, "unit_id": unit_id,
                                        "anonymous_place": f"unit:{unit_id}", "anonymous": "y",
                                        "submit": "1"})

    class LastFirst:  # an injected randomness that puts the last one sent first
        def shuffle(self, batch):
            batch.sort(key=lambda held: held.fields["title"] != "Sist skickad")

    with app.app_context():
        assert db.session.scalar(select(Case)) is None
        assert jobs.register_anonymous_ideas(after_tonights_batch(app), rng=LastFirst()) == 2
        titles = [case.title for case in db.session.scalars(select(Case).order_by(Case.id))]
        assert titles == ["Sist skickad", "Först skickad"]
        for case in db.session.scalars(select(Case)):
            for moment in (case.created_at, case.updated_at, *(h.at for h in case.history)):
                assert (moment.hour, moment.minute, moment.second, moment.microsecond) == (0,) * 4
        assert jobs.register_anonymous_ideas(after_tonights_batch(app) + timedelta(hours=1)) == 0


def test_sending_a_named_draft_to_the_management_says_it_is_not_anonymous(app):
    client = app.test_client()
    login(client, "medarbetare")
    with app.app_context():
        case_id = new_draft().id
    assert NOT_ANONYMOUS in client.get(f"/cases/{case_id}").get_data(as_text=True)
    token = api_token(client, "medarbetare")
    events = client.get(f"/api/v1/cases/{case_id}", headers={"Authorization": f"Bearer {token}"}
                        ).get_json()["available_events"]
    assert [e.get("notice") for e in events if e["event"] == "submit_direct"] == [NOT_ANONYMOUS]
    assert all("notice" not in e for e in events if e["event"] != "submit_direct")


def test_anonymous_idea_over_the_api(app, caplog):
    caplog.set_level(logging.DEBUG)
    client = app.test_client()
    token = api_token(client, "medarbetare")
    with app.app_context():
        sender, before = user("medarbetare"), snapshot()
        unit_id = unit().id
    response = client.post("/api/v1/cases", headers={"Authorization": f"Bearer {token}"},
                           environ_base={"REMOTE_ADDR": IP},
                           json={**IDEA, "unit_id": unit_id, "anonymous": True})
    assert response.status_code == 202 and "Location" not in response.headers
    assert response.get_json()["state"] == "received" and "id" not in response.get_json()
    with app.app_context():
        assert_no_trace(before, snapshot(), sender, expect=("anonymous_submissions",))
        held = snapshot()
        assert jobs.register_anonymous_ideas(after_tonights_batch(app)) == 1
        assert_no_trace(held, snapshot(), sender)
    assert not any(t in caplog.text for t in ("medarbetare", "Anna Lindqvist", IP))


def test_management_sees_the_idea_without_a_sender(app):
    client = app.test_client()
    client.post("/login", data={"username": "medarbetare", "password": "demo"})
    with app.app_context():
        unit_id = unit().id
    client.post("/ideas/new", data={**IDEA, "unit_id": unit_id, "anonymous_place": f"unit:{unit_id}",
                                    "anonymous": "y", "submit": "1"})
    with app.app_context():
        jobs.register_anonymous_ideas(after_tonights_batch(app))
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
                                               "anonymous_place": f"unit:{unit_id}", "submit": "1"})
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
