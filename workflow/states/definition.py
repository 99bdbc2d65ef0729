"""Process definitions: the chain of docs/process.md as data, loaded and validated.

A definition file is YAML with ``name``, ``version``, ``label``, ``initial``, a list of
``states`` and a list of ``events``. Everything is checked when it is loaded; a broken file
stops start-up with a :class:`DefinitionError` that names the file, the entry and the fix.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

from workflow.states.guards import GUARDS
from workflow.states.roles import AUTHOR, ROLES
from workflow.states.yaml_io import safe_load

FIELD_TYPES = ("text", "date", "number", "case", "choice")
LANGUAGES = ("sv", "en")


class DefinitionError(ValueError):
    """A process definition that cannot be used, with where and how to fix it."""

    def __init__(self, source: str, entry: str, problem: str, fix: str):
        self.source, self.entry, self.problem, self.fix = source, entry, problem, fix
        super().__init__(f"{source}: {entry}: {problem}. {fix}")


@dataclass(frozen=True)
class Label:
    sv: str
    en: str

    def get(self, language: str | None) -> str:
        return self.en if language == "en" else self.sv


@dataclass(frozen=True)
class Choice:
    value: str
    label: Label


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str
    label: Label
    required: bool = False
    choices: tuple[Choice, ...] = ()


@dataclass(frozen=True, eq=False)
class StateSpec:
    name: str
    label: Label
    plain: Label
    target_days: int | None = None
    waiting_for: tuple[str, ...] = ()
    editors: tuple[str, ...] = ()
    dossier_editors: tuple[str, ...] = ()
    visible_to: tuple[str, ...] | None = None
    final: bool = False

    def visible_for(self, role: str) -> bool:
        """Whether holding ``role`` in the case's scope shows a case in this state.

        Without an explicit ``visible_to`` every role but plain staff sees it; the author
        always sees their own case.
        """
        if self.visible_to is None:
            return role != "staff"
        return role in self.visible_to


@dataclass(frozen=True, eq=False)
class EventSpec:
    name: str
    label: Label
    sources: tuple[str, ...]
    dest: str
    roles_by_source: Mapping[str, tuple[str, ...]]
    guards: tuple[str, ...] = ()
    fields: tuple[FieldSpec, ...] = ()

    def roles_in(self, state: str) -> tuple[str, ...]:
        return self.roles_by_source.get(state, ())


@dataclass(frozen=True, eq=False)
class ProcessDefinition:
    name: str
    version: int
    label: Label
    initial: str
    states: Mapping[str, StateSpec]
    events: Mapping[str, EventSpec]
    source: str = "<memory>"

    @property
    def key(self) -> tuple[str, int]:
        return (self.name, self.version)


def load_definition_file(path: Path) -> ProcessDefinition:
    return load_definition_text(path.read_text(encoding="utf-8"), source=str(path))


def load_definition_text(text: str, source: str) -> ProcessDefinition:
    """Parse and validate a definition given as YAML text (a file, an upload, a stored row)."""
    try:
        raw = safe_load(text)
    except yaml.YAMLError as exc:
        raise DefinitionError(source, "YAML", f"cannot be parsed ({exc})",
                              "Fix the YAML syntax at the position shown.") from exc
    return parse_definition(raw, source=source)


def load_definition_dir(directory: Path) -> list[ProcessDefinition]:
    files = sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml"))
    if not files:
        raise DefinitionError(str(directory), "directory", "holds no process definition",
                              "Add at least one *.yaml file, e.g. the standard process.")
    definitions = [load_definition_file(path) for path in files]
    seen: dict[tuple[str, int], str] = {}
    for definition in definitions:
        if definition.key in seen:
            raise DefinitionError(
                definition.source, f"version {definition.version}",
                f"process '{definition.name}' version {definition.version} is also defined in "
                f"{seen[definition.key]}", "Give each released version its own number.")
        seen[definition.key] = definition.source
    return definitions


class _Parser:
    def __init__(self, source: str):
        self.source = source

    def fail(self, entry: str, problem: str, fix: str) -> DefinitionError:
        return DefinitionError(self.source, entry, problem, fix)

    def mapping(self, value: Any, entry: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(entry, "must be a mapping", "Write it as 'key: value' lines.")
        return value

    def text(self, value: Any, entry: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(entry, "must be a non-empty text", "Give a value in quotes.")
        return value.strip()

    def names(self, value: Any, entry: str) -> tuple[str, ...]:
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(entry, "must be a list of names", "Write it as [name, name].")
        return tuple(value)

    def label(self, value: Any, entry: str) -> Label:
        value = self.mapping(value, entry)
        missing = [lang for lang in LANGUAGES if not isinstance(value.get(lang), str)]
        if missing:
            raise self.fail(entry, f"lacks a text for {', '.join(missing)}",
                            "Give both 'sv' and 'en' texts, e.g. {sv: Inlämnad, en: Submitted}.")
        return Label(sv=value["sv"], en=value["en"])

    def roles(self, value: Any, entry: str) -> tuple[str, ...]:
        roles = self.names(value, entry)
        for role in roles:
            if role not in ROLES and role != AUTHOR:
                raise self.fail(entry, f"unknown role '{role}'",
                                f"Use one of: {', '.join((AUTHOR, *ROLES))}.")
        return roles


def parse_definition(raw: Any, source: str = "<memory>") -> ProcessDefinition:
    p = _Parser(source)
    raw = p.mapping(raw, "top level")
    name = p.text(raw.get("name"), "name")
    version = raw.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise p.fail("version", "must be a whole number from 1", "Write e.g. 'version: 1'.")
    label = p.label(raw.get("label"), "label")
    states = _parse_states(p, raw.get("states"))
    initial = p.text(raw.get("initial"), "initial")
    if initial not in states:
        raise p.fail("initial", f"unknown state '{initial}'", "Name one of the states listed.")
    events = _parse_events(p, raw.get("events"), states)
    _check_reachability(p, initial, states, events)
    return ProcessDefinition(name=name, version=version, label=label, initial=initial,
                             states=states, events=events, source=source)


def _parse_states(p: _Parser, raw: Any) -> dict[str, StateSpec]:
    if not isinstance(raw, list) or not raw:
        raise p.fail("states", "must be a non-empty list", "List each state with '- name: ...'.")
    states: dict[str, StateSpec] = {}
    for index, item in enumerate(raw):
        item = p.mapping(item, f"states[{index}]")
        name = p.text(item.get("name"), f"states[{index}].name")
        entry = f"state '{name}'"
        if name in states:
            raise p.fail(entry, "is defined twice", "Remove or rename one of them.")
        target_days = item.get("target_days")
        if target_days is not None and (not isinstance(target_days, int) or target_days < 1):
            raise p.fail(f"{entry}.target_days", "must be a whole number of days from 1",
                         "Write e.g. 'target_days: 30', or leave it out.")
        states[name] = StateSpec(
            name=name,
            label=p.label(item.get("label"), f"{entry}.label"),
            plain=p.label(item.get("plain"), f"{entry}.plain"),
            target_days=target_days,
            waiting_for=p.roles(item.get("waiting_for"), f"{entry}.waiting_for"),
            editors=p.roles(item.get("editors"), f"{entry}.editors"),
            dossier_editors=p.roles(item.get("dossier_editors"), f"{entry}.dossier_editors"),
            visible_to=(p.roles(item["visible_to"], f"{entry}.visible_to")
                        if "visible_to" in item else None),
            final=bool(item.get("final", False)),
        )
    return states


def _parse_events(p: _Parser, raw: Any, states: Mapping[str, StateSpec]) -> dict[str, EventSpec]:
    if not isinstance(raw, list) or not raw:
        raise p.fail("events", "must be a non-empty list", "List each event with '- name: ...'.")
    events: dict[str, EventSpec] = {}
    for index, item in enumerate(raw):
        item = p.mapping(item, f"events[{index}]")
        name = p.text(item.get("name"), f"events[{index}].name")
        entry = f"event '{name}'"
        if name in events:
            raise p.fail(entry, "is defined twice", "Give every event a unique name.")
        sources = p.names(item.get("from"), f"{entry}.from")
        if not sources:
            raise p.fail(f"{entry}.from", "names no state the event starts from",
                         "List at least one state in 'from'.")
        for state in sources:
            if state not in states:
                raise p.fail(f"{entry}.from", f"unknown state '{state}'",
                             "Name a state from the 'states' list.")
            if states[state].final:
                raise p.fail(f"{entry}.from", f"state '{state}' is final",
                             "Remove the final state from 'from', or make it non-final.")
        dest = p.text(item.get("to"), f"{entry}.to")
        if dest not in states:
            raise p.fail(f"{entry}.to", f"unknown state '{dest}'",
                         "Name a state from the 'states' list.")
        fields = _parse_fields(p, item.get("fields"), entry)
        guards = p.names(item.get("guards"), f"{entry}.guards")
        _check_guards(p, entry, guards, fields)
        events[name] = EventSpec(
            name=name, label=p.label(item.get("label"), f"{entry}.label"),
            sources=sources, dest=dest,
            roles_by_source=_parse_event_roles(p, item.get("roles"), entry, sources),
            guards=guards, fields=_mark_required(fields, guards))
    return events


def _parse_event_roles(p: _Parser, raw: Any, entry: str,
                       sources: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    if isinstance(raw, Mapping):
        unknown = set(raw) - set(sources)
        if unknown:
            raise p.fail(f"{entry}.roles", f"names state(s) {sorted(unknown)} not in 'from'",
                         "Give roles only for the states the event starts from.")
        by_source = {s: p.roles(raw.get(s), f"{entry}.roles.{s}") for s in sources}
    else:
        roles = p.roles(raw, f"{entry}.roles")
        by_source = {s: roles for s in sources}
    for state, roles in by_source.items():
        if not roles:
            raise p.fail(f"{entry}.roles", f"nobody may fire it from '{state}'",
                         "Give at least one role per state in 'from'.")
    return by_source


def _parse_fields(p: _Parser, raw: Any, entry: str) -> list[FieldSpec]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise p.fail(f"{entry}.fields", "must be a list", "List each field with '- name: ...'.")
    fields: list[FieldSpec] = []
    for index, item in enumerate(raw):
        item = p.mapping(item, f"{entry}.fields[{index}]")
        name = p.text(item.get("name"), f"{entry}.fields[{index}].name")
        where = f"{entry}.fields '{name}'"
        if any(f.name == name for f in fields):
            raise p.fail(where, "is defined twice", "Give every field a unique name.")
        ftype = item.get("type")
        if ftype not in FIELD_TYPES:
            raise p.fail(f"{where}.type", f"unknown type '{ftype}'",
                         f"Use one of: {', '.join(FIELD_TYPES)}.")
        raw_choices = item.get("choices") or []
        if not isinstance(raw_choices, list):
            raise p.fail(f"{where}.choices", "must be a list",
                         "List each choice with '- {value: ..., label: ...}'.")
        choices = tuple(_parse_choice(p, c, f"{where}.choices[{i}]")
                        for i, c in enumerate(raw_choices))
        if (ftype == "choice") != bool(choices):
            raise p.fail(f"{where}.choices", "choices belong to fields of type 'choice' only",
                         "Give a choice field its choices, and no other field any.")
        fields.append(FieldSpec(name=name, type=ftype, choices=choices,
                                label=p.label(item.get("label"), f"{where}.label")))
    return fields


def _parse_choice(p: _Parser, raw: Any, entry: str) -> Choice:
    raw = p.mapping(raw, entry)
    return Choice(value=p.text(raw.get("value"), f"{entry}.value"),
                  label=p.label(raw.get("label"), f"{entry}.label"))


def _check_guards(p: _Parser, entry: str, guards: Iterable[str], fields: list[FieldSpec]) -> None:
    names = {f.name for f in fields}
    for guard in guards:
        if guard not in GUARDS:
            raise p.fail(f"{entry}.guards", f"unknown guard '{guard}'",
                         f"Use one of: {', '.join(sorted(GUARDS))}.")
        for needed in GUARDS[guard].requires_fields:
            if needed not in names:
                raise p.fail(f"{entry}.guards", f"guard '{guard}' reads field '{needed}'",
                             f"Add a field named '{needed}' to the event.")


def _mark_required(fields: list[FieldSpec], guards: tuple[str, ...]) -> tuple[FieldSpec, ...]:
    required = {name for guard in guards for name in GUARDS[guard].requires_fields}
    return tuple(FieldSpec(name=f.name, type=f.type, label=f.label, choices=f.choices,
                           required=f.name in required) for f in fields)


def _check_reachability(p: _Parser, initial: str, states: Mapping[str, StateSpec],
                        events: Mapping[str, EventSpec]) -> None:
    reached, queue = {initial}, deque([initial])
    while queue:
        state = queue.popleft()
        for event in events.values():
            if state in event.sources and event.dest not in reached:
                reached.add(event.dest)
                queue.append(event.dest)
    for name in states:
        if name not in reached:
            raise p.fail(f"state '{name}'", f"cannot be reached from '{initial}'",
                         "Add an event leading to it, or remove the state.")
    for name, spec in states.items():
        leaves = any(name in e.sources for e in events.values())
        if not spec.final and not leaves:
            raise p.fail(f"state '{name}'", "has no way out and is not marked final",
                         "Add an event from it, or mark it 'final: true'.")
