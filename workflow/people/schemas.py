"""People and roles in the administration API (/api/v1/admin/users, /roles): bodies and
answers, with the limits of people/admin.py. That service keeps its own messages (a username
taken, overlapping roles); these models document the shape and name the accepted fields."""
from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from workflow.people.admin import (
    DISPLAY_NAME_MAX,
    EMAIL_MAX,
    PASSWORD_MAX,
    PASSWORD_MIN,
    USERNAME_MAX,
)
from workflow.platform.schemas import Answer, Request
from workflow.states.roles import ROLES

Role = Literal[tuple(ROLES)]
NullableId = Annotated[int | None, Field(ge=1)]
Email = Annotated[str | None, Field(max_length=EMAIL_MAX)]
Password = Annotated[str, Field(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)]
DisplayName = Annotated[str, Field(max_length=DISPLAY_NAME_MAX)]


class AdminRoleAssignment(Answer):
    id: int = None
    user_id: int = None
    role: Role = None
    label: str = None
    department_id: NullableId = None
    department: str | None = None
    unit_id: NullableId = None
    unit: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    status: Literal["current", "future", "ended"] = None


class AdminRoleAssignmentCreate(Request):
    model_config = ConfigDict(json_schema_extra={"description": (
        "Utan förvaltning och enhet gäller rollen hela regionen. Datumen är inklusive; tomt "
        "betyder öppet.")})

    role: Role
    department_id: NullableId = None
    unit_id: NullableId = None
    valid_from: date | None = None
    valid_to: date | None = None


class AdminRoleAssignmentList(Answer):
    items: list[AdminRoleAssignment] = None


class AdminOpenTask(Answer):
    case_id: int = None
    title: str = None
    state: str = None
    roles: list[str] = None
    others: list[str] = Field(None, description="Användarnamn på andra som kan agera")
    nobody_else: bool = None


class AdminUser(Answer):
    id: int = None
    username: str = None
    display_name: str = None
    email: str | None = None
    is_active: bool = None
    roles: list[AdminRoleAssignment] = Field(None, description="Roller som gäller i dag")
    role_assignments: list[AdminRoleAssignment] = None
    open_tasks: list[AdminOpenTask] = None


class AdminUserPage(Answer):
    items: list[AdminUser] = None
    page: int = None
    pages: int = None
    total: int = None


class AdminUserCreate(Request):
    username: Annotated[str, Field(max_length=USERNAME_MAX)]
    display_name: DisplayName
    email: Email = None
    password: Password = None


class AdminUserUpdate(Request):
    display_name: DisplayName = None
    email: Email = None
    password: Password = None


class AdminDeactivate(Request):
    successor_id: int = Field(None, ge=1,
                              description="Tar över personens roller (samma omfattning)")
    end_roles: bool = Field(None, description="Avsluta personens roller")


class AdminDeactivation(Answer):
    user: AdminUser = None
    successor: AdminUser | None = None
    open_tasks: list[AdminOpenTask] = None
    without_anyone: list[int] = None
    roles_transferred: int = None
    roles_ended: int = None


class AdminImportProblem(Answer):
    line: int = None
    column: str | None = None
    message: str = None


class AdminImportResult(Answer):
    dry_run: bool = None
    ok: bool = None
    written: bool = None
    rows: int = None
    summary: str | None = None
    created: int = None
    unchanged: int = None
    users: dict[str, Any] = None
    roles: dict[str, Any] = None
    problems: list[AdminImportProblem] = None
    warnings: list[AdminImportProblem] = None


class AdminImportCsv(Request):
    csv: str


MODELS: list[type[BaseModel]] = [
    AdminRoleAssignment, AdminRoleAssignmentCreate, AdminRoleAssignmentList, AdminOpenTask,
    AdminUser, AdminUserPage, AdminUserCreate, AdminUserUpdate, AdminDeactivate,
    AdminDeactivation, AdminImportProblem, AdminImportResult, AdminImportCsv]
