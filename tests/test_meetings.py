"""Meetings: the agenda from waiting cases, decisions through the case service, locked
minutes, reminders with the agenda, and the minutes as a document (both databases)."""
from __future__ import annotations

import io
import re
from datetime import datetime, timedelta, timezone

import pytest

import factories
from helpers import IDEA, api_headers, case_in, drive, login, new_draft, unit, user
from workflow.cases import merging
from workflow.cases import service as cases
from workflow.meetings import service as meetings
from workflow.models import Notification
from workflow.ops import jobs
from workflow.platform.errors import Conflict, GuardFailed, PermissionDenied, ValidationFailed
from workflow.platform.extensions import db

SOON = datetime(2026, 12, 3, 9, 0, tzinfo=timezone.utc)
social = factories.department  # Socialförvaltningen, which holds Hemtjänst Visby norr


def council_meeting(chair="rad"):
    return factories.meeting("council", chair, starts_at=SOON)


def apt_meeting():
    return factories.meeting("apt", "chef", starts_at=SOON, place="Personalrummet")


def test_a_full_council_meeting_with_five_decisions_and_one_refusal(ctx):
    council = [case_in("council") for _ in range(5)]
    case_in("submitted")  # waits for the APT, not for the council
    meeting = council_meeting()
    assert [i.case for i in meeting.items] == council
    assert {a.user.username for a in meeting.attendees} == {"rad"}
    first, second, third, fourth, fifth = meeting.items

    meetings.decide(user("rad"), meeting, first.id, "prioritise", {"priority": "high"},
                    note="Hög nytta för brukarna.")
    meetings.decide(user("rad"), meeting, second.id, "park", {"planned_year": 2028})
    with pytest.raises(GuardFailed):  # refused: a rejection needs its motivation
        meetings.decide(user("rad"), meeting, third.id, "reject", {"motivation": ""})
    assert third.decision is None and third.case.state == "council"
    meetings.decide(user("rad"), meeting, third.id, "reject",
                    {"motivation": "Ryms inte i årets ram."})
    meetings.decide(user("rad"), meeting, fourth.id, "return",
                    {"comment": "Komplettera upphandlingen."})
    meetings.decide(user("rad"), meeting, fifth.id, "merge", {"target_case": first.case.id})
    # The first case is now the management's: they accept the merge (consent-based merge).
    assert fifth.case.state == "council" and fifth.outcome == "proposed"
    merging.accept(user("fchef"), merging.pending_from(fifth.case))

    states = [i.case.state for i in meeting.items]
    assert states == ["management", "plan", "rejected", "refinement", "merged"]
    assert [i.decision for i in meeting.items] == ["prioritise", "park", "reject", "return",
                                                   "merge"]
    assert second.case.planned_year == 2028 and first.note == "Hög nytta för brukarna."
    # each decision is in its case's history; the merge shows on both cases
    assert [h.event for h in first.case.history][-2:] == ["prioritise", "merged_in"]


def test_only_the_forum_may_decide_and_a_decision_stands(ctx):
    case_in("council")
    meeting = council_meeting()
    item = meeting.items[0]
    with pytest.raises(PermissionDenied):
        meetings.decide(user("vu"), meeting, item.id, "park", {})
    meetings.decide(user("rad"), meeting, item.id, "park", {})
    with pytest.raises(Conflict):
        meetings.decide(user("rad"), meeting, item.id, "reactivate", {})


def test_staff_cannot_call_a_council_meeting(ctx):
    with pytest.raises(PermissionDenied):
        council_meeting(chair="medarbetare")


def test_adjusted_minutes_are_locked(ctx):
    case_in("council")
    case_in("council")
    meeting = council_meeting()
    meetings.decide(user("rad"), meeting, meeting.items[0].id, "park", {})
    meetings.adjust(user("rad"), meeting)
    assert meeting.locked
    for attempt in (
        lambda: meetings.decide(user("rad"), meeting, meeting.items[1].id, "park", {}),
        lambda: meetings.set_attendance(user("rad"), meeting, set()),
        lambda: meetings.move_item(user("rad"), meeting, meeting.items[1].id, -1),
        lambda: meetings.save_note(user("rad"), meeting, meeting.items[1].id, "Sent tillägg"),
        lambda: meetings.adjust(user("rad"), meeting),
    ):
        with pytest.raises(Conflict):
            attempt()
    assert meeting.items[1].case.state == "council"


def test_apt_agenda_reorder_and_add(ctx):
    first, second = case_in("submitted"), case_in("submitted")
    other = case_in("council")
    meeting = apt_meeting()
    assert [i.case for i in meeting.items] == [first, second]
    assert {"medarbetare", "chef"} <= {a.user.username for a in meeting.attendees}
    meetings.move_item(user("chef"), meeting, meeting.items[1].id, -1)
    db.session.expire(meeting, ["items"])
    assert [i.case for i in meeting.items] == [second, first]
    with pytest.raises(ValidationFailed):
        meetings.add_case(user("chef"), meeting, first.id)  # already there
    meetings.add_case(user("chef"), meeting, other.id)
    assert meeting.items[-1].case == other and meeting.items[-1].position == 3


def test_apt_needs_its_unit(ctx):
    with pytest.raises(ValidationFailed) as info:
        meetings.create_meeting(user("chef"), {"kind": "apt", "department_id": social().id,
                                               "starts_at": SOON})
    assert "unit_id" in info.value.field_errors


def test_attendees_get_the_agenda_before_the_meeting_once(ctx):
    case = case_in("council")
    meeting = council_meeting()
    assert meetings.remind_attendees(SOON - timedelta(days=3)) == 0
    assert jobs.run_job("meeting_reminders", SOON - timedelta(days=1)) == 1
    assert jobs.run_job("meeting_reminders", SOON - timedelta(hours=2)) == 0
    note = db.session.query(Notification).filter_by(kind="meeting").one()
    assert note.user.username == "rad" and f"Ärende {case.id}: {case.title}" in note.body
    assert meeting.items[0].case == case


def test_apt_attendees_see_only_the_cases_they_may_open(app):
    """Staff at the APT see their own idea on the agenda, and someone else's only as an item
    they may not open: on the page, in the minutes, in the API and in the reminder. Only the
    forum's own cases may be added, refused alike whether the id exists or not."""
    secret = "Schemaläggning för nattpersonalen"
    with app.app_context():
        mine = case_in("submitted")
        theirs = drive(new_draft(author="chef", title=secret), [("submit", "chef", {})])
        meeting = apt_meeting()
        assert [i.case for i in meeting.items] == [mine, theirs]
        elsewhere = drive(cases.create_case(user("chef"), {
            **IDEA, "unit_id": unit("Hemtjänst Visby söder").id}), [("submit", "chef", {})])
        hidden_draft = new_draft()
        refusals = []
        for case_id in (elsewhere.id, hidden_draft.id, 99999, "x"):
            with pytest.raises(ValidationFailed) as info:
                meetings.add_case(user("chef"), meeting, case_id)
            refusals.append(info.value.field_errors)
        assert len({repr(r) for r in refusals}) == 1
        assert len(meeting.items) == 2
        meetings.remind_attendees(SOON - timedelta(days=1))
        told = {n.user.username: n.body for n in db.session.query(Notification)
                .filter_by(kind="meeting")}
        assert secret in told["chef"] and secret not in told["medarbetare"]
        meeting_id, theirs_id = meeting.id, theirs.id
    client = login(app.test_client(), "medarbetare")
    for url in (f"/meetings/{meeting_id}", f"/meetings/{meeting_id}/minutes"):
        page = client.get(url).get_data(as_text=True)
        assert IDEA["title"] in page and secret not in page
        assert "Ärende som du inte har behörighet till" in page
    body = client.get(f"/api/v1/meetings/{meeting_id}",
                      headers=api_headers(client, "medarbetare")).get_json()
    assert theirs_id not in [i["case_id"] for i in body["items"]]
    assert [i.get("restricted", False) for i in body["items"]] == [False, True]


# ---------------------------------------------------------------- in the browser

def test_chair_holds_the_meeting_in_the_browser(app):
    with app.app_context():
        first, second = case_in("council"), case_in("council")
        first_id, second_id, department_id = first.id, second.id, social().id
    client = login(app.test_client(), "rad")
    assert client.get("/meetings").status_code == 200
    response = client.post("/meetings", data={"kind": "council", "department_id": department_id,
                                              "starts_at": "2026-12-03T09:00",
                                              "place": "Sal Gute"})
    assert response.status_code == 302
    meeting_url = response.location
    page = client.get(meeting_url).get_data(as_text=True)
    assert f"Ärende nr {first_id}" in page and f"Ärende nr {second_id}" in page
    item_ids = [int(i) for i in re.findall(r'id="punkt-(\d+)"', page)]
    refused = client.post(f"{meeting_url}/items/{item_ids[0]}/decision",
                          data={f"item{item_ids[0]}-event": "reject",
                                f"item{item_ids[0]}-note": ""})
    assert refused.status_code == 409
    assert "Beslutet kunde inte fattas" in refused.get_data(as_text=True)
    ok = client.post(f"{meeting_url}/items/{item_ids[0]}/decision",
                     data={f"item{item_ids[0]}-event": "prioritise",
                           f"item{item_ids[0]}-priority": "medium",
                           f"item{item_ids[0]}-note": "Ryms i budgeten."})
    assert ok.status_code == 302
    assert client.post(f"{meeting_url}/adjust").status_code == 302
    minutes = client.get(f"{meeting_url}/minutes").get_data(as_text=True)
    assert "Prioritera och lämna för beslut" in minutes and "Ryms i budgeten." in minutes
    assert "Justerat" in minutes
    with app.app_context():
        from workflow.cases import service as case_service
        assert case_service.get_case(user("rad"), first_id).state == "management"


def test_minutes_as_pdf_contain_the_decisions(app):
    import pypdf
    with app.app_context():
        case = case_in("council")
        meeting = council_meeting()
        meetings.decide(user("rad"), meeting, meeting.items[0].id, "park",
                        {"planned_year": 2029}, note="Läggs i planen till 2029.")
        meeting_id, title = meeting.id, case.title
    client = login(app.test_client(), "rad")
    response = client.get(f"/meetings/{meeting_id}/minutes.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pages = pypdf.PdfReader(io.BytesIO(response.data)).pages
    text = " ".join(" ".join(page.extract_text() for page in pages).split())
    assert "Protokoll" in text and title[:20] in text
    assert "Lägg i digitaliseringsplanen" in text and "Läggs i planen till 2029." in text
    # each decided case with its diarienummer, or plainly none yet (docs/decisions.md)
    assert "Diarienummer" in text and "ej tilldelat" in text


def test_meetings_and_scores_over_the_api(app):
    with app.app_context():
        first, second = case_in("council"), case_in("council")
        first_id, second_id, department_id = first.id, second.id, social().id
    client = app.test_client()
    headers = api_headers(client, "rad")
    created = client.post("/api/v1/meetings", headers=headers, json={
        "kind": "council", "department_id": department_id,
        "starts_at": "2026-12-03T09:00:00+01:00", "place": "Sal Gute"})
    assert created.status_code == 201
    meeting = created.get_json()
    assert [i["case_id"] for i in meeting["items"]] == [first_id, second_id]
    bad = client.post("/api/v1/meetings", headers=headers, json={"kind": "council",
                                                                 "department_id": department_id,
                                                                 "starts_at": "i morgon"})
    assert bad.status_code == 422 and "starts_at" in bad.get_json()["fields"]
    score = client.put(f"/api/v1/cases/{first_id}/score", headers=headers, json={
        "scores": {"benefit": 4, "urgency": 4, "feasibility": 4, "risk": 2, "strategic_fit": 4}})
    assert score.status_code == 200
    ranking = client.get(f"/api/v1/council/{department_id}", headers=headers).get_json()
    assert ranking["ranked"][0]["case_id"] == first_id
    item = meeting["items"][0]["id"]
    url = f"/api/v1/meetings/{meeting['id']}/items/{item}/decision"
    refused = client.post(url, headers=headers, json={"event": "reject"})
    assert refused.status_code == 409 and refused.get_json()["reasons"]
    decided = client.post(url, headers=headers, json={"event": "prioritise", "priority": "high",
                                                      "note": "Enigt."})
    assert decided.status_code == 200
    assert decided.get_json()["items"][0]["decision"] == "prioritise"
    adjusted = client.post(f"/api/v1/meetings/{meeting['id']}/adjust", headers=headers)
    assert adjusted.status_code == 200 and adjusted.get_json()["locked"] is True
    second_item = meeting["items"][1]["id"]
    locked = client.post(f"/api/v1/meetings/{meeting['id']}/items/{second_item}/decision",
                         headers=headers, json={"event": "park"})
    assert locked.status_code == 409
    assert client.put(f"/api/v1/cases/{second_id}/score", headers=api_headers(client, "vu"),
                      json={"scores": {"benefit": 3}}).status_code == 403


def test_a_council_with_its_own_name_is_called_by_it(app):
    with app.app_context():
        meeting = council_meeting()
        meeting_id = meeting.id
        meeting.department.council_name = "Digitaliseringsrådet SOF"
        db.session.commit()
    client = login(app.test_client(), "rad")
    for path in (f"/meetings/{meeting_id}", f"/meetings/{meeting_id}/minutes", "/meetings"):
        assert "Digitaliseringsrådet SOF" in client.get(path).get_data(as_text=True), path
    with app.app_context():
        db.session.get(type(meeting), meeting_id).department.council_name = None
        db.session.commit()
    assert "Digitaliseringsråd:" in client.get(f"/meetings/{meeting_id}").get_data(as_text=True)
