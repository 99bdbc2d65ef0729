"""The whole authorization matrix through the service: for every state, every event and every
role, ``cases.fire`` succeeds exactly when the process definition gives the role that event
from that state.

tests/test_roles.py checks the denials; this adds the other half. Each allowed firing runs on a
fresh case in the state (firing moves it on). It is first tried without any field values: an
event with guards must then be refused by its guard (GuardFailed), never for the role, and the
case stays put; it is then fired with values that satisfy the guards and must land in the
event's destination. Who holds which role is written from the demo organisation (for a case in
Hemtjänst Visby norr), not taken from the code under test.
"""
from __future__ import annotations

import pytest

import factories
from helpers import (
    DOSSIER,
    MEMO,
    PATHS,
    PROPOSAL,
    REPORTED,
    all_users,
    case_in,
    drive,
)
from workflow.cases import service as cases
from workflow.models import User
from workflow.platform.errors import GuardFailed, PermissionDenied
from workflow.processes.registry import current_process
from workflow.states.roles import AUTHOR, ROLES

# Each person's roles for a case in Hemtjänst Visby norr written by `medarbetare`.
# `kollega` is added by the test: a staff member of the unit with no other role.
ROLES_FOR_NORR = {
    "medarbetare": {AUTHOR, "staff"}, "kollega": {"staff"}, "chef": {"manager", "staff"},
    "vu": {"developer"}, "rad": {"council"}, "fchef": {"management"}, "namnd": {"registrar"},
    "infosak": {"security"}, "upphandlare": {"procurement"}, "digital": {"digital_unit"},
    "admin": {"admin"},
}
OUTSIDERS = {"lars", "chef.soder", "sara", "chef.ifo", "nora", "chef.sabo", "olle", "chef.lss"}
STATES = ["draft", "submitted", "direct", "apt", "refinement", "central_support", "council",
          "plan", "management", "political", "approved", "implementation", "follow_up"]
# Field values that satisfy every guard (the merge target is filled in per test).
VALUES = {"comment": "Motivering till beslutet.", "note": "Stöd på APT 12 mars.",
          "resolution": "Löst med en ny rutin.", "question": "Finns det ett avtal?",
          "answer": "Ja, ramavtal finns.", "motivation": "Ryms inte i år.",
          "planned_year": 2028, "priority": "high", "meeting_date": "2026-11-10",
          "decision_reference": "§ 112", "go_live_date": "2026-10-01",
          "actual_cost_sek": 300_000}
# What the guards look at besides field values: a complete proposal and dossier before the
# council, the tjänsteutlåtande's förslag till beslut before the nämnd (docs/decisions.md), the
# benefit reports before closing.
EXTRA_PREPARATION = {("refinement", "to_council"): [("edit", "vu", PROPOSAL), *DOSSIER],
                     ("management", "escalate"): [("memo", "vu", MEMO)],
                     ("follow_up", "close"): [("report", "vu", (1, 6, REPORTED)),
                                              ("report", "vu", (1, 12, REPORTED))]}


@pytest.fixture
def people(ctx) -> list[User]:
    factories.person("kollega", "Kim Kollega")  # staff of Hemtjänst Visby norr
    return all_users()


def test_every_role_has_a_representative():
    represented = set().union(*ROLES_FOR_NORR.values())
    assert represented == set(ROLES) | {AUTHOR}


def expected_allowed(state: str, event, username: str) -> bool:
    held = set() if username in OUTSIDERS else set(ROLES_FOR_NORR[username])
    if state == "direct":
        held.discard(AUTHOR)  # an anonymous case has no author
    return bool(held & set(event.roles_in(state)))


def fresh_case(state: str, event_name: str):
    case = case_in(state)
    return drive(case, EXTRA_PREPARATION.get((state, event_name), []))


def values_for(event, merge_target: int) -> dict:
    values = {f.name: VALUES[f.name] for f in event.fields if f.name in VALUES}
    if any(f.name == "target_case" for f in event.fields):
        values["target_case"] = merge_target
    return values


def fired_without_values(case, event, person) -> bool:
    """Fire with no field values: only a guard may refuse (then nothing changes)."""
    state, version = case.state, case.version
    try:
        cases.fire(case, event.name, person, {})
    except GuardFailed:
        assert event.guards and (case.state, case.version) == (state, version)
        return False
    return True


@pytest.mark.parametrize("state", STATES)
def test_firing_is_allowed_exactly_as_the_definition_says(people, state):
    definition = current_process().definition
    events = [e for e in definition.events.values() if state in e.sources]
    assert events, state
    # A merge target in the same state: whoever may merge from it owns the target too, so the
    # merge fires at once (into a case one does not own it is only proposed:
    # tests/test_merge_consent.py).
    merge_target = case_in(state if state in definition.events["merge"].sources
                           else "submitted").id
    denied_on = case_in(state)
    before = (denied_on.state, denied_on.version)
    allowed_count = 0
    for event in events:
        for person in people:
            assert person.username in ROLES_FOR_NORR or person.username in OUTSIDERS
            if not expected_allowed(state, event, person.username):
                with pytest.raises(PermissionDenied):
                    cases.fire(denied_on, event.name, person, values_for(event, merge_target))
                continue
            allowed_count += 1
            case = fresh_case(state, event.name)
            if not fired_without_values(case, event, person):
                cases.fire(case, event.name, person, values_for(event, merge_target))
            assert case.state == event.dest, (event.name, person.username)
            assert case.history[-1].event == event.name
            assert case.history[-1].actor_id == person.id
    assert allowed_count > 0
    assert (denied_on.state, denied_on.version) == before


def test_the_matrix_covers_every_event_from_every_state_it_leaves(ctx):
    """Every event's sources are among the states tested (final states have no events)."""
    definition = current_process().definition
    sources = {s for e in definition.events.values() for s in e.sources}
    assert sources <= set(STATES)
    assert set(PATHS) | {"direct"} >= set(STATES)
