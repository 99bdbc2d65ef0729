"""The process itself: definitions as data, guards as pure rules, the transitions engine.

Nothing here imports Flask or a database; the service layer hands in facts and gets decisions.
"""
# The delegation order's guard, within_delegation, registers itself in GUARDS when its module
# is imported. Importing any module of this package runs this file first, so every definition
# loader sees it.
from workflow.states import delegation as _delegation  # noqa: F401
from workflow.states.definition import (
    DefinitionError,
    EventSpec,
    FieldSpec,
    ProcessDefinition,
    StateSpec,
)
from workflow.states.engine import (
    InvalidFields,
    Process,
    ProcessRegistry,
    Refusal,
    UnknownDefinition,
)
from workflow.states.guards import GUARDS, CaseRef, Facts, Failure

__all__ = [
    "CaseRef", "DefinitionError", "EventSpec", "Facts", "Failure", "FieldSpec", "GUARDS",
    "InvalidFields", "Process", "ProcessDefinition", "ProcessRegistry", "Refusal", "StateSpec",
    "UnknownDefinition",
]
