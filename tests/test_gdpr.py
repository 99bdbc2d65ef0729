"""A person's data: the export holds theirs and nobody else's; erasure leaves no trace of their
name, email, username or external ids in any table, while cases, comments and the hash-chained
history stay and show "borttagen användare"."""
from __future__ import annotations

import json
import os

from sqlalchemy import inspect, select, text

from factories import person
from helpers import IDEA, case_in, drive, unit, user
from workflow.cases import service as cases
from workflow.council import service as scoring
from workflow.models import (
    AdminLogEntry,
    ApiToken,
    Case,
    CaseEvent,
    CaseFollower,
    Notification,
    NotificationSettings,
    RoleAssignment,
    User,
)
from workflow.notifications import service as notifications
from workflow.ops import gdpr
from workflow.people import accounts
from workflow.platform.extensions import db

PERSON = {"username": "zquist", "display_name": "Zelda Quist", "email": "zelda.quist@example.se",
          "external_id": "EXT-ZQ-4711", "external_subject": "https://idp.example.se ZQ-sub-99",
          "language": "en"}
# What must not be found anywhere after erasure (case-insensitively).
TRACES = ["Zelda", "Quist", "zquist", "zelda.quist@example.se", "EXT-ZQ-4711", "ZQ-sub-99"]
HER_IDEA = {"title": "Självincheckning i receptionen", "need": "Köer vid disken varje morgon.",
            "effect": "Kortare väntan."}
HER_COMMENT = "Vi provade detta på förra arbetsplatsen."
OTHERS_COMMENT = "Bra idé, men vem betalar licensen?"
SCORES = {"benefit": 4, "urgency": 3, "feasibility": 4, "risk": 2, "strategic_fit": 5}


def make_person() -> User:
    """A staff member of Hemtjänst Visby norr who also sits on the digitaliseringsråd."""
    return person(**PERSON, password="hemligt-lösenord",
                  roles=[("staff", unit()), ("council", unit().department)])


def leave_traces(person: User) -> dict:
    """Everything a person leaves: an idea, an edit, comments, a score, a follow, settings,
    notifications, an API token; and someone else's idea and comment beside them."""
    theirs = cases.create_case(person, {**HER_IDEA, "unit_id": unit().id}, submit=True)
    cases.update_case(person, theirs, {"effect": "Kortare väntan och nöjdare besökare."})
    cases.add_comment(person, theirs, HER_COMMENT)
    drive(theirs, [("take_up", "chef", {"comment": "Tas upp på APT."})])  # notifies her
    others = case_in("council")  # by medarbetare
    cases.add_comment(user("medarbetare"), others, OTHERS_COMMENT)
    cases.add_comment(person, others, "Jag poängsätter den här.")
    scoring.save_score(person, others, SCORES, "Stor nytta för brukarna.")
    notifications.follow(person, others)
    notifications.save_settings(person, email_enabled=True, email_mode="digest",
                                email_kinds=["status", "followed"])
    token = accounts.issue_token(person)
    return {"theirs": theirs.id, "others": others.id, "token": token}


def every_text_in_the_database() -> list[tuple[str, str, str]]:
    """(table, column, value) for every text-like value of every table in the database,
    including tables the models do not know."""
    found = []
    engine = db.engine
    for table in inspect(engine).get_table_names():
        rows = db.session.execute(text(f'SELECT * FROM "{table}"')).mappings()
        for row in rows:
            for column, value in row.items():
                if isinstance(value, (dict, list)):
                    value = json.dumps(value, ensure_ascii=False)
                elif isinstance(value, (bytes, memoryview)):
                    value = bytes(value).decode("utf-8", "ignore")
                if isinstance(value, str):
                    found.append((table, column, value))
    return found


def traces_of_the_person() -> list[tuple[str, str, str]]:
    return [(table, column, value) for table, column, value in every_text_in_the_database()
            if any(trace.lower() in value.lower() for trace in TRACES)]


def history_snapshot() -> list[tuple]:
    return list(db.session.execute(select(CaseEvent.id, CaseEvent.actor_id, CaseEvent.comment,
                                          CaseEvent.prev_hash, CaseEvent.hash)
                                   .order_by(CaseEvent.id)))


# ---------------------------------------------------------------- export

def test_the_export_holds_the_persons_data_and_nobody_elses(ctx):
    person = make_person()
    ids = leave_traces(person)
    exported = gdpr.export(person)
    document = json.dumps(exported, ensure_ascii=False)

    profile = exported["profile"]
    assert {k: profile[k] for k in PERSON} == PERSON
    assert "password_hash" not in profile and "hemligt" not in document
    assert sorted(a["role"] for a in exported["role_assignments"]) == ["council", "staff"]
    assert [c["title"] for c in exported["ideas"]] == [HER_IDEA["title"]]
    assert exported["ideas"][0]["effect"] == "Kortare väntan och nöjdare besökare."
    assert sorted(c["body"] for c in exported["comments"]) == sorted(
        [HER_COMMENT, "Jag poängsätter den här."])
    assert [e["event"] for e in exported["case_history"]] == ["create", "submit", "edit"]
    assert {e["case_id"] for e in exported["case_history"]} == {ids["theirs"]}
    assert exported["scores"][0]["scores"] == SCORES
    assert exported["scores"][0]["comment"] == "Stor nytta för brukarna."
    assert exported["followed_cases"] == [ids["others"]]
    assert exported["notification_settings"]["email_mode"] == "digest"
    assert [n["case_id"] for n in exported["notifications"]] == [ids["theirs"]]
    assert len(exported["api_tokens"]) == 1 and "token_hash" not in exported["api_tokens"][0]

    others = user("medarbetare")
    for foreign in (others.display_name, others.email, others.username, OTHERS_COMMENT,
                    IDEA["title"], user("chef").display_name):
        assert foreign not in document, foreign


def test_the_export_command_writes_a_private_file(app, tmp_path):
    with app.app_context():
        leave_traces(make_person())
    target = tmp_path / "utdrag.json"
    result = app.test_cli_runner().invoke(args=["gdpr-export", "zquist", "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert os.stat(target).st_mode & 0o777 == 0o600
    exported = json.loads(target.read_text(encoding="utf-8"))
    assert exported["profile"]["email"] == PERSON["email"]
    unknown = app.test_cli_runner().invoke(args=["gdpr-export", "finns-inte"])
    assert unknown.exit_code != 0 and "ingen användare" in unknown.output


# ---------------------------------------------------------------- erasure

def test_erasure_needs_confirmation(app):
    with app.app_context():
        make_person()
    result = app.test_cli_runner().invoke(args=["gdpr-erase", "zquist"])
    assert result.exit_code != 0 and "--confirm" in result.output
    with app.app_context():
        assert user("zquist").email == PERSON["email"]


def test_erasure_leaves_no_trace_of_the_person_and_keeps_the_history(app):
    with app.app_context():
        person = make_person()
        person_id = person.id
        ids = leave_traces(person)
        assert traces_of_the_person()  # the search finds them before
        history = history_snapshot()
        rows_by_person = sum(1 for row in history if row.actor_id == person_id)
        assert rows_by_person == 3

    result = app.test_cli_runner().invoke(args=["gdpr-erase", "zquist", "--confirm"])
    assert result.exit_code == 0, result.output

    with app.app_context():
        assert traces_of_the_person() == []
        assert history_snapshot() == history  # not a single history row touched
        tombstone = db.session.get(User, person_id)
        assert tombstone.display_name == "borttagen användare"
        assert tombstone.username.startswith("borttagen-") and len(tombstone.username) > 12
        assert tombstone.email is None and tombstone.password_hash is None
        assert tombstone.external_id is None and tombstone.external_subject is None
        assert tombstone.language is None
        assert not tombstone.is_active
        for model in (Notification, NotificationSettings, CaseFollower, RoleAssignment):
            assert db.session.scalar(select(model).where(model.user_id == person_id)) is None
        token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == person_id))
        assert token.revoked_at is not None
        assert accounts.user_for_token(ids["token"]) is None
        entry = db.session.scalar(select(AdminLogEntry).where(AdminLogEntry.action == "user.erase"))
        assert entry.target_id == person_id and entry.actor_id is None
        assert entry.target_label == tombstone.username
        theirs = db.session.get(Case, ids["theirs"])
        assert theirs.author_id == person_id and len(theirs.comments) == 1
        assert theirs.comments[0].body == HER_COMMENT  # kept: case content (see gdpr.py)

    verified = app.test_cli_runner().invoke(args=["audit-verify"])
    assert verified.exit_code == 0, verified.output

    client = app.test_client()
    assert client.post("/login", data={"username": "chef", "password": "demo"}).status_code == 302
    page = client.get(f"/cases/{ids['theirs']}").get_data(as_text=True)
    assert page.count("borttagen användare") >= 4  # author's create, submit, edit and comment
    assert "Zelda" not in page
    api = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {ids['token']}"})
    assert api.status_code == 401
    login = app.test_client().post("/login", data={"username": "zquist",
                                                   "password": "hemligt-lösenord"})
    assert login.status_code != 302


def test_the_search_would_find_a_trace_left_behind(ctx):
    """The check above is only as good as its search: a name anywhere is found."""
    make_person()
    case = case_in("submitted")
    cases.add_comment(user("chef"), case, "Prata med zelda om detta.")
    assert ("comments", "body", "Prata med zelda om detta.") in traces_of_the_person()


def test_an_unknown_username_is_refused(app):
    result = app.test_cli_runner().invoke(args=["gdpr-erase", "finns-inte", "--confirm"])
    assert result.exit_code != 0 and "ingen användare" in result.output


def test_erasing_twice_keeps_a_tombstone(ctx):
    make_person()
    first = gdpr.erase(gdpr.find_user("zquist"))
    second = gdpr.erase(gdpr.find_user(first))
    assert second.startswith("borttagen-") and second != first
    erased = db.session.scalar(select(User).where(User.username == second))
    assert erased.display_name == "borttagen användare"
