"""Nothing waits silently: notifications on changes, the jobs' reminders, escalations,
follow-up and review requests and digests, all idempotent, with time passed in explicitly."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import pytest
from flask import render_template_string
from flask_babel import get_locale
from sqlalchemy import select

from helpers import IDEA, after_tonights_batch, case_in, statements_run, unit, user
from workflow.cases import service as cases
from workflow.models import InfoObject, Notification
from workflow.notifications import service as notifications
from workflow.notifications.messages import message
from workflow.ops import jobs
from workflow.platform.extensions import db

# A Monday in November at noon in Stockholm (11:00 UTC).
MONDAY = datetime(2026, 11, 23, 11, 0, tzinfo=timezone.utc)


def inbox(username: str) -> list[Notification]:
    query = select(Notification).where(Notification.user_id == user(username).id)
    return list(db.session.scalars(query.order_by(Notification.id)))


def test_submitter_hears_of_every_change_with_the_motivation_when_rejected(ctx):
    case = case_in("apt")
    subjects = [n.subject for n in inbox("medarbetare")]
    assert subjects == [f"Ärende {case.id}: Ta upp på APT"]  # not told of their own submit
    cases.fire(case, "reject", user("chef"), {"motivation": "Löses redan av nya rutinen."})
    latest = inbox("medarbetare")[-1]
    assert latest.kind == "status" and latest.case_id == case.id
    assert "Avslagen" in latest.body and "Motivering: Löses redan av nya rutinen." in latest.body
    assert inbox("chef") == []  # the actor is not told of what they did


def test_the_stored_text_is_swedish_whatever_the_actors_language(app):
    """The subject and body columns hold the default language (the GDPR export, rows before
    migration 0019), even when the person who acted reads the app in English."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        case = case_in("apt")
        assert str(get_locale()) == "en"
        cases.fire(case, "reject", user("chef"), {"motivation": "Löses redan."})
        latest = inbox("medarbetare")[-1]
        assert latest.subject == f"Ärende {case.id}: Avslå"
        assert "Nytt läge: Avslagen." in latest.body and "Motivering: Löses redan." in latest.body
        assert "Rejected" not in latest.body and "New state" not in latest.body
        db.session.remove()


def test_followers_are_told_and_can_stop_following(ctx):
    case = case_in("submitted")
    notifications.follow(user("rad"), case)
    notifications.follow(user("rad"), case)  # twice is harmless
    cases.fire(case, "take_up", user("chef"), {})
    assert [n.kind for n in inbox("rad")] == ["followed"]
    notifications.follow(user("rad"), case, False)
    cases.fire(case, "forward", user("chef"), {"note": "Vidare"})
    assert len(inbox("rad")) == 1


def test_email_settings_decide_how_a_notification_is_mailed(ctx):
    case = case_in("submitted")
    notifications.save_settings(user("medarbetare"), email_enabled=True, email_mode="digest",
                                email_kinds=["status"])
    cases.fire(case, "take_up", user("chef"), {})
    assert inbox("medarbetare")[-1].email_mode == "digest"
    notifications.save_settings(user("medarbetare"), email_enabled=True, email_mode="immediate",
                                email_kinds=["reminder"])
    cases.fire(case, "forward", user("chef"), {"note": "N"})
    assert inbox("medarbetare")[-1].email_mode is None  # in the app, but not by email


def test_overdue_case_reminds_then_escalates_once(ctx):
    start = MONDAY - timedelta(days=100)
    case = cases.create_case(user("medarbetare"), {**IDEA, "unit_id": unit().id}, now=start)
    cases.fire(case, "submit", user("medarbetare"), {}, now=start)
    assert jobs.overdue_scan(start + timedelta(days=29)) == 0  # target: 30 days
    assert jobs.overdue_scan(start + timedelta(days=31)) == 1
    assert [n.kind for n in inbox("chef")] == ["reminder"]
    assert jobs.overdue_scan(start + timedelta(days=32)) == 0  # run again: nothing new
    assert inbox("fchef") == []
    assert jobs.overdue_scan(start + timedelta(days=45)) == 1  # 30 + 14: escalation
    assert [n.kind for n in inbox("fchef")] == ["escalation"]
    events = [h.event for h in case.history]
    assert events.count("reminder") == 1 and events.count("escalation") == 1
    assert case.history[-1].data["to_ids"] == [user("fchef").id]  # ids, so erasure works
    page = render_template_string("{{ display_names(ids)|join(', ') }}",
                                  ids=case.history[-1].data["to_ids"])
    assert page == "Karin Gustafsson"


def test_missed_period_is_caught_up_in_one_run(ctx):
    start = MONDAY - timedelta(days=100)
    case = cases.create_case(user("medarbetare"), {**IDEA, "unit_id": unit().id}, now=start)
    cases.fire(case, "submit", user("medarbetare"), {}, now=start)
    assert jobs.overdue_scan(MONDAY) == 2  # downtime: reminder and escalation together
    assert jobs.overdue_scan(MONDAY) == 0


def test_acting_resets_the_clock(ctx):
    start = MONDAY - timedelta(days=100)
    case = cases.create_case(user("medarbetare"), {**IDEA, "unit_id": unit().id}, now=start)
    cases.fire(case, "submit", user("medarbetare"), {}, now=start)
    cases.fire(case, "take_up", user("chef"), {}, now=MONDAY - timedelta(days=10))
    assert jobs.overdue_scan(MONDAY) == 0  # 10 days at APT, target 30


def test_benefit_checkpoints_ask_for_follow_up_at_6_and_12_months(ctx):
    case = case_in("implementation")  # targets at 6 and 12 months after go-live
    cases.fire(case, "go_live", user("vu"), {"go_live_date": "2026-10-01"})
    assert jobs.benefit_checkpoints(datetime(2027, 3, 31, 12, tzinfo=timezone.utc)) == 0
    assert jobs.benefit_checkpoints(datetime(2027, 4, 1, 12, tzinfo=timezone.utc)) == 1
    note = inbox("vu")[-1]
    assert note.kind == "follow_up" and "Minuter per pass på nycklar" in note.body
    assert jobs.benefit_checkpoints(datetime(2027, 4, 2, 12, tzinfo=timezone.utc)) == 0
    assert jobs.benefit_checkpoints(datetime(2027, 10, 2, 12, tzinfo=timezone.utc)) == 1
    assert case.state == "follow_up"


def test_annual_review_of_objects(ctx):
    stale = InfoObject(name="Gammalt system", last_review=date(2025, 11, 1))
    fresh = InfoObject(name="Nytt system", last_review=date(2026, 11, 1))
    db.session.add_all([stale, fresh])
    db.session.commit()
    due = {o.name for o in notifications.objects_due_for_review(MONDAY)}
    assert "Gammalt system" in due and "Nytt system" not in due
    created = jobs.annual_review(MONDAY)
    assert created == len(due)  # one for infosak per object due
    assert {n.subject for n in inbox("infosak")} >= {"Dags för årlig översyn: Gammalt system"}
    assert jobs.annual_review(MONDAY) == 0


def test_weekly_digest_from_the_configured_moment_once_a_week(ctx):
    case_in("submitted")
    early = datetime(2026, 11, 23, 5, 59, tzinfo=timezone.utc)  # 06:59 in Stockholm
    assert jobs.weekly_digest(early) == 0
    assert jobs.weekly_digest(MONDAY) >= 1
    digest = [n for n in inbox("chef") if n.kind == "digest"]
    assert len(digest) == 1 and digest[0].subject.startswith("Veckosammanfattning: 1 ")
    assert jobs.weekly_digest(MONDAY + timedelta(days=2)) == 0  # same week, catch-up only
    assert jobs.weekly_digest(MONDAY + timedelta(days=7)) >= 1


def test_the_weekly_digest_counts_every_waiting_case_past_the_lists_count_limit(ctx):
    """The lists count only so far (docs/lists.md); the digest, which lists 50, tells the
    whole number."""
    ctx.config["LIST_COUNT_LIMIT"] = 1
    for _ in range(51):
        case_in("submitted")
    assert cases.list_cases(user("chef"), todo=True, per_page=50).exact is False
    assert jobs.weekly_digest(MONDAY) >= 1
    digest = [n for n in inbox("chef") if n.kind == "digest"]
    assert digest[0].subject.startswith("Veckosammanfattning: 51 ")
    assert len(digest[0].body.splitlines()) == 51  # the number, then 50 cases


def test_unread_count_and_marking_read(app):
    with app.app_context():
        case_in("apt")
    client = app.test_client()
    client.post("/login", data={"username": "medarbetare", "password": "demo"})
    page = client.get("/notifications").get_data(as_text=True)
    assert "Ta upp på APT" in page
    assert re.search(r'class="count-badge">1<', client.get("/ideas/mine").get_data(as_text=True))
    client.post("/notifications/read-all")
    assert "count-badge" not in client.get("/ideas/mine").get_data(as_text=True)


def test_the_unread_count_is_read_with_the_user_and_again_after_a_write(app):
    """Issue 14: the menu's unread count comes in the statement that loads the person (no
    query of its own on every page); a commit in the request makes it read anew."""
    with app.app_context():
        case_id = case_in("apt").id
    client = app.test_client()
    client.post("/login", data={"username": "medarbetare", "password": "demo"})
    with app.app_context():
        engine = db.engine
    with statements_run(engine) as asked:
        page = client.get("/ideas/mine").get_data(as_text=True)
    assert re.search(r'class="count-badge">1<', page)
    assert not [s for s in asked if s.startswith("SELECT count(*)") and "notifications" in s]
    assert any(s.startswith("SELECT users.") and "notifications" in s for s in asked)
    with app.app_context():  # one more unread notification, from someone else's event
        cases.fire(cases.get_case(user("chef"), case_id), "forward", user("chef"),
                   {"note": "Till verksamhetsutvecklaren."})
    assert re.search(r'class="count-badge">2<',
                     client.get("/ideas/mine").get_data(as_text=True))
    client.post("/notifications/read-all")
    assert "count-badge" not in client.get("/ideas/mine").get_data(as_text=True)


def test_follow_button_on_the_case_page(app):
    with app.app_context():
        case_id = case_in("council").id
    client = app.test_client()
    client.post("/login", data={"username": "infosak", "password": "demo"})
    assert "Följ ärendet" in client.get(f"/cases/{case_id}").get_data(as_text=True)
    client.post(f"/cases/{case_id}/follow", data={"follow": "1"})
    assert "Sluta följa ärendet" in client.get(f"/cases/{case_id}").get_data(as_text=True)


def test_settings_page(app):
    client = app.test_client()
    client.post("/login", data={"username": "chef", "password": "demo"})
    assert client.get("/settings/notifications").status_code == 200
    response = client.post("/settings/notifications", data={
        "email_enabled": "y", "email_mode": "digest", "email_kinds": ["status", "reminder"]})
    assert response.status_code == 302
    with app.app_context():
        saved = notifications.settings_for(user("chef"))
        assert (saved.email_mode, saved.email_kinds) == ("digest", ["status", "reminder"])


def test_anonymous_submitter_follows_through_the_secret_link(app):
    client = app.test_client()
    client.post("/login", data={"username": "medarbetare", "password": "demo"})
    with app.app_context():
        unit_id = unit().id
    page = client.post("/ideas/new", data={**IDEA, "unit_id": unit_id, "anonymous": "y",
                                           "anonymous_place": f"unit:{unit_id}",
                                           "submit": "1"}).get_data(as_text=True)
    link = re.search(r'href="(http://localhost/status/[^"]+)"', page).group(1)
    client.post("/logout")
    with app.app_context():  # the nightly batch turns the held idea into a case
        assert jobs.register_anonymous_ideas(after_tonights_batch(app)) == 1
    status = client.get(link.replace("http://localhost", ""))
    assert status.status_code == 200
    assert "Direktkanal till ledningen" in status.get_data(as_text=True)
    with app.app_context():
        from workflow.models import Case
        anonymous = db.session.scalar(select(Case).where(Case.author_id.is_(None)))
        cases.fire(anonymous, "reject", user("fchef"), {"motivation": "Finns redan i planen."})
    page = client.get(link.replace("http://localhost", "")).get_data(as_text=True)
    assert "Avslagen" in page and "Finns redan i planen." in page
    assert "Karin Gustafsson" not in page  # no names on the status page
    assert client.get("/status/gissning").status_code == 404


def test_api_returns_the_status_link_once(app):
    client = app.test_client()
    token = client.post("/api/v1/tokens", json={"username": "medarbetare", "password": "demo"}
                        ).get_json()["token"]
    with app.app_context():
        unit_id = unit().id
    body = client.post("/api/v1/cases", headers={"Authorization": f"Bearer {token}"},
                       json={**IDEA, "unit_id": unit_id, "anonymous": True}).get_json()
    assert "/status/" in body["status_url"]
    assert client.get(body["status_url"].replace("http://localhost", "")).status_code == 200


@pytest.fixture
def mail_app(make_app, smtp_server):
    from workflow.ops.seeding import seed_demo
    app = make_app(MAIL_BACKEND="smtp", SMTP_HOST=smtp_server.host, SMTP_PORT=smtp_server.port,
                   APP_BASE_URL="https://idefloedet.example.se")
    with app.app_context():
        seed_demo(with_cases=False)
    return app


def test_emails_reach_a_real_smtp_server_once(mail_app, smtp_server):
    with mail_app.app_context():
        case_id = case_in("apt").id  # medarbetare is told that the chef took it up
        assert jobs.deliver_email(MONDAY) == 1
        assert jobs.deliver_email(MONDAY) == 0  # already sent: nothing twice
    [message] = smtp_server.messages
    assert message["To"] == "anna.lindqvist@example.se"
    assert message["Subject"] == f"Ärende {case_id}: Ta upp på APT"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Hej Anna Lindqvist!" in text
    assert f"https://idefloedet.example.se/cases/{case_id}" in text and "På APT" in text
    assert f'href="https://idefloedet.example.se/cases/{case_id}"' in html


def test_digest_mode_bundles_notifications_into_the_weekly_email(mail_app, smtp_server):
    with mail_app.app_context():
        notifications.save_settings(user("medarbetare"), email_enabled=True, email_mode="digest",
                                    email_kinds=list(notifications.KINDS))
        case_in("refinement")  # two changes told to medarbetare, both for the digest
        assert jobs.deliver_email(MONDAY) == 0
        assert jobs.weekly_digest(MONDAY) >= 1
        assert jobs.deliver_email(MONDAY) >= 1
        bundled = inbox("medarbetare")
        assert all(n.emailed_at is not None for n in bundled if n.email_mode)
    digests = [m for m in smtp_server.messages if m["To"] == "anna.lindqvist@example.se"]
    assert len(digests) == 1 and digests[0]["Subject"] == "Veckosammanfattning från Idéflödet"
    assert "Ta upp på APT" in digests[0].get_body(("plain",)).get_content()


def test_a_person_without_an_address_does_not_block_the_others(mail_app, smtp_server):
    with mail_app.app_context():
        anna = user("medarbetare")
        anna.email = None
        db.session.commit()
        case_in("apt")
        notifications.notify(user("rad"), "reminder", "test:rad", message("Påminnelse"), ["Text"])
        db.session.commit()
        jobs.deliver_email(MONDAY)
    assert [m["To"] for m in smtp_server.messages] == ["johan.pettersson@example.se"]


def test_each_email_is_in_its_recipients_stored_language(mail_app, smtp_server):
    with mail_app.app_context():
        user("medarbetare").language = "en"  # picked English in the header once
        user("rad").language = "sv"
        db.session.commit()
        case_id = case_in("apt").id  # medarbetare is told that the chef took it up
        notifications.notify(user("rad"), "reminder", "test:rad",
                             message("Ärende %(case)s väntar på dig", case=case_id), ["Text"])
        db.session.commit()
        assert jobs.deliver_email(MONDAY) == 2
    mails = {m["To"]: m for m in smtp_server.messages}
    english = mails["anna.lindqvist@example.se"]
    assert english["Subject"].startswith(f"Case {case_id}: ")
    assert "Hello Anna Lindqvist," in english.get_body(("plain",)).get_content()
    assert 'lang="en"' in english.get_body(("html",)).get_content()
    swedish = mails["johan.pettersson@example.se"]
    assert swedish["Subject"] == f"Ärende {case_id} väntar på dig"
    assert "Hej Johan Pettersson!" in swedish.get_body(("plain",)).get_content()


def test_the_digest_is_in_its_recipients_stored_language(mail_app, smtp_server):
    with mail_app.app_context():
        user("medarbetare").language = "en"
        db.session.commit()
        notifications.save_settings(user("medarbetare"), email_enabled=True, email_mode="digest",
                                    email_kinds=list(notifications.KINDS))
        case_in("refinement")
        assert jobs.weekly_digest(MONDAY) >= 1
        assert jobs.deliver_email(MONDAY) >= 1
    [digest] = [m for m in smtp_server.messages if m["To"] == "anna.lindqvist@example.se"]
    assert digest["Subject"] == "Weekly summary from Idéflödet"
    assert "Hello Anna Lindqvist," in digest.get_body(("plain",)).get_content()


# Followers of one case, each with other email settings: (username, email, settings row as
# (enabled, mode, kinds) or None for the defaults, active).
SETTINGS_MATRIX = [
    ("vu", "sofia.karlsson@example.se", (True, "digest", []), True),
    ("rad", "johan.pettersson@example.se", (True, "immediate", ["status"]), True),
    ("fchef", "karin.gustafsson@example.se", (True, "immediate", ["followed"]), True),
    ("digital", "ahmed.hassan@example.se", (True, "digest", None), True),
    ("infosak", "mikael.nilsson@example.se", (False, "immediate", []), True),
    ("upphandlare", "", None, True),           # no address: nothing to email
    ("namnd", None, (True, "immediate", ["followed", "reminder"]), True),
    ("admin", "maja.berg@example.se", None, True),
    ("lars", "lars.svensson@example.se", None, False),   # left: not told at all
    ("chef", "erik.johansson@example.se", None, True),   # the actor: not told
]


def followed_by_every_setting(case) -> None:
    """Make each person of SETTINGS_MATRIX follow ``case`` with their settings and address."""
    from workflow.models import CaseFollower, NotificationSettings
    from workflow.platform import uow

    with uow.unit_of_work():
        for name, email, settings, active in SETTINGS_MATRIX:
            person = user(name)
            person.email, person.is_active_user = email, active
            if settings is not None:
                db.session.merge(NotificationSettings(
                    user_id=person.id, email_enabled=settings[0], email_mode=settings[1],
                    email_kinds=settings[2]))
            db.session.merge(CaseFollower(case_id=case.id, user_id=person.id))


def test_a_transition_tells_the_same_people_the_same_way_on_every_database(ctx):
    """A transition's notifications are written by INSERT … SELECT with its history row,
    choosing whom to tell and how to email them in SQL (notifications.transition_follow;
    PostgreSQL's own functions); case_changed does it in Python (a merge, another database).
    For followers with every kind of setting, the rows written must be the rows
    case_changed would write, column by column."""
    from workflow.models import NotificationSettings
    from workflow.platform import uow

    case = case_in("submitted")
    with uow.unit_of_work():  # the submitter: only changes to their own ideas, as a digest
        db.session.merge(NotificationSettings(user_id=user("medarbetare").id,
                                              email_enabled=True, email_mode="digest",
                                              email_kinds=["status"]))
    followed_by_every_setting(case)
    cases.fire(case, "take_up", user("chef"))
    entry = case.history[-1]
    columns = ("key", "user_id", "case_id", "kind", "subject", "body", "subject_key",
               "subject_params", "body_parts", "created_at", "email_mode")
    written = sorted(tuple(getattr(n, c) for c in columns) for n in db.session.scalars(
        select(Notification).where(Notification.key.like(f"event:{entry.id}:%"))))

    class Undo(Exception):
        pass

    with pytest.raises(Undo):
        with uow.unit_of_work() as work:
            notifications.case_changed(case, entry, entry.at)
            expected = sorted(tuple(uow._row(n).get(c) for c in columns)
                              for n in work.notifications)
            raise Undo
    assert written == expected
    modes = {row[1]: row[10] for row in written}
    assert modes == {user("medarbetare").id: "digest", user("vu").id: "digest",
                     user("rad").id: None, user("fchef").id: "immediate",
                     user("digital").id: "digest", user("infosak").id: None,
                     user("upphandlare").id: None, user("namnd").id: None,
                     user("admin").id: notifications.rules().email_mode
                     if notifications.rules().email_enabled else None}


@pytest.mark.parametrize("enabled", [True, False])
@pytest.mark.parametrize("mode", ["immediate", "digest"])
def test_the_email_choice_in_sql_is_the_one_in_python(ctx, enabled, mode):
    """notifications._email_mode_column (SQL: PostgreSQL's JSON functions; on SQLite a call
    of email_mode_for) against email_mode_for for each person of SETTINGS_MATRIX, both
    kinds, and the defaults of config/notifications.toml as given."""
    from sqlalchemy import literal

    case = case_in("submitted")
    followed_by_every_setting(case)
    recipient = notifications._RECIPIENTS.subquery("recipient")
    defaults = notifications.Wishes(enabled, mode, list(notifications.KINDS))
    for kind in ("status", "followed"):
        rows = db.session.execute(
            select(recipient.c.id, recipient.c.email, recipient.c.saved,
                   recipient.c.email_enabled, recipient.c.email_mode, recipient.c.email_kinds,
                   notifications._email_mode_column(recipient, literal(kind),
                                                    db.engine.dialect.name)),
            {"case_id": case.id, "submitter_id": case.author_id,
             "notice_default_enabled": enabled, "notice_default_mode": mode}).all()
        assert len(rows) == 1 + sum(1 for *_, active in SETTINGS_MATRIX if active)
        for row in rows:
            wishes = (notifications.Wishes(row.email_enabled, row.email_mode, row.email_kinds)
                      if row.saved is not None else defaults)
            assert row[-1] == notifications.email_mode_for(wishes, row.email, kind), (
                row.id, kind)
