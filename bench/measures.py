"""Measures (a)-(c): firing events, the case list and case page, the portfolio aggregates;
each against a baseline taken in the same run on the same database."""
from __future__ import annotations

import json
import random
import re
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, insert, select, text, update

from workflow import user_statement
from workflow.cases import service as cases
from workflow.models import Case, CaseEvent, Department, Unit, User, utcnow
from workflow.platform.errors import ServiceError
from workflow.platform.extensions import db
from workflow.portfolio import service as portfolio

from . import baseline_app
from .report import Line, at_least, at_most, best_pair, best_seconds, median
from .seed import GENESIS, HASH_CHAIN, NOTE, People, chained, load_people

LOGIN_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"'
                         r'|name="csrf_token" value="([^"]+)"')
CASE_LINK = re.compile(r'<td[^>]*><a href="/cases/(\d+)"')
# Views of a list before it is timed (each side). psycopg prepares a statement on its fifth
# run on a connection, and PostgreSQL plans a prepared statement for its parameters the first
# five times before it may keep a generic plan: a worker that serves a list thousands of
# times a day is past that after its first ten views. The case page line views 20 pages a
# round, so its one warm-up round already is (bench/README.md, issue 14's ninth round).
LIST_WARMUP = 10
# A portfolio line whose first run takes less is warmed up as a list is.
QUICK_LINE = 0.1
PAGE_USER = "fchef"  # management in Socialförvaltningen: event forms on the case page
PORTFOLIO_USER = "admin"  # reads the whole region
CASE_PAGES = 20
# The event fired on a case in each state, by whom, with which fields (a mix: no guard, a
# text guard, a choice guard, and the dossier and delegation guards of an approval).
FIRE_PLAN: dict[str, tuple[str, str, str, dict[str, Any]]] = {
    "submitted": ("take_up", "apt", "manager", {}),
    "apt": ("forward", "refinement", "manager", NOTE),
    "council": ("prioritise", "management", "council", {"priority": "high"}),
    "management": ("approve", "approved", "management", {}),
}
SOCIAL = "Socialförvaltningen"


# ---------------------------------------------------------------- logging in

def logged_in_client(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    match = LOGIN_TOKEN.search(page)
    token = (match.group(1) or match.group(2)) if match else ""
    answer = client.post("/login", data={"username": username, "password": "demo",
                                         "csrf_token": token})
    if answer.status_code != 302:
        raise RuntimeError(f"could not log in as {username}: HTTP {answer.status_code}")
    return client


# ---------------------------------------------------------------- (b) pages

@dataclass
class PageTargets:
    list_url: str
    baseline_list_url: str
    case_ids: list[int]


def page_targets(app: Flask) -> PageTargets:
    """The council list of Socialförvaltningen and cases before its management."""
    with app.app_context():
        department_id = db.session.scalar(select(Department.id).where(Department.name == SOCIAL))
        ids = list(db.session.scalars(
            select(Case.id).join(Unit).where(Unit.department_id == department_id,
                                             Case.state.in_(("management", "council")))
            .order_by(Case.id).limit(CASE_PAGES)))
    return PageTargets(list_url="/cases?state=council",
                       baseline_list_url=f"/cases?state=council&department_id={department_id}",
                       case_ids=ids)


def _get(client: FlaskClient, url: str) -> str:
    answer = client.get(url)
    if answer.status_code != 200:
        raise RuntimeError(f"GET {url}: HTTP {answer.status_code}")
    return answer.get_data(as_text=True)


def measure_pages(app: Flask, url: str, repeat: int) -> list[Line]:
    targets = page_targets(app)
    ours = logged_in_client(app, PAGE_USER)
    bare = baseline_app.create_app(url).test_client()
    start = time.perf_counter()
    ours_rows = CASE_LINK.findall(_get(ours, targets.list_url))
    list_first = time.perf_counter() - start
    bare_rows = CASE_LINK.findall(_get(bare, targets.baseline_list_url))
    same = "the same rows as the baseline" if ours_rows == bare_rows else \
        f"ROWS DIFFER: ours {len(ours_rows)}, baseline {len(bare_rows)}"
    list_ours, list_bare = best_pair(lambda: _get(ours, targets.list_url),
                                     lambda: _get(bare, targets.baseline_list_url), repeat,
                                     warmup=LIST_WARMUP)

    def pages(client: FlaskClient) -> Callable[[], None]:
        return lambda: [_get(client, f"/cases/{i}") for i in targets.case_ids]

    todo_ours = best_seconds(lambda: _get(ours, "/todo"), repeat, warmup=LIST_WARMUP)
    todo_rows = len(CASE_LINK.findall(_get(ours, "/todo")))
    every_ours = best_seconds(lambda: _get(ours, "/cases"), repeat, warmup=LIST_WARMUP)
    n = len(targets.case_ids)
    start = time.perf_counter()
    _get(ours, f"/cases/{targets.case_ids[0]}")  # the first one: cold caches
    cold = time.perf_counter() - start
    case_ours, case_bare = (seconds / n for seconds in best_pair(pages(ours), pages(bare),
                                                                 repeat))
    return [
        at_least("(b) case list, 50 rows (/cases?state=council)", list_ours * 1000,
                 list_bare * 1000, "ms", list_bare / list_ours, 0.5,
                 f"{len(ours_rows)} rows as {PAGE_USER}; {same}; after {LIST_WARMUP} views "
                 f"each (the first view took {list_first * 1000:.0f} ms); ratio = baseline "
                 "time / ours"),
        Line("(b) to-do list (/todo)", todo_ours * 1000, list_bare * 1000, "ms",
             list_bare / todo_ours, "", None,
             f"{todo_rows} rows (a page) as {PAGE_USER}; reported only, against the bare "
             "case list (no bare to-do route): for the 10 000 / 100 000 comparison"),
        Line("(b) case list, no filter (/cases)", every_ours * 1000, list_bare * 1000, "ms",
             list_bare / every_ours, "", None,
             f"every case {PAGE_USER} may see, newest first (the list's first view), counted "
             "up to LIST_COUNT_LIMIT (docs/lists.md); reported only, against the bare case "
             "list: for the 10 000 / 100 000 comparison"),
        at_least("(b) case page (/cases/<id>)", case_ours * 1000, case_bare * 1000, "ms",
                 case_bare / case_ours, 0.5,
                 f"mean over {n} cases in council/management, as {PAGE_USER}, warm; the "
                 f"first view of the first case took {cold * 1000:.0f} ms (the bench loads "
                 f"its cases in bulk, so that view works out and stores the case's duplicate "
                 f"hints, as the app does when a case is written)"),
    ]


def page_urls(app: Flask) -> tuple[PageTargets, list[str]]:
    targets = page_targets(app)
    return targets, [targets.list_url] + [f"/cases/{i}" for i in targets.case_ids]


# ---------------------------------------------------------------- (c) portfolio

def _raw_portfolio(engine: Engine) -> dict[str, Callable[[], Any]]:
    """The same figures as workflow/portfolio/service.py for a region-wide reader (who sees
    every case but drafts), in hand-written SQL."""
    postgres = engine.dialect.name == "postgresql"
    visible = "c.state <> 'draft'"
    days = ("EXTRACT(EPOCH FROM s.left_at - s.entered) / 86400.0" if postgres
            else "julianday(s.left_at) - julianday(s.entered)")
    month = "to_char(h.at, 'YYYY-MM')" if postgres else "strftime('%Y-%m', h.at)"
    waiting = "('submitted', 'direct', 'apt', 'refinement', 'central_support', 'council', " \
              "'management', 'political', 'approved', 'implementation', 'follow_up')"
    stays = f"""
        SELECT s.state, {days} AS days FROM (
          SELECT h.to_state AS state, h.at AS entered,
                 lead(h.at) OVER (PARTITION BY h.case_id ORDER BY h.at, h.id) AS left_at
          FROM case_history h JOIN cases c ON c.id = h.case_id
          WHERE {visible} AND (h.from_state IS NULL OR h.from_state <> h.to_state)) s
        WHERE s.left_at IS NOT NULL AND s.state IN {waiting}"""

    def run(sql: str) -> list:
        with engine.connect() as connection:
            return connection.execute(text(sql)).all()

    def lead_times() -> dict:
        if postgres:
            return {r[0]: r[1:] for r in run(
                f"SELECT state, percentile_cont(0.5) WITHIN GROUP (ORDER BY days), "
                f"percentile_cont(0.9) WITHIN GROUP (ORDER BY days), count(*) "
                f"FROM ({stays}) t GROUP BY state")}
        per_state: dict[str, list[float]] = {}
        for state, value in run(stays):
            per_state.setdefault(state, []).append(value)
        return {s: (_quantile(v, 0.5), _quantile(v, 0.9), len(v)) for s, v in per_state.items()}

    def benefits() -> list:
        rows = run("SELECT c.id, c.title, d.benefit, r.months, r.realised_sek FROM cases c "
                   "LEFT JOIN dossiers d ON d.case_id = c.id "
                   "LEFT JOIN benefit_reports r ON r.case_id = c.id "
                   "WHERE c.state IN ('follow_up', 'closed') ORDER BY c.id, r.months")
        found: dict[int, list] = {}
        for case_id, title, document, _months, realised in rows:
            document = json.loads(document) if isinstance(document, str) else document or {}
            amounts = [a for b in document.get("benefits", []) for a in b["amounts_sek"]]
            found[case_id] = [title, sum(amounts) // max(len(amounts), 1), realised or 0]
        return list(found.values())

    return {
        "funnel": lambda: run(f"SELECT c.state, count(*) FROM cases c WHERE {visible} "
                              "GROUP BY c.state"),
        "lead_times": lead_times,
        "throughput": lambda: run(
            f"SELECT {month} AS m, sum(CASE WHEN h.event IN ('submit', 'submit_direct') "
            "THEN 1 ELSE 0 END), sum(CASE WHEN h.to_state = 'approved' THEN 1 ELSE 0 END) "
            f"FROM case_history h JOIN cases c ON c.id = h.case_id WHERE {visible} "
            "GROUP BY m ORDER BY m"),
        "direction_balance": lambda: run(
            "SELECT c.direction_focus, c.direction_reach, coalesce(sum(c.cost_estimate_sek), 0) "
            "FROM cases c WHERE c.state NOT IN ('rejected', 'withdrawn', 'merged', 'draft') "
            "GROUP BY c.direction_focus, c.direction_reach"),
        "demand_and_capacity": lambda: run(
            f"SELECT coalesce(sum(c.cost_estimate_sek), 0) FROM cases c WHERE {visible} "
            "AND c.state IN ('council', 'plan', 'management', 'political')"),
        "benefits_planned_and_realised": benefits,
        "maturity": lambda: (run("SELECT department_id, level, assessed_on FROM "
                                 "maturity_assessments ORDER BY department_id, assessed_on"),
                             run("SELECT * FROM dimios_rounds ORDER BY measured_on"),
                             run("SELECT id, name FROM departments ORDER BY name")),
    }


def _quantile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    position = share * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _ours_portfolio(user: User) -> dict[str, Callable[[], Any]]:
    filters = portfolio.Filters()

    def figure(function: Callable[..., Any]) -> Callable[[], Any]:
        return lambda: function(user, filters)

    return {name: figure(getattr(portfolio, name))
            for name in ("funnel", "lead_times", "throughput", "direction_balance",
                         "demand_and_capacity", "benefits_planned_and_realised")} | {
        "maturity": lambda: portfolio.maturity(user)}


def measure_portfolio(app: Flask, repeat: int) -> list[Line]:
    lines: list[Line] = []
    with app.test_request_context():
        user = db.session.scalar(select(User).where(User.username == PORTFOLIO_USER))
        ours, raw = _ours_portfolio(user), _raw_portfolio(db.engine)
        funnel_ours = {s: n for s, n in ours["funnel"]() if n}
        funnel_raw = dict(raw["funnel"]())
        check = "same counts" if funnel_ours == funnel_raw else "COUNTS DIFFER from raw SQL"
        total_ours = total_raw = 0.0
        for name in ours:
            start = time.perf_counter()
            ours[name]()
            # A quick line is warmed up as a list is (past planning each run); a slow one's
            # planning is lost in its time, and ten runs would add minutes at 100 000 cases.
            warmup = LIST_WARMUP if time.perf_counter() - start < QUICK_LINE else 1
            seconds_ours, seconds_raw = best_pair(ours[name], raw[name], repeat,
                                                  warmup=warmup)
            total_ours += seconds_ours
            total_raw += seconds_raw
            if name == "maturity":  # nothing counted: only part of the page's total
                continue
            lines.append(at_most(f"(c) portfolio: {name}", seconds_ours * 1000,
                                 seconds_raw * 1000, "ms", seconds_ours / seconds_raw, 2,
                                 "; ".join(filter(None, (
                                     check if name == "funnel" else "",
                                     f"{warmup} warm-up run{'s' * (warmup != 1)} "
                                     "each")))))
        lines.append(at_most("(c) portfolio: all aggregates of /portfolio", total_ours * 1000,
                             total_raw * 1000, "ms", total_ours / total_raw, 2,
                             f"as {PORTFOLIO_USER}, no filters; ratio = ours time / raw SQL"))
    return lines


# ---------------------------------------------------------------- (a) firing events

@dataclass
class Firing:
    case_id: int
    state: str
    actor_id: int


def _fire_pool(app: Flask, avoid: set[int], rng: random.Random) -> dict[str, list[Firing]]:
    with app.app_context():
        with db.engine.connect() as connection:
            people: People = load_people(connection)
        rows = db.session.execute(select(Case.id, Case.state, Case.unit_id).where(
            Case.state.in_(list(FIRE_PLAN)), Case.author_id.is_not(None))).all()
    pool: dict[str, list[Firing]] = {state: [] for state in FIRE_PLAN}
    for case_id, state, unit_id in rows:
        if case_id not in avoid:
            role = FIRE_PLAN[state][2]
            pool[state].append(Firing(case_id, state, people.actor(role, unit_id, None)))
    for firings in pool.values():
        rng.shuffle(firings)
    return pool


def _batches(pool: dict[str, list[Firing]], count: int, cap: int) -> list[list[Firing]]:
    """``count`` batches with the same mix of states, no case twice."""
    per_state = min(cap, min(len(f) for f in pool.values()) // count)
    if per_state == 0:
        raise RuntimeError("too few cases to fire events on; seed more cases")
    return [[pool[state][b * per_state + i] for i in range(per_state) for state in FIRE_PLAN]
            for b in range(count)]


def _fire_through_service(batch: list[Firing]) -> int:
    """As a request does: load the user by the user loader's statement (with the roles), the
    case as the event's route does (``get_case``, with its visibility check), fire, end the
    session."""
    failures = 0
    for firing in batch:
        event, _to, _role, data = FIRE_PLAN[firing.state]
        try:
            actor = db.session.execute(user_statement(), {"id": firing.actor_id}).unique() \
                .scalar_one()
            cases.fire(cases.get_case(actor, firing.case_id), event, actor, dict(data))
        except ServiceError:
            failures += 1
        db.session.remove()
    return failures


def _fire_bare_sql(engine: Engine, batch: list[Firing], now: datetime) -> None:
    """One UPDATE of the case and one INSERT of its history row per case, committed each
    (with the hash chain, also the SELECT of the case's newest hash that the row links to)."""
    cases_table, history = Case.__table__, CaseEvent.__table__
    for firing in batch:
        event, target, _role, data = FIRE_PLAN[firing.state]
        with engine.begin() as connection:
            connection.execute(update(cases_table).where(cases_table.c.id == firing.case_id)
                               .values(state=target, version=cases_table.c.version + 1,
                                       updated_at=now))
            row = {"case_id": firing.case_id, "event": event, "from_state": firing.state,
                   "to_state": target, "actor_id": firing.actor_id, "at": now,
                   "comment": data.get("note"), "data": dict(data)}
            if HASH_CHAIN:
                tail = connection.execute(
                    select(history.c.hash).where(history.c.case_id == firing.case_id)
                    .order_by(history.c.id.desc()).limit(1)).scalar()
                chained(row, tail or GENESIS)
            connection.execute(insert(history).values(**row))


def measure_firing(app: Flask, repeat: int, avoid: set[int], cap: int = 40) -> Line:
    """Each round fires a batch through the service and another batch of the same mix by
    bare SQL, in turns, event by event (ours, bare, ours, bare …: a slow stretch of a busy
    machine meets both, as the pages' lines are timed since the seventh round); the ratio is
    the median of the rounds' ratios."""
    rng = random.Random(11)
    batches = _batches(_fire_pool(app, avoid, rng), 2 * repeat + 2, cap)
    service_rates, bare_rates, ratios, failures = [], [], [], 0
    with app.test_request_context():
        engine = db.engine
        for round_number in range(repeat + 1):  # round 0 warms up
            service_batch, bare_batch = batches[2 * round_number], batches[2 * round_number + 1]
            service_seconds = bare_seconds = 0.0
            failed = 0
            for ours_case, bare_case in zip(service_batch, bare_batch, strict=True):  # same event
                start = time.perf_counter()
                failed += _fire_through_service([ours_case])
                service_seconds += time.perf_counter() - start
                start = time.perf_counter()
                _fire_bare_sql(engine, [bare_case], utcnow())
                bare_seconds += time.perf_counter() - start
            if round_number:
                failures += failed
                service_rates.append(len(service_batch) / service_seconds)
                bare_rates.append(len(bare_batch) / bare_seconds)
                ratios.append(service_rates[-1] / bare_rates[-1])
    ours, bare = median(service_rates), median(bare_rates)
    size = len(batches[0])
    note = (f"{size} cases per batch (take_up, forward, prioritise, approve), fired in turns "
            f"with the bare path's, event by event; rates: median of {repeat}; ratio = median "
            f"of the rounds' ours rate / bare SQL rate "
            f"({', '.join(f'{r:.2f}' for r in sorted(ratios))})")
    if failures:
        note += f"; {failures} REFUSED by the service"
    return at_least("(a) fire events via service", ours, bare, "cases/s", median(ratios), 0.5,
                    note)
