"""The engine and guards as pure Python: no Flask, no database."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from workflow.states import (
    GUARDS,
    CaseRef,
    Facts,
    Failure,
    InvalidFields,
    ProcessRegistry,
    Refusal,
)

PROCESS_DIR = Path(__file__).resolve().parent.parent / "config" / "processes"


@pytest.fixture(scope="module")
def process():
    return ProcessRegistry.from_directory(PROCESS_DIR).latest("standard")


def test_every_transition_of_the_definition_runs_on_the_shared_machine(process):
    for event in process.definition.events.values():
        for source in event.sources:
            assert process.next_state(source, event.name) == event.dest


def test_machine_is_built_once_and_keeps_no_case_bound(process):
    machine = process._machine
    process.next_state("draft", "submit")
    assert process._machine is machine
    assert machine.models == []


def test_event_from_wrong_state_is_refused(process):
    with pytest.raises(Refusal) as info:
        process.check("draft", "approve", {"management"}, Facts())
    assert info.value.kind == "state"
    with pytest.raises(Refusal):
        process.next_state("draft", "approve")


def test_role_is_checked_per_source_state(process):
    process.check("apt", "reject", {"manager"}, Facts(values={"motivation": "Nej"}))
    with pytest.raises(Refusal) as info:
        process.check("council", "reject", {"manager"}, Facts(values={"motivation": "Nej"}))
    assert info.value.kind == "role"


def test_all_failed_guards_are_listed_together(process):
    facts = Facts(cost_estimate_sek=900_000, delegation_limit_sek=500_000, origin="political",
                  dossier_failures=(Failure("benefit_missing", "Nyttokalkyl saknas."),))
    with pytest.raises(Refusal) as info:
        process.check("management", "approve", {"management"}, facts)
    assert [f.code for f in info.value.failures] == ["benefit_missing", "over_delegation_limit",
                                                     "political_case"]
    assert (info.value.failures[1].params["amount"], info.value.failures[1].params["limit"]) \
        == (900_000, 500_000)


def test_available_events_depend_on_state_and_roles(process):
    names = [e.name for e in process.available_events("management", {"management"})]
    assert names == ["return", "approve", "escalate", "reject"]
    assert process.available_events("management", {"staff", "author"}) == []


@pytest.mark.parametrize("guard, field", [
    ("apt_note_given", "note"), ("resolution_given", "resolution"),
    ("question_given", "question"), ("answer_given", "answer"),
    ("priority_given", "priority"), ("comment_given", "comment"),
    ("motivation_given", "motivation"), ("decision_reference_given", "decision_reference"),
    ("go_live_date_given", "go_live_date"), ("meeting_date_given", "meeting_date"),
])
def test_field_guards_pass_only_with_a_value(guard, field):
    check = GUARDS[guard].check
    given = "§ 12" if field == "decision_reference" else "x"
    assert check(Facts(values={field: given})) == []
    assert len(check(Facts(values={field: "  "}))) == 1
    assert len(check(Facts(values={}))) == 1


def test_idea_complete_names_each_missing_part():
    codes = [f.code for f in GUARDS["idea_complete"].check(Facts())]
    assert codes == ["title_missing", "need_missing", "unit_missing"]
    assert GUARDS["idea_complete"].check(Facts(title="T", need="N", unit_given=True)) == []


def test_proposal_complete_needs_need_effect_cost_and_direction():
    codes = [f.code for f in GUARDS["proposal_complete"].check(Facts(need="N"))]
    assert codes == ["effect_missing", "cost_missing", "direction_missing"]
    complete = Facts(need="N", effect="E", cost_estimate_sek=0, direction_given=True)
    assert GUARDS["proposal_complete"].check(complete) == []


@pytest.mark.parametrize("cost, limit, passes", [
    (500_000, 500_000, True), (500_001, 500_000, False), (0, 0, True), (None, 500_000, False),
    (10, None, False)])
def test_delegation_limit_is_inclusive(cost, limit, passes):
    facts = Facts(cost_estimate_sek=cost, delegation_limit_sek=limit)
    assert (GUARDS["within_delegation"].check(facts) == []) is passes


def test_delegation_compares_the_dossiers_total_cost_when_there_is_one():
    early_estimate_only = Facts(cost_estimate_sek=100_000, delegation_limit_sek=500_000)
    assert GUARDS["within_delegation"].check(early_estimate_only) == []
    over = Facts(cost_estimate_sek=100_000, total_cost_sek=600_000, delegation_limit_sek=500_000)
    params = GUARDS["within_delegation"].check(over)[0].params
    assert (params["amount"], params["limit"]) == (600_000, 500_000)


def test_dossier_guard_lists_the_dossiers_failures_and_refuses_unchecked():
    missing = (Failure("benefit_missing", "x"), Failure("classification_missing", "y"))
    assert GUARDS["dossier_complete"].check(Facts(dossier_failures=missing)) == list(missing)
    assert GUARDS["dossier_complete"].check(Facts(dossier_failures=())) == []
    assert GUARDS["dossier_complete"].check(Facts())[0].code == "dossier_unchecked"


def test_political_case_cannot_be_approved_by_management():
    assert GUARDS["not_political"].check(Facts(origin="staff_idea")) == []
    assert GUARDS["not_political"].check(Facts(origin="political"))[0].code == "political_case"


def test_close_needs_every_checkpoint_reported():
    assert GUARDS["benefits_followed_up"].check(Facts(unreported_checkpoints=0)) == []
    failure = GUARDS["benefits_followed_up"].check(Facts(unreported_checkpoints=2))[0]
    assert failure.params == {"count": 2}


@pytest.mark.parametrize("values, target, code", [
    ({}, None, "target_missing"),
    ({"target_case": 9}, None, "target_not_found"),
    ({"target_case": 1}, CaseRef(id=1, final=False), "target_is_self"),
    ({"target_case": 2}, CaseRef(id=2, final=True), "target_closed"),
    ({"target_case": 2}, CaseRef(id=2, final=False), None),
    ({"target_case": 2}, CaseRef(id=2, final=False, mergeable=False), "target_not_found"),
    ({"target_case": 2}, CaseRef(id=2, final=True, mergeable=False), "target_not_found"),
])
def test_merge_target(values, target, code):
    failures = GUARDS["merge_target_valid"].check(Facts(case_id=1, values=values, target=target))
    assert [f.code for f in failures] == ([code] if code else [])


def test_field_values_are_typed_and_unknown_fields_refused(process):
    assert process.parse_values("go_live", {"go_live_date": "2026-05-01"}) == {
        "go_live_date": date(2026, 5, 1)}
    assert process.parse_values("merge", {"target_case": "12"}) == {"target_case": 12}
    assert process.parse_values("prioritise", {"priority": "high"}) == {"priority": "high"}
    for event, raw in [("go_live", {"go_live_date": "1 maj"}), ("merge", {"target_case": 1.5}),
                       ("merge", {"target_case": True}), ("prioritise", {"priority": "urgent"}),
                       ("reject", {"motivation": 42}), ("reject", {"motivation": "x" * 5001}),
                       ("reject", {"colour": "red"})]:
        with pytest.raises(InvalidFields) as info:
            process.parse_values(event, raw)
        assert set(info.value.errors) == set(raw)


def test_blank_values_count_as_missing(process):
    assert process.parse_values("reject", {"motivation": "   "}) == {"motivation": None}
    assert process.parse_values("merge", {"target_case": None}) == {"target_case": None}


def test_number_coercion_refuses_non_finite():
    from workflow.states.engine import _coerce_number
    assert _coerce_number("1 000,5", whole=False) == Decimal("1000.5")
    for bad in ("NaN", "Infinity", "1e400", [], {}):
        with pytest.raises(ValueError):
            _coerce_number(bad, whole=False)
