"""Shared helpers: demo users by name and a way to drive a case to any state."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Iterator
from zoneinfo import ZoneInfo

from sqlalchemy import event as sql_event
from sqlalchemy import select
from sqlalchemy.engine import Engine

from workflow.cases import service as cases
from workflow.dossier import service as dossier
from workflow.follow_up import service as follow_up
from workflow.memo import service as memo
from workflow.models import AdminLogEntry, Case, Unit, User
from workflow.platform.extensions import db

NORR = "Hemtjänst Visby norr"

IDEA = {"title": "Digital nyckelhantering i hemtjänsten",
        "need": "Personalen lägger mycket tid på att hämta och lämna nycklar.",
        "effect": "Mer tid hos brukarna och färre borttappade nycklar."}

PROPOSAL = {"cost_estimate_sek": 240_000, "direction": {"focus": "efficiency", "reach": "internal"}}

QUESTIONS = {"how_realised": "Kortare körvägar och färre nyckelhämtningar",
             "who_realises": "Enhetschefen i hemtjänsten", "when": "Från driftstart",
             "follow_up_method": "Tidsmätning i planeringssystemet",
             "follow_up_owner": "Enhetschefen", "indicator": "Minuter per pass på nycklar",
             "baseline": "35 minuter per pass"}
# A complete dossier: total cost 285 000 kr over three years (within the 500 000 kr limit).
BENEFIT = {
    "horizon_years": 3, "discount_rate": 0.03, "hourly_cost_sek": 450,
    "costs": [{"year": 1, "investment_sek": 150_000, "running_sek": 30_000, "internal_hours": 100},
              {"year": 2, "running_sek": 30_000}, {"year": 3, "running_sek": 30_000}],
    "benefits": [{"description": "Frigjord tid hos brukarna", "category": "reallocation",
                  "colour": "yellow", "beneficiary": "internal",
                  "amounts_sek": [100_000, 150_000, 150_000], **QUESTIONS,
                  "checkpoints": [{"months_after_go_live": 6, "target": "20 minuter"},
                                  {"months_after_go_live": 12, "target": "10 minuter"}]}],
}
ANSWERED = {item: {"answer": "yes"} for item in (
    "reuse_considered", "compatibility", "data_ownership", "dpa", "third_country",
    "security_protection", "exit_plan")}
PROCUREMENT = {
    "estimated_value_sek": 240_000, "contract_years": 3, "kind": "Digitala nyckelskåp",
    "chosen_route": "direct_procurement", "checked_on": "2026-11-01",
    "checklist": {"it_consulted": {"answer": "yes", "who": "Ahmed Hassan", "when": "2026-10-20"},
                  **ANSWERED},
}
CLASSIFICATION = {
    "information": "Vilka brukare som har nyckel hos hemtjänsten",
    "levels": {"confidentiality": 2, "integrity": 2, "availability": 2, "traceability": 1},
    "personal_data": True, "risk_of_not_developing": "Nycklar fortsätter att tappas bort.",
}


def own_kind(check: dict):
    """The procurement check with a kind of purchase of the case's own: direct awards of the
    same kind in one förvaltning and year add up (LOU 19 kap. 8 §, docs/procurement-rules.md),
    and the many cases a test drives are not meant to be one purchase split up."""
    return lambda case: {**check, "kind": f"{check['kind']} (ärende {case.id})"}


DOSSIER = [("dossier", "vu", ("benefit", BENEFIT)),
           ("dossier", "vu", ("procurement", own_kind(PROCUREMENT))),
           ("dossier", "vu", ("classification", CLASSIFICATION))]

# The steps that bring a fresh draft (by `medarbetare`) to each state.
TO_SUBMITTED = [("submit", "medarbetare", {})]
TO_APT = TO_SUBMITTED + [("take_up", "chef", {})]
TO_REFINEMENT = TO_APT + [("forward", "chef", {"note": "Stöd på APT 12 mars."})]
TO_SUPPORT = TO_REFINEMENT + [("request_support", "vu", {"question": "Finns avtal?"})]
TO_COUNCIL = TO_REFINEMENT + [("edit", "vu", PROPOSAL), *DOSSIER, ("to_council", "vu", {})]
TO_PLAN = TO_COUNCIL + [("park", "rad", {})]
TO_MANAGEMENT = TO_COUNCIL + [("prioritise", "rad", {"priority": "high"})]
# The nämnd decides on a tjänsteutlåtande with a förslag till beslut (docs/decisions.md).
MEMO = {"proposal": "Socialnämnden beslutar att införa digitala nyckelskåp i hemtjänsten."}
TO_POLITICAL = TO_MANAGEMENT + [("memo", "vu", MEMO),
                                ("escalate", "fchef", {"diarienummer": "SON 2026/123"})]
TO_APPROVED = TO_MANAGEMENT + [("approve", "fchef", {})]
TO_IMPLEMENTATION = TO_APPROVED + [("start", "vu", {})]
# Go-live lies in the past and both checkpoints (6 and 12 months after) are due today.
TO_FOLLOW_UP = TO_IMPLEMENTATION + [("go_live", "vu", {"go_live_date": "2025-06-01"})]
REPORTED = {"actual_value": "10 minuter", "realised_sek": 120_000, "used_as_intended": "yes"}
TO_CLOSED = TO_FOLLOW_UP + [("report", "vu", (1, 6, REPORTED)), ("report", "vu", (1, 12, REPORTED)),
                            ("close", "vu", {"actual_cost_sek": 300_000})]

PATHS = {
    "draft": [], "submitted": TO_SUBMITTED, "apt": TO_APT, "refinement": TO_REFINEMENT,
    "central_support": TO_SUPPORT, "council": TO_COUNCIL, "plan": TO_PLAN,
    "management": TO_MANAGEMENT, "political": TO_POLITICAL, "approved": TO_APPROVED,
    "implementation": TO_IMPLEMENTATION, "follow_up": TO_FOLLOW_UP, "closed": TO_CLOSED,
}


def user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def all_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.id)))


def unit(name: str = NORR) -> Unit:
    return db.session.scalar(select(Unit).where(Unit.name == name))


def new_draft(author: str = "medarbetare", **fields) -> Case:
    return cases.create_case(user(author), {**IDEA, "unit_id": unit().id, **fields})


def new_direct_case() -> Case:
    return cases.create_case(user("medarbetare"), {**IDEA, "unit_id": unit().id}, anonymous=True)


def after_tonights_batch(app) -> datetime:
    """Tomorrow at 03:00 local time: past the hour at which the scheduler turns the day's
    anonymous ideas into cases (jobs.register_anonymous_ideas)."""
    zone = ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"])
    tomorrow = datetime.now(timezone.utc).astimezone(zone).date() + timedelta(days=1)
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, 3, tzinfo=zone)


def drive(case: Case, steps) -> Case:
    for event, username, data in steps:
        if event == "edit":
            cases.update_case(user(username), case, data)
        elif event == "dossier":
            section = data[1](case) if callable(data[1]) else data[1]
            dossier.save_section(user(username), case, data[0], section)
        elif event == "sign_off":
            dossier.sign_off_classification(user(username), case)
        elif event == "report":
            follow_up.report(user(username), case, *data)
        elif event == "memo":
            memo.save_memo(user(username), case, data)
        else:
            cases.fire(case, event, user(username), data)
    return case


def case_in(state: str, **fields) -> Case:
    if state == "direct":
        return new_direct_case()
    case = drive(new_draft(**fields), PATHS[state])
    assert case.state == state
    return case


def login(client, username: str):
    """Log in with the demo password; the login must succeed. Returns the client."""
    response = client.post("/login", data={"username": username, "password": "demo"})
    assert response.status_code == 302, f"{username} could not log in"
    return client


def api_token(client, username: str, password: str = "demo") -> str:
    """A bearer token for the JSON API (the demo password unless told); the login must
    succeed. The one way tests log in to the API, except the tests of POST /api/v1/tokens."""
    response = client.post("/api/v1/tokens", json={"username": username, "password": password})
    assert response.status_code == 201, f"{username} got no API token: {response.get_json()}"
    return response.get_json()["token"]


def api_headers(client, username: str, password: str = "demo") -> dict[str, str]:
    """The Authorization header with a token from :func:`api_token`."""
    return {"Authorization": f"Bearer {api_token(client, username, password)}"}


def admin_log_actions() -> list[str]:
    return list(db.session.scalars(select(AdminLogEntry.action).order_by(AdminLogEntry.id)))


@contextmanager
def statements_run(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements ``engine`` runs inside the block, whitespace collapsed."""
    seen: list[str] = []

    def note(_conn, _cursor, statement, _params, _context, _many) -> None:
        seen.append(" ".join(statement.split()))

    sql_event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        sql_event.remove(engine, "before_cursor_execute", note)
