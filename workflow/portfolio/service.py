"""Portfolio insight: where every idea is, where the chain is stuck, whether the portfolio
matches the strategy and whether investments delivered. The counting is done in SQL
(GROUP BY and window functions); only the percentiles are taken in Python on SQLite, which
has no percentile function, over one number per stay in a state. Each figure reads from the
read replica when one is configured (``PORTFOLIO_DATABASE_URL``, platform/replica.py).
"""
from __future__ import annotations

import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, CompoundSelect, Select, and_, func, select, union_all
from sqlalchemy import case as sql_case

from workflow.cases import access
from workflow.models import (
    BenefitReport,
    Case,
    CaseEvent,
    Department,
    DimiosRound,
    Dossier,
    MaturityAssessment,
    User,
)
from workflow.platform.extensions import db
from workflow.platform.replica import replica_reads
from workflow.platform.uow import local_day
from workflow.processes.registry import current_process
from workflow.states import features
from workflow.states.i18n import N_
from workflow.states.vocabulary import DIRECTION_FOCUS, DIRECTION_REACH, ORIGINS

TARGETS_KEY = "workflow.portfolio_targets"
READERS = {"developer", "council", "management", "registrar", "digital_unit", "admin",
           "security", "procurement"}
DECIDED = features.DECIDED_STATES
STREAM_ROWS = 2000  # rows fetched at a time where a figure reads one row per stay
CALCULATIONS_AT_A_TIME = 500  # benefit calculations (documents) parsed and held at a time
MATURITY = {1: N_("Analogt arbetssätt"), 2: N_("Digitisering"), 3: N_("Digitalisering"),
            4: N_("Total digital transformation"), 5: N_("Maskininlärning och AI")}


def can_read(user: User) -> bool:
    return any(a.role in READERS for a in user.roles)


@dataclass(frozen=True)
class Filters:
    department_id: int | None = None
    unit_id: int | None = None
    state: str | None = None
    origin: str | None = None
    focus: str | None = None
    reach: str | None = None
    start: date | None = None
    end: date | None = None

    def condition(self, user: User) -> ColumnElement[bool]:
        """The cases counted: those ``user`` may see that pass the filters."""
        return self.where(access.visible_cases_condition(user))

    def where(self, visible: ColumnElement[bool]) -> ColumnElement[bool]:
        """The cases of ``visible`` (what a person may see, or a part of it) that pass the
        filters."""
        parts = [visible]
        if self.department_id:
            parts.append(Case.department_id == self.department_id)
        if self.unit_id:
            parts.append(Case.unit_id == self.unit_id)
        for column, value in ((Case.state, self.state), (Case.origin, self.origin),
                              (Case.direction_focus, self.focus),
                              (Case.direction_reach, self.reach)):
            if value:
                parts.append(column == value)
        if self.start:
            parts.append(Case.created_at >= _moment(self.start))
        if self.end:
            parts.append(Case.created_at < _moment(self.end, end=True))
        return and_(*parts)


def _moment(day: date, end: bool = False) -> datetime:
    moment = datetime.combine(day, time.max if end else time.min, tzinfo=timezone.utc)
    return moment


def parse_filters(args: Any) -> Filters:
    """Query arguments to filters; values that do not parse are left out."""
    def number(name: str) -> int | None:
        raw = args.get(name, "")
        return int(raw) if raw.isascii() and raw.isdigit() and int(raw) < 2**31 else None

    def day(name: str) -> date | None:
        try:
            return date.fromisoformat(args.get(name, ""))
        except ValueError:
            return None

    def choice(name: str, allowed) -> str | None:
        value = args.get(name) or None
        return value if value in allowed else None

    return Filters(department_id=number("department_id"), unit_id=number("unit_id"),
                   state=choice("state", current_process().definition.states),
                   origin=choice("origin", ORIGINS), focus=choice("focus", DIRECTION_FOCUS),
                   reach=choice("reach", DIRECTION_REACH), start=day("from"), end=day("to"))


# ---------------------------------------------------------------- the figures

@replica_reads
def funnel(user: User, filters: Filters) -> list[tuple[str, int]]:
    """Cases per state, in the process's order."""
    counts: dict[str, int] = defaultdict(int)
    for state, count in db.session.execute(_funnel_query(access.visibility_rule(user),
                                                         filters)):
        counts[state] += count
    return [(state, counts.get(state, 0)) for state in current_process().definition.states]


# Statements built once per distinct visibility rule and filters (issue 14: building one and
# its cache key cost a third of the funnel's time on SQLite). Each holds only plain values.
STATEMENTS_KEPT = access.STATEMENTS_KEPT


@lru_cache(maxsize=STATEMENTS_KEPT)
def _funnel_query(rule: access.Rule, filters: Filters) -> CompoundSelect:
    """Counted per term of the visibility rule, each term without the cases of those before
    it, and added (access.disjoint_terms): each count reads an index alone."""
    terms = access.disjoint_terms(access.condition_of(rule))
    return union_all(*(select(Case.state, func.count()).where(filters.where(term))
                       .group_by(Case.state) for term in terms))


def _days_between(later, earlier):
    if db.engine.dialect.name == "postgresql":
        return func.extract("epoch", later - earlier) / 86400.0
    return func.julianday(later) - func.julianday(earlier)


@replica_reads
def lead_times(user: User, filters: Filters) -> list[tuple[str, float | None, float | None, int]]:
    """Days spent in each waiting state (median, 90th percentile, number of stays), from the
    history: each change of state ends the stay that the previous change began."""
    changes = (select(CaseEvent.case_id, CaseEvent.to_state.label("state"),
                      CaseEvent.at.label("entered"),
                      func.lead(CaseEvent.at).over(partition_by=CaseEvent.case_id,
                                                   order_by=(CaseEvent.at, CaseEvent.id))
                      .label("left"))
               .join(Case, Case.id == CaseEvent.case_id)
               .where(filters.condition(user),
                      (CaseEvent.from_state.is_(None)) | (CaseEvent.from_state
                                                          != CaseEvent.to_state))
               .subquery())
    stays = (select(changes.c.state, _days_between(changes.c.left, changes.c.entered)
                    .label("days"))
             .where(changes.c.left.is_not(None)).subquery())
    waiting = [s.name for s in current_process().definition.states.values() if s.target_days]
    if db.engine.dialect.name == "postgresql":
        query = (select(stays.c.state,
                        func.percentile_cont(0.5).within_group(stays.c.days),
                        func.percentile_cont(0.9).within_group(stays.c.days),
                        func.count())
                 .where(stays.c.state.in_(waiting)).group_by(stays.c.state))
        found = {state: (float(median), float(p90), n)
                 for state, median, p90, n in db.session.execute(query)}
    else:
        # One number per stay, streamed: at 10 000 cases some 60 000 rows, which held as
        # rows at once were most of a worker's peak memory on /portfolio (issue 14).
        rows = db.session.execute(select(stays.c.state, stays.c.days)
                                  .where(stays.c.state.in_(waiting))
                                  .execution_options(yield_per=STREAM_ROWS))
        per_state: dict[str, list[float]] = {}
        for state, days in rows:
            per_state.setdefault(state, []).append(float(days))
        found = {state: (_percentile(values, 0.5), _percentile(values, 0.9), len(values))
                 for state, values in per_state.items()}
    return [(state, *_rounded(found.get(state, (None, None, 0)))) for state in waiting]


def _rounded(figures: tuple) -> tuple:
    median, p90, count = figures
    return (None if median is None else round(median, 1),
            None if p90 is None else round(p90, 1), count)


def _percentile(values: list[float], share: float) -> float:
    """Linear interpolation between closest ranks, as PostgreSQL's percentile_cont."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = share * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@replica_reads
def throughput(user: User, filters: Filters) -> list[tuple[str, int, int]]:
    """Per month: ideas submitted and cases decided (approved, by management or the nämnd)."""
    month = _month(CaseEvent.at)
    submitted = sql_case((CaseEvent.event.in_(features.SUBMISSION_EVENTS), 1), else_=0)
    decided = sql_case((CaseEvent.to_state == features.DECIDED_STATE, 1), else_=0)
    query = (select(month.label("month"), func.sum(submitted), func.sum(decided))
             .join(Case, Case.id == CaseEvent.case_id).where(filters.condition(user))
             .group_by(month).order_by(month))
    return [(m, int(s or 0), int(d or 0)) for m, s, d in db.session.execute(query)
            if s or d]


def _month(column):
    if db.engine.dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.strftime("%Y-%m", column)


@dataclass
class Balance:
    """Cost per direction quadrant (efficiency/innovation × internal/external)."""

    cost: dict[tuple[str, str], int] = field(default_factory=dict)
    target: dict[tuple[str, str], float] = field(default_factory=dict)
    without_direction: int = 0

    @property
    def total(self) -> int:
        return sum(self.cost.values())

    def share(self, key: tuple[str, str]) -> float | None:
        return self.cost.get(key, 0) / self.total if self.total else None


@replica_reads
def direction_balance(user: User, filters: Filters) -> Balance:
    # The sum reads most of the cases a reader sees: on SQLite, read the table once rather
    # than each row through the indexes (access.condition_of).
    query = _balance_query(access.visibility_rule(user), filters,
                           author_index=db.engine.dialect.name != "sqlite")
    balance = Balance(target=_targets(filters.department_id))
    for focus, reach, amount in db.session.execute(query):
        if focus and reach:
            balance.cost[(focus, reach)] = int(amount)
        else:
            balance.without_direction += int(amount)
    return balance


@lru_cache(maxsize=STATEMENTS_KEPT)
def _balance_query(rule: access.Rule, filters: Filters, author_index: bool) -> Select:
    cost = func.coalesce(func.sum(Case.cost_estimate_sek), 0)
    return (select(Case.direction_focus, Case.direction_reach, cost)
            .where(filters.where(access.condition_of(rule, author_index)),
                   Case.state.not_in(features.NOT_IN_PORTFOLIO))
            .group_by(Case.direction_focus, Case.direction_reach))


@replica_reads
def demand_and_capacity(user: User, filters: Filters) -> dict[str, int]:
    """What waits for a decision (council, plan, management, nämnd) against the year's budget."""
    from workflow.council.service import capacity_for, config
    demand = db.session.scalar(_demand_query(access.visibility_rule(user), filters))
    department = db.session.get(Department, filters.department_id) if filters.department_id \
        else None
    limits = capacity_for(department) if department else config().default_capacity
    return {"demand_sek": int(demand or 0), "budget_sek": limits.yearly_budget_sek,
            "hours": limits.yearly_hours}


@lru_cache(maxsize=STATEMENTS_KEPT)
def _demand_query(rule: access.Rule, filters: Filters) -> Select:
    """Built once per visibility rule and filters, as the funnel's (issue 14: building it and
    its cache key cost more than running it on PostgreSQL)."""
    return (select(func.coalesce(func.sum(Case.cost_estimate_sek), 0))
            .where(filters.where(access.condition_of(rule)),
                   Case.state.in_(features.AWAITING_DECISION)))


@replica_reads
def benefits_planned_and_realised(user: User, filters: Filters) -> list[tuple[str, int, int]]:
    """Per decided case: the benefit planned for the year of the latest reported checkpoint
    (the calculation's amount for that year, docs/follow-up.md) against what was realised
    then (the sums of :func:`follow_up.realisation`, read as columns, not as ORM objects)."""
    from workflow.follow_up.service import (
        decision_moment,
        planned_and_realised,
        reported_amounts,
    )
    counted = and_(filters.condition(user), Case.state.in_(features.BENEFIT_STATES))
    # The reports are few small rows; the calculations are documents, streamed a batch at a
    # time (a region's follow-up holds tens of thousands; issue 14: 274 MiB at 100 000 cases
    # when read at once). Each comes with its case's decision day, not as lists of ids.
    reported = reported_amounts(select(Case.id).where(counted))
    rows = db.session.execute(
        select(Case.id, Case.title, Case.go_live_date, Dossier.benefit,
               decision_moment().label("decided"))
        .outerjoin(Dossier, Dossier.case_id == Case.id).where(counted).order_by(Case.id)
        .execution_options(yield_per=CALCULATIONS_AT_A_TIME))
    return [(f"{row.id}: {row.title}",
             *planned_and_realised(row.benefit, reported.get(row.id, {}), row.go_live_date,
                                   local_day(row.decided) if row.decided else None))
            for row in rows]


# The benefits chart on the page: the cases with the largest planned benefit, one bar each;
# the others as one bar of their sums. The CSV has every case (docs/portfolio.md).
BENEFIT_BARS = 15


@dataclass(frozen=True)
class BenefitsShown:
    largest: list[tuple[str, int, int]]  # (label, planned, realised), largest planned first
    others: int  # how many cases the last bar sums (0: no such bar)
    others_planned: int
    others_realised: int


def largest_benefits(rows: list[tuple[str, int, int]], bars: int | None = None
                     ) -> BenefitsShown:
    """:func:`benefits_planned_and_realised` for a chart people can read: the ``bars``
    cases with the largest planned benefit (ties: the order given), then the rest summed.
    A region's follow-up holds thousands of cases; a bar each drew nothing legible and
    made a page of megabytes (issue 14)."""
    bars = BENEFIT_BARS if bars is None else bars
    ordered = sorted(rows, key=lambda row: -row[1])
    largest, rest = ordered[:bars], ordered[bars:]
    return BenefitsShown(largest, len(rest), sum(r[1] for r in rest),
                         sum(r[2] for r in rest))


@replica_reads
def maturity(user: User) -> list[tuple[Department, MaturityAssessment | None,
                                         list[DimiosRound]]]:
    latest = (select(MaturityAssessment.id, func.row_number().over(
        partition_by=MaturityAssessment.department_id,
        order_by=MaturityAssessment.assessed_on.desc()).label("n")).subquery())
    assessments = {m.department_id: m for m in db.session.scalars(
        select(MaturityAssessment).join(latest, latest.c.id == MaturityAssessment.id)
        .where(latest.c.n == 1))}
    rounds: dict[int, list[DimiosRound]] = {}
    for row in db.session.scalars(select(DimiosRound).order_by(DimiosRound.measured_on)):
        rounds.setdefault(row.department_id, []).append(row)
    departments = db.session.scalars(select(Department).where(
        Department.region_id == user.region_id).order_by(Department.name))
    return [(d, assessments.get(d.id), rounds.get(d.id, [])) for d in departments]


def realised_count(case_ids: list[int]) -> int:
    return db.session.scalar(select(func.count()).select_from(BenefitReport)
                             .where(BenefitReport.case_id.in_(case_ids))) or 0


# ---------------------------------------------------------------- target balance

def load_targets(path: Path) -> dict[str, dict[tuple[str, str], float]]:
    """config/portfolio.toml: target shares of cost per direction quadrant, by förvaltning."""
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    targets = {}
    for name, table in raw.get("target_balance", {}).items():
        shares = {}
        for key, value in table.items():
            focus, _, reach = key.partition("_")
            if focus not in DIRECTION_FOCUS or reach not in DIRECTION_REACH:
                raise ValueError(f"{path}: [target_balance.{name}] {key}: unknown quadrant. "
                                 "Use efficiency_internal, efficiency_external, "
                                 "innovation_internal or innovation_external.")
            shares[(focus, reach)] = float(value)
        if abs(sum(shares.values()) - 1.0) > 0.001:
            raise ValueError(f"{path}: [target_balance.{name}]: the shares must add up to 1.")
        targets[name] = shares
    if "default" not in targets:
        raise ValueError(f"{path}: [target_balance.default] is missing. Add the default shares.")
    return targets


def file_targets(department_name: str | None) -> dict[tuple[str, str], float]:
    """The target shares config/portfolio.toml gives the förvaltning (or the default)."""
    targets = current_app.extensions[TARGETS_KEY]
    return targets.get(department_name or "default", targets["default"])


def _targets(department_id: int | None) -> dict[tuple[str, str], float]:
    """The förvaltning's own target balance (whole percent per quadrant) where the
    administrator set one, else the file's."""
    department = db.session.get(Department, department_id) if department_id else None
    if department is not None and department.target_balance:
        return {(focus, reach): department.target_balance[f"{focus}_{reach}"] / 100
                for focus in DIRECTION_FOCUS for reach in DIRECTION_REACH}
    return file_targets(department.name if department else None)

