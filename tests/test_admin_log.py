"""The admin log: append-only, filterable, only for region administrators."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from helpers import user
from workflow.admin import log as admin_log
from workflow.models import AdminLogEntry, AppendOnlyViolation, Department
from workflow.platform.extensions import db


def _login(client, username: str) -> None:
    client.post("/login", data={"username": username, "password": "demo"})


def _rename(actor_name: str, department_name: str, new_name: str) -> AdminLogEntry:
    department = db.session.scalar(db.select(Department).filter_by(name=department_name))
    before, after = admin_log.changes({"name": department.name}, {"name": new_name})
    department.name = new_name
    entry = admin_log.record(user(actor_name), "department.rename", department,
                             before=before, after=after)
    db.session.commit()
    return entry


def test_changes_keep_only_what_differs():
    assert admin_log.changes({"a": 1, "b": 2}, {"a": 1, "b": 3}) == ({"b": 2}, {"b": 3})


def test_an_entry_records_who_what_and_before_after(app):
    with app.app_context():
        entry = _rename("admin", "Socialförvaltningen", "Socialförvaltningen Gotland")
        assert (entry.actor_name, entry.action, entry.target_type) == (
            user("admin").display_name, "department.rename", "departments")
        assert entry.before == {"name": "Socialförvaltningen"}
        assert entry.after == {"name": "Socialförvaltningen Gotland"}
        assert entry.region_id == user("admin").region_id and entry.at is not None


def test_the_log_cannot_be_changed_in_the_session_or_in_sql(app):
    with app.app_context():
        entry = _rename("admin", "Socialförvaltningen", "Sof")
        entry.action = "something.else"
        with pytest.raises(AppendOnlyViolation):
            db.session.flush()
        db.session.rollback()
        with pytest.raises(Exception, match="append-only"):
            db.session.execute(text("DELETE FROM admin_log"))
        db.session.rollback()
        assert db.session.scalar(db.select(db.func.count(AdminLogEntry.id))) == 1


def test_filters_by_action_actor_and_date(app):
    with app.app_context():
        _rename("admin", "Socialförvaltningen", "Sof")
        region_id = user("admin").region_id
        assert admin_log.entries(region_id, admin_log.LogFilter(action="department.rename")).total == 1
        assert admin_log.entries(region_id, admin_log.LogFilter(action="user.create")).total == 0
        assert admin_log.entries(region_id, admin_log.LogFilter(
            actor_id=user("medarbetare").id)).total == 0
        today = date.today()
        assert admin_log.entries(region_id, admin_log.LogFilter(since=today, until=today)).total == 1
        assert admin_log.entries(region_id, admin_log.LogFilter(
            until=date(2000, 1, 1))).total == 0
        assert admin_log.entries(region_id, admin_log.LogFilter(text="sof")).total == 1


def test_only_region_admins_reach_the_admin_pages(app, client):
    with app.app_context():
        _rename("admin", "Socialförvaltningen", "Sof & <b>co</b>")
    _login(client, "medarbetare")
    assert client.get("/admin/").status_code == 403
    assert client.get("/admin/log").status_code == 403
    client.post("/logout")
    _login(client, "admin")
    index = client.get("/admin/")
    assert index.status_code == 200 and "/admin/log" in index.get_data(as_text=True)
    page = client.get("/admin/log?action=department.rename").get_data(as_text=True)
    assert "department.rename" in page and "Sof &amp; &lt;b&gt;co&lt;/b&gt;" in page
    assert "Inga ändringar matchar." in client.get("/admin/log?action=user.create").get_data(
        as_text=True)


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get("/admin/log")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
