"""The nämnd's decisions (docs/decisions.md): the guards as plain functions, then the political
decision end to end through the API, the web pages, a ledningsgrupp meeting and the region's
diarienummer format in the administration (each database test on both databases)."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from helpers import MEMO, api_headers, case_in, drive, login, user
from workflow.cases import service as cases
from workflow.meetings import service as meetings
from workflow.memo import service as memo
from workflow.models import AdminLogEntry, Case, Notification, Region, local_today
from workflow.platform.errors import ValidationFailed
from workflow.platform.extensions import db
from workflow.states.guards import (
    Facts,
    decision_reference_given,
    diarienummer_given,
    meeting_date_given,
    memo_proposal_given,
)

TODAY = date(2026, 12, 6)
PATTERN = r"[A-ZÅÄÖ]{2,8} \d{4}/\d{1,6}(:\d{1,4})?"  # config/settings.toml [decisions]
MEMO_MISSING = ("Skriv tjänsteutlåtandets förslag till beslut innan ärendet lyfts till "
                "nämnden.")


def codes(failures) -> list[str]:
    return [f.code for f in failures]


# ---------------------------------------------------------------- the guards, as pure rules

def test_the_meeting_date_may_be_today_but_not_tomorrow():
    """The minutes record a meeting that has been held: the decision is registered after it
    (kommunallagen (2017:725) 5 kap. 69 §, the minutes and their justering; docs/decisions.md)."""
    def check(day):
        return codes(meeting_date_given(Facts(today=TODAY, values={"meeting_date": day})))
    assert check(TODAY) == [] and check(TODAY - timedelta(days=30)) == []
    assert check(TODAY + timedelta(days=1)) == ["meeting_date_in_future"]
    assert check(None) == ["meeting_date_missing"]


@pytest.mark.parametrize("reference, accepted", [
    ("§ 123", True), ("§123", True), ("§ 12 a", True), (" § 7 ", True),
    ("123", False), ("§", False), ("§ abc", False), ("paragraf 12", False), ("§ 12, 13", False),
])
def test_the_decision_is_cited_by_its_paragraph(reference, accepted):
    """A decision is cited by the paragraph (§) of the nämnd's adjusted minutes (kommunallagen
    (2017:725) 5 kap. 69 § on justering; docs/decisions.md)."""
    failures = decision_reference_given(Facts(values={"decision_reference": reference}))
    assert codes(failures) == ([] if accepted else ["decision_reference_malformed"])
    if not accepted:
        assert failures[0].params["reference"] == reference.strip()


def test_the_diarienummer_follows_the_regions_format():
    """The nämnd decides in a registered case (offentlighets- och sekretesslagen (2009:400)
    5 kap. 1 §, registration of allmänna handlingar; docs/decisions.md). A number given with
    the decision wins over the case's own; without either the decision is refused."""
    def check(given=None, on_case=None):
        return codes(diarienummer_given(Facts(
            values={"diarienummer": given} if given is not None else {},
            diarienummer=on_case, diarienummer_pattern=PATTERN,
            diarienummer_example="SON 2026/123")))
    assert check("SON 2026/123") == [] and check("SOCN 2026/7:2") == []
    assert check(on_case="SON 2025/88") == []
    assert check("2026/123") == ["diarienummer_malformed"]
    assert check("son 2026/123", on_case="SON 2026/1") == ["diarienummer_malformed"]
    assert check() == ["diarienummer_missing"] and check("  ") == ["diarienummer_missing"]


def test_the_nämnd_decides_on_a_tjänsteutlåtande_with_a_proposal():
    """What is not decided on delegation goes to the nämnd (kommunallagen (2017:725) 6 kap.
    37–38 §§), with the förvaltning's tjänsteutlåtande and its förslag till beslut
    (docs/decisions.md)."""
    assert codes(memo_proposal_given(Facts(memo_proposal_given=False))) == [
        "memo_proposal_missing"]
    assert memo_proposal_given(Facts(memo_proposal_given=True)) == []


# ---------------------------------------------------------------- the API

def test_the_political_decision_over_the_api(app):
    """Lyft till nämnden, then the nämnd's återremiss with its own paragraph and date
    (kommunallagen (2017:725) 5 kap. 51 § for fullmäktige, the nämnd's reglemente for
    itself; docs/decisions.md): every refusal is a 409 with Swedish reasons, malformed input
    a 422."""
    with app.app_context():
        case_id = case_in("management").id
        today = local_today()
    client = app.test_client()

    def fire(headers, event, **fields):
        return client.post(f"/api/v1/cases/{case_id}/events", headers=headers,
                           json={"event": event, **fields})

    fchef, namnd, vu = (api_headers(client, name) for name in ("fchef", "namnd", "vu"))
    refused = fire(fchef, "escalate", diarienummer="SON 2026/123")
    assert refused.status_code == 409 and refused.get_json()["reasons"] == [MEMO_MISSING]
    with app.app_context():
        drive(db.session.get(Case, case_id), [("memo", "vu", MEMO)])
    refused = fire(fchef, "escalate", diarienummer="2026-123")
    assert refused.status_code == 409
    assert refused.get_json()["reasons"] == [
        'Diarienumret "2026-123" följer inte regionens format (t.ex. SON 2026/123).']
    lifted = fire(fchef, "escalate", diarienummer=" SON 2026/123 ")
    assert lifted.status_code == 200, lifted.get_json()
    assert (lifted.get_json()["state"], lifted.get_json()["diarienummer"]) == (
        "political", "SON 2026/123")

    # the registrar corrects the number; a number in another format, or another role, is refused
    patched = client.patch(f"/api/v1/cases/{case_id}", headers=namnd,
                           json={"diarienummer": "SON 2026/124"})
    assert patched.status_code == 200 and patched.get_json()["diarienummer"] == "SON 2026/124"
    assert patched.get_json()["history"][-1]["data"] == {
        "changes": {"diarienummer": {"before": "SON 2026/123", "after": "SON 2026/124"}}}
    malformed = client.patch(f"/api/v1/cases/{case_id}", headers=namnd,
                             json={"diarienummer": "dnr 124"})
    assert malformed.status_code == 422 and "diarienummer" in malformed.get_json()["fields"]
    assert client.patch(f"/api/v1/cases/{case_id}", headers=vu,
                        json={"diarienummer": "SON 2026/9"}).status_code == 403

    tomorrow = (today + timedelta(days=1)).isoformat()
    refused = fire(namnd, "decide_yes", meeting_date=tomorrow, decision_reference="123")
    assert refused.status_code == 409
    reasons = refused.get_json()["reasons"]
    assert reasons[0] == 'Skriv paragrafen som i protokollet, t.ex. § 123 (du skrev "123").'
    assert reasons[1].startswith(f"Sammanträdesdatumet {tomorrow} ligger i framtiden.")
    refused = fire(namnd, "decide_no", meeting_date=today.isoformat(), decision_reference="§")
    assert refused.status_code == 409 and len(refused.get_json()["reasons"]) == 1
    assert fire(namnd, "remit", meeting_date="i tisdags", decision_reference="§ 12",
                comment="Utred mer.").status_code == 422

    remitted = fire(namnd, "remit", meeting_date=today.isoformat(), decision_reference="§ 123",
                    comment="Nämnden vill att samordning med HR utreds.")
    assert remitted.status_code == 200, remitted.get_json()
    body = remitted.get_json()
    assert body["state"] == "refinement" and body["diarienummer"] == "SON 2026/124"
    entry = body["history"][-1]
    assert (entry["event"], entry["from"], entry["to"]) == ("remit", "political", "refinement")
    assert entry["data"] == {"meeting_date": today.isoformat(), "decision_reference": "§ 123",
                             "comment": "Nämnden vill att samordning med HR utreds.",
                             "committee": "Socialnämnden", "diarienummer": "SON 2026/124"}
    # once back in refinement the number is no longer the registrar's to change
    assert client.patch(f"/api/v1/cases/{case_id}", headers=namnd,
                        json={"diarienummer": "SON 2026/125"}).status_code == 403


# ---------------------------------------------------------------- the web pages

def test_the_political_decision_in_the_browser(app):
    """The same rules on the case page, in Swedish; the diarienummer on the page and the memo,
    återremiss in the history, in Mina idéer and in the submitter's notification
    (docs/decisions.md: the nämnd's decision, återremiss, the diarienummer)."""
    with app.app_context():
        case_id = case_in("management").id
        today = local_today()
    fchef, namnd = app.test_client(), app.test_client()
    login(fchef, "fchef")
    refused = fchef.post(f"/cases/{case_id}/events/escalate",
                         data={"escalate-diarienummer": "SON 2026/123"})
    assert refused.status_code == 409 and MEMO_MISSING in refused.get_data(as_text=True)
    with app.app_context():
        drive(db.session.get(Case, case_id), [("memo", "vu", MEMO)])
        assert memo.memo_document(db.session.get(Case, case_id)).reference == "ej tilldelat"
    assert fchef.post(f"/cases/{case_id}/events/escalate",
                      data={"escalate-diarienummer": "SON 2026/123"}).status_code == 302

    login(namnd, "namnd")
    page = namnd.get(f"/cases/{case_id}").get_data(as_text=True)
    assert re.search(r'id="decide_yes-meeting_date"[^>]*max="' + today.isoformat(), page) or \
        re.search(r'max="' + today.isoformat() + r'"[^>]*id="decide_yes-meeting_date"', page)
    assert re.search(r'id="decide_yes-diarienummer"[^>]*value="SON 2026/123"', page) or \
        re.search(r'value="SON 2026/123"[^>]*id="decide_yes-diarienummer"', page)
    assert "t.ex. SON 2026/123" in page  # the region's example beside the field
    assert 'data-section="diarienummer">SON 2026/123<' in page
    refused = namnd.post(f"/cases/{case_id}/diarienummer", data={"registry-diarienummer": "dnr 5"})
    assert refused.status_code == 422
    assert "följer inte regionens format (t.ex. SON 2026/123)" in refused.get_data(as_text=True)
    assert namnd.post(f"/cases/{case_id}/diarienummer",
                      data={"registry-diarienummer": "SON 2026/123:1"}).status_code == 302
    assert 'data-section="diarienummer">SON 2026/123:1<' in namnd.get(
        f"/cases/{case_id}").get_data(as_text=True)

    tomorrow = (today + timedelta(days=1)).isoformat()
    refused = namnd.post(f"/cases/{case_id}/events/decide_yes", data={
        "decide_yes-meeting_date": tomorrow, "decide_yes-decision_reference": "§ 12",
        "decide_yes-diarienummer": "SON 2026/123"})
    assert refused.status_code == 409
    assert f"Sammanträdesdatumet {tomorrow} ligger i framtiden" in refused.get_data(as_text=True)
    assert namnd.post(f"/cases/{case_id}/events/remit", data={
        "remit-meeting_date": today.isoformat(), "remit-decision_reference": "§ 12",
        "remit-diarienummer": "SON 2026/123",
        "remit-comment": "Samordna med HR:s lärplattform."}).status_code == 302

    with app.app_context():
        case = db.session.get(Case, case_id)
        assert case.state == "refinement" and case.diarienummer == "SON 2026/123"
        assert memo.memo_document(case).reference == "SON 2026/123"
        day = re.sub(r"\s+", " ", memo_day(today))
        notice = db.session.query(Notification).filter_by(
            case_id=case_id, user_id=user("medarbetare").id).order_by(Notification.id).all()[-1]
    assert notice.subject == f"Ärende {case_id}: nämndens beslut, återremiss"
    assert (f"Nämndens beslut: återremiss (Socialnämnden, sammanträdet {today.isoformat()}, § 12, "
            "diarienummer SON 2026/123).") in notice.body
    page = " ".join(namnd.get(f"/cases/{case_id}").get_data(as_text=True).split())
    assert f"Återremiss: Socialnämnden, sammanträdet {day}, § 12" in page
    assert "Samordna med HR:s lärplattform." in page
    submitter = app.test_client()
    login(submitter, "medarbetare")
    mine = " ".join(submitter.get("/ideas/mine").get_data(as_text=True).split())
    assert ("Nämnden skickade tillbaka förslaget för mer utredning (återremiss) (Socialnämnden, "
            f"sammanträdet {day}, § 12).") in mine


def memo_day(day: date) -> str:
    from flask_babel import format_date
    return format_date(day, "long")


def test_a_ledningsgrupp_lifts_a_case_to_the_nämnd_at_its_meeting(app):
    """A ledningsgrupp meeting may lift a case to the nämnd; a refused decision shows why and
    changes nothing; the minutes name each case's diarienummer (kommunallagen (2017:725)
    5 kap. 69 §; docs/decisions.md)."""
    with app.app_context():
        case = case_in("management")
        case_id = case.id
        meeting = meetings.create_meeting(user("fchef"), {
            "kind": "management", "department_id": case.unit.department_id,
            "starts_at": local_now()})
        meeting_id, item_id = meeting.id, meeting.items[0].id
    client = app.test_client()
    login(client, "fchef")
    url = f"/meetings/{meeting_id}/items/{item_id}/decision"
    data = {f"item{item_id}-event": "escalate", f"item{item_id}-diarienummer": "SON 2026/77"}
    refused = client.post(url, data=data)
    assert refused.status_code == 409
    page = refused.get_data(as_text=True)
    assert "Beslutet kunde inte fattas" in page and MEMO_MISSING in page
    with app.app_context():
        drive(db.session.get(Case, case_id), [("memo", "vu", MEMO)])
    assert client.post(url, data=data).status_code == 302
    minutes = client.get(f"/meetings/{meeting_id}/minutes").get_data(as_text=True)
    assert "Lyft till nämnden" in minutes and "SON 2026/77" in minutes
    with app.app_context():
        case = db.session.get(Case, case_id)
        assert (case.state, case.diarienummer) == ("political", "SON 2026/77")


def local_now():
    from datetime import datetime, timezone
    return datetime.now(timezone.utc).replace(microsecond=0)


# ---------------------------------------------------------------- the region's format

def test_the_region_administrator_sets_the_diarienummer_format(app):
    """The region's registry decides what its diarienummer look like (docs/decisions.md); an
    invalid regular expression, or an example the pattern refuses, is refused in Swedish and
    nothing is written."""
    client = app.test_client()
    login(client, "admin")
    refused = client.post("/admin/organisation/region", data={
        "region-diarienummer_pattern": r"SN-\d{4}-[0-9", "region-diarienummer_example": ""})
    assert refused.status_code == 422
    assert "Mönstret är inte ett giltigt reguljärt uttryck (felet finns vid tecken 10)" in \
        refused.get_data(as_text=True)
    refused = client.post("/admin/organisation/region", data={
        "region-diarienummer_pattern": r"SN-\d{4}-\d+", "region-diarienummer_example": ""})
    assert refused.status_code == 422  # the default example SON 2026/123 does not fit
    assert "Exemplet SON 2026/123 följer inte mönstret" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(AdminLogEntry).filter_by(
            action="region.diarienummer").count() == 0
    assert client.post("/admin/organisation/region", data={
        "region-diarienummer_pattern": r"SN-\d{4}-\d+",
        "region-diarienummer_example": "SN-2026-41"}).status_code == 302
    assert "SN-2026-41" in client.get("/admin/organisation/").get_data(as_text=True)

    with app.app_context():
        region = db.session.query(Region).one()
        assert (region.diarienummer_pattern, region.diarienummer_example) == (
            r"SN-\d{4}-\d+", "SN-2026-41")
        entry = db.session.query(AdminLogEntry).filter_by(action="region.diarienummer").one()
        assert entry.before == {"diarienummer_pattern": None, "diarienummer_example": None}
        assert entry.after == {"diarienummer_pattern": r"SN-\d{4}-\d+",
                               "diarienummer_example": "SN-2026-41"}
        case = case_in("management")
        with pytest.raises(ValidationFailed) as info:
            cases.update_case(user("fchef"), case, {"diarienummer": "SON 2026/123"})
        assert info.value.translated_field_errors["diarienummer"] == [
            'Diarienumret "SON 2026/123" följer inte regionens format (t.ex. SN-2026-41).']
        cases.update_case(user("fchef"), case, {"diarienummer": "SN-2026-41"})
        assert case.diarienummer == "SN-2026-41"

    headers = api_headers(client, "admin")
    refused = client.patch("/api/v1/admin/region", headers=headers,
                           json={"diarienummer_pattern": "(SN"})
    assert refused.status_code == 422 and "diarienummer_pattern" in refused.get_json()["fields"]
    cleared = client.patch("/api/v1/admin/region", headers=headers,
                           json={"diarienummer_pattern": None, "diarienummer_example": None})
    assert cleared.status_code == 200
    assert cleared.get_json()["settings"] == {"diarienummer_pattern": None,
                                              "diarienummer_example": None}
    assert cleared.get_json()["defaults"]["diarienummer_example"] == "SON 2026/123"
