"""The demo data loads through the real services and every page renders with it."""
from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from workflow.models import Case
from workflow.ops.seeding import database_is_empty, seed_demo
from workflow.platform.extensions import db
from workflow.processes.registry import current_process

DEMO_ACCOUNTS = ["medarbetare", "chef", "vu", "rad", "fchef", "namnd", "infosak",
                 "upphandlare", "digital", "admin"]


@pytest.fixture
def demo(make_app):
    """Seeded here through the services (the other tests get the worker's copy: demo_app)."""
    app = make_app()
    with app.app_context():
        assert database_is_empty()
        result = seed_demo()
        assert not database_is_empty()
    app.seed_result = result
    return app


def test_demo_covers_every_state_with_thirty_cases(demo):
    assert demo.seed_result.cases >= 30
    with demo.app_context():
        states = Counter(db.session.scalars(select(Case.state)))
        assert set(states) == set(current_process().definition.states)
        from workflow.models import Meeting
        council = db.session.scalar(select(Meeting).where(Meeting.kind == "council"))
        assert len(council.items) == states["council"]  # the agenda proposes every waiting case
        origins = Counter(db.session.scalars(select(Case.origin)))
        assert {"staff_idea", "direct_channel", "political", "mandatory"} <= set(origins)


def test_every_demo_account_logs_in_and_every_page_renders(demo_app):
    demo = demo_app
    with demo.app_context():
        ids = db.session.scalars(select(Case.id)).all()
    for username in DEMO_ACCOUNTS:
        client = demo.test_client()
        assert client.post("/login", data={"username": username, "password": "demo"}).status_code == 302
        for path in ("/ideas/new", "/ideas/mine", "/todo", "/cases", "/cases?state=council",
                     "/meetings", "/council", "/notifications", "/objects",
                     "/settings/notifications", "/meetings/1", "/meetings/1/minutes"):
            assert client.get(path).status_code in (200, 404), (username, path)
            assert client.get(path).status_code == 200 or path.startswith("/meetings/1"), path
        seen = 0
        for case_id in ids:
            status = client.get(f"/cases/{case_id}").status_code
            assert status in (200, 404), (username, case_id)
            seen += status == 200
        if username in ("fchef", "admin"):
            assert seen >= len(ids) - 6  # everything but other people's drafts


def test_demo_accounts_can_carry_a_new_idea_through_the_chain(demo_app):
    """The issue's promise: the demo accounts together reach a decision from a new idea."""
    from helpers import IDEA, TO_APPROVED, drive, unit, user
    from workflow.cases import service as cases
    with demo_app.test_request_context():
        case = cases.create_case(user("medarbetare"), {**IDEA, "unit_id": unit().id})
        drive(case, TO_APPROVED)
        assert case.state == "approved"


def test_demo_seeds_whenever_it_is_run(make_app):
    """Dates in the seeds move with the day of seeding, so risk analyses never go stale."""
    from datetime import timedelta

    from workflow.models import utcnow
    app = make_app()
    with app.app_context():
        assert seed_demo(now=utcnow() + timedelta(days=300)).cases >= 30


def test_demo_history_counts_as_told_except_the_last_fortnight(demo_app):
    from datetime import timedelta

    from workflow.models import Notification, utcnow
    with demo_app.app_context():
        rows = db.session.scalars(select(Notification)).all()
        assert rows
        unread = [n for n in rows if n.read_at is None]
        assert unread and len(unread) < len(rows)
        assert all(n.created_at >= utcnow() - timedelta(days=15) for n in unread)


def test_seed_demo_command_is_idempotent(demo_app):
    runner = demo_app.test_cli_runner()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0 and "redan data" in result.output
