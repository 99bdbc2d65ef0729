"""Consent-based merge (issue 12 item 6, docs/process.md): merging into a case the actor does
not own asks the target's owners to accept; nothing is written into the target before they
do, and on acceptance the merged idea's submitter and followers keep their support."""
from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import select

from factories import case_events
from helpers import IDEA, api_headers, case_in, drive, login, statements_run, unit, user
from workflow.cases import merging
from workflow.cases import service as cases
from workflow.models import Case, CaseFollower, MergeProposal, Notification, User
from workflow.notifications import service as notifications
from workflow.platform.errors import (
    Conflict,
    GuardFailed,
    InvalidState,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from workflow.platform.extensions import db

SODER = "Hemtjänst Visby söder"


def followers(case: Case) -> set[str]:
    return set(db.session.scalars(select(User.username).join(
        CaseFollower, CaseFollower.user_id == User.id).where(CaseFollower.case_id == case.id)))


history = case_events


def soder_case_at_apt() -> Case:
    """A case of Hemtjänst Visby söder at its APT: its owner is Söder's chef, who cannot see
    the cases of Visby norr."""
    case = cases.create_case(user("lars"), {**IDEA, "title": "Nyckelskåp i söder",
                                            "unit_id": unit(SODER).id})
    return drive(case, [("submit", "lars", {}), ("take_up", "chef.soder", {})])


def proposed(ctx_target: Case | None = None):
    """A submitted idea of Visby norr (followed by the registrar) that Norr's chef proposes to
    merge into a case before the council, which the chef does not own."""
    target = ctx_target or case_in("council")
    duplicate = case_in("submitted", title="Nyckelskåp i hemtjänsten")
    notifications.follow(user("namnd"), duplicate)
    cases.fire(duplicate, "merge", user("chef"), {"target_case": target.id,
                                                  "comment": "Samma behov."})
    return duplicate, target, merging.pending_from(duplicate)


def test_merging_into_a_case_the_actor_does_not_own_only_proposes(ctx):
    target = case_in("council")
    target_rows = history(target)
    duplicate, target, proposal = proposed(target)
    db.session.expire_all()
    assert duplicate.state == "submitted" and duplicate.merged_into_id is None
    assert (proposal.status, proposal.target_id, proposal.proposed_by.username,
            proposal.comment) == ("pending", target.id, "chef", "Samma behov.")
    assert history(duplicate)[-1] == "merge_proposed"
    entry = duplicate.history[-1]
    assert entry.data == {"target": target.id, "proposal": proposal.id}
    assert entry.from_state == entry.to_state == "submitted"
    # nothing is written into the target before its owners consent
    assert history(target) == target_rows
    assert target.merged_cases == [] and followers(target) == set()
    # the council, which owns the target, is asked; the proposer is not
    asked = db.session.scalars(select(Notification).where(Notification.key.like(
        f"merge:{proposal.id}:proposed:%"))).all()
    assert {n.user.username for n in asked} == {"rad"}
    assert all(n.case_id == target.id and duplicate.title in n.body for n in asked)
    # one pending proposal per case
    with pytest.raises(Conflict):
        cases.fire(duplicate, "merge", user("chef"), {"target_case": target.id})


def test_an_owner_of_the_target_merges_at_once(ctx):
    target = case_in("submitted")
    duplicate = case_in("submitted")
    cases.fire(duplicate, "merge", user("chef"), {"target_case": target.id})
    assert duplicate.state == "merged" and merging.pending_from(duplicate) is None
    assert db.session.scalar(select(MergeProposal.id)) is None


def test_the_proposal_is_checked_like_the_merge(ctx):
    """A proposal needs the role and passes the guards: the same refusals as merging."""
    duplicate = case_in("submitted")
    with pytest.raises(PermissionDenied):
        cases.fire(duplicate, "merge", user("vu"), {"target_case": case_in("council").id})
    elsewhere = drive(cases.create_case(user("chef"), {**IDEA, "unit_id": unit("HR-avdelningen").id}),
                      [("submit", "chef", {})])
    with pytest.raises(GuardFailed):
        cases.fire(duplicate, "merge", user("chef"), {"target_case": elsewhere.id})
    assert db.session.scalar(select(MergeProposal.id)) is None
    assert history(duplicate) == ["create", "submit"]


def test_accepting_merges_and_the_submitter_and_followers_follow_the_target(ctx):
    duplicate, target, proposal = proposed()
    notifications.follow(user("fchef"), duplicate)
    notifications.follow(user("fchef"), target)  # already follows: not twice
    with pytest.raises(PermissionDenied):  # the proposer does not own the target
        merging.accept(user("chef"), proposal)
    merging.accept(user("rad"), proposal)
    db.session.expire_all()
    assert duplicate.state == "merged" and duplicate.merged_into_id == target.id
    assert (proposal.status, proposal.decided_by.username) == ("accepted", "rad")
    merge_row, joined = duplicate.history[-1], target.history[-1]
    consent = {"proposal": proposal.id, "proposed_by": user("chef").id,
               "accepted_by": user("rad").id}
    assert (merge_row.event, merge_row.actor.username, merge_row.data["consent"]) == (
        "merge", "chef", consent)
    assert (joined.event, joined.data["case"], joined.data["consent"]) == (
        "merged_in", duplicate.id, consent)
    assert followers(target) == {"medarbetare", "namnd", "fchef"}
    with pytest.raises(InvalidState):  # answered once
        merging.decline(user("rad"), proposal, "För sent")


def test_acceptance_checks_again_that_the_merge_still_holds(ctx):
    duplicate, target, proposal = proposed()
    drive(duplicate, [("withdraw", "medarbetare", {})])
    with pytest.raises(InvalidState) as info:
        merging.accept(user("rad"), proposal)
    assert [f.code for f in info.value.failures] == ["source_moved"]
    assert duplicate.state == "withdrawn" and proposal.status == "pending"
    assert history(target)[-1] != "merged_in"
    other, other_target, other_proposal = proposed()
    drive(other, [("take_up", "chef", {}), ("forward", "chef", {"note": "Vidare."})])
    with pytest.raises(InvalidState) as info:  # merging it is now the developer's
        merging.accept(user("rad"), other_proposal)
    assert [f.code for f in info.value.failures] == ["proposer_lost_role"]


def test_acceptance_refused_when_the_target_closed(ctx):
    duplicate, target, proposal = proposed()
    cases.fire(target, "reject", user("rad"), {"motivation": "Ryms inte."})
    with pytest.raises(InvalidState) as info:
        merging.accept(user("rad"), proposal)
    assert "target_closed" in [f.code for f in info.value.failures]


def test_declining_needs_a_reason_and_tells_the_proposer(ctx):
    duplicate, target, proposal = proposed()
    rows = history(target)
    with pytest.raises(ValidationFailed):
        merging.decline(user("rad"), proposal, "  ")
    with pytest.raises(PermissionDenied):
        merging.decline(user("chef"), proposal, "Inte samma sak")
    merging.decline(user("rad"), proposal, "Inte samma behov.")
    db.session.expire_all()
    assert (proposal.status, proposal.reason, proposal.decided_by.username) == (
        "declined", "Inte samma behov.", "rad")
    assert duplicate.state == "submitted" and history(duplicate)[-1] == "merge_declined"
    assert history(target) == rows
    told = db.session.scalar(select(Notification).where(
        Notification.key == f"merge:{proposal.id}:declined:user:{user('chef').id}"))
    assert "Inte samma behov." in told.body
    # a new proposal may follow
    cases.fire(duplicate, "merge", user("chef"), {"target_case": target.id})
    assert merging.pending_from(duplicate).id != proposal.id


def test_withdrawing_by_the_proposer_or_whoever_may_merge(ctx):
    duplicate, target, proposal = proposed()
    with pytest.raises(PermissionDenied):  # the target's owner cannot withdraw it
        merging.withdraw(user("rad"), proposal)
    with pytest.raises(PermissionDenied):  # the submitter may not merge
        merging.withdraw(user("medarbetare"), proposal)
    merging.withdraw(user("chef"), proposal)
    assert proposal.status == "withdrawn" and history(duplicate)[-1] == "merge_withdrawn"
    with pytest.raises(InvalidState):
        merging.accept(user("rad"), proposal)
    told = db.session.scalar(select(Notification).where(
        Notification.key == f"merge:{proposal.id}:withdrawn:user:{user('rad').id}"))
    assert told.case_id == target.id


def test_an_owner_who_cannot_see_the_proposing_case_learns_no_title(ctx):
    target = soder_case_at_apt()
    duplicate = case_in("refinement", title="Hemlig rubrik från norr")
    cases.fire(duplicate, "merge", user("vu"), {"target_case": target.id})
    proposal = merging.pending_from(duplicate)
    asked = db.session.scalar(select(Notification).where(Notification.key.like(
        f"merge:{proposal.id}:proposed:%")))
    assert asked.user.username == "chef.soder" and "Hemlig rubrik" not in asked.body
    with pytest.raises(PermissionDenied):  # the proposer cannot accept from the other side
        merging.accept(user("vu"), proposal)
    merging.accept(user("chef.soder"), proposal)
    assert duplicate.state == "merged" and duplicate.merged_into_id == target.id


def test_a_proposal_is_invisible_to_whoever_sees_neither_case(ctx):
    duplicate, target, proposal = proposed()
    for outsider in ("chef.ifo", "lars"):
        with pytest.raises(NotFound):
            merging.get_proposal(user(outsider), proposal.id)
        with pytest.raises(NotFound):
            merging.accept(user(outsider), proposal)
    with pytest.raises(NotFound):
        merging.get_proposal(user("rad"), 999999)


def test_an_anonymous_idea_brings_its_followers_only(ctx):
    anonymous = case_in("direct")
    cases.fire(anonymous, "route", user("fchef"), {})
    notifications.follow(user("namnd"), anonymous)
    target = case_in("council")
    cases.fire(anonymous, "merge", user("vu"), {"target_case": target.id})
    merging.accept(user("rad"), merging.pending_from(anonymous))
    assert anonymous.state == "merged" and followers(target) == {"namnd"}


def test_a_concurrent_accept_and_decline_cannot_both_succeed(app):
    with app.test_request_context():
        _duplicate, _target, proposal = proposed()
        proposal_id = proposal.id
    barrier = threading.Barrier(2)
    results: list[object] = [None, None]

    def attempt(index: int, answer) -> None:
        with app.test_request_context():
            found = db.session.get(MergeProposal, proposal_id)
            actor = user("rad")
            _ = (found.case.department, found.target.department, found.proposed_by.roles,
                 actor.roles, found.case.unit, found.target.unit)
            barrier.wait(timeout=30)
            try:
                answer(actor, found)
                results[index] = "ok"
            except (Conflict, InvalidState) as error:
                results[index] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt, args=(0, merging.accept)),
               threading.Thread(target=attempt, args=(1, lambda actor, found: merging.decline(
                   actor, found, "Nej.")))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(isinstance(r, str) for r in results) == [False, True], results
    with app.app_context():
        proposal = db.session.get(MergeProposal, proposal_id)
        duplicate = proposal.case
        assert (proposal.status == "accepted") == (duplicate.state == "merged")
        assert proposal.status in ("accepted", "declined")


# ---------------------------------------------------------------- web pages

def test_the_case_pages_show_the_proposal_with_its_buttons(app):
    client = app.test_client()
    with app.test_request_context():
        duplicate, target, proposal = proposed()
        ids = duplicate.id, target.id, proposal.id
    login(client, "chef")
    page = client.get(f"/cases/{ids[0]}").get_data(as_text=True)
    assert f"Väntar på att ärende #{ids[1]}:s ansvariga godkänner sammanslagningen." in page
    assert f"/merge-proposals/{ids[2]}/withdraw" in page
    client.post("/logout")
    login(client, "rad")
    page = client.get(f"/cases/{ids[1]}").get_data(as_text=True)
    assert f"/merge-proposals/{ids[2]}/accept" in page
    assert "Varför avböjer du sammanslagningen?" in page and "Nyckelskåp i hemtjänsten" in page
    response = client.post(f"/merge-proposals/{ids[2]}/decline",
                           data={f"decline-{ids[2]}-reason": ""})
    assert response.status_code == 302
    assert "Skriv varför sammanslagningen avböjs." in client.get(
        response.location).get_data(as_text=True)
    response = client.post(f"/merge-proposals/{ids[2]}/accept")
    assert response.status_code == 302 and response.location.endswith(f"/cases/{ids[1]}")
    page = client.get(response.location).get_data(as_text=True)
    assert "Sammanslagningen är godkänd" in page
    with app.app_context():
        assert db.session.get(Case, ids[0]).state == "merged"


def test_a_case_page_asks_for_proposals_only_when_one_is_pending(app):
    """Issue 14: whether a proposal from or into the case is pending comes with the case, so
    the page of a case without one (nearly every case) reads no proposals; a case with one
    (either way) reads and shows it."""
    client = app.test_client()
    with app.test_request_context():
        duplicate, target, _proposal = proposed()
        ids = duplicate.id, target.id, case_in("apt").id
    login(client, "rad")
    with app.app_context():
        engine = db.engine
    asked = {}
    for case_id in ids:
        with statements_run(engine) as statements:
            assert client.get(f"/cases/{case_id}").status_code == 200
        asked[case_id] = any("FROM merge_proposals" in s and "EXISTS" not in s
                             for s in statements)
    assert asked == {ids[0]: True, ids[1]: True, ids[2]: False}


def test_an_owner_who_cannot_see_the_proposer_sees_no_title_and_outsiders_get_404(app):
    client = app.test_client()
    with app.test_request_context():
        target = soder_case_at_apt()
        duplicate = case_in("refinement", title="Hemlig rubrik från norr")
        cases.fire(duplicate, "merge", user("vu"), {"target_case": target.id})
        ids = duplicate.id, target.id, merging.pending_from(duplicate).id
    login(client, "chef.soder")
    page = client.get(f"/cases/{ids[1]}").get_data(as_text=True)
    section = re.search(r'data-section="merge-incoming">(.*?)</section>', page, re.S).group(1)
    assert f"ärende #{ids[0]} slås samman" in section and "Hemlig rubrik" not in section
    client.post("/logout")
    login(client, "chef.ifo")
    for action in ("accept", "decline", "withdraw"):
        assert client.post(f"/merge-proposals/{ids[2]}/{action}",
                           data={f"decline-{ids[2]}-reason": "x"}).status_code == 404


# ---------------------------------------------------------------- API

@pytest.fixture
def api(app):
    client = app.test_client()

    client.token = lambda username: api_headers(client, username)
    return client


def test_the_api_proposes_lists_and_answers(app, api):
    with app.test_request_context():
        target = case_in("council")
        duplicate = case_in("submitted")
        other = case_in("submitted")
        ids = duplicate.id, target.id, other.id
    chef, rad = api.token("chef"), api.token("rad")
    response = api.post(f"/api/v1/cases/{ids[0]}/events", headers=chef,
                        json={"event": "merge", "target_case": ids[1], "comment": "Samma."})
    assert response.status_code == 202
    proposal = response.get_json()
    assert (proposal["status"], proposal["case_id"], proposal["target_id"],
            proposal["can_withdraw"], proposal["can_accept"]) == (
        "pending", ids[0], ids[1], True, False)
    pid = proposal["id"]
    listed = api.get(f"/api/v1/cases/{ids[1]}/merge-proposals", headers=rad).get_json()
    assert [(p["id"], p["can_accept"]) for p in listed["items"]] == [(pid, True)]
    assert api.post(f"/api/v1/merge-proposals/{pid}/accept", headers=chef).status_code == 403
    assert api.post(f"/api/v1/merge-proposals/{pid}/decline", headers=rad,
                    json={}).status_code == 422
    declined = api.post(f"/api/v1/merge-proposals/{pid}/decline", headers=rad,
                        json={"reason": "Inte samma."})
    assert declined.status_code == 200 and declined.get_json()["status"] == "declined"
    assert api.post(f"/api/v1/merge-proposals/{pid}/withdraw", headers=chef).status_code == 409
    # a second proposal: withdrawn; a third: accepted
    second = api.post(f"/api/v1/cases/{ids[0]}/events", headers=chef,
                      json={"event": "merge", "target_case": ids[1]}).get_json()["id"]
    assert api.post(f"/api/v1/merge-proposals/{second}/withdraw",
                    headers=chef).get_json()["status"] == "withdrawn"
    third = api.post(f"/api/v1/cases/{ids[0]}/events", headers=chef,
                     json={"event": "merge", "target_case": ids[1]}).get_json()["id"]
    accepted = api.post(f"/api/v1/merge-proposals/{third}/accept", headers=rad)
    assert accepted.status_code == 200 and accepted.get_json()["status"] == "accepted"
    assert api.get(f"/api/v1/cases/{ids[0]}", headers=chef).get_json()["state"] == "merged"
    # an owner merges at once: 200 with the case
    merged = api.post(f"/api/v1/cases/{ids[2]}/events", headers=rad,
                      json={"event": "merge", "target_case": ids[1]})
    assert merged.status_code in (403, 409)  # the council may not merge a submitted idea
    listed = api.get(f"/api/v1/cases/{ids[0]}/merge-proposals", headers=chef).get_json()
    assert [p["status"] for p in listed["items"]] == ["accepted", "withdrawn", "declined"]


def test_the_api_hides_proposals_of_cases_the_caller_cannot_see(app, api):
    with app.test_request_context():
        _duplicate, target, proposal = proposed()
        ids = _duplicate.id, target.id, proposal.id
    outsider = api.token("chef.ifo")
    assert api.get(f"/api/v1/cases/{ids[0]}/merge-proposals", headers=outsider).status_code == 404
    for action in ("accept", "withdraw"):
        assert api.post(f"/api/v1/merge-proposals/{ids[2]}/{action}",
                        headers=outsider).status_code == 404
    assert api.post(f"/api/v1/merge-proposals/{ids[2]}/decline", headers=outsider,
                    json={"reason": "x"}).status_code == 404
    assert api.post("/api/v1/merge-proposals/999999/accept",
                    headers=api.token("rad")).status_code == 404
    paths = api.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"/cases/{case_id}/merge-proposals", "/merge-proposals/{proposal_id}/accept",
            "/merge-proposals/{proposal_id}/decline",
            "/merge-proposals/{proposal_id}/withdraw"} <= set(paths)
    assert "202" in paths["/cases/{case_id}/events"]["post"]["responses"]
