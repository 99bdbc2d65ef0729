"""What changes between two versions of a process definition, as plain data.

Each state and event is flattened to ``attribute -> value`` (labels per language, roles per
from-state and fields per name get their own keys, e.g. ``label.sv``, ``roles.council``,
``fields.priority``), so one comparison serves both and every change reads "before → after".
The same flattened form is the definition's JSON shape (see :func:`state_as_dict`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from workflow.states.definition import EventSpec, FieldSpec, Label, ProcessDefinition, StateSpec

# Values are JSON-able: str, int, bool, None, lists of str and (for fields) dicts.
Value = Any


@dataclass(frozen=True)
class Change:
    """One attribute of a state or an event that differs; ``None`` means absent."""

    key: str
    before: Value
    after: Value

    @property
    def attribute(self) -> str:
        """``roles`` for ``roles.council``: what kind of attribute changed."""
        return self.key.split(".", 1)[0]

    @property
    def qualifier(self) -> str | None:
        """``council`` for ``roles.council``: which from-state, field or language."""
        parts = self.key.split(".", 1)
        return parts[1] if len(parts) > 1 else None

    def as_dict(self) -> dict[str, Value]:
        return {"key": self.key, "before": self.before, "after": self.after}


@dataclass(frozen=True)
class ItemChanges:
    name: str
    changes: tuple[Change, ...]

    def as_dict(self) -> dict[str, Value]:
        return {"name": self.name, "changes": [c.as_dict() for c in self.changes]}


@dataclass(frozen=True)
class DefinitionDiff:
    """The difference from ``old_version`` (None: nothing to compare with) to ``new_version``."""

    name: str
    old_version: int | None
    new_version: int
    process: tuple[Change, ...]  # the process's own label and initial state
    states_added: tuple[str, ...]
    states_removed: tuple[str, ...]
    states_changed: tuple[ItemChanges, ...]
    events_added: tuple[str, ...]
    events_removed: tuple[str, ...]
    events_changed: tuple[ItemChanges, ...]

    @property
    def empty(self) -> bool:
        return not (self.process or self.states_added or self.states_removed
                    or self.states_changed or self.events_added or self.events_removed
                    or self.events_changed)

    def as_dict(self) -> dict[str, Value]:
        return {
            "name": self.name, "old_version": self.old_version, "new_version": self.new_version,
            "empty": self.empty, "process": [c.as_dict() for c in self.process],
            "states": {"added": list(self.states_added), "removed": list(self.states_removed),
                       "changed": [i.as_dict() for i in self.states_changed]},
            "events": {"added": list(self.events_added), "removed": list(self.events_removed),
                       "changed": [i.as_dict() for i in self.events_changed]},
        }

    def summary(self) -> dict[str, Value]:
        """A short account for the admin log: only the non-empty parts, names joined."""
        parts = {
            "compared_with": self.old_version,
            "process_changed": ", ".join(c.key for c in self.process),
            "states_added": ", ".join(self.states_added),
            "states_removed": ", ".join(self.states_removed),
            "states_changed": ", ".join(i.name for i in self.states_changed),
            "events_added": ", ".join(self.events_added),
            "events_removed": ", ".join(self.events_removed),
            "events_changed": ", ".join(i.name for i in self.events_changed),
        }
        return {key: value for key, value in parts.items() if value not in ("", None)}

    def lines(self) -> list[str]:
        """The whole difference as plain text lines (the command line prints them)."""
        out = [f"{key}: {value}" for key, value in self.summary().items()]
        out += [f"  process.{c.key}: {_text(c.before)} -> {_text(c.after)}" for c in self.process]
        for kind, items in (("state", self.states_changed), ("event", self.events_changed)):
            out += [f"  {kind} {item.name}.{c.key}: {_text(c.before)} -> {_text(c.after)}"
                    for item in items for c in item.changes]
        return out


def diff_definitions(old: ProcessDefinition | None, new: ProcessDefinition) -> DefinitionDiff:
    """Compare ``new`` with ``old``; with no ``old`` everything in ``new`` is added."""
    old_states = {n: state_as_dict(s) for n, s in (old.states.items() if old else ())}
    new_states = {n: state_as_dict(s) for n, s in new.states.items()}
    old_events = {n: event_as_dict(e) for n, e in (old.events.items() if old else ())}
    new_events = {n: event_as_dict(e) for n, e in new.events.items()}
    return DefinitionDiff(
        name=new.name, old_version=old.version if old else None, new_version=new.version,
        process=_changes(_process_header(old), _process_header(new)) if old else (),
        states_added=_added(old_states, new_states),
        states_removed=_added(new_states, old_states),
        states_changed=_changed(old_states, new_states),
        events_added=_added(old_events, new_events),
        events_removed=_added(new_events, old_events),
        events_changed=_changed(old_events, new_events))


def state_as_dict(state: StateSpec) -> dict[str, Value]:
    return {
        "name": state.name, **_label("label", state.label), **_label("plain", state.plain),
        "target_days": state.target_days, "waiting_for": list(state.waiting_for),
        "editors": list(state.editors), "dossier_editors": list(state.dossier_editors),
        "visible_to": None if state.visible_to is None else list(state.visible_to),
        "final": state.final,
    }


def event_as_dict(event: EventSpec) -> dict[str, Value]:
    return {
        "name": event.name, **_label("label", event.label), "from": list(event.sources),
        "to": event.dest,
        **{f"roles.{source}": list(event.roles_in(source)) for source in event.sources},
        "guards": list(event.guards),
        **{f"fields.{f.name}": field_as_dict(f) for f in event.fields},
    }


def field_as_dict(field: FieldSpec) -> dict[str, Value]:
    return {"type": field.type, "required": field.required, "label": field.label.sv,
            "label_en": field.label.en, "choices": [c.value for c in field.choices]}


def _label(prefix: str, label: Label) -> dict[str, str]:
    return {f"{prefix}.sv": label.sv, f"{prefix}.en": label.en}


def _process_header(definition: ProcessDefinition | None) -> dict[str, Value]:
    if definition is None:
        return {}
    return {**_label("label", definition.label), "initial": definition.initial}


def _added(old: dict[str, Any], new: dict[str, Any]) -> tuple[str, ...]:
    return tuple(name for name in new if name not in old)


def _changed(old: dict[str, dict[str, Value]],
             new: dict[str, dict[str, Value]]) -> tuple[ItemChanges, ...]:
    items = (ItemChanges(name, _changes(old[name], new[name])) for name in new if name in old)
    return tuple(item for item in items if item.changes)


def _changes(old: dict[str, Value], new: dict[str, Value]) -> tuple[Change, ...]:
    keys = list(old) + [key for key in new if key not in old]
    return tuple(Change(key, old.get(key), new.get(key)) for key in keys
                 if key != "name" and not _same(old.get(key), new.get(key)))


def _text(value: Value) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


def _same(before: Value, after: Value) -> bool:
    """Lists of roles, states and guards are sets: their order in the file means nothing."""
    if isinstance(before, list) and isinstance(after, list):
        return sorted(before) == sorted(after)
    return before == after
