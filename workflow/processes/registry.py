"""Access to the loaded process definitions of the running application."""
from __future__ import annotations

from typing import Any

from flask import current_app, g

from workflow.processes.store import refresh_registry, table_seen
from workflow.states import Process, ProcessDefinition, ProcessRegistry
from workflow.states.features import Feature, FeatureProblem, check_features, escalation_feature
from workflow.states.features import require_features as _require

EXTENSION_KEY = "workflow.processes"
# The features the loaded configuration adds (stored by the app factory, see
# :func:`configured_features`).
FEATURES_KEY = "workflow.processes.configured_features"
_CHECKED = "_stored_processes_checked"


def registry() -> ProcessRegistry:
    """The file definitions merged with the versions stored in the database. Whether the
    database holds a newer version is checked once per app context (a request, a scheduler
    job), so every worker sees a newly loaded version without a restart."""
    processes = current_app.extensions[EXTENSION_KEY]
    if not g.get(_CHECKED):
        setattr(g, _CHECKED, True)
        refresh_registry(processes)
    return processes


def newest_wanted() -> bool:
    """Whether the user loader should read the newest stored version's id with the user
    (workflow/__init__.py; issue 14: one round trip less a request): this app context has not
    checked yet, and the table is known to exist."""
    return not g.get(_CHECKED) and table_seen()


def note_newest(newest: int | None) -> None:
    """This app context's check, with the newest stored version's id read by the caller."""
    if not g.get(_CHECKED):
        setattr(g, _CHECKED, True)
        refresh_registry(current_app.extensions[EXTENSION_KEY], newest=newest or 0)


def process_of(case) -> Process:
    return registry().get(case.process_name, case.process_version)


def current_process() -> Process:
    return registry().latest(current_app.config["PROCESS_NAME"])


# ------------------------------------------------------------------------------ features

def configured_features(rules: Any = None) -> tuple[Feature, ...]:
    """The features the loaded configuration adds to workflow/states/features.py: the
    escalations of config/notifications.toml name states (``rules``: the loaded
    :class:`~workflow.notifications.service.Rules`; without them, what the app factory
    stored from the application's rules)."""
    if rules is None:
        return current_app.extensions.get(FEATURES_KEY, ())
    return (escalation_feature(rules.escalation),)


def feature_problems(definition: ProcessDefinition) -> list[FeatureProblem]:
    """Every feature a new version would switch off (docs/process.md, "Features and the
    process"); the configured ones count, as the version becomes the latest."""
    return check_features(definition, configured_features())


def require_features(processes: ProcessRegistry, rules: Any) -> None:
    """At start-up: refuse, with :class:`~workflow.states.DefinitionError`, definitions in
    config/processes/ that would switch a feature off. The escalations of
    config/notifications.toml are asked of the latest version of each process only: an older
    version keeps running the cases it started, with the states it had."""
    for process in processes.all():
        latest = processes.latest(process.name) is process
        _require(process.definition, configured_features(rules) if latest else ())
