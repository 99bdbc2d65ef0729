"""The digitaliseringsplan: goal areas (region-wide or per förvaltning), their actions
(insatser) with status and owner, the cases linked to each action, and the proposals the
council has parked in the plan.

Goal areas and actions are kept by the förvaltning's council and management (region-wide
areas by the administrator or a region-wide digitaliseringsstrateg). Cases are linked by
whoever holds the developer, council or management role for the case; every link and
unlink is a row in the case's history. An action's status never touches case history.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from workflow.cases import access
from workflow.cases import service as cases
from workflow.models import (
    PLAN_STATUSES,
    TEXT_MAX,
    Case,
    Department,
    GoalArea,
    PlanAction,
    Region,
    User,
    utcnow,
)
from workflow.platform.errors import NotFound, PermissionDenied, ValidationFailed
from workflow.platform.extensions import db
from workflow.platform.uow import record, unit_of_work
from workflow.platform.validation import as_id
from workflow.states import features
from workflow.states.i18n import N_

STATUS_LABELS: dict[str, str] = {
    "not_done": N_("Ej klar"),
    "done": N_("Klar"),
    "paused": N_("Pausad"),
    "hard_to_judge": N_("Svårbedömd"),
    "relevance_questioned": N_("Relevans ifrågasatt"),
}
# Who keeps a förvaltning's plan; who keeps the region-wide part (see can_manage).
MANAGING_ROLES = {"council", "management"}
# Who may link a case they hold the role for to an action.
LINKING_ROLES = {"developer", "council", "management"}
PARKED_STATE = features.PARKED_STATE
REACTIVATE = features.PLAN_REACTIVATE_EVENT  # brings a parked case back to the council
AREA_NAME_MAX = 200  # goal_areas.name
ACTION_NAME_MAX = 300  # plan_actions.name
OWNER_MAX = 200


class PlanSeedError(ValueError):
    """The plan seed refers to something that is not there, or holds a value not allowed."""


# ---------------------------------------------------------------- who may do what

def _region_wide(assignment: Any) -> bool:
    return assignment.unit_id is None and assignment.department_id is None


def can_manage(user: User, department_id: int | None) -> bool:
    """May ``user`` create and change goal areas and actions of this förvaltning's plan
    (``None``: the region-wide part)?"""
    for assignment in user.roles:
        if department_id is None:
            if assignment.role == "admin" or (assignment.role == "digital_unit"
                                              and _region_wide(assignment)):
                return True
        elif assignment.role in MANAGING_ROLES and (assignment.department_id == department_id
                                                    or _region_wide(assignment)):
            return True
    return False


def may_link_in(user: User, department_id: int | None) -> bool:
    """Does ``user`` hold a linking role anywhere the förvaltning's cases could come from?
    (Whether a given case may be linked is decided per case by :func:`link_case`.)"""
    for assignment in user.roles:
        if assignment.role not in LINKING_ROLES:
            continue
        if department_id is None or _region_wide(assignment):
            return True
        if assignment.department_id == department_id:
            return True
        if assignment.unit is not None and assignment.unit.department_id == department_id:
            return True
    return False


def may_link(user: User, case: Case) -> bool:
    return bool(access.roles_for(user, case) & LINKING_ROLES)


def _require_manage(user: User, department_id: int | None) -> None:
    if not can_manage(user, department_id):
        if department_id is None:
            raise PermissionDenied(message=N_(
                "Bara administratören och regionens digitaliseringsstrateger kan ändra de "
                "regiongemensamma delarna av digitaliseringsplanen."))
        raise PermissionDenied(message=N_(
            "Bara digitaliseringsrådet och förvaltningsledningen kan ändra förvaltningens "
            "digitaliseringsplan."))


# ---------------------------------------------------------------- reading

@dataclass
class ActionView:
    action: PlanAction
    cases: list[Case]  # only the linked cases the user may see
    editable: bool
    linkable: bool
    unlinkable: set[int] = field(default_factory=set)  # ids of cases the user may unlink

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.action.status, self.action.status)


@dataclass
class AreaView:
    area: GoalArea
    actions: list[ActionView]
    editable: bool


@dataclass
class PlanSection:
    department: Department | None  # None: the region-wide goal areas
    areas: list[AreaView]
    editable: bool


@dataclass
class ParkedGroup:
    department: Department
    cases: list[Case]
    reactivatable: set[int] = field(default_factory=set)  # ids the user may bring back


@dataclass
class PlanView:
    region: Region
    sections: list[PlanSection]
    parked: list[ParkedGroup]
    departments: list[Department]  # the region's förvaltningar, for the filter
    department: Department | None  # the förvaltning filtered on, if any
    # Where the user may add a goal area: None for region-wide, else a förvaltning.
    area_scopes: list[Department | None]


def departments_in(user: User) -> list[Department]:
    query = (select(Department).where(Department.region_id == user.region_id)
             .order_by(Department.name))
    return list(db.session.scalars(query))


def plan_for(user: User, department_id: Any = None) -> PlanView:
    """The plan of the user's region: region-wide goal areas first, then each förvaltning's,
    and the proposals parked in the plan per förvaltning. With ``department_id`` only that
    förvaltning (the region-wide goal areas, which apply to every förvaltning, stay)."""
    departments = departments_in(user)
    selected = next((d for d in departments if str(d.id) == str(department_id)), None)
    query = (select(GoalArea).where(GoalArea.region_id == user.region_id)
             .options(selectinload(GoalArea.actions).selectinload(PlanAction.cases))
             .order_by(GoalArea.id))
    if selected is not None:
        query = query.where((GoalArea.department_id.is_(None))
                            | (GoalArea.department_id == selected.id))
    by_department: dict[int | None, list[AreaView]] = {}
    for area in db.session.scalars(query):
        by_department.setdefault(area.department_id, []).append(_area_view(user, area))

    parked = parked_cases(user, selected)
    parked_ids = {group.department.id for group in parked}
    sections = [PlanSection(None, by_department.get(None, []), can_manage(user, None))]
    for department in departments:
        if selected is not None and department is not selected:
            continue
        if department.id in by_department or department.id in parked_ids or selected:
            sections.append(PlanSection(department, by_department.get(department.id, []),
                                        can_manage(user, department.id)))
    scopes = area_scopes(user, [selected] if selected is not None else departments)
    return PlanView(region=user.region, sections=sections, parked=parked,
                    departments=departments, department=selected, area_scopes=scopes)


def area_scopes(user: User, departments: Sequence[Department] | None = None,
                ) -> list[Department | None]:
    """Where ``user`` may add a goal area: ``None`` for the whole region, then förvaltningar."""
    scopes: list[Department | None] = [None] if can_manage(user, None) else []
    return scopes + [d for d in (departments_in(user) if departments is None else departments)
                     if can_manage(user, d.id)]


def area_view(user: User, area: GoalArea) -> AreaView:
    """One goal area as the plan shows it to ``user`` (the API's answer after a change)."""
    return _area_view(user, area)


def _area_view(user: User, area: GoalArea) -> AreaView:
    editable = can_manage(user, area.department_id)
    linkable = may_link_in(user, area.department_id)
    actions = []
    for action in area.actions:
        visible = [c for c in action.cases if access.can_view(user, c)]
        actions.append(ActionView(
            action=action, cases=visible, editable=editable, linkable=linkable,
            unlinkable={c.id for c in visible if may_link(user, c)}))
    return AreaView(area=area, actions=actions, editable=editable)


def parked_cases(user: User, department: Department | None = None) -> list[ParkedGroup]:
    """The cases the council has parked in the plan (state ``plan``) that the user may see,
    per förvaltning, by planned year (cases without one last)."""
    query = (select(Case).join(Department, Case.department_id == Department.id)
             .where(Case.state == PARKED_STATE, Department.region_id == user.region_id)
             .options(selectinload(Case.unit), selectinload(Case.department)))
    if department is not None:
        query = query.where(Department.id == department.id)
    groups: dict[int, ParkedGroup] = {}
    for case in db.session.scalars(query):
        if access.can_view(user, case):
            dept = case.department
            group = groups.setdefault(dept.id, ParkedGroup(dept, []))
            group.cases.append(case)
            if any(e.name == REACTIVATE for e in cases.available_events(user, case)):
                group.reactivatable.add(case.id)
    for group in groups.values():
        group.cases.sort(key=lambda c: (c.planned_year is None, c.planned_year or 0, c.id))
    return sorted(groups.values(), key=lambda g: g.department.name)


def get_area(user: User, area_id: Any) -> GoalArea:
    area = db.session.get(GoalArea, key) if (key := as_id(area_id)) else None
    if area is None or area.region_id != user.region_id:
        raise NotFound(message=N_("Målområdet finns inte."))
    return area


def get_action(user: User, action_id: Any) -> PlanAction:
    action = db.session.get(PlanAction, key) if (key := as_id(action_id)) else None
    if action is None or action.goal_area.region_id != user.region_id:
        raise NotFound(message=N_("Insatsen finns inte."))
    return action


def find_case(user: User, number: Any) -> Case:
    """The case with this number, for a link form; a field error if there is none the user
    may see (never a hint that it exists)."""
    text = str(number if number is not None else "").strip()
    if not text:
        raise ValidationFailed({"case_id": N_("Ange ärendets nummer.")})
    if not (text.isascii() and text.isdigit()):
        raise ValidationFailed({"case_id": N_("Ange ärendets nummer med siffror, t.ex. 12.")})
    try:
        return cases.get_case(user, text)
    except NotFound:
        raise ValidationFailed({"case_id": N_(
            "Det finns inget ärende med det numret som du har behörighet att se.")}) from None


# ---------------------------------------------------------------- changing the plan

def create_area(actor: User, department_id: Any, name: Any, description: Any = "") -> GoalArea:
    """A new goal area for a förvaltning, or (``department_id`` None) the whole region."""
    department = _department(actor, department_id)
    _require_manage(actor, department.id if department else None)
    values = _checked({"name": (name, AREA_NAME_MAX, True),
                       "description": (description, TEXT_MAX, False)})
    with unit_of_work():
        area = GoalArea(region_id=actor.region_id, department=department, **values)
        db.session.add(area)
    return area


def update_area(actor: User, area: GoalArea, name: Any, description: Any = None) -> GoalArea:
    """Rename a goal area (and, when given, change its description)."""
    _require_manage(actor, area.department_id)
    checks = {"name": (name, AREA_NAME_MAX, True)}
    if description is not None:
        checks["description"] = (description, TEXT_MAX, False)
    values = _checked(checks)
    with unit_of_work():
        for key, value in values.items():
            setattr(area, key, value)
    return area


def create_action(actor: User, area: GoalArea, name: Any, owner: Any = "",
                  status: Any = "not_done") -> PlanAction:
    _require_manage(actor, area.department_id)
    values = _checked({"name": (name, ACTION_NAME_MAX, True), "owner": (owner, OWNER_MAX, False)})
    values["status"] = _status(status)
    with unit_of_work():
        action = PlanAction(**values)
        area.actions.append(action)
    return action


def update_action(actor: User, action: PlanAction, *, name: Any = None, status: Any = None,
                  owner: Any = None) -> PlanAction:
    """Rename an action or change its status or owner; only the values given change.
    Nothing is written to the linked cases' history."""
    _require_manage(actor, action.goal_area.department_id)
    checks = {}
    if name is not None:
        checks["name"] = (name, ACTION_NAME_MAX, True)
    if owner is not None:
        checks["owner"] = (owner, OWNER_MAX, False)
    errors: dict[str, Any] = {}
    try:
        values = _checked(checks)
    except ValidationFailed as error:
        errors.update(error.field_errors)
        values = {}
    if status is not None:
        try:
            values["status"] = _status(status)
        except ValidationFailed as error:
            errors.update(error.field_errors)
    if errors:
        raise ValidationFailed(errors)
    with unit_of_work():
        for key, value in values.items():
            setattr(action, key, value)
    return action


def link_case(actor: User, action: PlanAction, case: Case,
              now: datetime | None = None) -> PlanAction:
    """Link ``case`` to ``action``; the case's history records it."""
    _require_link(actor, case)
    area = action.goal_area
    if area.region_id != case.department.region_id or (
            area.department_id is not None and area.department_id != case.department_id):
        raise ValidationFailed({"case_id": N_(
            "Ärendet hör till en annan förvaltning än målområdet.")})
    if case in action.cases:
        raise ValidationFailed({"case_id": N_("Ärendet är redan kopplat till insatsen.")})
    now = now or utcnow()
    with unit_of_work():
        action.cases.append(case)
        case.updated_at = now
        record(case, "plan_linked", case.state, case.state, actor, now,
               data={"action": action.name, "goal_area": area.name})
    return action


def unlink_case(actor: User, action: PlanAction, case: Case,
                now: datetime | None = None) -> PlanAction:
    """Remove the link between ``case`` and ``action``; the case's history records it."""
    _require_link(actor, case)
    if case not in action.cases:
        raise ValidationFailed({"case_id": N_("Ärendet är inte kopplat till insatsen.")})
    now = now or utcnow()
    with unit_of_work():
        action.cases.remove(case)
        case.updated_at = now
        record(case, "plan_unlinked", case.state, case.state, actor, now,
               data={"action": action.name, "goal_area": action.goal_area.name})
    return action


def _require_link(actor: User, case: Case) -> None:
    if not access.can_view(actor, case):
        raise NotFound()
    if not may_link(actor, case):
        raise PermissionDenied(message=N_(
            "Bara ärendets verksamhetsutvecklare, digitaliseringsråd och förvaltningsledning "
            "kan koppla det till digitaliseringsplanen."))


def _department(actor: User, department_id: Any) -> Department | None:
    if department_id in (None, ""):
        return None
    department = (db.session.get(Department, key)
                  if (key := as_id(department_id)) else None)
    if department is None or department.region_id != actor.region_id:
        raise ValidationFailed({"department_id": N_("Välj en förvaltning som finns.")})
    return department


def _checked(checks: Mapping[str, tuple[Any, int, bool]]) -> dict[str, str]:
    """Strip each text and check it is given (when required) and not too long."""
    values: dict[str, str] = {}
    errors: dict[str, Any] = {}
    for key, (value, max_length, required) in checks.items():
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors[key] = N_("Ange en text.")
            continue
        value = value.strip()
        if required and not value:
            errors[key] = N_("Ange ett namn.")
        elif len(value) > max_length:
            errors[key] = (N_("Texten får vara högst %(max)s tecken."), {"max": max_length})
        else:
            values[key] = value
    if errors:
        raise ValidationFailed(errors)
    return values


def _status(status: Any) -> str:
    if status not in PLAN_STATUSES:
        raise ValidationFailed({"status": N_(
            "Välj en status: ej klar, klar, pausad, svårbedömd eller relevans ifrågasatt.")})
    return status


# ---------------------------------------------------------------- the demo plan

def load_plan(data: Mapping[str, Any], region: Region,
              departments_by_name: Mapping[str, Department],
              cases_by_position: Sequence[Case]) -> list[GoalArea]:
    """Load the plan of seeds/plan.yaml: ``goal_areas``, each with ``name``, an optional
    ``department`` (by name; without it the area is region-wide), ``description`` and
    ``actions`` (``name``, ``status``, ``owner``, ``cases``: 1-based positions in the seeded
    cases). Seeded links are the plan's starting point and write no case history."""
    areas: list[GoalArea] = []
    with unit_of_work():
        for index, item in enumerate(data.get("goal_areas") or [], start=1):
            where = f"goal area {index} ({item.get('name')!r})"
            areas.append(_seed_area(item, region, departments_by_name, cases_by_position,
                                    where))
    return areas


def _seed_area(item: Mapping[str, Any], region: Region,
               departments_by_name: Mapping[str, Department],
               cases_by_position: Sequence[Case], where: str) -> GoalArea:
    department = None
    if item.get("department"):
        department = departments_by_name.get(item["department"])
        if department is None:
            raise PlanSeedError(f"{where}: no förvaltning called {item['department']!r}")
    values = _seed_values(where, {"name": (item.get("name"), AREA_NAME_MAX, True),
                                  "description": (item.get("description"), TEXT_MAX, False)})
    area = GoalArea(region_id=region.id, department=department, **values)
    db.session.add(area)
    for number, entry in enumerate(item.get("actions") or [], start=1):
        place = f"{where}, action {number} ({entry.get('name')!r})"
        values = _seed_values(place, {"name": (entry.get("name"), ACTION_NAME_MAX, True),
                                      "owner": (entry.get("owner"), OWNER_MAX, False)})
        status = entry.get("status", "not_done")
        if status not in PLAN_STATUSES:
            raise PlanSeedError(f"{place}: status {status!r} is not one of {PLAN_STATUSES}")
        action = PlanAction(status=status, **values)
        area.actions.append(action)
        for position in entry.get("cases") or []:
            if (isinstance(position, bool) or not isinstance(position, int)
                    or not 1 <= position <= len(cases_by_position)):
                raise PlanSeedError(f"{place}: there is no seeded case number {position!r} "
                                    f"(1 to {len(cases_by_position)})")
            case = cases_by_position[position - 1]
            if department is not None and case.department_id != department.id:
                raise PlanSeedError(f"{place}: case {position} belongs to another förvaltning")
            if case not in action.cases:
                action.cases.append(case)
    return area


def _seed_values(where: str, checks: Mapping[str, tuple[Any, int, bool]]) -> dict[str, str]:
    try:
        return _checked(checks)
    except ValidationFailed as error:
        raise PlanSeedError(f"{where}: {error.field_errors}") from None

