"""The web pages: login, CSRF, Ny idé, Mina idéer, Att göra, the case page and its actions."""
from __future__ import annotations

import re

import pytest

from helpers import IDEA, case_in, login, unit


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def norr(app):
    with app.app_context():
        return unit().id


def test_pages_require_login(client):
    for path in ("/", "/ideas/new", "/ideas/mine", "/todo", "/cases", "/cases/1"):
        response = client.get(path)
        assert response.status_code == 302 and response.location.startswith("/login")


def test_wrong_password_is_refused(client):
    response = client.post("/login", data={"username": "chef", "password": "fel"})
    assert response.status_code == 401 and "Fel användarnamn eller lösenord" in text(response)


def test_passwords_are_stored_hashed(app):
    from helpers import user
    with app.app_context():
        stored = user("chef").password_hash
        assert "demo" not in stored and stored.startswith("$argon2id$v=19$m=12288,t=3,p=1$")


def test_login_redirects_only_within_the_site(client):
    response = client.post("/login?next=https://evil.example/", data={"username": "chef",
                                                                     "password": "demo"})
    assert response.location == "/"


def test_new_idea_submitted_and_listed_with_plain_status(client, norr):
    login(client, "medarbetare")
    response = client.post("/ideas/new", data={**IDEA, "unit_id": norr, "submit": "1"})
    assert response.status_code == 302
    page = text(client.get(response.location))
    assert "Idén är inskickad." in page and "Inlämnad" in page
    mine = text(client.get("/ideas/mine"))
    assert IDEA["title"] in mine
    assert "väntar på att din chef tar upp den på APT" in mine


def test_draft_is_saved_even_when_incomplete(client, norr):
    login(client, "medarbetare")
    response = client.post("/ideas/new", data={"title": "Bara en rubrik", "unit_id": norr,
                                               "save_draft": "1"})
    assert response.status_code == 302
    assert "Utkast" in text(client.get(response.location))


def test_incomplete_submission_shows_every_reason_and_keeps_the_input(client, norr):
    login(client, "medarbetare")
    response = client.post("/ideas/new", data={"title": "Rubrik kvar", "unit_id": norr,
                                               "submit": "1"})
    assert response.status_code == 409
    page = text(response)
    assert "Beskriv behovet som idén ska lösa." in page and 'value="Rubrik kvar"' in page
    assert "Idéer du har lämnat" not in text(client.get("/ideas/mine"))


def test_missing_title_is_marked_at_the_field(client, norr):
    login(client, "medarbetare")
    response = client.post("/ideas/new", data={"title": "", "unit_id": norr, "submit": "1"})
    assert response.status_code == 422
    assert re.search(r'id="title"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="title"', text(response))


def test_att_gora_and_actions_for_the_manager(app, client, norr):
    with app.app_context():
        case_id = case_in("submitted").id
    login(client, "chef")
    assert "Digital nyckelhantering" in text(client.get("/todo"))
    page = text(client.get(f"/cases/{case_id}"))
    assert "Ta upp på APT" in page and "Vad vill du göra?" in page
    assert client.post(f"/cases/{case_id}/events/take_up", data={}).status_code == 302
    response = client.post(f"/cases/{case_id}/events/forward", data={"forward-note": ""})
    assert response.status_code == 409
    assert "Skriv en anteckning från APT innan idén förs vidare." in text(response)
    response = client.post(f"/cases/{case_id}/events/forward",
                           data={"forward-note": "Bra idé, stöd i gruppen."})
    assert response.status_code == 302
    page = text(client.get(f"/cases/{case_id}"))
    assert "Under beredning" in page and "Bra idé, stöd i gruppen." in page


def test_event_the_user_may_not_fire_is_forbidden(app, client):
    with app.app_context():
        case_id = case_in("submitted").id
    login(client, "medarbetare")
    assert client.post(f"/cases/{case_id}/events/take_up", data={}).status_code == 403
    assert client.post(f"/cases/{case_id}/events/no_such_event", data={}).status_code == 404


def test_stale_page_action_explains_the_state_changed(app, client):
    with app.app_context():
        case_id = case_in("apt").id
    login(client, "chef")
    client.post(f"/cases/{case_id}/events/resolve_locally", data={"resolve_locally-resolution": "Löst"})
    response = client.post(f"/cases/{case_id}/events/forward", data={"forward-note": "Sent"})
    assert response.status_code == 409
    assert "är inte möjligt när ärendet är i läget Löst i verksamheten" in text(response)


def test_malformed_event_field_is_422(app, client):
    with app.app_context():
        case_id = case_in("implementation").id
    login(client, "vu")
    response = client.post(f"/cases/{case_id}/events/go_live",
                           data={"go_live-go_live_date": "igår"})
    assert response.status_code == 422


def test_case_outside_ones_scope_is_not_found(app, client):
    with app.app_context():
        case_id = case_in("submitted").id
    login(client, "chef.soder")
    assert client.get(f"/cases/{case_id}").status_code == 404
    assert client.post(f"/cases/{case_id}/events/take_up", data={}).status_code == 404


def test_stale_edit_is_refused_and_nothing_lost(app, client):
    with app.app_context():
        case = case_in("refinement")
        case_id, version = case.id, case.version
    login(client, "vu")
    ok = client.post(f"/cases/{case_id}/edit", data={"title": "Ny", "version": version,
                                                      "cost_estimate_sek": "1000"})
    assert ok.status_code == 302
    stale = client.post(f"/cases/{case_id}/edit", data={"title": "Annan", "version": version})
    assert stale.status_code == 409 and "ändrats av någon annan" in text(stale)
    assert "<h1>Ny</h1>" in text(client.get(f"/cases/{case_id}"))


def test_output_is_escaped(client, norr):
    login(client, "medarbetare")
    response = client.post("/ideas/new", data={**IDEA, "title": "<script>alert(1)</script>",
                                               "unit_id": norr, "save_draft": "1"})
    page = text(client.get(response.location))
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_comment_on_a_case(app, client):
    with app.app_context():
        case_id = case_in("submitted").id
    login(client, "chef")
    assert client.post(f"/cases/{case_id}/comments", data={"body": ""}).status_code == 422
    client.post(f"/cases/{case_id}/comments", data={"body": "Tar upp den på APT i maj."})
    assert "Tar upp den på APT i maj." in text(client.get(f"/cases/{case_id}"))


def test_language_switch_to_english(client):
    login(client, "medarbetare")
    client.post("/language", data={"lang": "en", "next": "/ideas/new"})
    page = text(client.get("/ideas/new"))
    assert '<html lang="en">' in page and "New idea" in page
    client.post("/language", data={"lang": "sv"})
    assert "Ny idé" in text(client.get("/ideas/new"))


def test_case_page_draws_the_process_with_the_current_state(app, client):
    with app.app_context():
        case_id = case_in("council").id
    login(client, "rad")
    page = text(client.get(f"/cases/{case_id}"))
    assert 'role="img"' in page and "<desc" in page
    current = re.search(r'<g class="node current">.*?</g>', page, re.S).group(0)
    assert "digitaliseringsrådet" in current


def test_security_headers(client):
    response = client.get("/login")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.fixture
def csrf_client(make_app):
    from workflow.ops.seeding import seed_demo
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        seed_demo(with_cases=False)
        unit_id = unit().id
    client = app.test_client()
    client.unit_id = unit_id
    return client


def csrf_token(client, path):
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', text(client.get(path))).group(1)


def test_csrf_is_enforced_on_every_form(csrf_client):
    client = csrf_client
    assert client.post("/login", data={"username": "medarbetare", "password": "demo"}).status_code == 400
    token = csrf_token(client, "/login")
    assert client.post("/login", data={"username": "medarbetare", "password": "demo",
                                       "csrf_token": token}).status_code == 302
    idea = {**IDEA, "unit_id": client.unit_id, "submit": "1"}
    assert client.post("/ideas/new", data=idea).status_code == 400
    assert client.post("/ideas/new", data={**idea, "csrf_token": "forged"}).status_code == 400
    token = csrf_token(client, "/ideas/new")
    response = client.post("/ideas/new", data={**idea, "csrf_token": token})
    assert response.status_code == 302
    case_path = response.location
    for path in (f"{case_path}/comments", f"{case_path}/events/withdraw", f"{case_path}/edit",
                 "/logout", "/language"):
        assert client.post(path, data={"body": "x", "lang": "en"}).status_code == 400, path
    assert "Inlämnad" in text(client.get(case_path))
