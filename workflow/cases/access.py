"""Who holds which role for a case, and which cases a person may see or must act on.

A role assignment covers a unit, a whole förvaltning, or (with neither) the whole region.
The same rules are written once for a single case and once as SQL for lists.
"""
from __future__ import annotations

from typing import Callable, Iterable

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy import case as sql_case
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BooleanClauseList

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


def _scope(assignment: RoleAssignment) -> ColumnElement[bool]:
    if assignment.unit_id is not None:
        return Case.unit_id == assignment.unit_id
    if assignment.department_id is not None:
        return Case.department_id == assignment.department_id
    departments = select(Department.id).where(Department.region_id == assignment.user.region_id)
    return Case.department_id.in_(departments)


# What a person sees or must act on under one process version, as plain values: the states of
# their own cases (None: all of them) and, per role assignment, the states it reaches.
_Rule = tuple[tuple[str, ...] | None, tuple[tuple[str, ...], ...]]


def _rule(assignments: list[RoleAssignment], states_for_role: Callable[[str], list[str]],
          author_states: list[str] | None) -> _Rule:
    return (None if author_states is None else tuple(author_states),
            tuple(tuple(states_for_role(a.role)) for a in assignments))


def _cases_where(user: User, assignments: list[RoleAssignment],
                 rule: _Rule) -> ColumnElement[bool]:
    """The rule as SQL: one term per assignment that reaches a state, then the author's own
    cases (last, so that :func:`disjoint_terms` leaves the roles' terms plain)."""
    author_states, states_per_assignment = rule
    conditions = []
    for assignment, states in zip(assignments, states_per_assignment, strict=True):
        if states:
            conditions.append(Case.state.in_(states) & _scope(assignment))
    if author_states is None:
        conditions.append(Case.author_id == user.id)
    elif author_states:
        conditions.append((Case.author_id == user.id) & Case.state.in_(author_states))
    return or_(*conditions) if conditions else false()


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


def visible_cases_condition(user: User, process: Process | None = None) -> ColumnElement[bool]:
    """SQL condition for every case ``user`` may see (the same rule as :func:`can_view`).
    Each case is judged by the definition version it runs under."""
    def visible(version: Process, assignments: list[RoleAssignment]) -> _Rule:
        states = version.definition.states.values()
        return _rule(assignments, lambda role: [s.name for s in states if s.visible_for(role)],
                     author_states=None)
    return _per_version(user, visible, process)


def todo_condition(user: User, process: Process | None = None) -> ColumnElement[bool]:
    """SQL condition for the cases waiting for an action ``user`` may take (Att göra)."""
    def waiting(version: Process, assignments: list[RoleAssignment]) -> _Rule:
        return _rule(assignments, version.states_waiting_for,
                     author_states=version.states_waiting_for(AUTHOR))
    return _per_version(user, waiting, process)


def _per_version(user: User, rule: Callable[[Process, list[RoleAssignment]], _Rule],
                 process: Process | None) -> ColumnElement[bool]:
    """The condition of ``rule`` under each loaded version of the process, each applied to the
    cases running under that version (one version: no extra condition).

    When every version gives the same rule (the person's roles reach the same states in each),
    the condition is given once, without asking each case's version: the same cases match, as
    every case runs under a loaded version (stored versions are never deleted), and the
    planner can use the indexes on state and förvaltning instead of reading every row."""
    assignments = list(user.roles)
    if process is not None:
        return _cases_where(user, assignments, rule(process, assignments))
    latest = current_process()
    versions = registry().versions(latest.name)
    if len(versions) <= 1:
        return _cases_where(user, assignments, rule(latest, assignments))
    rules = [rule(v, assignments) for v in versions]
    if all(r == rules[0] for r in rules[1:]):
        return _cases_where(user, assignments, rules[0])
    return or_(*[(Case.process_name == v.name) & (Case.process_version == v.version)
                 & _cases_where(user, assignments, r)
                 for v, r in zip(versions, rules, strict=True)])


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
