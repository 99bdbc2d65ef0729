"""The JSON API contract: tokens, cases, events, errors (401/403/404/409/422), OpenAPI."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import BENEFIT, CLASSIFICATION, IDEA, PROCUREMENT, PROPOSAL, api_headers


@pytest.fixture
def api(app):
    client = app.test_client()

    client.token = lambda username: api_headers(client, username)
    return client


@pytest.fixture
def chef_headers(api, unit_id):
    """The chef's token, with case 1 drafted by the chef so every endpoint reaches the service."""
    headers = api.token("chef")
    assert api.post("/api/v1/cases", headers=headers,
                    json={**IDEA, "unit_id": unit_id}).get_json()["id"] == 1
    return headers


@pytest.fixture
def unit_id(api):
    units = api.get("/api/v1/units", headers=api.token("medarbetare")).get_json()["items"]
    return next(u["id"] for u in units if u["name"] == "Hemtjänst Visby norr")


def fire(api, headers, case_id, event, **fields):
    return api.post(f"/api/v1/cases/{case_id}/events", headers=headers,
                    json={"event": event, **fields})


def test_token_errors(api):
    assert api.post("/api/v1/tokens", json={"username": "vu", "password": "fel"}).status_code == 401
    response = api.post("/api/v1/tokens", json={"username": "vu"})
    assert response.status_code == 422 and "password" in response.get_json()["fields"]
    assert api.post("/api/v1/tokens", data="inte json").status_code == 422
    assert api.get("/api/v1/me").status_code == 401
    response = api.get("/api/v1/me", headers={"Authorization": "Bearer nonsens"})
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")


def test_revoked_token_stops_working(api):
    headers = api.token("vu")
    assert api.get("/api/v1/me", headers=headers).status_code == 200
    assert api.delete("/api/v1/tokens/current", headers=headers).status_code == 204
    assert api.get("/api/v1/me", headers=headers).status_code == 401


def test_me_and_units(api):
    me = api.get("/api/v1/me", headers=api.token("chef")).get_json()
    assert me["username"] == "chef"
    assert {r["role"] for r in me["roles"]} == {"manager", "staff"}
    units = api.get("/api/v1/units", headers=api.token("chef")).get_json()["items"]
    assert len(units) == 17
    assert {"Socialförvaltningen", "Tekniska förvaltningen"} <= {u["department"]["name"] for u in units}


def test_full_chain_over_the_api(api, unit_id):
    staff, chef, vu = api.token("medarbetare"), api.token("chef"), api.token("vu")
    rad, fchef = api.token("rad"), api.token("fchef")
    response = api.post("/api/v1/cases", headers=staff, json={**IDEA, "unit_id": unit_id})
    assert response.status_code == 201
    case = response.get_json()
    assert case["state"] == "draft" and case["author"]["display_name"] == "Anna Lindqvist"
    assert case["definition_version"] == 2  # new cases start on standard-v2
    assert [e["event"] for e in case["available_events"]] == ["submit", "submit_direct", "withdraw"]
    cid = case["id"]
    for headers, event, fields in [(staff, "submit", {}), (chef, "take_up", {}),
                                   (chef, "forward", {"note": "Från APT"})]:
        assert fire(api, headers, cid, event, **fields).status_code == 200
    assert api.patch(f"/api/v1/cases/{cid}", headers=vu, json=PROPOSAL).status_code == 200
    for headers, event, fields in [(vu, "to_council", {}), (rad, "prioritise", {"priority": "low"})]:
        assert fire(api, headers, cid, event, **fields).status_code == 200
    blocked = fire(api, fchef, cid, "approve")
    assert blocked.status_code == 409
    assert blocked.get_json()["reasons"] == ["Nyttokalkyl saknas.", "Upphandlingskontroll saknas.",
                                             "Informationsklassning saknas."]
    for section, document in [("benefit", BENEFIT), ("procurement", PROCUREMENT),
                              ("classification", CLASSIFICATION)]:
        response = api.put(f"/api/v1/cases/{cid}/dossier/{section}", headers=vu, json=document)
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["passed"] is True
    summary = api.get(f"/api/v1/cases/{cid}/dossier", headers=fchef).get_json()
    assert summary["complete"] is True and summary["total_cost_sek"] == 285_000
    for headers, event, fields in [(fchef, "approve", {"comment": "Beslutat"})]:
        response = fire(api, headers, cid, event, **fields)
        assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["state"] == "approved" and body["state_label"] == "Beslutad"
    assert [h["event"] for h in body["history"]] == [
        "create", "submit", "take_up", "forward", "edit", "to_council", "prioritise",
        "dossier_benefit", "dossier_procurement", "dossier_classification", "approve"]
    assert body["history"][-1]["actor"] == "Karin Gustafsson"
    assert body["history"][-1]["comment"] == "Beslutat"
    assert body["cost_estimate_sek"] == 240_000
    assert body["direction"] == {"focus": "efficiency", "reach": "internal"}


def test_event_errors_403_409_422(api, unit_id):
    staff, chef = api.token("medarbetare"), api.token("chef")
    cid = api.post("/api/v1/cases", headers=staff, json={**IDEA, "unit_id": unit_id}).get_json()["id"]
    response = fire(api, chef, cid, "submit")
    assert response.status_code == 404  # a draft is the author's alone
    fire(api, staff, cid, "submit")
    assert fire(api, staff, cid, "take_up").status_code == 403
    response = fire(api, chef, cid, "approve")
    assert response.status_code == 409
    assert response.get_json()["reasons"] == [
        "Besluta (inom delegation) är inte möjligt när ärendet är i läget Inlämnad."]
    fire(api, chef, cid, "take_up")
    response = fire(api, chef, cid, "forward")
    assert response.status_code == 409
    assert response.get_json()["reasons"] == ["Skriv en anteckning från APT innan idén förs vidare."]
    response = fire(api, chef, cid, "forward", note=12)
    assert response.status_code == 422 and "note" in response.get_json()["fields"]
    response = fire(api, chef, cid, "forward", note="ok", colour="blå")
    assert response.status_code == 422 and "colour" in response.get_json()["fields"]
    assert fire(api, chef, cid, "fly").status_code == 422
    response = fire(api, chef, cid, "forward", note="ok", version=1)
    assert response.status_code == 409  # stale version: someone changed the case since
    assert fire(api, chef, cid, "forward", note="ok").status_code == 200


def test_errors_answer_in_english_on_request(api, unit_id):
    headers = {**api.token("medarbetare"), "Accept-Language": "en"}
    response = api.post("/api/v1/cases", headers=headers, json={"unit_id": unit_id})
    assert response.status_code == 422
    assert response.get_json()["fields"]["title"] == ["Give the idea a title."]


@pytest.mark.parametrize("body, field", [
    ({"title": "", "unit_id": 1}, "title"), ({"title": "x" * 201, "unit_id": 1}, "title"),
    ({"title": 5, "unit_id": 1}, "title"), ({"title": "T"}, "unit_id"),
    ({"title": "T", "unit_id": 99999}, "unit_id"), ({"title": "T", "unit_id": "abc"}, "unit_id"),
    ({"title": "T", "unit_id": 1, "cost_estimate_sek": -1}, "cost_estimate_sek"),
    ({"title": "T", "unit_id": 1, "cost_estimate_sek": 1.5}, "cost_estimate_sek"),
    ({"title": "T", "unit_id": 1, "cost_estimate_sek": "100"}, "cost_estimate_sek"),
    ({"title": "T", "unit_id": 1, "cost_estimate_sek": 10**13}, "cost_estimate_sek"),
    ({"title": "T", "unit_id": 1, "direction": {"focus": "speed", "reach": "internal"}}, "direction"),
    ({"title": "T", "unit_id": 1, "direction": {"focus": [1.5], "reach": "internal"}}, "direction"),
    ({"title": "T", "unit_id": 1, "origin": "political"}, "origin"),
    ({"title": "T", "unit_id": 1, "anonymous": "yes"}, "anonymous"),
    ({"title": "T", "unit_id": 1, "author_id": 3}, "author_id"),
])
def test_create_validation_422(api, body, field):
    response = api.post("/api/v1/cases", headers=api.token("medarbetare"), json=body)
    assert response.status_code == 422
    assert field in response.get_json()["fields"]


def test_patch_rules(api, unit_id):
    staff, vu = api.token("medarbetare"), api.token("vu")
    cid = api.post("/api/v1/cases", headers=staff, json={**IDEA, "unit_id": unit_id}).get_json()["id"]
    response = api.patch(f"/api/v1/cases/{cid}", headers=staff, json={"title": "Ny rubrik"})
    assert response.status_code == 200 and response.get_json()["title"] == "Ny rubrik"
    assert api.patch(f"/api/v1/cases/{cid}", headers=staff, json={"state": "approved"}).status_code == 422
    assert api.patch(f"/api/v1/cases/{cid}", headers=vu, json={"title": "X"}).status_code == 404
    fire(api, staff, cid, "submit")
    assert api.patch(f"/api/v1/cases/{cid}", headers=vu, json={"title": "X"}).status_code == 403
    response = api.patch(f"/api/v1/cases/{cid}", headers={**staff, "If-Match": '"1"'},
                         json={"title": "Sent"})
    assert response.status_code == 409


def test_list_filters_and_pages(api, unit_id, app):
    app.config["PAGE_SIZE"] = 2
    staff = api.token("medarbetare")
    ids = [api.post("/api/v1/cases", headers=staff, json={**IDEA, "unit_id": unit_id}).get_json()["id"]
           for _ in range(3)]
    fire(api, staff, ids[0], "submit")
    listing = api.get("/api/v1/cases?page=2", headers=staff).get_json()
    assert (listing["total"], listing["page"], len(listing["items"])) == (3, 2, 1)
    submitted = api.get("/api/v1/cases?state=submitted", headers=staff).get_json()
    assert [c["id"] for c in submitted["items"]] == [ids[0]]
    assert api.get("/api/v1/cases?state=nope", headers=staff).status_code == 422
    assert api.get("/api/v1/cases?page=-1", headers=staff).status_code == 422
    assert api.get("/api/v1/cases?page=0", headers=staff).status_code == 422
    for odd in ("²", "١", "2²"):  # "²".isdigit() is true, int("²") fails
        assert api.get(f"/api/v1/cases?page={odd}", headers=staff).status_code == 422
        assert api.get(f"/api/v1/cases?unit_id={odd}", headers=staff).status_code == 422
    rad = api.get("/api/v1/cases", headers=api.token("rad")).get_json()
    assert [c["id"] for c in rad["items"]] == [ids[0]]  # drafts stay with their author


def test_available_events_describe_their_fields(api, unit_id):
    staff, chef = api.token("medarbetare"), api.token("chef")
    cid = api.post("/api/v1/cases", headers=staff, json={**IDEA, "unit_id": unit_id}).get_json()["id"]
    fire(api, staff, cid, "submit")
    fire(api, chef, cid, "take_up")
    events = {e["event"]: e for e in api.get(f"/api/v1/cases/{cid}", headers=chef).get_json()["available_events"]}
    assert set(events) == {"forward", "resolve_locally", "reject", "merge"}
    assert events["forward"]["fields"] == [{"name": "note", "label": "Anteckning från APT",
                                             "type": "text", "required": True}]
    assert events["merge"]["fields"][0]["type"] == "case"


def test_openapi_document(api):
    document = api.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    assert {"/tokens", "/me", "/units", "/cases", "/cases/{case_id}",
            "/cases/{case_id}/events"} <= set(document["paths"])
    assert "approve" in document["components"]["schemas"]["EventRequest"]["properties"]["event"]["enum"]


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                           lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.dictionaries(st.sampled_from(["title", "need", "unit_id", "event", "note",
                                             "cost_estimate_sek", "direction", "anonymous",
                                             "version", "priority", "target_case"]),
                            json_values, max_size=5) | json_values)
def test_no_input_yields_a_server_error(api, chef_headers, body):
    for method, path in [("post", "/api/v1/cases"), ("post", "/api/v1/cases/1/events"),
                         ("patch", "/api/v1/cases/1")]:
        response = getattr(api, method)(path, headers=chef_headers, json=body)
        assert response.status_code < 500, (path, body, response.get_json())


def test_hostile_input_is_a_swedish_4xx_and_changes_nothing(app, api, chef_headers, unit_id):
    """Deep nesting, lone surrogates, NUL and other control characters, pages and versions
    beyond any integer column: each a 4xx with a Swedish message, nothing written (issue 12)."""
    from workflow.models import Case
    from workflow.platform.extensions import db
    deep = "[" * 100_000 + "]" * 100_000
    nested = {"title": "x"}
    for _ in range(40):
        nested = {"a": nested}
    bodies = [deep, '{"title": ' + deep + "}", nested,
              '{"title": "Nyckel\\ud800", "need": "x", "unit_id": %d}' % unit_id,
              '{"title": "Nyckel\\u0000sk\\u00e5p", "need": "x", "unit_id": %d}' % unit_id,
              {**IDEA, "need": "rad\x07", "unit_id": unit_id}]
    for body in bodies:
        for method, path in [("post", "/api/v1/cases"), ("patch", "/api/v1/cases/1"),
                             ("post", "/api/v1/cases/1/events")]:
            kwargs = {"json": body} if isinstance(body, dict) else {
                "data": body, "content_type": "application/json"}
            response = getattr(api, method)(path, headers=chef_headers, **kwargs)
            assert response.status_code in (400, 422), (path, response.status_code)
            assert response.get_json()["error"].startswith("Uppgifterna innehåller fel"), body
    huge = "9" * 5000
    response = api.patch("/api/v1/cases/1", headers={**chef_headers, "If-Match": f'"{huge}"'},
                         json={"title": "Ny rubrik"})
    assert response.status_code == 422 and "version" in response.get_json()["fields"]
    for page in ("99999999999999999999999", "18446744073709551617"):
        assert api.get(f"/api/v1/cases?page={page}", headers=chef_headers).status_code == 422
    client = app.test_client()
    client.post("/login", data={"username": "chef", "password": "demo"})
    assert client.get("/cases?page=18446744073709551617").status_code == 422
    with app.app_context():
        assert [(c.id, c.title, c.version) for c in db.session.query(Case)] == [
            (1, IDEA["title"], 1)]


def test_database_errors_do_not_carry_parameters_into_the_text_log(app):
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from workflow.platform.extensions import db
    with app.app_context():
        assert app.config["LOG_FORMAT"] == "text"
        with pytest.raises(DBAPIError) as info:
            db.session.execute(text("SELECT * FROM no_such_table WHERE need = :need"),
                               {"need": "Brukaren på Solgatan 3 behöver"})
        db.session.rollback()
        assert "Solgatan" not in str(info.value)
