"""Who holds which role for a case, and which cases a person may see or must act on.

A role assignment covers a unit, a whole förvaltning, or (with neither) the whole region.
The same rules are written once for a single case and once as SQL for lists.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Iterable

from sqlalchemy import Boolean, ColumnElement, and_, false, or_, select
from sqlalchemy import case as sql_case
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BooleanClauseList, UnaryExpression
from sqlalchemy.sql.visitors import InternalTraversal

from workflow.models import Case, Department, RoleAssignment, Unit, User, local_today
from workflow.platform.extensions import db
from workflow.processes.registry import current_process, process_of, registry
from workflow.states import Process
from workflow.states.roles import AUTHOR


def roles_for(user: User, case: Case) -> set[str]:
    roles = {a.role for a in user.roles if a.covers_case(case)}
    if case.author_id is not None and case.author_id == user.id:
        roles.add(AUTHOR)
    return roles


def has_role_for_unit(user: User, unit: Unit, roles: set[str]) -> bool:
    return any(a.role in roles and a.covers(unit) for a in user.roles)


def can_view(user: User, case: Case) -> bool:
    roles = roles_for(user, case)
    if AUTHOR in roles:
        return True
    state = process_of(case).state(case.state)
    return any(state.visible_for(role) for role in roles)


def can_edit(user: User, case: Case) -> bool:
    editors = process_of(case).state(case.state).editors
    return bool(roles_for(user, case) & set(editors))


# How many statements built from rules a worker keeps (per kind of statement): one per person
# active lately, each a few kilobytes.
STATEMENTS_KEPT = 256

# Where an assignment reaches, as plain values: ("unit", id), ("department", id) or
# ("region", id).
Scope = tuple[str, int]

# What a person sees or must act on under one process version, as plain values: the states of
# their own cases (None: all of them) and, per role assignment, the states it reaches.
_Rule = tuple[tuple[str, ...] | None, tuple[tuple[str, ...], ...]]


@dataclass(frozen=True)
class Rule:
    """A person's visibility (or to-do) rule as plain, hashable values: who they are, where
    each of their role assignments reaches, and per process version the states each reaches
    (``versions`` holds one entry without a name when every version gives the same rule).
    The SQL is a function of these values alone (:func:`condition_of`), so it is built once
    per distinct rule and reused, where building it and SQLAlchemy's cache key for it cost
    about half a millisecond a request (issue 14)."""
    user_id: int
    scopes: tuple[Scope, ...]
    versions: tuple[tuple[str | None, int | None, _Rule], ...]


def _scope_of(assignment: RoleAssignment) -> Scope:
    if assignment.unit_id is not None:
        return ("unit", assignment.unit_id)
    if assignment.department_id is not None:
        return ("department", assignment.department_id)
    return ("region", assignment.user.region_id)


def _scope(scope: Scope) -> ColumnElement[bool]:
    kind, key = scope
    if kind == "unit":
        return Case.unit_id == key
    if kind == "department":
        return Case.department_id == key
    return InRegion(key)


class InRegion(ColumnElement[bool]):
    """``cases.department_id`` is one of the region's förvaltningar. PostgreSQL reads them
    once (``= ANY (ARRAY(SELECT …))``, an InitPlan) and finds the cases by the index on
    (state, department_id) alone, where ``IN (SELECT …)`` joined every case to them (issue 14:
    the portfolio's funnel 2.1 ms against 0.9 ms of raw SQL, now 1.4 ms). Every other
    database: ``IN (SELECT …)``."""

    inherit_cache = True
    type = Boolean()
    _traverse_internals = [("departments", InternalTraversal.dp_clauseelement)]

    def __init__(self, region_id: int):
        self.departments = select(Department.id).where(Department.region_id == region_id)


@compiles(InRegion)
def _in_region(element: InRegion, compiler: Any, **kw: Any) -> str:
    return compiler.process(Case.department_id.in_(element.departments), **kw)


@compiles(InRegion, "postgresql")
def _in_region_postgresql(element: InRegion, compiler: Any, **kw: Any) -> str:
    return (f"{compiler.process(Case.department_id, **kw)} = ANY (ARRAY"
            f"{compiler.process(element.departments.scalar_subquery(), **kw)})")


def _rule(assignments: list[RoleAssignment], states_for_role: Callable[[str], list[str]],
          author_states: list[str] | None) -> _Rule:
    return (None if author_states is None else tuple(author_states),
            tuple(tuple(states_for_role(a.role)) for a in assignments))


# A unary + keeps SQLite from reading a column's index for a term (the query planner's
# documented hint, sqlite.org/optoverview.html "Disqualifying WHERE clause terms").
_NO_INDEX = operators.custom_op("+")


def _cases_where(user_id: int, scopes: tuple[Scope, ...], rule: _Rule,
                 author_index: bool) -> ColumnElement[bool]:
    """The rule as SQL: one term per assignment that reaches a state, then the author's own
    cases (last, so that :func:`disjoint_terms` leaves the roles' terms plain)."""
    author_states, states_per_assignment = rule
    author = Case.author_id if author_index else UnaryExpression(Case.author_id,
                                                                 operator=_NO_INDEX)
    conditions = []
    for scope, states in zip(scopes, states_per_assignment, strict=True):
        if states:
            conditions.append(Case.state.in_(states) & _scope(scope))
    if author_states is None:
        conditions.append(author == user_id)
    elif author_states:
        conditions.append((author == user_id) & Case.state.in_(author_states))
    return or_(*conditions) if conditions else false()


@lru_cache(maxsize=1024)
def condition_of(rule: Rule, author_index: bool = True) -> ColumnElement[bool]:
    """The SQL condition of ``rule``, built once per distinct rule (the same object each
    time: a statement built around it can be cached too). ``author_index=False`` keeps the
    author's term off its index on SQLite, for a sum over most of the cases anyway: with
    every term of the OR on an index, SQLite looks up each matching row through the indexes
    (MULTI-INDEX OR), where reading the table once is about twice as fast (issue 14: the
    portfolio's direction balance, 11.4 against 7.3 ms at 10 000 cases)."""
    if len(rule.versions) == 1 and rule.versions[0][0] is None:
        return _cases_where(rule.user_id, rule.scopes, rule.versions[0][2], author_index)
    return or_(*[(Case.process_name == name) & (Case.process_version == version)
                 & _cases_where(rule.user_id, rule.scopes, version_rule, author_index)
                 for name, version, version_rule in rule.versions])


def ordered_parts(rule: Rule, state: str | None = None) -> list[ColumnElement[bool]] | None:
    """``rule`` as parts that each name one state in one scope, or the author's own cases:
    together they match what :func:`condition_of` matches (a case may match more than one).
    Each part can be read newest first from an index on (förvaltning or unit, state,
    updated_at, id), so a list's page reads about a page per part instead of every case that
    matches and sorting them (issue 14: the to-do list at 100 000 cases read and sorted 4 700
    waiting cases for 50). With ``state``, only the parts of that state (the author's part
    narrowed to it): what the rule matches in that state. None when the rule differs between
    process versions."""
    if len(rule.versions) != 1 or rule.versions[0][0] is not None:
        return None
    author_states, states_per_assignment = rule.versions[0][2]
    seen: set[tuple[Scope, str]] = set()
    parts = []
    for scope, states in zip(rule.scopes, states_per_assignment, strict=True):
        for name in states:
            if (scope, name) not in seen and state in (None, name):
                seen.add((scope, name))
                parts.append((Case.state == name) & _scope(scope))
    if state is not None:
        if author_states is None or state in author_states:
            parts.append((Case.author_id == rule.user_id) & (Case.state == state))
    elif author_states is None:
        parts.append(Case.author_id == rule.user_id)
    elif author_states:
        parts.append((Case.author_id == rule.user_id) & Case.state.in_(author_states))
    return parts


def disjoint_terms(condition: ColumnElement[bool]) -> list[ColumnElement[bool]]:
    """``condition``, an OR of terms, as terms that no row matches twice: each term without
    the rows of the terms before it (``NOT`` that also counts a NULL as not matching).
    Counted apart and added, they count what the OR counts; each can be read from the index
    of its own columns, where the OR made SQLite look up every row (issue 14: the portfolio's
    funnel, 3 ms against 1 ms). A condition that is no OR is one term."""
    if not (isinstance(condition, BooleanClauseList) and condition.operator is operators.or_):
        return [condition]
    terms = list(condition.clauses)
    return [and_(term, *(sql_case((earlier, 0), else_=1) == 1 for earlier in terms[:n]))
            for n, term in enumerate(terms)]


def _visible(version: Process, assignments: list[RoleAssignment]) -> _Rule:
    states = version.definition.states.values()
    return _rule(assignments, lambda role: [s.name for s in states if s.visible_for(role)],
                 author_states=None)


def _waiting(version: Process, assignments: list[RoleAssignment]) -> _Rule:
    return _rule(assignments, version.states_waiting_for,
                 author_states=version.states_waiting_for(AUTHOR))


def visibility_rule(user: User, process: Process | None = None) -> Rule:
    """The rule of every case ``user`` may see (the same rule as :func:`can_view`)."""
    return _per_version(user, _visible, process)


def todo_rule(user: User, process: Process | None = None) -> Rule:
    """The rule of the cases waiting for an action ``user`` may take (Att göra)."""
    return _per_version(user, _waiting, process)


def visible_cases_condition(user: User, process: Process | None = None) -> ColumnElement[bool]:
    """SQL condition for every case ``user`` may see (the same rule as :func:`can_view`).
    Each case is judged by the definition version it runs under."""
    return condition_of(visibility_rule(user, process))


def todo_condition(user: User, process: Process | None = None) -> ColumnElement[bool]:
    """SQL condition for the cases waiting for an action ``user`` may take (Att göra)."""
    return condition_of(todo_rule(user, process))


def _per_version(user: User, rule: Callable[[Process, list[RoleAssignment]], _Rule],
                 process: Process | None) -> Rule:
    """The rule under each loaded version of the process, each applied to the cases running
    under that version (one version: no extra condition).

    When every version gives the same rule (the person's roles reach the same states in each),
    the rule is given once, without asking each case's version: the same cases match, as
    every case runs under a loaded version (stored versions are never deleted), and the
    planner can use the indexes on state and förvaltning instead of reading every row."""
    assignments = list(user.roles)
    scopes = tuple(_scope_of(a) for a in assignments)
    roles = tuple(a.role for a in assignments)
    if process is not None:
        return Rule(user.id, scopes, ((None, None, _version_rule(rule, process, roles)),))
    latest = current_process()
    versions = registry().versions(latest.name)
    if len(versions) <= 1:
        return Rule(user.id, scopes, ((None, None, _version_rule(rule, latest, roles)),))
    rules = [_version_rule(rule, v, roles) for v in versions]
    if all(r == rules[0] for r in rules[1:]):
        return Rule(user.id, scopes, ((None, None, rules[0]),))
    return Rule(user.id, scopes, tuple((v.name, v.version, r)
                                       for v, r in zip(versions, rules, strict=True)))


@dataclass(frozen=True)
class _Role:
    """What :func:`_rule` reads of an assignment: its role."""
    role: str


@lru_cache(maxsize=STATEMENTS_KEPT)
def _version_rule(rule: Callable[[Process, list], _Rule], version: Process,
                  roles: tuple[str, ...]) -> _Rule:
    """``rule`` under ``version`` for assignments of ``roles``: a function of these alone
    (a version's definition never changes), worked out once (issue 14: every list did)."""
    return rule(version, [_Role(role) for role in roles])


def users_holding(roles: Iterable[str], *, region_id: int, department_id: int | None = None,
                  unit_id: int | None = None) -> list[User]:
    """Active users whose assignment of one of ``roles``, valid today, covers the given unit
    or förvaltning (a region-wide assignment covers everything in its region)."""
    covers = (RoleAssignment.unit_id.is_(None) & RoleAssignment.department_id.is_(None)
              & (User.region_id == region_id))
    if department_id is not None:
        covers = covers | (RoleAssignment.department_id == department_id)
    if unit_id is not None:
        covers = covers | (RoleAssignment.unit_id == unit_id)
    query = (select(User).join(RoleAssignment, RoleAssignment.user_id == User.id)
             .where(RoleAssignment.role.in_(list(roles)), User.is_active_user.is_(True), covers,
                    RoleAssignment.valid_on(local_today()))
             .distinct().order_by(User.id))
    return list(db.session.scalars(query))


def users_acting_on(case: Case, roles: Iterable[str]) -> list[User]:
    """Who holds ``roles`` for this case; ``author`` means the case's submitter."""
    roles = set(roles)
    people = users_holding(roles - {AUTHOR}, region_id=case.department.region_id,
                           department_id=case.department_id, unit_id=case.unit_id)
    if AUTHOR in roles and case.author is not None and case.author not in people:
        people.append(case.author)
    return people


def is_region_admin(user: User) -> bool:
    """An administrator for the whole region (the admin role without a förvaltning or unit)."""
    return any(a.role == "admin" and a.unit_id is None and a.department_id is None
               for a in user.roles)
