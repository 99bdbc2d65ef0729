"""Every role denial: each event, from each state, for every demo user who lacks the role.

The expectation is written from the demo organisation (who holds which role for a case in
Hemtjänst Visby norr), not from the code under test.
"""
from __future__ import annotations

import pytest

from helpers import all_users, case_in
from workflow.cases import service as cases
from workflow.platform.errors import NotFound, PermissionDenied
from workflow.processes.registry import current_process

HOLDERS_FOR_NORR = {
    "author": {"medarbetare"}, "staff": {"medarbetare", "chef"}, "manager": {"chef"},
    "developer": {"vu"}, "council": {"rad"}, "management": {"fchef"}, "registrar": {"namnd"},
    "security": {"infosak"}, "procurement": {"upphandlare"}, "digital_unit": {"digital"},
    "admin": {"admin"},
}
STATES = ["draft", "submitted", "direct", "apt", "refinement", "central_support", "council",
          "plan", "management", "political", "approved", "implementation", "follow_up"]


@pytest.mark.parametrize("state", STATES)
def test_only_holders_of_an_events_role_may_fire_it(ctx, state):
    case = case_in(state)
    before = (case.state, case.version)
    checked = 0
    for event in current_process().definition.events.values():
        if state not in event.sources:
            continue
        allowed = set().union(*(HOLDERS_FOR_NORR[r] for r in event.roles_in(state)))
        if state == "direct":
            allowed.discard("medarbetare")  # an anonymous case has no author
        for person in all_users():
            expected = person.username in allowed
            assert (event in cases.available_events(person, case)) is expected, \
                (event.name, person.username)
            if not expected:
                with pytest.raises(PermissionDenied):
                    cases.fire(case, event.name, person, {})
                checked += 1
    assert checked > 0
    assert (case.state, case.version) == before


VIEWERS_OF_DRAFT = {"medarbetare"}
VIEWERS_OF_DIRECT = {"fchef", "admin"}
NON_VIEWERS = {"lars", "chef.soder", "sara", "chef.ifo", "nora", "chef.sabo", "olle", "chef.lss"}


@pytest.mark.parametrize("state", ["draft", "direct", "submitted", "council"])
def test_who_may_see_a_case(ctx, state):
    case = case_in(state)
    for person in all_users():
        if state == "draft":
            visible = person.username in VIEWERS_OF_DRAFT
        elif state == "direct":
            visible = person.username in VIEWERS_OF_DIRECT
        else:
            visible = person.username not in NON_VIEWERS
        if visible:
            assert cases.get_case(person, case.id) is case
        else:
            with pytest.raises(NotFound):
                cases.get_case(person, case.id)
        listed = case.id in {c.id for c in cases.list_cases(person, per_page=100).items}
        assert listed is visible, (person.username, state)


def test_att_gora_lists_what_waits_for_each_person(ctx):
    submitted, council = case_in("submitted"), case_in("council")
    todo = {p.username: {c.id for c in cases.list_cases(p, todo=True).items} for p in all_users()}
    assert todo["chef"] == {submitted.id}
    assert todo["rad"] == {council.id}
    assert todo["chef.soder"] == set() and todo["vu"] == set()
