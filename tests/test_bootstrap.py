"""A new region from an empty database: one command creates the region and its first
administrator, who then does everything else in the browser."""
from __future__ import annotations

from sqlalchemy import func, select

from workflow.models import AdminLogEntry, Region, User
from workflow.platform.extensions import db


def test_create_admin_on_an_empty_database_then_log_in_and_administer(make_app):
    app = make_app()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-admin", "--region", "Region Exempel", "--username",
                                 "maja", "--name", "Maja Berg", "--email", "maja@example.se"],
                           input="hemligt-lösen-1\nhemligt-lösen-1\n")
    assert result.exit_code == 0, result.output
    assert "Administratören maja är skapad i Region Exempel." in result.output
    with app.app_context():
        maja = db.session.scalar(select(User).where(User.username == "maja"))
        assert maja.region.name == "Region Exempel"
        assert [(a.role, a.department_id, a.unit_id) for a in maja.roles] == [("admin", None, None)]
        actions = set(db.session.scalars(select(AdminLogEntry.action)))
        assert {"region.create", "user.create", "role.assign"} <= actions
    client = app.test_client()
    client.post("/login", data={"username": "maja", "password": "hemligt-lösen-1"})
    assert client.get("/admin/").status_code == 200


def test_a_second_admin_joins_the_existing_region_and_bad_input_writes_nothing(make_app):
    app = make_app()
    runner = app.test_cli_runner()
    args = ["create-admin", "--region", "Region Exempel", "--name", "Maja Berg", "--no-password"]
    assert runner.invoke(args=[*args, "--username", "maja"]).exit_code == 0
    assert runner.invoke(args=[*args, "--username", "olle"]).exit_code == 0
    refused = runner.invoke(args=["create-admin", "--region", "Region Ny", "--name", "X",
                                  "--username", "maja", "--no-password"])
    assert refused.exit_code != 0
    assert "username: Användarnamnet är redan upptaget." in refused.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Region.id))) == 1  # "Region Ny" rolled back
        assert db.session.scalar(select(func.count(User.id))) == 2
