"""Process administration: which definition version new cases start on, how many cases run
on each version, and loading a new version from a YAML file.

A loaded version is validated by the same validator as the files in config/processes/,
compared with the latest version, stored in ``process_definitions`` and merged into the
process registry (workflow/processes/store.py). Running cases keep the version they started
on.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import yaml
from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from workflow.admin import log as admin_log
from workflow.models import Case, Department, Region, StoredProcessDefinition, User
from workflow.platform.errors import ServiceError, translate
from workflow.platform.extensions import db
from workflow.platform.uow import unit_of_work
from workflow.processes.registry import current_process, feature_problems, registry
from workflow.processes.store import refresh_registry
from workflow.states import DefinitionError, Process, ProcessDefinition
from workflow.states.definition import load_definition_text
from workflow.states.diff import DefinitionDiff, diff_definitions, event_as_dict, state_as_dict
from workflow.states.features import FeatureProblem
from workflow.states.i18n import N_
from workflow.states.yaml_io import safe_load

MAX_SOURCE_CHARS = 200_000
LOG_ACTION = "process.load"


# ------------------------------------------------------------------------------ errors

@dataclass(frozen=True)
class Problem:
    """One reason a file cannot be loaded: where (file, entry), what, and how to fix it."""

    source: str
    entry: str
    problem: str
    fix: str

    @classmethod
    def from_error(cls, error: DefinitionError) -> "Problem":
        return cls(error.source, error.entry, error.problem, error.fix)

    @property
    def text(self) -> str:
        return f"{self.source}: {self.entry}: {self.problem}. {self.fix}"

    def as_dict(self) -> dict[str, str]:
        return {"file": self.source, "entry": self.entry, "problem": self.problem,
                "fix": self.fix}


class DefinitionRejected(ServiceError):
    """The file cannot be loaded; nothing was stored."""

    status = 422
    message = N_("Processdefinitionen kan inte läsas in. Rätta felen nedan; ingenting sparades.")

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__()

    @property
    def reasons(self) -> list[str]:
        return [p.text for p in self.problems]


class BaseChanged(ServiceError):
    status = 409
    message = N_("En annan version har lästs in sedan förhandsgranskningen. Granska ändringarna "
                 "igen; ingenting sparades.")


class UnknownVersion(ServiceError):
    status = 404
    message = N_("Processversionen finns inte.")


# ------------------------------------------------------------------------------ loading

@dataclass(frozen=True)
class Candidate:
    """A valid new version, compared with the latest one, not stored yet."""

    definition: ProcessDefinition
    source_text: str
    filename: str
    base: ProcessDefinition | None
    diff: DefinitionDiff

    @property
    def base_version(self) -> int | None:
        return self.base.version if self.base else None


_ANY_BASE = object()


def preview(text: str | bytes, filename: str) -> Candidate:
    """Validate ``text`` and compare it with the latest version; raise
    :class:`DefinitionRejected` with every problem found."""
    filename = _clean_filename(filename)
    source = _decode(text, filename)
    problems: list[Problem] = []
    definition: ProcessDefinition | None = None
    try:
        definition = load_definition_text(source, source=filename)
        name, version = definition.name, definition.version
        problems += [_feature_problem(filename, found) for found in feature_problems(definition)]
    except DefinitionError as error:
        problems.append(Problem.from_error(error))
        name, version = _peek_name_and_version(source)
    problems += _version_problems(name, version, filename)
    if problems or definition is None:
        raise DefinitionRejected(problems)
    base = _latest_definition(definition.name)
    return Candidate(definition, source, filename, base, diff_definitions(base, definition))


def load(actor: User | None, text: str | bytes, filename: str,
         base_version: Any = _ANY_BASE) -> StoredProcessDefinition:
    """Store a new version and make it the latest. ``base_version`` is the latest version the
    admin compared with (None: there was none); if another was loaded meanwhile, nothing is
    stored. ``actor`` None means the command line."""
    candidate = preview(text, filename)
    if base_version is not _ANY_BASE and base_version != candidate.base_version:
        raise BaseChanged()
    row = StoredProcessDefinition(
        name=candidate.definition.name, version=candidate.definition.version,
        source=candidate.source_text, filename=candidate.filename,
        loaded_by_id=actor.id if actor is not None else None)
    try:
        with unit_of_work():
            db.session.add(row)
            db.session.flush()
            _record(actor, row, candidate)
    except IntegrityError:  # the same version loaded at the same moment elsewhere
        definition = candidate.definition
        raise DefinitionRejected(_version_problems(
            definition.name, definition.version, candidate.filename, taken=True)) from None
    refresh_registry(registry())
    return row


def _record(actor: User | None, row: StoredProcessDefinition, candidate: Candidate) -> None:
    """One entry in every region's log: the process applies to the whole installation."""
    after = {"name": row.name, "version": row.version, "filename": row.filename,
             **candidate.diff.summary()}
    for region_id in db.session.scalars(select(Region.id).order_by(Region.id)):
        admin_log.record(actor, LOG_ACTION, row, region_id=region_id, after=after,
                         label=f"{row.name} version {row.version}")


def _clean_filename(filename: str | None) -> str:
    name = PurePath((filename or "").replace("\\", "/")).name.strip()
    return (name or "processfil.yaml")[:255]


def _decode(text: str | bytes, filename: str) -> str:
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise DefinitionRejected([_problem(
                filename, translate(N_("filen")), N_("är inte text i UTF-8"),
                N_("Spara filen som UTF-8 (vanlig text) och ladda upp den igen."))]) from None
    if not text.strip():
        raise DefinitionRejected([_problem(
            filename, translate(N_("filen")), N_("är tom"),
            N_("Välj en processdefinition i YAML, i samma format som config/processes/."))])
    if len(text) > MAX_SOURCE_CHARS:
        raise DefinitionRejected([_problem(
            filename, translate(N_("filen")), N_("är för stor (högst %(max)s tecken)"),
            N_("Kontrollera att det är rätt fil."), max=MAX_SOURCE_CHARS)])
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _peek_name_and_version(source: str) -> tuple[str | None, int | None]:
    """Name and version of a file the validator refused, to report a taken version too."""
    try:
        raw = safe_load(source)
    except yaml.YAMLError:
        return None, None
    if not isinstance(raw, dict):
        return None, None
    name, version = raw.get("name"), raw.get("version")
    return (name.strip() if isinstance(name, str) else None,
            version if isinstance(version, int) and not isinstance(version, bool) else None)


def _version_problems(name: str | None, version: int | None, filename: str,
                      taken: bool = False) -> list[Problem]:
    if name is None or version is None:
        return []
    expected = current_app.config["PROCESS_NAME"]
    if name != expected:
        return [_problem(filename, "name", N_("processen heter %(name)s, men regionens ärenden "
                                              "följer processen %(expected)s"),
                         N_("Skriv name: %(expected)s; en process gäller för hela regionen."),
                         name=name, expected=expected)]
    latest = _latest_definition(name)
    if taken or (latest is not None and _is_loaded(name, version)):
        return [_problem(filename, "version", N_("version %(version)s av %(name)s finns redan"),
                         N_("En inläst version ändras aldrig. Ge den nya versionen ett högre "
                            "nummer, t.ex. version: %(next)s."),
                         version=version, name=name,
                         next=max(version, latest.version if latest else 0) + 1)]
    if latest is not None and version <= latest.version:
        return [_problem(filename, "version", N_("version %(version)s är inte högre än den "
                                                 "senaste versionen %(latest)s"),
                         N_("Ge den nya versionen ett högre nummer, t.ex. version: %(next)s."),
                         version=version, latest=latest.version, next=latest.version + 1)]
    return []


def _feature_problem(source: str, found: FeatureProblem) -> Problem:
    """A feature the new version would switch off (workflow/states/features.py)."""
    params = {**found.params, "feature": translate(found.feature.label)}
    return _problem(source, found.entry, found.problem, found.fix, **params)


def _problem(source: str, entry: str, problem: str, fix: str, **params: Any) -> Problem:
    """``entry`` names a YAML key as is; ``problem`` and ``fix`` are Swedish msgids."""
    return Problem(source, entry, translate(problem, params), translate(fix, params))


def _latest_definition(name: str) -> ProcessDefinition | None:
    versions = registry().versions(name)
    return versions[-1].definition if versions else None


def _is_loaded(name: str, version: int) -> bool:
    return any(p.version == version for p in registry().versions(name))


# ------------------------------------------------------------------------------ reading

@dataclass(frozen=True)
class Usage:
    total: int = 0
    running: int = 0  # not in a final state


@dataclass(frozen=True)
class VersionInfo:
    process: Process
    stored: StoredProcessDefinition | None  # None: a file in config/processes/
    latest: bool
    usage: Usage


@dataclass(frozen=True)
class DepartmentInfo:
    department: Department
    current: Process  # what its new cases start on
    running: dict[tuple[str, int], int]  # running cases per (process, version)


@dataclass(frozen=True)
class Overview:
    current: Process
    versions: list[VersionInfo]  # newest first
    departments: list[DepartmentInfo]


def overview(region_id: int) -> Overview:
    """Per förvaltning the version its new cases start on; per version its cases."""
    current = current_process()
    counts = _case_counts(region_id)
    departments = list(db.session.scalars(
        select(Department).where(Department.region_id == region_id).order_by(Department.name)))
    return Overview(
        current=current,
        versions=[_version_info(p, counts) for p in _all_versions()],
        departments=[DepartmentInfo(d, current, _running_in(d.id, counts)) for d in departments])


def _running_in(department_id: int,
                counts: dict[tuple[int, str, int], Usage]) -> dict[tuple[str, int], int]:
    return {(name, version): usage.running
            for (department, name, version), usage in sorted(counts.items())
            if department == department_id and usage.running}


def version_info(region_id: int, name: str, version: int) -> VersionInfo:
    process = _process(name, version)
    return _version_info(process, _case_counts(region_id))


def _version_info(process: Process, counts: dict[tuple[int, str, int], Usage]) -> VersionInfo:
    usages = [u for (_, n, v), u in counts.items() if (n, v) == process.definition.key]
    latest = registry().versions(process.name)[-1] is process
    return VersionInfo(process, _stored(process.name, process.version), latest,
                       Usage(sum(u.total for u in usages), sum(u.running for u in usages)))


def _process(name: str, version: int) -> Process:
    for process in registry().versions(name):
        if process.version == version:
            return process
    raise UnknownVersion()


def _all_versions() -> list[Process]:
    processes = registry().all()
    return sorted(processes, key=lambda p: (p.name != current_process().name, p.name,
                                            -p.version))


def _stored(name: str, version: int) -> StoredProcessDefinition | None:
    return db.session.scalar(select(StoredProcessDefinition).where(
        StoredProcessDefinition.name == name, StoredProcessDefinition.version == version))


def _case_counts(region_id: int) -> dict[tuple[int, str, int], Usage]:
    """Cases per (förvaltning, process, version) in the region: all, and those running."""
    query = (select(Case.department_id, Case.process_name, Case.process_version, Case.state,
                    func.count(Case.id))
             .join(Department, Case.department_id == Department.id)
             .where(Department.region_id == region_id)
             .group_by(Case.department_id, Case.process_name, Case.process_version, Case.state))
    counts: dict[tuple[int, str, int], Usage] = {}
    for department_id, name, version, state, number in db.session.execute(query):
        key = (department_id, name, version)
        before = counts.get(key, Usage())
        running = number if not _is_final(name, version, state) else 0
        counts[key] = Usage(before.total + number, before.running + running)
    return counts


def _is_final(name: str, version: int, state: str) -> bool:
    try:
        spec = registry().get(name, version).definition.states.get(state)
    except LookupError:
        return False
    return bool(spec and spec.final)


def definition_as_dict(info: VersionInfo) -> dict[str, Any]:
    """The definition as JSON, with where it came from and how many cases run on it."""
    definition, stored = info.process.definition, info.stored
    return {
        "name": definition.name, "version": definition.version,
        "label": {"sv": definition.label.sv, "en": definition.label.en},
        "initial": definition.initial, "latest": info.latest,
        "origin": "database" if stored else "file",
        "filename": stored.filename if stored else PurePath(definition.source).name,
        "loaded_at": stored.loaded_at.isoformat() if stored else None,
        "loaded_by": (stored.loaded_by.display_name if stored and stored.loaded_by else None),
        "cases": {"total": info.usage.total, "running": info.usage.running},
        "states": [state_as_dict(s) for s in definition.states.values()],
        "events": [event_as_dict(e) for e in definition.events.values()],
    }
