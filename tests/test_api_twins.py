"""Every UI action has its API twin (docs/api.md): the plan, comments, notifications, the
portfolio's figures and the exports answer in JSON what the pages show, under the pages'
access rules (401 without a token, 403/404 as the page, 422 with Swedish field messages,
English with Accept-Language: en); and every POST route of the web blueprints is in the
table of docs/api.md with its twin or the reason it has none."""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from factories import department, meeting
from helpers import api_headers, case_in, login, new_draft, user
from workflow.meetings import service as meetings
from workflow.memo import service as memo
from workflow.notifications import service as notifications
from workflow.organisation import admin as organisation
from workflow.plan import service as plan
from workflow.portfolio import service as portfolio
from workflow.similar import service as similar

ROOT = Path(__file__).resolve().parent.parent
EN = {"Accept-Language": "en"}


@pytest.fixture
def client(app):
    return app.test_client()


def headers(client, username: str, **extra) -> dict[str, str]:
    return {**api_headers(client, username), **extra}


# ---------------------------------------------------------------- the digitaliseringsplan

def test_plan_answers_what_the_page_shows_and_keeps_its_rules(app, client):
    with app.app_context():
        case_id = case_in("council").id
        social = department().id
    rad = headers(client, "rad")
    created = client.post("/api/v1/plan/areas", headers=rad, json={
        "department_id": social, "name": "Välfärdsteknik i hemtjänsten"})
    assert created.status_code == 201 and created.get_json()["editable"] is True
    area_id = created.get_json()["id"]
    action = client.post(f"/api/v1/plan/areas/{area_id}/actions", headers=rad,
                         json={"name": "Digitala lås", "owner": "Sofia Karlsson"})
    assert action.status_code == 201 and action.get_json()["status"] == "not_done"
    action_id = action.get_json()["id"]
    changed = client.patch(f"/api/v1/plan/actions/{action_id}", headers=rad,
                           json={"status": "paused"})
    assert changed.get_json()["status_label"] == "Pausad"
    linked = client.post(f"/api/v1/plan/actions/{action_id}/cases", headers=rad,
                         json={"case_id": case_id})
    assert linked.status_code == 201 and [c["id"] for c in linked.get_json()["cases"]] == [case_id]

    # GET /plan is the page's view: the linked case for those who may see it, no one else.
    answer = client.get("/api/v1/plan", headers=rad).get_json()
    section = next(s for s in answer["sections"] if (s["department"] or {}).get("id") == social)
    assert section["areas"][0]["actions"][0]["cases"][0]["id"] == case_id
    with app.test_request_context():
        view = plan.plan_for(user("rad"))
        assert [s.department.id if s.department else None for s in view.sections] == [
            (s["department"] or {}).get("id") for s in answer["sections"]]
    outsider = client.get("/api/v1/plan", headers=headers(client, "chef.soder")).get_json()
    section = next(s for s in outsider["sections"]
                   if (s["department"] or {}).get("id") == social)
    assert section["areas"][0]["actions"][0]["cases"] == []
    assert section["editable"] is False

    # The page's rules: 403 for who may not keep the plan, 404, 422 in Swedish or English.
    staff = headers(client, "medarbetare")
    assert client.post(f"/api/v1/plan/areas/{area_id}/actions", headers=staff,
                       json={"name": "Något"}).status_code == 403
    assert client.patch("/api/v1/plan/actions/99999", headers=rad,
                        json={"name": "X"}).status_code == 404
    bad = client.patch(f"/api/v1/plan/actions/{action_id}", headers=rad, json={"status": "x"})
    assert bad.status_code == 422 and "status" in bad.get_json()["fields"]
    assert bad.get_json()["fields"]["status"][0].startswith("Välj en status")
    english = client.patch(f"/api/v1/plan/actions/{action_id}", json={"status": "x"},
                           headers={**rad, **EN})
    assert english.get_json()["fields"]["status"][0].startswith("Choose a status")
    unknown = client.post(f"/api/v1/plan/actions/{action_id}/cases", headers=rad,
                          json={"case_id": 99999})
    assert unknown.status_code == 422 and "case_id" in unknown.get_json()["fields"]
    assert client.get("/api/v1/plan?department_id=x", headers=rad).status_code == 422
    assert client.get("/api/v1/plan").status_code == 401

    unlinked = client.delete(f"/api/v1/plan/actions/{action_id}/cases/{case_id}", headers=rad)
    assert unlinked.status_code == 200 and unlinked.get_json()["cases"] == []
    assert client.delete(f"/api/v1/plan/actions/{action_id}/cases/{case_id}",
                         headers=rad).status_code == 422


# ---------------------------------------------------------------- comments

def test_comments_as_on_the_case_page(app, client):
    with app.app_context():
        case_id = case_in("apt").id
    vu = headers(client, "vu")
    posted = client.post(f"/api/v1/cases/{case_id}/comments", headers=vu,
                         json={"body": "  Finns det ett avtal?  "})
    assert posted.status_code == 201 and posted.get_json()["body"] == "Finns det ett avtal?"
    listed = client.get(f"/api/v1/cases/{case_id}/comments", headers=vu).get_json()["items"]
    assert [c["body"] for c in listed] == ["Finns det ett avtal?"]
    assert listed[0]["author"]["display_name"] == user_name(app, "vu")
    page = login(app.test_client(), "vu").get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Finns det ett avtal?" in page

    assert client.get(f"/api/v1/cases/{case_id}/comments").status_code == 401
    outsider = headers(client, "chef.soder")  # may not open the case: neither read nor write
    assert client.get(f"/api/v1/cases/{case_id}/comments", headers=outsider).status_code == 404
    assert client.post(f"/api/v1/cases/{case_id}/comments", headers=outsider,
                       json={"body": "Hej"}).status_code == 404
    empty = client.post(f"/api/v1/cases/{case_id}/comments", headers=vu, json={"body": " "})
    assert empty.status_code == 422 and empty.get_json()["fields"] == {
        "body": ["Skriv en kommentar."]}
    extra = client.post(f"/api/v1/cases/{case_id}/comments", headers=vu,
                        json={"body": "Hej", "author": 1})
    assert extra.status_code == 422 and "author" in extra.get_json()["fields"]


def user_name(app, username: str) -> str:
    with app.app_context():
        return user(username).display_name


# ---------------------------------------------------------------- notifications

def test_notifications_in_the_callers_language_and_marking_read(app, client):
    with app.app_context():
        case_in("apt")  # tells the submitter of each change
        case_id = new_draft().id
    own = headers(client, "medarbetare")
    answer = client.get("/api/v1/notifications", headers=own).get_json()
    unread = [n for n in answer["items"] if not n["read"]]
    assert unread and answer["unread_count"] == len(unread)
    english = client.get("/api/v1/notifications", headers={**own, **EN}).get_json()
    assert [n["id"] for n in english["items"]] == [n["id"] for n in answer["items"]]
    assert english["items"][0]["subject"] != answer["items"][0]["subject"]

    # Marking one read lowers the count the page header shows.
    page = login(app.test_client(), "medarbetare")
    badge = re.compile(r'class="count-badge">(\d+)<')
    assert badge.search(page.get("/ideas/mine").get_data(as_text=True)).group(1) == str(
        len(unread))
    first = unread[0]["id"]
    marked = client.post(f"/api/v1/notifications/{first}/read", headers=own).get_json()
    assert marked["marked"] == 1 and marked["notification"]["read"] is True
    assert marked["unread_count"] == len(unread) - 1
    shown = badge.search(page.get("/ideas/mine").get_data(as_text=True))
    assert (int(shown.group(1)) if shown else 0) == len(unread) - 1
    everything = client.post("/api/v1/notifications/read-all", headers=own).get_json()
    assert everything["unread_count"] == 0
    assert "count-badge" not in page.get("/ideas/mine").get_data(as_text=True)

    # Someone else's notification does not exist for the caller; no token, no list.
    assert client.post(f"/api/v1/notifications/{first}/read",
                       headers=headers(client, "vu")).status_code == 404
    assert client.get("/api/v1/notifications").status_code == 401
    assert client.post("/api/v1/notifications/read-all").status_code == 401

    # Following a case and the email settings, as the case page and the settings page.
    follow = client.put(f"/api/v1/cases/{case_id}/follow", headers=own, json={"follow": True})
    assert follow.get_json() == {"case_id": case_id, "following": True}
    with app.app_context():
        assert notifications.is_following(user("medarbetare"), db_case(case_id))
    bad = client.put(f"/api/v1/cases/{case_id}/follow", headers=own, json={"follow": "ja"})
    assert bad.status_code == 422 and bad.get_json()["fields"]["follow"] == [
        "Ange true eller false."]
    assert client.put(f"/api/v1/cases/{case_id}/follow", headers=headers(client, "chef.soder"),
                      json={"follow": True}).status_code == 404
    saved = client.put("/api/v1/notifications/settings", headers=own, json={
        "email_enabled": True, "email_mode": "digest", "email_kinds": ["status"]})
    assert saved.status_code == 200 and saved.get_json()["email_mode"] == "digest"
    refused = client.put("/api/v1/notifications/settings", headers={**own, **EN}, json={
        "email_enabled": True, "email_mode": "hourly", "email_kinds": []})
    assert refused.status_code == 422 and "email_mode" in refused.get_json()["fields"]


def db_case(case_id: int):
    from workflow.models import Case
    from workflow.platform.extensions import db
    return db.session.get(Case, case_id)


# ---------------------------------------------------------------- portfolio

def test_portfolio_figures_are_the_charts_numbers(app, client):
    with app.app_context():
        for state in ("submitted", "council", "management"):
            case_in(state)
    fchef = headers(client, "fchef")
    answer = client.get("/api/v1/portfolio", headers=fchef).get_json()
    with app.test_request_context():
        filters = portfolio.Filters()
        boss = user("fchef")
        assert [(s["state"], s["cases"]) for s in answer["funnel"]] == portfolio.funnel(
            boss, filters)
        assert answer["capacity"] == portfolio.demand_and_capacity(boss, filters)
        assert [(m["month"], m["submitted"], m["decided"]) for m in answer["throughput"]] == \
            portfolio.throughput(boss, filters)
        assert answer["balance"]["total_sek"] == portfolio.direction_balance(boss, filters).total
    # … and the numbers of the page's own table for the funnel chart.
    page = login(app.test_client(), "fchef")
    table = page.get("/portfolio/tratt.csv").data.decode("utf-8-sig").splitlines()[1:]
    assert [int(line.rsplit(";", 1)[1]) for line in table] == [s["cases"]
                                                               for s in answer["funnel"]]

    # The page's filters narrow the figures the same way.
    council = client.get("/api/v1/portfolio?state=council", headers=fchef).get_json()
    assert sum(s["cases"] for s in council["funnel"]) == 1
    assert council["filters"]["state"] == "council"

    assert client.get("/api/v1/portfolio").status_code == 401
    assert client.get("/api/v1/portfolio",
                      headers=headers(client, "medarbetare")).status_code == 403
    bad = client.get("/api/v1/portfolio?state=nowhere&from=igår&unit_id=x", headers=fchef)
    assert bad.status_code == 422
    assert set(bad.get_json()["fields"]) == {"state", "from", "unit_id"}
    assert bad.get_json()["fields"]["from"] == ["Ange ett datum som ÅÅÅÅ-MM-DD."]


# ---------------------------------------------------------------- exports

def test_exports_as_json_rows_equal_the_files(app, client):
    with app.app_context():
        case_id = case_in("council").id
        new_draft()  # only its author's
    vu = headers(client, "vu")
    answer = client.get("/api/v1/exports/cases", headers=vu).get_json()
    page = login(app.test_client(), "vu")
    rows = list(csv.reader(io.StringIO(page.get("/exports/cases.csv").data.decode("utf-8-sig")),
                           delimiter=";"))
    assert answer["columns"] == rows[0]
    assert [row[0] for row in answer["rows"]] == [int(row[0]) for row in rows[1:]] == [case_id]
    dossiers = client.get("/api/v1/exports/dossiers", headers=vu).get_json()
    files = list(csv.reader(io.StringIO(
        page.get("/exports/dossiers.csv").data.decode("utf-8-sig")), delimiter=";"))
    assert dossiers["columns"] == files[0] and len(dossiers["rows"]) == len(files) - 1 == 1

    assert client.get("/api/v1/exports/cases").status_code == 401
    staff = client.get("/api/v1/exports/cases", headers=headers(client, "chef.soder")).get_json()
    assert staff["rows"] == []  # a case the caller may not see is in no export
    bad = client.get("/api/v1/exports/dossiers?from=2026-13-01&origin=x", headers=vu)
    assert bad.status_code == 422 and set(bad.get_json()["fields"]) == {"from", "origin"}


# ---------------------------------------------------------------- the document and the table

def test_every_twin_is_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path, method in [("/plan", "get"), ("/plan/areas", "post"),
                         ("/plan/areas/{area_id}", "patch"),
                         ("/plan/areas/{area_id}/actions", "post"),
                         ("/plan/actions/{action_id}", "patch"),
                         ("/plan/actions/{action_id}/cases", "post"),
                         ("/plan/actions/{action_id}/cases/{case_id}", "delete"),
                         ("/cases/{case_id}/comments", "get"),
                         ("/cases/{case_id}/comments", "post"),
                         ("/notifications", "get"),
                         ("/notifications/{notification_id}/read", "post"),
                         ("/notifications/read-all", "post"),
                         ("/notifications/settings", "put"), ("/cases/{case_id}/follow", "put"),
                         ("/portfolio", "get"), ("/exports/cases", "get"),
                         ("/exports/dossiers", "get"), ("/delegation/decisions", "get"),
                         ("/cases/{case_id}/follow-up", "get"),
                         ("/cases/{case_id}/follow-up/{benefit_number}/{months}", "put"),
                         ("/meetings/{meeting_id}/attendance", "put"),
                         ("/meetings/{meeting_id}/items/{item_id}/move", "post"),
                         ("/cases/{case_id}/memo", "get"), ("/cases/{case_id}/memo", "put"),
                         ("/admin/region/public-page", "put"),
                         ("/admin/departments/{department_id}/maturity", "post"),
                         ("/admin/departments/{department_id}/maturity/{assessment_id}",
                          "delete"),
                         ("/admin/departments/{department_id}/dimios", "post"),
                         ("/admin/departments/{department_id}/dimios/{round_id}", "delete"),
                         ("/similar", "get")]:
        assert method in paths.get(path, {}), (method, path)


def _table() -> dict[str, tuple[str, str]]:
    """docs/api.md's table: web endpoint → (API twin, reason), from its rows
    ``| `endpoint` | METHOD /path | twin | reason |``."""
    rows = {}
    for line in (ROOT / "docs" / "api.md").read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].startswith("`") and cells[0].endswith("`"):
            rows[cells[0].strip("`")] = (cells[2], cells[3])
    return rows


def test_every_post_route_of_the_web_is_in_the_table_with_its_twin_or_a_reason(app):
    table = _table()
    documented = set(app.test_client().get("/api/v1/openapi.json").get_json()["paths"])
    missing, unexplained, wrong = [], [], []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.rule.startswith("/api/"):
            continue
        if rule.endpoint not in table:
            missing.append(rule.endpoint)
            continue
        twin, reason = table[rule.endpoint]
        if twin in ("", "–") and len(reason) < 10:
            unexplained.append(rule.endpoint)
        for path in re.findall(r"`(?:GET|POST|PUT|PATCH|DELETE) (/[^`]+)`", twin):
            if path not in documented:
                wrong.append((rule.endpoint, path))
    assert missing == [] and unexplained == [] and wrong == []


# ---------------------------------------------------------------- the twins added last

def test_meeting_attendance_and_agenda_order_as_on_the_meeting_page(app, client):
    with app.app_context():
        first, second = case_in("council").id, case_in("council").id
        held = meeting()
        meeting_id, attendees = held.id, [a.user_id for a in held.attendees]
        items = [i.id for i in held.items]
    rad = headers(client, "rad")
    present = client.put(f"/api/v1/meetings/{meeting_id}/attendance", headers=rad,
                         json={"present": attendees[:1]})
    assert present.status_code == 200
    assert {a["user_id"]: a["present"] for a in present.get_json()["attendees"]} == {
        user_id: user_id == attendees[0] for user_id in attendees}
    with app.app_context():
        assert {a.user_id for a in meetings.get_meeting(user("rad"), meeting_id).attendees
                if a.present} == {attendees[0]}

    moved = client.post(f"/api/v1/meetings/{meeting_id}/items/{items[1]}/move", headers=rad,
                        json={"direction": "up"})
    assert moved.status_code == 200
    assert [i["case_id"] for i in moved.get_json()["items"]] == [second, first]
    page = login(app.test_client(), "rad").get(f"/meetings/{meeting_id}").get_data(as_text=True)
    assert page.index(f"/cases/{second}") < page.index(f"/cases/{first}")

    # The page's rules: 401, 404 for who may not see the meeting, 403 for who may not lead
    # it, 422 in Swedish or English, 409 once the minutes are adjusted.
    assert client.put(f"/api/v1/meetings/{meeting_id}/attendance",
                      json={"present": []}).status_code == 401
    assert client.post(f"/api/v1/meetings/{meeting_id}/items/{items[0]}/move",
                       json={"direction": "up"}).status_code == 401
    outsider = headers(client, "chef.soder")
    assert client.put(f"/api/v1/meetings/{meeting_id}/attendance", headers=outsider,
                      json={"present": []}).status_code == 404
    member = next(name for name in ("fchef", "vu", "ledning") if _sees(app, name, meeting_id))
    refused = client.put(f"/api/v1/meetings/{meeting_id}/attendance",
                         headers=headers(client, member), json={"present": []})
    assert refused.status_code == 403
    assert client.post(f"/api/v1/meetings/{meeting_id}/items/{items[0]}/move",
                       headers=headers(client, member),
                       json={"direction": "down"}).status_code == 403
    bad = client.put(f"/api/v1/meetings/{meeting_id}/attendance", headers=rad,
                     json={"present": [99999]})
    assert bad.status_code == 422 and bad.get_json()["fields"] == {
        "present": ["Välj bland mötets deltagare."]}
    english = client.put(f"/api/v1/meetings/{meeting_id}/attendance", headers={**rad, **EN},
                         json={"present": "alla"})
    assert english.get_json()["fields"]["present"] == ["Choose among the meeting's attendees."]
    sideways = client.post(f"/api/v1/meetings/{meeting_id}/items/{items[0]}/move", headers=rad,
                           json={"direction": "sideways"})
    assert sideways.status_code == 422 and "direction" in sideways.get_json()["fields"]
    assert client.post(f"/api/v1/meetings/{meeting_id}/items/99999/move", headers=rad,
                       json={"direction": "up"}).status_code == 404
    with app.app_context():
        meetings.adjust(user("rad"), meetings.get_meeting(user("rad"), meeting_id))
    assert client.put(f"/api/v1/meetings/{meeting_id}/attendance", headers=rad,
                      json={"present": []}).status_code == 409
    assert client.post(f"/api/v1/meetings/{meeting_id}/items/{items[0]}/move", headers=rad,
                       json={"direction": "down"}).status_code == 409


def _sees(app, username: str, meeting_id: int) -> bool:
    with app.app_context():
        found = user(username)
        return found is not None and meetings.can_view(
            found, meetings.get_meeting(user("rad"), meeting_id)) and not meetings.can_lead(
            found, meetings.get_meeting(user("rad"), meeting_id))


def test_the_memo_is_read_and_written_as_on_its_page(app, client):
    with app.app_context():
        case_id = case_in("management").id
    vu = headers(client, "vu")
    empty = client.get(f"/api/v1/cases/{case_id}/memo", headers=vu).get_json()
    assert empty["version"] == 0 and empty["editable"] is True
    assert [s["key"] for s in empty["sections"]] == list(memo.HEADINGS)
    saved = client.put(f"/api/v1/cases/{case_id}/memo", headers=vu, json={
        "version": 0, "proposal": "  Socialnämnden beslutar att införa digitala lås.  "})
    assert saved.status_code == 200 and saved.get_json()["version"] == 1
    assert saved.get_json()["texts"]["proposal"] == (
        "Socialnämnden beslutar att införa digitala lås.")
    read = client.get(f"/api/v1/cases/{case_id}/memo", headers=headers(client, "rad")).get_json()
    assert read["editable"] is False
    with app.test_request_context():
        document = memo.memo_document(db_case(case_id))
        assert read["sections"] == [
            {"key": s.key, "heading": s.heading, "text": s.text,
             "paragraphs": list(s.paragraphs),
             "rows": [{"label": r.label, "value": r.value} for r in s.rows]}
            for s in document.sections]
    page = login(app.test_client(), "rad").get(f"/cases/{case_id}/memo").get_data(as_text=True)
    assert "Socialnämnden beslutar att införa digitala lås." in page

    assert client.get(f"/api/v1/cases/{case_id}/memo").status_code == 401
    assert client.put(f"/api/v1/cases/{case_id}/memo", json={"version": 1}).status_code == 401
    assert client.put(f"/api/v1/cases/{case_id}/memo", headers=headers(client, "rad"),
                      json={"version": 1, "summary": "Nej."}).status_code == 403
    lars = headers(client, "lars")  # staff in another unit: the case is not there for him
    assert client.get(f"/api/v1/cases/{case_id}/memo", headers=lars).status_code == 404
    assert client.put(f"/api/v1/cases/{case_id}/memo", headers=lars,
                      json={"version": 1}).status_code == 404
    stale = client.put(f"/api/v1/cases/{case_id}/memo", headers=vu,
                       json={"version": 0, "summary": "Sent."})
    assert stale.status_code == 409
    too_long = client.put(f"/api/v1/cases/{case_id}/memo", headers=vu,
                          json={"version": 1, "summary": "x" * (memo.MAX_LENGTH + 1)})
    assert too_long.status_code == 422
    assert too_long.get_json()["fields"]["summary"][0].startswith(
        "Texten är 10\u00a0001 tecken lång")
    unknown = client.put(f"/api/v1/cases/{case_id}/memo", headers=vu,
                         json={"version": 1, "economy": "x"})
    assert unknown.status_code == 422 and unknown.get_json()["fields"] == {
        "economy": ["Okänt fält."]}
    with app.app_context():
        assert db_case(case_id).memo.summary in (None, "")


def test_the_public_page_switch(app, client):
    admin = headers(client, "admin")
    with app.app_context():
        region_id = user("admin").region_id
    shown = client.put("/api/v1/admin/region/public-page", headers=admin, json={"shown": True})
    assert shown.status_code == 200
    assert shown.get_json() == {"shown": True, "url": f"/public/{region_id}"}
    assert app.test_client().get(f"/public/{region_id}").status_code == 200
    region = client.get("/api/v1/admin/region", headers=admin).get_json()
    assert region["public_page"]["shown"] is True
    off = client.put("/api/v1/admin/region/public-page", headers=admin, json={"shown": False})
    assert off.get_json()["shown"] is False
    assert app.test_client().get(f"/public/{region_id}").status_code == 404

    assert client.put("/api/v1/admin/region/public-page",
                      json={"shown": True}).status_code == 401
    assert client.put("/api/v1/admin/region/public-page", headers=headers(client, "fchef"),
                      json={"shown": True}).status_code == 403
    bad = client.put("/api/v1/admin/region/public-page", headers=admin, json={"shown": "ja"})
    assert bad.status_code == 422 and bad.get_json()["fields"] == {
        "shown": ["Ange true eller false."]}


def test_maturity_assessments_and_dimios_rounds_as_on_the_department_page(app, client):
    with app.app_context():
        social = department().id
    admin = headers(client, "admin")
    base = f"/api/v1/admin/departments/{social}"
    added = client.post(f"{base}/maturity", headers=admin, json={
        "level": 3, "assessed_on": "2026-01-15", "source": "KPMG:s granskning"})
    assert added.status_code == 201 and added.get_json()["level"] == 3
    assessment_id = added.get_json()["id"]
    rounds = client.post(f"{base}/dimios", headers=admin, json={
        "measured_on": "2026-02-01", "score": 3.25, "respondents": 41})
    assert rounds.status_code == 201 and rounds.get_json()["score"] == 3.25
    round_id = rounds.get_json()["id"]
    with app.app_context():
        place = department()
        assert [a.id for a in organisation.maturity_assessments(place)] == [
            a["id"] for a in client.get(f"{base}/maturity", headers=admin).get_json()["items"]]
        assert [r.id for r in organisation.dimios_rounds(place)] == [
            r["id"] for r in client.get(f"{base}/dimios", headers=admin).get_json()["items"]]
    page = login(app.test_client(), "admin").get(f"/admin/organisation/departments/{social}")
    assert "KPMG:s granskning" in page.get_data(as_text=True)

    assert client.post(f"{base}/maturity", json={"level": 2}).status_code == 401
    assert client.get(f"{base}/dimios").status_code == 401
    assert client.post(f"{base}/dimios", headers=headers(client, "fchef"), json={
        "measured_on": "2026-02-01", "score": 3, "respondents": 4}).status_code == 403
    assert client.delete(f"{base}/maturity/{assessment_id}",
                         headers=headers(client, "vu")).status_code == 403
    assert client.post("/api/v1/admin/departments/99999/maturity", headers=admin, json={
        "level": 3, "assessed_on": "2026-01-15", "source": "X"}).status_code == 404
    assert client.delete(f"{base}/dimios/99999", headers=admin).status_code == 404
    bad = client.post(f"{base}/maturity", headers=admin,
                      json={"level": 9, "assessed_on": "2999-01-01", "source": ""})
    assert bad.status_code == 422
    assert set(bad.get_json()["fields"]) == {"level", "assessed_on", "source"}
    assert bad.get_json()["fields"]["source"] == ["Ange källan till bedömningen."]
    score = client.post(f"{base}/dimios", headers=admin,
                        json={"measured_on": "2026-02-01", "score": 3.456, "respondents": 0})
    assert score.status_code == 422 and set(score.get_json()["fields"]) == {
        "score", "respondents"}

    gone = client.delete(f"{base}/maturity/{assessment_id}", headers=admin)
    assert gone.status_code == 200  # the answer: those left (the demo's own)
    assert assessment_id not in [a["id"] for a in gone.get_json()["items"]]
    gone = client.delete(f"{base}/dimios/{round_id}", headers=admin)
    assert gone.status_code == 200
    assert round_id not in [r["id"] for r in gone.get_json()["items"]]
    assert client.delete(f"{base}/dimios/{round_id}", headers=admin).status_code == 404


def test_duplicate_hints_are_the_pages(app, client):
    title = "Nyckelfri hemtjänst med digitala lås"
    need = "Nycklar i nyckelskåpet tar tid att hämta varje morgon."
    with app.app_context():
        case_id = case_in("submitted", title=title, need=need).id
    own = headers(client, "medarbetare")
    answer = client.get("/api/v1/similar", headers=own,
                        query_string={"title": title, "need": need}).get_json()
    assert answer["searched"] is True and answer["items"][0]["id"] == case_id
    assert answer["items"][0]["need"] == need
    with app.test_request_context():
        assert [h["id"] for h in answer["items"]] == [
            h.id for h in similar.similar_cases(user("medarbetare"), title, need)]
    page = login(app.test_client(), "medarbetare").get(
        "/ideas/similar", query_string={"title": title, "need": need}).get_data(as_text=True)
    assert f'href="/cases/{case_id}"' in page
    # Anyone logged in gets the region's hints (no 403 or 404, as on the page); a case the
    # caller may not open comes without its need.
    hidden = client.get("/api/v1/similar", headers=headers(client, "lars"),
                        query_string={"title": title}).get_json()["items"]
    assert hidden[0]["id"] == case_id and hidden[0]["need"] is None
    assert hidden[0]["visible"] is False
    assert client.get("/api/v1/similar", headers=own).get_json() == {"items": [],
                                                                     "searched": False}

    assert client.get("/api/v1/similar?title=x").status_code == 401
    long = client.get("/api/v1/similar", headers=own, query_string={"title": "x" * 500})
    assert long.status_code == 422 and long.get_json()["fields"] == {
        "title": ["Texten är för lång."]}
