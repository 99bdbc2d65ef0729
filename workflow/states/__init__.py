"""The process itself: definitions as data, guards as pure rules, the transitions engine.

Nothing here imports Flask or a database; the service layer hands in facts and gets decisions.
"""
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
