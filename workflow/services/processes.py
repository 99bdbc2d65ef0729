"""Access to the loaded process definitions of the running application."""
from __future__ import annotations

from flask import current_app

from ..states import Process, ProcessRegistry

EXTENSION_KEY = "workflow.processes"


def registry() -> ProcessRegistry:
    return current_app.extensions[EXTENSION_KEY]


def process_of(case) -> Process:
    return registry().get(case.process_name, case.process_version)


def current_process() -> Process:
    return registry().latest(current_app.config["PROCESS_NAME"])
