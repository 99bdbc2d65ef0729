"""The organisation's administration API (/api/v1/admin/departments, /units, /region): bodies
and answers, with the limits of organisation/admin.py. That service keeps its own messages
(a name taken, a share that does not add up); these models document the shape and name the
fields the API accepts."""
from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, create_model

from workflow.organisation.admin import (
    DIMIOS_MAX,
    DIMIOS_MIN,
    EXAMPLE_MAX,
    FORUM_FIELDS,
    MAX_HOURS,
    MAX_RATE_PERCENT,
    MAX_SEK,
    NAME_MAX,
    PATTERN_MAX,
    QUADRANTS,
    SOURCE_MAX,
)
from workflow.platform.schemas import Answer, Request
from workflow.portfolio.service import MATURITY

Name = Annotated[str, Field(min_length=1, max_length=NAME_MAX)]
ForumName = Annotated[str | None, Field(max_length=NAME_MAX)]
Sek = Annotated[int | None, Field(ge=0, le=MAX_SEK,
                                  description="Hela kronor; null = standardvärdet")]

TargetBalance = create_model(
    "TargetBalance", __base__=Request,
    **{q: (Annotated[int, Field(ge=0, le=100)], ...) for q in QUADRANTS})


class AdminDepartmentSettings(Answer):
    delegation_limit_sek: Sek = None
    yearly_budget_sek: Sek = None
    yearly_hours: Annotated[int | None, Field(ge=0, le=MAX_HOURS)] = None
    hourly_cost_sek: Sek = None
    discount_rate_percent: Annotated[float | None, Field(
        ge=0, le=float(MAX_RATE_PERCENT), multiple_of=0.1)] = None
    target_balance: TargetBalance | None = Field(
        None, description="Hela procent per kvadrant, summa 100; null = standardvärdet")


# The förvaltning's own names of its forums (nämnd, råd, ledningsgrupp), all optional.
Forums = create_model("Forums", __base__=Answer,
                      **{key: (ForumName, None) for key in FORUM_FIELDS})


# The PATCH/POST body: the name, the forums' names and the settings (null = the default).
AdminDepartmentInput = create_model(
    "AdminDepartmentInput", __base__=Request, name=(Name, None),
    **{key: (ForumName, None) for key in FORUM_FIELDS},
    **{key: (field.annotation, field)
       for key, field in AdminDepartmentSettings.model_fields.items()})


class AdminUnit(Answer):
    id: int = None
    name: str = None
    department_id: int = None
    department: str = None
    closed: bool = None
    closed_at: datetime | None = None
    open_cases: int = None


class AdminDepartment(Forums):
    id: int = None
    name: str = None
    closed: bool = None
    closed_at: datetime | None = None
    open_cases: int = None
    settings: AdminDepartmentSettings = None
    defaults: AdminDepartmentSettings = None
    effective: AdminDepartmentSettings = None
    units: list[AdminUnit] = None
    forum_members: dict[str, Any] = None
    people_url: str = None


class Closing(Answer):
    open_cases: int = None
    warning: str | None = None


class AdminDepartmentClosed(AdminDepartment, Closing):
    pass


class AdminUnitClosed(AdminUnit, Closing):
    pass


class AdminDepartmentList(Answer):
    items: list[AdminDepartment] = None


class AdminUnitList(Answer):
    items: list[AdminUnit] = None


class AdminUnitInput(Request):
    name: Name = None
    department_id: Annotated[int, Field(ge=1)] = None


class AdminRegionSettings(Request):
    diarienummer_pattern: Annotated[str | None, Field(
        max_length=PATTERN_MAX, description="Reguljärt uttryck; null = standard")] = None
    diarienummer_example: Annotated[str | None, Field(
        max_length=EXAMPLE_MAX, description="Ett diarienummer som följer mönstret")] = None


class PublicPageSwitch(Request):
    shown: bool = Field(description="true: sidan visas för alla; false: avstängd")


class PublicPage(Answer):
    shown: bool = None
    url: str = Field(None, description="Sidans adress (404 medan den är avstängd)")


class AdminRegion(Answer):
    id: int = None
    name: str = None
    settings: AdminRegionSettings = None
    defaults: AdminRegionSettings = None
    public_page: PublicPage = None


class MaturityInput(Request):
    level: Annotated[int, Field(ge=1, le=max(MATURITY))]
    assessed_on: date = Field(description="ÅÅÅÅ-MM-DD, i dag eller tidigare")
    source: Annotated[str, Field(min_length=1, max_length=SOURCE_MAX)]


class Maturity(Answer):
    id: int = None
    level: int = None
    level_label: str = None
    assessed_on: date = None
    source: str = None


class MaturityList(Answer):
    department_id: int = None
    items: list[Maturity] = Field(None, description="Senaste först")


class DimiosInput(Request):
    measured_on: date = Field(description="ÅÅÅÅ-MM-DD, i dag eller tidigare")
    score: Annotated[float, Field(ge=float(DIMIOS_MIN), le=float(DIMIOS_MAX),
                                  description="Högst två decimaler")]
    respondents: Annotated[int, Field(ge=1, le=10**7)]


class Dimios(Answer):
    id: int = None
    measured_on: date = None
    score: float = None
    respondents: int = None


class DimiosList(Answer):
    department_id: int = None
    items: list[Dimios] = Field(None, description="Senaste först")


MODELS: list[type[BaseModel]] = [
    AdminDepartmentSettings, AdminDepartmentInput, AdminUnit, AdminDepartment,
    AdminDepartmentClosed, AdminUnitClosed, AdminDepartmentList, AdminUnitList, AdminUnitInput,
    AdminRegionSettings, PublicPageSwitch, PublicPage, AdminRegion, MaturityInput, Maturity,
    MaturityList, DimiosInput, Dimios, DimiosList]
