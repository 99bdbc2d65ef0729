"""Every path through the chain, through the one service, on both databases."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from helpers import (
    BENEFIT,
    DOSSIER,
    IDEA,
    MEMO,
    PATHS,
    PROPOSAL,
    TO_CLOSED,
    case_in,
    drive,
    new_draft,
    unit,
    user,
)
from workflow.cases import merging
from workflow.cases import service as cases
from workflow.delegation import service as delegation
from workflow.models import AppendOnlyViolation, CaseEvent
from workflow.notifications import service as notifications
from workflow.platform.errors import Conflict, GuardFailed, InvalidState, PermissionDenied
from workflow.platform.extensions import db


def history(case):
    return [(h.event, h.from_state, h.to_state, h.actor.username if h.actor else None)
            for h in case.history]


def test_main_chain_from_idea_to_closed(ctx):
    case = drive(new_draft(), TO_CLOSED)
    assert case.state == "closed"
    assert history(case) == [
        ("create", None, "draft", "medarbetare"),
        ("submit", "draft", "submitted", "medarbetare"),
        ("take_up", "submitted", "apt", "chef"),
        ("forward", "apt", "refinement", "chef"),
        ("edit", "refinement", "refinement", "vu"),
        ("dossier_benefit", "refinement", "refinement", "vu"),
        ("dossier_procurement", "refinement", "refinement", "vu"),
        ("dossier_classification", "refinement", "refinement", "vu"),
        ("to_council", "refinement", "council", "vu"),
        ("prioritise", "council", "management", "rad"),
        ("approve", "management", "approved", "fchef"),
        ("start", "approved", "implementation", "vu"),
        ("go_live", "implementation", "follow_up", "vu"),
        ("benefit_reported", "follow_up", "follow_up", "vu"),
        ("benefit_reported", "follow_up", "follow_up", "vu"),
        ("close", "follow_up", "closed", "vu"),
    ]
    assert case.priority == "high"
    assert case.go_live_date.isoformat() == "2025-06-01"  # tests/helpers.py: TO_FOLLOW_UP
    assert case.actual_cost_sek == 300_000  # the efterkalkyl recorded when closing
    forward = case.history[3]
    assert forward.comment == "Stöd på APT 12 mars." and forward.data == {"note": "Stöd på APT 12 mars."}


@pytest.mark.parametrize("decision, end", [("decide_yes", "approved"), ("decide_no", "rejected")])
def test_large_investment_goes_to_the_nämnd(ctx, decision, end):
    case = case_in("political")
    with pytest.raises(GuardFailed) as info:
        cases.fire(case, decision, user("namnd"), {})
    assert [f.code for f in info.value.failures] == ["decision_reference_missing",
                                                       "meeting_date_missing"]
    case.unit.department.committee_name = "Socialnämnden"
    cases.fire(case, decision, user("namnd"), {"decision_reference": "§ 87",
                                               "meeting_date": "2026-11-18",
                                               "comment": "Nämnden beslutar enligt förslaget."})
    assert case.state == end
    assert case.history[-1].data == {"decision_reference": "§ 87", "meeting_date": "2026-11-18",
                                     "comment": "Nämnden beslutar enligt förslaget.",
                                     "committee": "Socialnämnden",
                                     "diarienummer": "SON 2026/123"}  # given at escalate


def test_wrong_state_is_reported_as_invalid_state(ctx):
    case = new_draft()
    with pytest.raises(InvalidState):
        cases.fire(case, "decide_yes", user("namnd"), {"decision_reference": "§ 1"})


def test_total_cost_above_delegation_limit_must_escalate(ctx):
    expensive = {**BENEFIT, "costs": [{"year": 1, "investment_sek": 455_001}, *BENEFIT["costs"][1:]]}
    case = case_in("council")
    cases.fire(case, "return", user("rad"), {"comment": "Räkna om med licenser."})
    drive(case, [("dossier", "vu", ("benefit", expensive)), ("to_council", "vu", {}),
                 ("prioritise", "rad", {"priority": "medium"})])
    with pytest.raises(GuardFailed) as info:
        cases.fire(case, "approve", user("fchef"), {})
    assert [f.code for f in info.value.failures] == ["over_delegation_limit"]
    # year 1 now holds only the 455 001 kr investment: 455 001 + 30 000 + 30 000 = 515 001 kr
    assert "515 001" in info.value.reasons[0].replace("\xa0", " ")
    assert "ska lyftas till nämnden" in info.value.reasons[0]
    assert "4.2" in info.value.reasons[0]  # the order's highest point for the case
    drive(case, [("memo", "vu", MEMO)])
    cases.fire(case, "escalate", user("fchef"), {})
    assert case.state == "political"


def test_delegation_limit_is_read_per_förvaltning(ctx):
    delegation.save_order(user("admin"), unit().department, {
        "valid_from": "2020-01-01", "adopted_by": "Socialnämnden § 1",
        "points": [{"number": "1", "title": "Investeringar", "decider": "forvaltningschef",
                    "limit_sek": 100_000}]})
    case = case_in("management")  # costs 285 000
    with pytest.raises(GuardFailed):
        cases.fire(case, "approve", user("fchef"), {})


def test_political_initiative_is_never_approved_by_management(ctx):
    case = cases.create_case(user("vu"), {"title": "Politiskt uppdrag: e-arkiv", "need": "Uppdrag",
                                          "effect": "E", "unit_id": unit().id,
                                          "origin": "political"})
    steps = [("submit", "vu", {}), ("take_up", "chef", {}), ("forward", "chef", {"note": "N"}),
             ("edit", "vu", {**PROPOSAL, "cost_estimate_sek": 10_000}), *DOSSIER,
             ("to_council", "vu", {}), ("prioritise", "rad", {"priority": "high"})]
    drive(case, steps)
    with pytest.raises(GuardFailed) as info:
        cases.fire(case, "approve", user("fchef"), {})
    assert [f.code for f in info.value.failures] == ["political_case"]


def test_staff_cannot_register_a_political_case(ctx):
    from workflow.platform.errors import ValidationFailed
    with pytest.raises(ValidationFailed) as info:
        new_draft(origin="political")
    assert "origin" in info.value.field_errors


def test_direct_channel_is_routed_to_a_developer(ctx):
    case = case_in("direct")
    assert case.origin == "direct_channel"
    cases.fire(case, "route", user("fchef"), {"comment": "Till Sofia."})
    assert case.state == "refinement"


@pytest.mark.parametrize("state", ["draft", "submitted", "apt"])
def test_author_may_withdraw_early(ctx, state):
    case = case_in(state)
    cases.fire(case, "withdraw", user("medarbetare"), {})
    assert case.state == "withdrawn"


def test_withdraw_is_over_once_refined(ctx):
    case = case_in("refinement")
    with pytest.raises(InvalidState):
        cases.fire(case, "withdraw", user("medarbetare"), {})


def test_resolved_locally_at_apt(ctx):
    case = case_in("apt")
    with pytest.raises(GuardFailed):
        cases.fire(case, "resolve_locally", user("chef"), {})
    cases.fire(case, "resolve_locally", user("chef"), {"resolution": "Ny rutin för nycklar."})
    assert case.state == "resolved_locally"


@pytest.mark.parametrize("state, actor", [("direct", "fchef"), ("apt", "chef"),
                                          ("refinement", "vu"), ("council", "rad"),
                                          ("management", "fchef")])
def test_reject_from_each_state_needs_a_motivation(ctx, state, actor):
    case = case_in(state)
    with pytest.raises(GuardFailed) as info:
        cases.fire(case, "reject", user(actor), {"motivation": " "})
    assert [f.code for f in info.value.failures] == ["motivation_missing"]
    cases.fire(case, "reject", user(actor), {"motivation": "Ryms inte i budgeten."})
    assert case.state == "rejected"
    assert case.history[-1].comment == "Ryms inte i budgeten."


@pytest.mark.parametrize("state, actor", [("council", "rad"), ("management", "fchef")])
def test_return_for_refinement_needs_a_comment(ctx, state, actor):
    case = case_in(state)
    with pytest.raises(GuardFailed):
        cases.fire(case, "return", user(actor), {})
    cases.fire(case, "return", user(actor), {"comment": "Komplettera kalkylen."})
    assert case.state == "refinement"


def test_the_nämnd_sends_a_case_back_by_återremiss_not_by_return(ctx):
    """Återremiss is the nämnd's own decision, with its paragraph and meeting date
    (docs/decisions.md), not a plain return."""
    case = case_in("political")
    with pytest.raises(InvalidState):
        cases.fire(case, "return", user("namnd"), {"comment": "Komplettera kalkylen."})
    with pytest.raises(GuardFailed) as info:
        cases.fire(case, "remit", user("namnd"), {})
    assert [f.code for f in info.value.failures] == [
        "decision_reference_missing", "meeting_date_missing", "comment_missing"]
    cases.fire(case, "remit", user("namnd"), {"meeting_date": "2026-11-18",
                                              "decision_reference": "§ 88",
                                              "comment": "Komplettera kalkylen."})
    assert case.state == "refinement"


def test_support_from_the_digitalisation_unit(ctx):
    case = case_in("central_support")
    with pytest.raises(GuardFailed):
        cases.fire(case, "support_done", user("digital"), {})
    cases.fire(case, "support_done", user("digital"), {"answer": "Avrop på Addas ramavtal."})
    assert case.state == "refinement"


@pytest.mark.parametrize("who", ["rad", "vu"])
def test_plan_and_reactivate(ctx, who):
    case = case_in("plan")
    cases.fire(case, "reactivate", user(who), {})
    assert case.state == "council"


def test_to_council_needs_a_complete_proposal(ctx):
    case = case_in("refinement", effect="")
    with pytest.raises(GuardFailed) as info:
        cases.fire(case, "to_council", user("vu"), {})
    assert [f.code for f in info.value.failures] == ["effect_missing", "cost_missing",
                                                       "direction_missing"]


def test_merge_links_to_the_target(ctx):
    target = case_in("council")
    duplicate = case_in("submitted")
    with pytest.raises(GuardFailed):
        cases.fire(duplicate, "merge", user("chef"), {"target_case": duplicate.id})
    with pytest.raises(GuardFailed):
        cases.fire(duplicate, "merge", user("chef"), {"target_case": 99999})
    cases.fire(duplicate, "merge", user("chef"), {"target_case": target.id})
    # The chef does not own a case before the council: its owner accepts (consent-based merge).
    assert duplicate.state == "submitted"
    merging.accept(user("rad"), merging.pending_from(duplicate))
    assert duplicate.state == "merged" and duplicate.merged_into_id == target.id


def test_merge_into_a_closed_case_is_refused(ctx):
    closed = case_in("closed")
    duplicate = case_in("submitted")
    with pytest.raises(GuardFailed) as info:
        cases.fire(duplicate, "merge", user("chef"), {"target_case": closed.id})
    assert [f.code for f in info.value.failures] == ["target_closed"]


def test_merge_only_into_a_visible_open_case_of_the_same_förvaltning(ctx):
    """A draft (even the actor's own), another förvaltning's case, someone else's draft, an
    unknown id and one beyond the column's range are refused alike: nothing tells them apart."""
    duplicate = case_in("submitted")
    own_draft = new_draft(author="chef")
    elsewhere = drive(cases.create_case(user("chef"), {**IDEA, "unit_id": unit("HR-avdelningen").id}),
                      [("submit", "chef", {})])
    foreign_draft = new_draft()
    rows = len(duplicate.history)
    for target in (own_draft.id, elsewhere.id, foreign_draft.id, 99999, 2**31):
        with pytest.raises(GuardFailed) as info:
            cases.fire(duplicate, "merge", user("chef"), {"target_case": target})
        assert [(f.code, f.message) for f in info.value.failures] == [
            ("target_not_found", "Ärende %(id)s finns inte eller går inte att slå samman med.")]
    db.session.expire_all()
    assert duplicate.state == "submitted" and len(duplicate.history) == rows
    assert [h.event for h in elsewhere.history] == ["create", "submit"]


def test_refused_event_changes_nothing(ctx):
    case = case_in("management", cost_estimate_sek=None)
    delegation.save_order(user("admin"), case.unit.department, {
        "valid_from": "2020-01-01", "adopted_by": "Socialnämnden § 1",
        "points": [{"number": "1", "title": "Investeringar", "decider": "forvaltningschef",
                    "limit_sek": 1}]})
    before = (case.state, case.version, len(case.history))
    with pytest.raises(GuardFailed):
        cases.fire(case, "approve", user("fchef"), {"comment": "OK"})
    db.session.expire_all()
    count = db.session.scalar(select(func.count()).select_from(CaseEvent)
                              .where(CaseEvent.case_id == case.id))
    assert (case.state, case.version, count) == before


def test_stale_version_is_a_conflict(ctx):
    case = case_in("submitted")
    with pytest.raises(Conflict):
        cases.fire(case, "take_up", user("chef"), {}, expected_version=case.version - 1)
    assert case.state == "submitted"


def test_edit_records_before_and_after(ctx):
    case = case_in("refinement")
    cases.update_case(user("vu"), case, {"cost_estimate_sek": 120_000, "title": case.title})
    entry = case.history[-1]
    assert entry.event == "edit" and entry.actor.username == "vu"
    assert entry.data == {"changes": {"cost_estimate_sek": {"before": None, "after": 120_000}}}


def test_only_the_states_editors_may_edit(ctx):
    case = case_in("council")
    for name in ("vu", "rad", "medarbetare", "fchef"):
        with pytest.raises(PermissionDenied):
            cases.update_case(user(name), case, {"title": "Ny rubrik"})


def test_history_is_append_only_in_the_orm_and_the_database(ctx):
    case = case_in("submitted")
    entry = case.history[0]
    entry.comment = "ändrad i efterhand"
    with pytest.raises(AppendOnlyViolation):
        db.session.commit()
    db.session.rollback()
    for statement in ("UPDATE case_history SET comment = 'x'", "DELETE FROM case_history"):
        with pytest.raises(Exception, match="append-only"):
            db.session.execute(text(statement))
        db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(CaseEvent)) == 2


def test_case_keeps_the_definition_version_it_started_under(make_app, tmp_path):
    import shutil

    import yaml

    from workflow.ops.seeding import seed_demo
    from workflow.platform.settings import CONFIG_DIR

    v1 = CONFIG_DIR / "processes" / "standard-v1.yaml"
    folder = tmp_path / "processes"
    folder.mkdir()
    shutil.copy(v1, folder)
    first = make_app(PROCESS_DIR=folder)
    with first.test_request_context():
        seed_demo(with_cases=False)
        old_id = drive(new_draft(), PATHS["submitted"]).id

    raw = yaml.safe_load(v1.read_text(encoding="utf-8"))
    raw["version"] = 2
    withdraw = next(e for e in raw["events"] if e["name"] == "withdraw")
    withdraw["from"] = ["draft"]  # in version 2 a submitted idea can no longer be withdrawn
    (folder / "standard-v2.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), "utf-8")
    second = make_app(PROCESS_DIR=folder)
    with second.test_request_context():
        old = db.session.get(type(new_draft()), old_id)
        new = drive(new_draft(), PATHS["submitted"])
        assert (old.process_version, new.process_version) == (1, 2)
        cases.fire(old, "withdraw", user("medarbetare"), {})
        assert old.state == "withdrawn"
        with pytest.raises(InvalidState):
            cases.fire(new, "withdraw", user("medarbetare"), {})


def test_merge_is_traceable_both_ways_and_told_to_the_submitter(ctx):
    from workflow.models import Notification
    target = case_in("council")
    duplicate = new_draft(title="Nyckelskåp i hemtjänsten")
    drive(duplicate, [("submit", "medarbetare", {})])
    notifications.follow(user("rad"), duplicate)
    cases.fire(duplicate, "merge", user("chef"), {"target_case": target.id,
                                                  "comment": "Samma behov som nr %d." % target.id})
    merging.accept(user("rad"), merging.pending_from(duplicate))  # the council owns the target
    assert duplicate.merged_into is target and target.merged_cases == [duplicate]
    joined = target.history[-1]
    assert (joined.event, joined.data["case"], joined.actor.username) == ("merged_in", duplicate.id,
                                                                         "chef")
    told = db.session.scalars(select(Notification).where(Notification.case_id == duplicate.id)
                              .order_by(Notification.id)).all()
    assert {n.user.username for n in told} == {"medarbetare", "rad"}
    assert all(f"ärende {target.id}: {target.title}" in n.body for n in told)
