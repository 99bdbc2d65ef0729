"""The process engine: one ``transitions`` machine per definition version, as its transition
table (docs/process.md, "The engine").

A :class:`Process` is built once when its definition is loaded; :mod:`.definition` has then
validated the definition (states, events, roles, guards, reachability). What ``transitions``
does here, and nothing more:

- :func:`_build_machine` builds a :class:`transitions.Machine` with ``model=None`` from the
  definition's states and events (``auto_transitions=False``: no ``to_<state>`` triggers), once
  per version;
- :meth:`Process.next_state` reads the destination of an event from a state from the machine's
  table (``machine.events[event].transitions[state]``), and :meth:`Process.check` asks the same
  table whether the event may start from the case's state;
- :meth:`Process.available_events` asks the machine for the triggers leaving a state
  (``machine.get_triggers``).

No model is ever bound and nothing is triggered on the machine: a case's state is a database
column, written by the service layer (cases/service.py) after :meth:`Process.check` has
checked the roles and every guard (:mod:`.guards`, which report all their failures, not the
first). So the machine is shared read-only by every thread, without a lock. The diagram
(:mod:`.diagram`) is laid out from the definition itself, not from the machine.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Collection, Iterable, Mapping

from transitions import Machine

from workflow.states.definition import (
    EventSpec,
    FieldSpec,
    ProcessDefinition,
    StateSpec,
    load_definition_dir,
)
from workflow.states.guards import GUARDS, Facts, Failure
from workflow.states.i18n import N_

MAX_TEXT_LENGTH = 5000
MAX_NUMBER = Decimal("1e12")


class UnknownDefinition(LookupError):
    pass


@dataclass
class Refusal(Exception):
    """An event that may not fire. ``kind`` is ``event``, ``state``, ``role`` or ``guard``."""

    kind: str
    failures: list[Failure] = field(default_factory=list)


@dataclass
class InvalidFields(Exception):
    """Field values of the wrong shape: field name to Swedish msgid."""

    errors: dict[str, str]


class Process:
    def __init__(self, definition: ProcessDefinition):
        self.definition = definition
        self._machine = _build_machine(definition)  # read-only once built: no lock

    @property
    def name(self) -> str:
        return self.definition.name

    @property
    def version(self) -> int:
        return self.definition.version

    @property
    def initial(self) -> str:
        return self.definition.initial

    def state(self, name: str) -> StateSpec:
        return self.definition.states[name]

    def event(self, name: str) -> EventSpec:
        try:
            return self.definition.events[name]
        except KeyError:
            raise Refusal("event", [Failure("unknown_event", N_("Händelsen %(event)s finns inte."),
                                            {"event": name})]) from None

    def available_events(self, state: str, roles: Collection[str]) -> list[EventSpec]:
        """Events the holder of ``roles`` may fire from ``state``, in definition order."""
        leaving = set(self._machine.get_triggers(state))
        return [e for e in self.definition.events.values()
                if e.name in leaving and set(e.roles_in(state)) & set(roles)]

    def states_waiting_for(self, role: str) -> list[str]:
        return [s.name for s in self.definition.states.values() if role in s.waiting_for]

    def parse_values(self, event_name: str, raw: Mapping[str, Any]) -> dict[str, Any]:
        """Turn submitted field values into typed ones; unknown fields are errors."""
        event = self.event(event_name)
        specs = {f.name: f for f in event.fields}
        errors: dict[str, str] = {}
        values: dict[str, Any] = {}
        for name, value in raw.items():
            spec = specs.get(name)
            if spec is None:
                errors[name] = N_("Fältet hör inte till den här händelsen.")
                continue
            try:
                values[name] = _coerce(spec, value)
            except ValueError as exc:
                errors[name] = str(exc)
        if errors:
            raise InvalidFields(errors)
        return values

    def check(self, state: str, event_name: str, roles: Collection[str], facts: Facts) -> None:
        """Raise :class:`Refusal` unless the event may fire; every failed guard is listed."""
        event = self.event(event_name)
        if self._destination(state, event_name) is None:
            raise _wrong_state(event_name, state)
        if not set(event.roles_in(state)) & set(roles):
            raise Refusal("role", [Failure(
                "role_denied", N_("Din roll får inte utföra %(event)s i läget %(state)s."),
                {"event": event_name, "state": state})])
        failures = [f for guard in event.guards for f in GUARDS[guard].check(facts)]
        if failures:
            raise Refusal("guard", failures)

    def next_state(self, state: str, event_name: str) -> str:
        """The state ``event_name`` leads to from ``state``, from the machine's transition
        table; :class:`Refusal` (``state``) when it does not start there or does not exist.
        Checks neither roles nor guards: that is :meth:`check`."""
        dest = self._destination(state, event_name)
        if dest is None:
            raise _wrong_state(event_name, state)
        return dest

    def _destination(self, state: str, event_name: str) -> str | None:
        event = self._machine.events.get(event_name)
        found = event.transitions.get(state) if event is not None else None
        return found[0].dest if found else None  # definitions give one 'to' per event


def _wrong_state(event: str, state: str) -> Refusal:
    return Refusal("state", [Failure(
        "wrong_state", N_("%(event)s är inte möjligt när ärendet är i läget %(state)s."),
        {"event": event, "state": state})])


def _build_machine(definition: ProcessDefinition) -> Machine:
    transitions = [{"trigger": e.name, "source": list(e.sources), "dest": e.dest}
                   for e in definition.events.values()]
    return Machine(model=None, states=list(definition.states), transitions=transitions,
                   initial=definition.initial, auto_transitions=False, send_event=False)


def _coerce(spec: FieldSpec, value: Any) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if spec.type == "text":
        if not isinstance(value, str):
            raise ValueError(N_("Ange en text."))
        if len(value) > MAX_TEXT_LENGTH:
            raise ValueError(N_("Texten är för lång."))
        return value.strip()
    if spec.type == "date":
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        raise ValueError(N_("Ange ett datum som ÅÅÅÅ-MM-DD."))
    if spec.type in ("number", "case"):
        return _coerce_number(value, whole=spec.type == "case")
    if spec.type == "choice":
        if value not in {c.value for c in spec.choices}:
            raise ValueError(N_("Välj ett av alternativen."))
        return value
    raise ValueError(N_("Okänd fälttyp."))


def _coerce_number(value: Any, whole: bool) -> int | Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise ValueError(N_("Ange ett tal."))
    try:
        number = Decimal(str(value).strip().replace(" ", "").replace(",", "."))
    except InvalidOperation:
        raise ValueError(N_("Ange ett tal.")) from None
    if not number.is_finite() or abs(number) > MAX_NUMBER:
        raise ValueError(N_("Ange ett tal."))
    if whole:
        if number != number.to_integral_value() or number < 1:
            raise ValueError(N_("Ange ett ärendenummer."))
        return int(number)
    return number


class ProcessRegistry:
    """Every loaded definition version; new cases start on the newest of their process.

    Versions may be added while the application runs (the service layer merges those stored
    in the database); the table is replaced, never changed in place, so readers iterate a
    consistent snapshot without locking."""

    def __init__(self, definitions: Iterable[ProcessDefinition] = ()):
        self._processes: dict[tuple[str, int], Process] = {}
        self._lock = threading.Lock()
        for definition in definitions:
            self.add(definition)

    @classmethod
    def from_directory(cls, directory: Path) -> "ProcessRegistry":
        return cls(load_definition_dir(directory))

    def add(self, definition: ProcessDefinition) -> Process:
        with self._lock:
            if definition.key in self._processes:
                raise ValueError(
                    f"{definition.name} version {definition.version} is already loaded")
            process = Process(definition)  # one machine per version, built once
            self._processes = {**self._processes, definition.key: process}
        return process

    def merge(self, definitions: Iterable[ProcessDefinition]) -> list[ProcessDefinition]:
        """Add every definition not loaded yet. A version already loaded from the same source
        is skipped silently; one loaded from elsewhere keeps its place and the newcomer is
        returned as a clash for the caller to report."""
        clashes: list[ProcessDefinition] = []
        for definition in definitions:
            existing = self._processes.get(definition.key)
            if existing is None:
                try:
                    self.add(definition)
                    continue
                except ValueError:  # added meanwhile by another thread
                    existing = self._processes[definition.key]
            if existing.definition.source != definition.source:
                clashes.append(definition)
        return clashes

    def versions(self, name: str) -> list[Process]:
        """The loaded versions of process ``name``, oldest first."""
        return sorted((p for (n, _), p in self._processes.items() if n == name),
                      key=lambda p: p.version)

    def get(self, name: str, version: int) -> Process:
        try:
            return self._processes[(name, version)]
        except KeyError:
            raise UnknownDefinition(f"process {name} version {version} is not loaded") from None

    def latest(self, name: str) -> Process:
        versions = [p for (n, _), p in self._processes.items() if n == name]
        if not versions:
            raise UnknownDefinition(f"process {name} is not loaded")
        return max(versions, key=lambda p: p.version)

    def all(self) -> list[Process]:
        return list(self._processes.values())
