"""Portfolio figures against a hand-built history, the charts' text alternatives, CSV, access,
and the public page (both databases)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event

from helpers import IDEA, case_in, unit, user
from workflow.cases import service as cases
from workflow.models import AdminLogEntry, RoleAssignment
from workflow.platform.extensions import db
from workflow.portfolio import service as portfolio
from workflow.portfolio.service import Filters

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def submitted_then_taken_up(days_waiting: int, start: datetime = T0):
    case = cases.create_case(user("medarbetare"), {**IDEA, "unit_id": unit().id}, now=start)
    cases.fire(case, "submit", user("medarbetare"), {}, now=start)
    cases.fire(case, "take_up", user("chef"), {}, now=start + timedelta(days=days_waiting))
    cases.fire(case, "forward", user("chef"), {"note": "N"},
               now=start + timedelta(days=days_waiting + 2))
    return case


def test_lead_time_per_stage_from_the_history(ctx):
    for days in (10, 20, 30, 40):
        submitted_then_taken_up(days)
    leads = {state: (median, p90, n) for state, median, p90, n in
             portfolio.lead_times(user("fchef"), Filters())}
    # stays in `submitted`: 10, 20, 30, 40 days; median 25; p90 = 30 + 0.7 × 10 = 37
    assert leads["submitted"] == (25.0, 37.0, 4)
    assert leads["apt"] == (2.0, 2.0, 4)
    assert leads["refinement"] == (None, None, 0)  # still there: no finished stay


def test_funnel_and_throughput(ctx):
    submitted_then_taken_up(5)
    case_in("submitted")
    case_in("submitted")
    funnel = dict(portfolio.funnel(user("fchef"), Filters()))
    assert (funnel["submitted"], funnel["refinement"], funnel["closed"]) == (2, 1, 0)
    months = {m: (s, d) for m, s, d in portfolio.throughput(user("fchef"), Filters())}
    assert months["2026-03"] == (1, 0)
    assert sum(s for s, _d in months.values()) == 3


def test_filters_narrow_the_figures(ctx):
    case_in("submitted")
    other = unit("Hemtjänst Visby söder")
    case = cases.create_case(user("lars"), {**IDEA, "unit_id": other.id})
    cases.fire(case, "submit", user("lars"), {})
    everything = dict(portfolio.funnel(user("fchef"), Filters()))["submitted"]
    one_unit = dict(portfolio.funnel(user("fchef"), Filters(unit_id=other.id)))["submitted"]
    assert (everything, one_unit) == (2, 1)


def test_direction_balance_weighted_by_cost(ctx):
    case_in("council")  # 240 000 kr, efficiency/internal
    second = case_in("refinement")
    cases.update_case(user("vu"), second, {"cost_estimate_sek": 80_000,
                                           "direction": {"focus": "innovation",
                                                         "reach": "external"}})
    balance = portfolio.direction_balance(user("fchef"), Filters())
    assert balance.cost == {("efficiency", "internal"): 240_000,
                            ("innovation", "external"): 80_000}
    assert balance.share(("efficiency", "internal")) == pytest.approx(0.75)
    assert balance.target[("innovation", "external")] == pytest.approx(0.20)  # the default
    own = portfolio.direction_balance(user("fchef"), Filters(department_id=unit().department_id))
    assert own.target[("innovation", "external")] == pytest.approx(0.25)  # its own target


def test_portfolio_page_charts_and_csv(app):
    with app.app_context():
        submitted_then_taken_up(12)
    client = app.test_client()
    client.post("/login", data={"username": "fchef", "password": "demo"})
    page = client.get("/portfolio").get_data(as_text=True)
    for slug in ("tratt", "ledtider", "flode", "inriktning", "kapacitet", "nytta"):
        assert f'id="{slug}-title"' in page and f'aria-labelledby="{slug}-title' in page
    assert "<desc" in page and "i tabellform" in page
    csv = client.get("/portfolio/ledtider.csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert "Inlämnad;12" in csv.data.decode("utf-8-sig")
    staff = app.test_client()
    staff.post("/login", data={"username": "medarbetare", "password": "demo"})
    assert staff.get("/portfolio").status_code == 403


def test_public_page_shows_decisions_without_personal_data(app):
    with app.app_context():
        approved = case_in("approved")
        title, region_id = approved.title, approved.unit.department.region_id
        approved.unit.department.region.public_page = True
        db.session.commit()
    visitor = app.test_client()
    page = visitor.get(f"/public/{region_id}").get_data(as_text=True)
    assert title in page and "Beslutad" in page
    assert "Anna Lindqvist" not in page and "Sofia Karlsson" not in page
    admin = app.test_client()
    admin.post("/login", data={"username": "admin", "password": "demo"})
    assert admin.post(f"/public/{region_id}/switch").status_code == 302
    assert visitor.get(f"/public/{region_id}").status_code == 404
    other = app.test_client()
    other.post("/login", data={"username": "fchef", "password": "demo"})
    assert other.post(f"/public/{region_id}/switch").status_code == 403
    with app.app_context():  # the administrator's switch, and only it, is in the admin log
        entries = db.session.scalars(db.select(AdminLogEntry).filter_by(
            action="region.public_page")).all()
        assert [(e.before, e.after, e.actor_name) for e in entries] == [
            ({"public_page": True}, {"public_page": False}, "Maja Berg")]


def test_the_benefits_chart_shows_the_largest_and_sums_the_rest():
    rows = [(f"{n}: Idé {n}", planned, realised) for n, planned, realised in
            ((1, 100, 50), (2, 900, 0), (3, 300, 300), (4, 300, 10), (5, 0, 0))]
    shown = portfolio.largest_benefits(rows, bars=2)
    assert [label for label, _p, _r in shown.largest] == ["2: Idé 2", "3: Idé 3"]
    assert (shown.others, shown.others_planned, shown.others_realised) == (3, 400, 60)
    everything = portfolio.largest_benefits(rows, bars=5)
    assert len(everything.largest) == 5 and everything.others == 0
    assert portfolio.largest_benefits([], bars=5) == portfolio.BenefitsShown([], 0, 0, 0)


def test_the_benefits_chart_on_the_page_is_bounded_and_its_csv_has_every_case(app,
                                                                             monkeypatch):
    monkeypatch.setattr(portfolio, "BENEFIT_BARS", 1)
    with app.app_context():
        titles = [f"{c.id}: {c.title}" for c in (case_in("follow_up"), case_in("follow_up"))]
    client = app.test_client()
    client.post("/login", data={"username": "fchef", "password": "demo"})
    page = client.get("/portfolio").get_data(as_text=True)
    chart = page[page.index('id="chart-nytta"'):]
    chart = chart[:chart.index("</figure>")]
    assert "Övriga ärenden (1 st)" in chart
    assert sum(title in chart for title in titles) == 1
    assert "De 1 ärendena med störst planerad nytta, övriga summerade" in chart
    csv = client.get("/portfolio/nytta.csv").data.decode("utf-8-sig")
    assert all(title in csv for title in titles) and "Övriga" not in csv


def test_the_funnel_counted_per_term_counts_what_the_visibility_rule_lets_each_reader_see(ctx):
    """access.disjoint_terms: the terms, each without the rows of those before it, added up,
    count each visible case once, for every demo person (roles, author, nothing)."""
    from sqlalchemy import func, select

    from helpers import all_users
    from workflow.cases import access
    from workflow.models import Case

    case_in("council")
    case_in("submitted")
    case_in("draft")
    own = cases.create_case(user("chef"), {**IDEA, "unit_id": unit().id})
    cases.fire(own, "submit", user("chef"), {})  # chef sees it as its author and as manager
    checked = 0
    for person in all_users():
        condition = access.visible_cases_condition(person)
        expected = dict(db.session.execute(select(Case.state, func.count()).where(condition)
                                           .group_by(Case.state)).all())
        counted = {state: n for state, n in portfolio.funnel(person, Filters()) if n}
        assert counted == expected, person.username
        terms = access.disjoint_terms(condition)
        per_term = [db.session.scalar(select(func.count()).select_from(Case).where(t))
                    for t in terms]
        assert sum(per_term) == sum(expected.values()), person.username
        checked += len(terms) > 1
    assert checked  # someone's rule had more than one term


def _seen_case_by_case(person) -> dict[str, int]:
    """Cases per state that ``person`` may open, by the per-case rule (access.can_view): an
    oracle that shares no SQL with the figures."""
    from collections import Counter

    from sqlalchemy import select

    from workflow.cases import access
    from workflow.models import Case

    return dict(Counter(case.state for case in db.session.scalars(select(Case))
                        if access.can_view(person, case)))


def test_statements_built_once_per_rule_follow_each_person_s_roles_at_once(ctx):
    """The funnel's statement is built once per visibility rule (issue 14) and reused; the
    rule holds who the person is and where each role reaches, so two people with the same
    kind of role in different units get different figures, and a new role counts at once."""
    from factories import person
    from workflow.cases import access

    case_in("council")
    case_in("refinement")
    norr = person("las_norr", roles=[("manager", unit())])
    soder = person("las_soder", roles=[("manager", unit("Hemtjänst Visby söder"))])
    rule = access.visibility_rule(norr)
    assert access.condition_of(rule) is access.condition_of(access.visibility_rule(norr))
    assert access.visibility_rule(soder) != rule
    for reader in (norr, soder):
        counted = {state: n for state, n in portfolio.funnel(reader, Filters()) if n}
        assert counted == _seen_case_by_case(reader), reader.username
    assert sum(n for _s, n in portfolio.funnel(soder, Filters())) == 0
    assert sum(n for _s, n in portfolio.funnel(norr, Filters())) == 2

    soder.role_assignments.append(RoleAssignment(role="manager", unit=unit()))
    db.session.commit()
    counted = {state: n for state, n in portfolio.funnel(soder, Filters()) if n}
    assert counted == _seen_case_by_case(soder) == _seen_case_by_case(norr)


def test_direction_balance_reads_the_table_once_on_sqlite_and_sums_what_each_reader_sees(ctx):
    """On SQLite the balance's statement keeps the author's term off its index, so the
    planner reads the table once instead of each row through two indexes (MULTI-INDEX OR,
    twice as slow at 10 000 cases); PostgreSQL gets the plain condition. Either way every
    demo person's balance is what the plain visibility condition sums."""
    from sqlalchemy import func, select

    from helpers import all_users
    from workflow.cases import access
    from workflow.models import Case

    case_in("council")
    second = case_in("refinement")
    cases.update_case(user("vu"), second, {"cost_estimate_sek": 80_000,
                                           "direction": {"focus": "innovation",
                                                         "reach": "external"}})
    for reader in all_users():
        plain = (select(Case.direction_focus, Case.direction_reach,
                        func.coalesce(func.sum(Case.cost_estimate_sek), 0))
                 .where(access.visible_cases_condition(reader),
                        Case.state.not_in(("rejected", "withdrawn", "merged", "draft")))
                 .group_by(Case.direction_focus, Case.direction_reach))
        expected = {(f, r): int(a) for f, r, a in db.session.execute(plain) if f and r}
        assert portfolio.direction_balance(reader, Filters()).cost == expected, reader.username

    executed: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, _context, _many):
        executed.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        portfolio.direction_balance(user("fchef"), Filters())
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    statement, parameters = next((s, p) for s, p in executed if "direction_focus" in s)
    if db.engine.dialect.name == "sqlite":
        plan = " | ".join(row[-1] for row in db.session.connection().exec_driver_sql(
            "EXPLAIN QUERY PLAN " + statement, parameters))
        assert "SCAN cases" in plan and "MULTI-INDEX OR" not in plan, plan
        plain = " | ".join(row[-1] for row in db.session.connection().exec_driver_sql(
            "EXPLAIN QUERY PLAN " + statement.replace("+ cases.author_id", "cases.author_id"),
            parameters))
        assert "MULTI-INDEX OR" in plain, plain  # what the hint avoids
    else:  # PostgreSQL plans the plain condition well: no hint
        assert "+ cases.author_id" not in statement


def test_the_benefits_figure_is_each_visible_case_s_own_realisation(demo_app):
    """The benefits chart reads its calculations, reports and decision days in bulk (one
    streamed query, one for the reports; issue 14): case by case it says what the follow-up
    tab's own calculation says (follow_up.realisations), for a region-wide and a
    förvaltning reader."""
    from sqlalchemy import select

    from workflow.cases import access
    from workflow.follow_up import service as follow_up
    from workflow.models import Case
    from workflow.states import features

    with demo_app.test_request_context():
        for reader in (user("admin"), user("fchef")):
            visible = [case for case in db.session.scalars(
                select(Case).where(Case.state.in_(features.BENEFIT_STATES)).order_by(Case.id))
                if access.can_view(reader, case)]
            expected = [(f"{case.id}: {case.title}", shown.planned_sek, shown.realised_sek)
                        for case, shown in zip(visible, follow_up.realisations(visible),
                                               strict=True)]
            rows = portfolio.benefits_planned_and_realised(reader, Filters())
            assert rows == expected, reader.username
            assert any(planned for _l, planned, _r in rows)
            assert any(realised for _l, _p, realised in rows)


def test_a_cases_decision_moment_is_read_from_the_decided_rows_own_index(demo_app):
    """The benefits line reads each case's decision moment, its newest history row into the
    decided state, from a partial index of those rows alone (migration 0029; issue 14: 15 of
    the statement's 26 ms went to reading each case's whole history). The state is written
    into the statement, not bound, so that every plan may use the index."""
    from sqlalchemy import event

    from workflow.models import CaseEvent
    from workflow.states import features

    executed: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, _context, _many):
        executed.append((statement, parameters))

    with demo_app.test_request_context():
        (index,) = [i for i in CaseEvent.__table__.indexes
                    if i.name == "ix_case_history_decided"]
        predicate = str(index.dialect_options[db.engine.dialect.name]["where"])
        assert predicate == f"to_state = '{features.DECIDED_STATE}'"
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            rows = portfolio.benefits_planned_and_realised(user("admin"), Filters())
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        assert rows
        statement, parameters = next((s, p) for s, p in executed if "max(case_history.at)" in s)
        assert f"case_history.to_state = '{features.DECIDED_STATE}'" in statement
        connection = db.session.connection()
        if db.engine.dialect.name == "postgresql":
            connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
            plan = " | ".join(row[0] for row in connection.exec_driver_sql(
                "EXPLAIN " + statement, parameters))
        else:
            plan = " | ".join(row[-1] for row in connection.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + statement, parameters))
        assert "ix_case_history_decided" in plan, plan
