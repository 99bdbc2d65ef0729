"""Seeds the scratch database fast: the demo organisation and a few template cases through the
services, then thousands of cases with their history, comments, dossiers and benefit reports
as bulk inserts (Core ``insert()`` with executemany), never through the service layer.

The generated cases follow the standard process: each one's history is the path of events
that leads to its state, in order, by people who hold the event's role for the case's unit.
Titles and needs are the demo's own texts, varied, so the duplicate hints see real Swedish.
"""
from __future__ import annotations

import copy
import random
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import Any, Iterator

import yaml
from sqlalchemy import Connection, bindparam, insert, select

from workflow.cases import service as cases
from workflow.dossier import service as dossier
from workflow.follow_up import service as follow_up
from workflow.models import (
    BenefitReport,
    Case,
    CaseEvent,
    Comment,
    Department,
    Dossier,
    RoleAssignment,
    Unit,
    User,
    utcnow,
)
from workflow.ops.seeding import SEED_DIR, seed_demo
from workflow.platform.extensions import db

try:  # the history's hash chain, where the checkout has it
    from workflow.platform import audit
except ImportError:  # pragma: no cover
    audit = None  # type: ignore[assignment]

HASH_CHAIN = audit is not None and "hash" in CaseEvent.__table__.c
GENESIS = audit.GENESIS if HASH_CHAIN else None
CHUNK = 2000
HISTORY_YEARS = 3
# The share of cases in each state (per cent): a region a few years into using the app.
STATE_SHARES = {
    "draft": 5, "submitted": 8, "direct": 1, "apt": 6, "refinement": 8, "central_support": 2,
    "council": 8, "plan": 5, "management": 4, "political": 2, "approved": 3,
    "implementation": 5, "follow_up": 6, "closed": 10, "resolved_locally": 12, "rejected": 9,
    "withdrawn": 4, "merged": 2,
}
# Each state's path from a fresh draft: (event, from, to, role, fields).
Step = tuple[str, str | None, str, str, dict[str, Any]]
NOTE = {"note": "Diskuterades på APT; stort stöd i arbetsgruppen. Förs vidare."}
TO_SUBMITTED: list[Step] = [("create", None, "draft", "author", {}),
                            ("submit", "draft", "submitted", "author", {})]
TO_APT = TO_SUBMITTED + [("take_up", "submitted", "apt", "manager", {})]
TO_REFINEMENT = TO_APT + [("forward", "apt", "refinement", "manager", NOTE)]
PROPOSAL: list[Step] = [
    ("edit", "refinement", "refinement", "developer", {"changes": {
        "cost_estimate_sek": {"before": None, "after": "COST"}}}),
    ("dossier_benefit", "refinement", "refinement", "developer",
     {"changes": {"horizon_years": {"before": None, "after": 3}}}),
    ("dossier_procurement", "refinement", "refinement", "developer",
     {"changes": {"chosen_route": {"before": None, "after": "direct_procurement"}}}),
    ("dossier_classification", "refinement", "refinement", "developer",
     {"changes": {"levels.confidentiality": {"before": None, "after": 2}}}),
    ("to_council", "refinement", "council", "developer", {})]
TO_COUNCIL = TO_REFINEMENT + PROPOSAL
TO_MANAGEMENT = TO_COUNCIL + [("prioritise", "council", "management", "council",
                               {"priority": "high"})]
TO_APPROVED = TO_MANAGEMENT + [("approve", "management", "approved", "management",
                                {"comment": "Beslutas inom delegation."})]
TO_IMPLEMENTATION = TO_APPROVED + [("start", "approved", "implementation", "developer", {})]
TO_FOLLOW_UP = TO_IMPLEMENTATION + [("go_live", "implementation", "follow_up", "developer",
                                     {"go_live_date": "GO_LIVE"})]
REPORTS: list[Step] = [
    ("benefit_reported", "follow_up", "follow_up", "developer", {"benefit": 1, "months": m})
    for m in (6, 12)]
PATHS: dict[str, list[Step]] = {
    "draft": [("create", None, "draft", "author", {})],
    "submitted": TO_SUBMITTED,
    "direct": [("submit_direct", "draft", "direct", "anonymous", {})],
    "apt": TO_APT,
    "refinement": TO_REFINEMENT,
    "central_support": TO_REFINEMENT + [("request_support", "refinement", "central_support",
                                         "developer", {"question": "Finns det ett ramavtal?"})],
    "council": TO_COUNCIL,
    "plan": TO_COUNCIL + [("park", "council", "plan", "council", {"planned_year": 2028})],
    "management": TO_MANAGEMENT,
    "political": TO_MANAGEMENT + [("escalate", "management", "political", "management", {})],
    "approved": TO_APPROVED,
    "implementation": TO_IMPLEMENTATION,
    "follow_up": TO_FOLLOW_UP,
    "closed": TO_FOLLOW_UP + REPORTS + [("close", "follow_up", "closed", "developer", {})],
    "resolved_locally": TO_APT + [("resolve_locally", "apt", "resolved_locally", "manager",
                                   {"resolution": "Löst med en ändrad rutin på enheten."})],
    "rejected": TO_COUNCIL + [("reject", "council", "rejected", "council",
                               {"motivation": "Nyttan står inte i proportion till kostnaden."})],
    "withdrawn": TO_SUBMITTED + [("withdraw", "submitted", "withdrawn", "author", {})],
    "merged": TO_SUBMITTED + [("merge", "submitted", "merged", "manager",
                               {"target_case": "TARGET"})],
}
DOSSIER_STATES = {state for state, path in PATHS.items()
                  if any(step[0] == "to_council" for step in path)}
TEXT_EVENTS = {"forward": "note", "resolve_locally": "resolution", "request_support": "question",
               "reject": "motivation", "approve": "comment"}
COMMENTS = ["Bra idé, vi har samma problem på vår enhet.",
            "Finns det något liknande i en annan förvaltning?",
            "Jag kan vara med i en testgrupp.",
            "Hur påverkar det nattpersonalen?"]
VARIANTS = ["", " – pilot", " i fler enheter", " (steg 2)", " för nya medarbetare",
            " med mobilen", " under sommaren", " på helger"]
KINDS = ["Digitala nyckelskåp", "Planeringssystem", "Sensorer", "E-tjänstplattform",
         "Videomötestjänst", "Taligenkänning", "Läkemedelsautomater", "Surfplattor"]
ROLES_PER_DEPARTMENT = ("developer", "council", "management", "registrar")


@dataclass
class People:
    """Who acts for each unit: authors, the unit's manager, the förvaltning's roles."""

    staff: dict[int, list[int]] = field(default_factory=dict)  # unit id -> user ids
    manager: dict[int, int] = field(default_factory=dict)  # unit id -> user id
    department_role: dict[tuple[int, str], int] = field(default_factory=dict)
    digital: int = 0
    unit_department: dict[int, int] = field(default_factory=dict)

    def actor(self, role: str, unit_id: int, author_id: int | None) -> int | None:
        if role == "author":
            return author_id
        if role == "anonymous":
            return None
        if role == "manager":
            return self.manager[unit_id]
        return self.department_role[(self.unit_department[unit_id], role)]


@dataclass
class Template:
    """What the template cases made through the services look like in the database."""

    dossier: dict[str, Any]
    report: dict[str, Any]


def seed(cases_count: int, rng_seed: int = 7) -> dict[str, int]:
    """Seed everything; returns row counts. Needs an app context on an empty database."""
    now = utcnow()
    seed_demo(with_cases=False)
    template = _template_case(now)
    rng = random.Random(rng_seed)
    with db.engine.begin() as connection:
        people = _people(connection)
        counts = _bulk_cases(connection, people, template, cases_count, rng, now)
    return counts


# ---------------------------------------------------------------- people

def _people(connection: Connection) -> People:
    """Give every unit a manager and three staff, every förvaltning a developer, a council
    member, management and a registrar (the demo has them only in Socialförvaltningen)."""
    people = load_people(connection)
    region_id, password_hash = connection.execute(
        select(User.region_id, User.password_hash).where(User.username == "medarbetare")).one()
    wanted: list[tuple[str, str, dict[str, int]]] = []  # username, role, scope
    for unit_id in people.unit_department:
        if unit_id not in people.manager:
            wanted.append((f"chef.enhet{unit_id}", "manager", {"unit_id": unit_id}))
        for n in range(3):
            wanted.append((f"personal{unit_id}.{n}", "staff", {"unit_id": unit_id}))
    for department_id in sorted(set(people.unit_department.values())):
        for role in ROLES_PER_DEPARTMENT:
            if (department_id, role) not in people.department_role:
                wanted.append((f"{role}.forv{department_id}", role,
                               {"department_id": department_id}))
    connection.execute(insert(User), [
        {"username": name, "display_name": name.replace(".", " ").title(),
         "email": f"{name}@example.se", "password_hash": password_hash, "region_id": region_id}
        for name, _role, _scope in wanted])
    ids = dict(connection.execute(select(User.username, User.id).where(
        User.username.in_([name for name, _r, _s in wanted]))).all())
    connection.execute(insert(RoleAssignment), [
        {"user_id": ids[name], "role": role, "unit_id": scope.get("unit_id"),
         "department_id": scope.get("department_id")} for name, role, scope in wanted])
    return load_people(connection)


def load_people(connection: Connection) -> People:
    """Who holds which role where, from the role assignments."""
    units = connection.execute(select(Unit.id, Unit.department_id)).all()
    people = People(unit_department={u: d for u, d in units})
    rows = connection.execute(select(RoleAssignment.user_id, RoleAssignment.role,
                                     RoleAssignment.unit_id, RoleAssignment.department_id)
                              .order_by(RoleAssignment.id))
    for user_id, role, unit_id, department_id in rows:
        if role == "staff" and unit_id:
            people.staff.setdefault(unit_id, []).append(user_id)
        elif role == "manager" and unit_id:
            people.manager.setdefault(unit_id, user_id)
        elif role in ROLES_PER_DEPARTMENT and department_id:
            people.department_role.setdefault((department_id, role), user_id)
        elif role == "digital_unit" and not unit_id and not department_id:
            people.digital = user_id
    return people


# ---------------------------------------------------------------- template through services

def _template_case(now: datetime) -> Template:
    """One case driven from idea to closed through the real services; its dossier and
    benefit report are the pattern the bulk cases copy (so they pass the real guards)."""
    by = {u.username: u for u in db.session.scalars(select(User))}
    unit_id = db.session.scalar(select(Unit.id).where(Unit.name == "Hemtjänst Visby norr"))
    case = cases.create_case(by["medarbetare"], {
        "title": "Digital nyckelhantering i hemtjänsten", "unit_id": unit_id,
        "need": "Personalen lägger mycket tid på att hämta och lämna nycklar.",
        "effect": "Mer tid hos brukarna och färre borttappade nycklar."}, submit=True)
    cases.fire(case, "take_up", by["chef"])
    cases.fire(case, "forward", by["chef"], NOTE)
    cases.update_case(by["vu"], case, {"cost_estimate_sek": 240_000, "direction": {
        "focus": "efficiency", "reach": "internal"}})
    for name, document in _dossier_documents(now.date()).items():
        dossier.save_section(by["vu"], case, name, document)
    for event, actor, data in (("to_council", "vu", {}),
                               ("prioritise", "rad", {"priority": "high"}),
                               ("approve", "fchef", {}), ("start", "vu", {}),
                               # in the past, so both follow-ups are due (docs/follow-up.md)
                               ("go_live", "vu", {"go_live_date": (
                                   now.date() - timedelta(days=400)).isoformat()})):
        cases.fire(case, event, by[actor], data)
    for months in (6, 12):
        follow_up.report(by["vu"], case, 1, months, {
            "actual_value": "10 minuter", "realised_sek": 120_000, "used_as_intended": "yes"})
    cases.fire(case, "close", by["vu"], {"actual_cost_sek": 250_000})  # the efterkalkyl
    row = db.session.get(Dossier, case.id)
    columns = {c.key: getattr(row, c.key) for c in Dossier.__table__.columns
               if c.key not in ("case_id", "version", "updated_at")}
    report = db.session.scalars(select(BenefitReport).where(BenefitReport.case_id == case.id)
                                ).first()
    report_columns = {c: getattr(report, c) for c in ("actual_value", "realised_sek",
                                                      "used_as_intended", "comment")}
    return Template(dossier=columns, report=report_columns)


def _dossier_documents(today: date) -> dict[str, dict[str, Any]]:
    questions = {"how_realised": "Kortare körvägar och färre nyckelhämtningar",
                 "who_realises": "Enhetschefen", "when": "Från driftstart",
                 "follow_up_method": "Tidsmätning i planeringssystemet",
                 "follow_up_owner": "Enhetschefen", "indicator": "Minuter per pass på nycklar",
                 "baseline": "35 minuter per pass"}
    answered = {item: {"answer": "yes"} for item in (
        "reuse_considered", "compatibility", "data_ownership", "dpa", "third_country",
        "security_protection", "exit_plan")}
    return {
        "benefit": {
            "horizon_years": 3, "discount_rate": 0.03, "hourly_cost_sek": 450,
            "costs": [{"year": 1, "investment_sek": 150_000, "running_sek": 30_000,
                       "internal_hours": 100},
                      {"year": 2, "running_sek": 30_000}, {"year": 3, "running_sek": 30_000}],
            "benefits": [{"description": "Frigjord tid hos brukarna", "category": "reallocation",
                          "colour": "yellow", "beneficiary": "internal",
                          "amounts_sek": [100_000, 150_000, 150_000], **questions,
                          "checkpoints": [{"months_after_go_live": 6, "target": "20 minuter"},
                                          {"months_after_go_live": 12, "target": "10 minuter"}]}],
        },
        "procurement": {
            "estimated_value_sek": 240_000, "contract_years": 3, "kind": "Digitala nyckelskåp",
            "chosen_route": "direct_procurement", "checked_on": today.isoformat(),
            "checklist": {"it_consulted": {"answer": "yes", "who": "Ahmed Hassan",
                                           "when": today.isoformat()}, **answered},
        },
        "classification": {
            "information": "Vilka brukare som har nyckel hos hemtjänsten",
            "levels": {"confidentiality": 2, "integrity": 2, "availability": 2,
                       "traceability": 1},
            "personal_data": True, "risk_of_not_developing": "Nycklar fortsätter att tappas bort.",
        },
    }


# ---------------------------------------------------------------- bulk cases

@dataclass
class Texts:
    """The demo's titles, and its needs and effects cut into sentences: each generated case
    gets a title with a variation and a need and effect of sentences from different ideas,
    so that the texts differ as real ones do while the words stay real Swedish."""

    titles: list[str]
    needs: list[str]
    effects: list[str]

    @classmethod
    def from_demo(cls) -> "Texts":
        raw = yaml.safe_load((SEED_DIR / "cases.yaml").read_text(encoding="utf-8"))["cases"]
        return cls(titles=[c["title"] for c in raw],
                   needs=[s for c in raw for s in _sentences(c.get("need", ""))],
                   effects=[s for c in raw for s in _sentences(c.get("effect", ""))])

    def pick(self, rng: random.Random) -> tuple[str, str, str]:
        title = (rng.choice(self.titles) + rng.choice(VARIANTS))[:200]
        need = " ".join(rng.sample(self.needs, rng.randint(2, 3)))
        effect = " ".join(rng.sample(self.effects, rng.randint(1, 2)))
        return title, need, effect


def _sentences(text: str) -> list[str]:
    parts = [part.strip() for part in re.split(r"(?<=[.!?])\s+", text or "")]
    return [part for part in parts if len(part) > 20]


def _bulk_cases(connection: Connection, people: People, template: Template, count: int,
                rng: random.Random, now: datetime) -> dict[str, int]:
    texts = Texts.from_demo()
    units = _weighted_units(connection)
    states = _state_sequence(count, rng)
    totals = {"cases": 0, "case_history": 0, "comments": 0, "dossiers": 0, "benefit_reports": 0}
    earlier: list[int] = []
    for start in range(0, count, CHUNK):
        batch = [_plan_case(states[i], rng.choice(units), people, texts, rng, now)
                 for i in range(start, min(start + CHUNK, count))]
        ids = _insert_cases(connection, batch)
        for planned, case_id in zip(batch, ids, strict=True):
            planned.case_id = case_id
            if planned.state == "merged" and earlier:
                planned.target_case = rng.choice(earlier)
        earlier.extend(p.case_id for p in batch if p.state not in ("draft", "direct", "merged"))
        _insert_dependents(connection, batch, people, template, rng, totals)
        totals["cases"] += len(batch)
    return totals


def _weighted_units(connection: Connection) -> list[int]:
    """Socialförvaltningen, the largest förvaltning, sends three times as many ideas."""
    rows = connection.execute(select(Unit.id, Department.name).join(Department)).all()
    return [unit_id for unit_id, name in rows
            for _ in range(3 if name == "Socialförvaltningen" else 1)]


def _state_sequence(count: int, rng: random.Random) -> list[str]:
    names = list(STATE_SHARES)
    return rng.choices(names, weights=[STATE_SHARES[n] for n in names], k=count)


@dataclass
class PlannedCase:
    state: str
    unit_id: int
    department_id: int
    author_id: int | None
    title: str
    need: str
    effect: str
    times: list[datetime]
    steps: list[Step]
    cost: int | None
    case_id: int = 0
    target_case: int | None = None


def _plan_case(state: str, unit_id: int, people: People, texts: Texts, rng: random.Random,
               now: datetime) -> PlannedCase:
    steps = list(PATHS[state])
    if state in ("draft", "submitted"):  # short histories get the author's own edits
        steps[1:1] = [("edit", "draft", "draft", "author", {"changes": {"need": {
            "before": "", "after": "…"}}})] * rng.randint(2, 3)
    author = None if state == "direct" else rng.choice(people.staff[unit_id])
    title, need, effect = texts.pick(rng)
    cost = rng.randrange(50_000, 2_000_000, 5_000) if state in DOSSIER_STATES else None
    return PlannedCase(state=state, unit_id=unit_id,
                       department_id=people.unit_department[unit_id], author_id=author,
                       title=title, need=need,
                       effect=effect, times=_times(len(steps), rng, now), steps=steps, cost=cost)


def _times(n: int, rng: random.Random, now: datetime) -> list[datetime]:
    """Increasing moments within the last few years, the last one before now."""
    start = now - timedelta(days=rng.uniform(1, 365 * HISTORY_YEARS))
    gaps = [rng.uniform(0.5, 45) for _ in range(n - 1)]
    room = (now - start).total_seconds() / 86400
    scale = min(1.0, room / max(sum(gaps), 1e-9))
    moments = [start]
    for gap in gaps:
        moments.append(moments[-1] + timedelta(days=gap * scale))
    return moments


def _insert_cases(connection: Connection, batch: list[PlannedCase]) -> list[int]:
    rows = [_case_row(p) for p in batch]
    table = Case.__table__
    result = connection.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                                rows)
    return [row[0] for row in result]


def _case_row(p: PlannedCase) -> dict[str, Any]:
    reached = {step[0] for step in p.steps}
    go_live = p.times[[s[0] for s in p.steps].index("go_live")].date() \
        if "go_live" in reached else None
    return {
        "title": p.title, "need": p.need, "effect": p.effect, "unit_id": p.unit_id,
        "department_id": p.department_id, "author_id": p.author_id,
        "origin": "direct_channel" if p.state == "direct" else "staff_idea",
        "state": p.state, "process_name": "standard", "process_version": 1,
        "version": len(p.steps), "cost_estimate_sek": p.cost,
        "direction_focus": ("efficiency", "innovation")[p.unit_id % 2] if p.cost else None,
        "direction_reach": ("internal", "external")[len(p.title) % 2] if p.cost else None,
        "priority": "high" if "prioritise" in reached else None,
        "go_live_date": go_live, "planned_year": 2028 if p.state == "plan" else None,
        "created_at": p.times[0], "updated_at": p.times[-1],
    }


def _insert_dependents(connection: Connection, batch: list[PlannedCase], people: People,
                       template: Template, rng: random.Random, totals: dict[str, int]) -> None:
    history = [row for p in batch for row in _history_rows(p, people)]
    comments = [row for p in batch for row in _comment_rows(p, rng)]
    dossiers = [_dossier_row(p, template, n) for n, p in enumerate(batch)
                if p.state in DOSSIER_STATES]
    reports = [row for p in batch for row in _report_rows(p, people, template)]
    for model, rows, key in ((CaseEvent, history, "case_history"), (Comment, comments, "comments"),
                             (Dossier, dossiers, "dossiers"),
                             (BenefitReport, reports, "benefit_reports")):
        if rows:
            connection.execute(insert(model.__table__), rows)
        totals[key] += len(rows)
    merged = [{"merged_id": p.case_id, "target": p.target_case} for p in batch
              if p.target_case]
    if merged:
        table = Case.__table__
        connection.execute(table.update().where(table.c.id == bindparam("merged_id"))
                           .values(merged_into_id=bindparam("target")), merged)


def _history_rows(p: PlannedCase, people: People) -> Iterator[dict[str, Any]]:
    previous = GENESIS
    for (event, source, target, role, data), at in zip(p.steps, p.times, strict=True):
        values = _event_data(data, p, at)
        text_field = TEXT_EVENTS.get(event)
        row = {"case_id": p.case_id, "event": event, "from_state": source, "to_state": target,
               "actor_id": people.actor(role, p.unit_id, p.author_id), "at": at,
               "comment": values.get(text_field) if text_field else None, "data": values}
        previous = chained(row, previous)
        yield row


def chained(row: dict[str, Any], previous: str | None) -> str | None:
    """Link a history row into its case's hash chain (workflow/platform/audit.py), when the schema
    has one; returns the row's hash, the next row's ``prev_hash``."""
    if not HASH_CHAIN:
        return None
    row["prev_hash"] = previous
    row["hash"] = audit.row_hash(previous, SimpleNamespace(**row))
    return row["hash"]


def _event_data(data: dict[str, Any], p: PlannedCase, at: datetime) -> dict[str, Any]:
    values = copy.deepcopy(data)
    if values.get("go_live_date") == "GO_LIVE":
        values["go_live_date"] = at.date().isoformat()
    if values.get("target_case") == "TARGET":
        values["target_case"] = p.target_case
    changes = values.get("changes", {})
    if changes.get("cost_estimate_sek", {}).get("after") == "COST":
        changes["cost_estimate_sek"]["after"] = p.cost
    return values


def _comment_rows(p: PlannedCase, rng: random.Random) -> list[dict[str, Any]]:
    if p.author_id is None or rng.random() > 0.3:
        return []
    return [{"case_id": p.case_id, "author_id": p.author_id, "body": rng.choice(COMMENTS),
             "created_at": p.times[-1]} for _ in range(rng.randint(1, 2))]


def _dossier_row(p: PlannedCase, template: Template, n: int) -> dict[str, Any]:
    """The template's dossier with this case's own procurement kind (so that direct awards
    of the same kind are not summed across thousands of copies) and scaled benefits."""
    row = copy.deepcopy(template.dossier)
    kind = f"{KINDS[n % len(KINDS)]} {p.case_id}"
    row["procurement"]["kind"] = kind
    row["procurement_kind"] = kind.lower()
    factor = 0.5 + (p.case_id % 10) / 10
    for item in row["benefit"]["benefits"]:
        item["amounts_sek"] = [round(a * factor) for a in item["amounts_sek"]]
    row.update(case_id=p.case_id, updated_at=p.times[-1])
    return row


def _report_rows(p: PlannedCase, people: People, template: Template) -> list[dict[str, Any]]:
    reported = [(step, at) for step, at in zip(p.steps, p.times, strict=True)
                if step[0] == "benefit_reported"]
    return [{"case_id": p.case_id, "benefit_number": 1, "months": step[4]["months"],
             "reported_by_id": people.actor("developer", p.unit_id, p.author_id),
             "reported_at": at, **template.report} for step, at in reported]
