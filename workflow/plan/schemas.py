"""The digitaliseringsplan in the API (plan/api.py): what GET /plan answers and the bodies of
the plan's write actions, with the limits of plan/service.py (which keeps its own messages)."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from workflow.models import PLAN_STATUSES, TEXT_MAX
from workflow.plan.service import ACTION_NAME_MAX, AREA_NAME_MAX, OWNER_MAX
from workflow.platform.schemas import Answer, Request

PlanStatus = Literal[tuple(PLAN_STATUSES)]


class GoalAreaCreate(Request):
    department_id: int | None = Field(
        None, ge=1, description="Förvaltningen; utelämnad eller null: hela regionen")
    name: Annotated[str, Field(min_length=1, max_length=AREA_NAME_MAX)]
    description: Annotated[str, Field(max_length=TEXT_MAX)] = ""


class GoalAreaUpdate(Request):
    name: Annotated[str, Field(min_length=1, max_length=AREA_NAME_MAX)]
    description: Annotated[str, Field(max_length=TEXT_MAX)] = None


class PlanActionCreate(Request):
    name: Annotated[str, Field(min_length=1, max_length=ACTION_NAME_MAX)]
    owner: Annotated[str, Field(max_length=OWNER_MAX)] = ""
    status: PlanStatus = "not_done"


class PlanActionUpdate(Request):
    name: Annotated[str, Field(min_length=1, max_length=ACTION_NAME_MAX)] = None
    owner: Annotated[str, Field(max_length=OWNER_MAX)] = None
    status: PlanStatus = None


class PlanLink(Request):
    case_id: int = Field(ge=1, description="Ärendets nummer")


class PlanDepartment(Answer):
    id: int = None
    name: str = None


class PlanCase(Answer):
    id: int = None
    title: str = None
    state: str = None
    state_label: str = None
    unlinkable: bool = None


class PlanAction(Answer):
    id: int = None
    goal_area_id: int = None
    name: str = None
    owner: str = None
    status: str = None
    status_label: str = None
    editable: bool = None
    linkable: bool = None
    cases: list[PlanCase] = None


class PlanGoalArea(Answer):
    id: int = None
    department_id: int | None = None
    name: str = None
    description: str = None
    editable: bool = None
    actions: list[PlanAction] = None


class PlanSection(Answer):
    department: PlanDepartment | None = None
    editable: bool = None
    areas: list[PlanGoalArea] = None


class PlanParkedCase(Answer):
    id: int = None
    title: str = None
    planned_year: int | None = None
    reactivatable: bool = None


class PlanParkedGroup(Answer):
    department: PlanDepartment = None
    cases: list[PlanParkedCase] = None


class Plan(Answer):
    region: PlanDepartment = None
    department: PlanDepartment | None = None
    departments: list[PlanDepartment] = None
    area_scopes: list[PlanDepartment | None] = Field(
        None, description="Där du får lägga till ett målområde; null: hela regionen")
    sections: list[PlanSection] = None
    parked: list[PlanParkedGroup] = None


MODELS: list[type[BaseModel]] = [
    GoalAreaCreate, GoalAreaUpdate, PlanActionCreate, PlanActionUpdate, PlanLink,
    PlanDepartment, PlanCase, PlanAction, PlanGoalArea, PlanSection, PlanParkedCase,
    PlanParkedGroup, Plan]
