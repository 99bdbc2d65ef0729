"""Process administration in the API (/api/v1/admin/processes): what it answers. A new version
is sent as YAML text, not JSON, so there is no request model; processes/admin.py validates
it and answers a refusal with its problems (ProcessRejected)."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from workflow.platform.schemas import Answer, Error


class Label(Answer):
    sv: str = None
    en: str = None


class Cases(Answer):
    total: int = None
    running: int = None


class ProcessVersion(Answer):
    name: str = None
    version: int = None
    label: Label = None
    latest: bool = None
    origin: Literal["file", "database"] = None
    filename: str = None
    loaded_at: datetime | None = None
    loaded_by: str | None = None
    cases: Cases = None


class ProcessRef(Answer):
    name: str = None
    version: int = None


class DepartmentProcess(Answer):
    id: int = None
    name: str = None
    process: str = None
    version: int = None
    running: list[dict[str, Any]] = None


class ProcessOverview(Answer):
    process: str = None
    current: ProcessRef = None
    versions: list[ProcessVersion] = None
    departments: list[DepartmentProcess] = None


class ProcessDefinition(ProcessVersion):
    initial: str = None
    states: list[dict[str, Any]] = Field(None, description=(
        "label.sv, label.en, plain.sv, plain.en, target_days, waiting_for, editors, "
        "dossier_editors, visible_to, final"))
    events: list[dict[str, Any]] = Field(None, description=(
        "label.sv, label.en, from, to, roles.<läge>, guards, fields.<fält>"))


class Change(Answer):
    key: str = None
    before: Any = None
    after: Any = None


class ItemChanges(Answer):
    name: str = None
    changes: list[Change] = None


class PartChanges(Answer):
    added: list[str] = None
    removed: list[str] = None
    changed: list[ItemChanges] = None


class ProcessDiff(Answer):
    old_version: int | None = None
    new_version: int = None
    empty: bool = None
    process: list[Change] = None
    states: PartChanges = None
    events: PartChanges = None


class ProcessPreview(Answer):
    name: str = None
    version: int = None
    base_version: int | None = None
    diff: ProcessDiff = None


class Problem(Answer):
    file: str = None
    entry: str = None
    problem: str = None
    fix: str = None


class ProcessRejected(Error):
    problems: list[Problem] = None


MODELS: list[type[BaseModel]] = [ProcessVersion, ProcessOverview, ProcessDefinition,
                                 ProcessPreview, ProcessRejected]
