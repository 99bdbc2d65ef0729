"""Access to the loaded process definitions of the running application."""
from __future__ import annotations

from flask import current_app, g

from ..states import Process, ProcessRegistry

EXTENSION_KEY = "workflow.processes"
_CHECKED = "_stored_processes_checked"


def registry() -> ProcessRegistry:
    """The file definitions merged with the versions stored in the database. Whether the
    database holds a newer version is checked once per app context (a request, a scheduler
    job), so every worker sees a newly loaded version without a restart."""
    processes = current_app.extensions[EXTENSION_KEY]
    if not g.get(_CHECKED):
        setattr(g, _CHECKED, True)
        from .process_admin import refresh_registry
        refresh_registry(processes)
    return processes


def process_of(case) -> Process:
    return registry().get(case.process_name, case.process_version)


def current_process() -> Process:
    return registry().latest(current_app.config["PROCESS_NAME"])
