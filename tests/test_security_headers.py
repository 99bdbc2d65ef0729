"""Security headers on every kind of answer (page, API, error page), HSTS only over TLS, and
no template with inline code that the Content-Security-Policy would block."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from helpers import IDEA, api_token, unit
from workflow.platform.settings import PROJECT_ROOT

ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = "max-age=31536000; includeSubDomains"
# Rendered only for WeasyPrint (PDF) or email, never served to a browser as a page.
NOT_SERVED_AS_PAGES = {"print_base.html", "memo_print.html"}
INLINE_CODE = [
    (re.compile(r"<script(?![^>]*\bsrc=)", re.IGNORECASE), "inline <script>"),
    (re.compile(r"<style\b", re.IGNORECASE), "<style> element"),
    (re.compile(r"\sstyle\s*=", re.IGNORECASE), "style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.IGNORECASE), "event handler attribute"),
    (re.compile(r"javascript:", re.IGNORECASE), "javascript: URL"),
]


def assert_security_headers(response) -> None:
    for name, value in ALWAYS.items():
        assert response.headers.get(name) == value, (name, response.request.path)
    policy = response.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    permissions = response.headers["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in permissions


@pytest.fixture
def token(client) -> str:
    return api_token(client, "vu")


def test_a_page(client):
    response = client.get("/login")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert_security_headers(response)


def test_a_page_after_login_is_not_cached(client):
    assert client.post("/login", data={"username": "vu", "password": "demo"}).status_code == 302
    response = client.get("/cases")
    assert response.status_code == 200
    assert_security_headers(response)
    assert response.headers["Cache-Control"] == "no-store"


def test_answers_with_personal_data_or_a_status_link_are_not_stored(app, client, token):
    """The API with a token, the anonymous confirmation (which shows the status link once) and
    the status page say ``Cache-Control: no-store``, and the status page sends no Referer on;
    a logged-in user's static files keep their caching. (Failed before: the API answers and
    the status page said nothing, and static files were no-store after login.)"""
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.headers["Cache-Control"] == "no-store"

    assert client.post("/login", data={"username": "vu", "password": "demo"}).status_code == 302
    with app.app_context():
        unit_id = unit().id
    sent = client.post("/ideas/new", data={**IDEA, "unit_id": unit_id, "anonymous": "y",
                                           "anonymous_place": f"unit:{unit_id}", "submit": "1"})
    assert sent.status_code < 400 and sent.headers["Cache-Control"] == "no-store"
    static = client.get("/static/style.css")
    assert static.status_code == 200 and "no-store" not in static.headers.get("Cache-Control", "")

    token_path = re.search(r"/status/[A-Za-z0-9_-]+", sent.get_data(as_text=True)).group(0)
    stranger = app.test_client()
    for path in (token_path, "/status/finns-inte"):
        page = stranger.get(path)
        assert page.headers["Cache-Control"] == "no-store", path
        assert page.headers["Referrer-Policy"] == "no-referrer", path
    assert stranger.get(token_path).status_code == 200


def test_the_api(client, token):
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.is_json
    assert_security_headers(response)


def test_an_api_error(client):
    response = client.get("/api/v1/me")
    assert response.status_code == 401 and response.is_json
    assert_security_headers(response)


def test_an_error_page(client):
    response = client.get("/finns-inte")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert_security_headers(response)


def test_a_server_error_page(make_app):
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    def broken():
        raise RuntimeError("an unexpected failure")

    app.add_url_rule("/test-server-error", "test_server_error", broken)
    response = app.test_client().get("/test-server-error")
    assert response.status_code == 500
    assert_security_headers(response)


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    secure = client.get("/login", base_url="https://idefl.example.se")
    assert secure.headers["Strict-Transport-Security"] == HSTS
    api = client.get("/api/v1/me", base_url="https://idefl.example.se")
    assert api.status_code == 401 and api.headers["Strict-Transport-Security"] == HSTS


def test_hsts_behind_a_trusted_proxy_only(make_app):
    forwarded = {"X-Forwarded-Proto": "https"}
    untrusting = make_app().test_client()
    assert "Strict-Transport-Security" not in untrusting.get("/login", headers=forwarded).headers
    behind_proxy = make_app(TRUSTED_PROXIES=1).test_client()
    response = behind_proxy.get("/login", headers=forwarded)
    assert response.headers["Strict-Transport-Security"] == HSTS
    assert "Strict-Transport-Security" not in behind_proxy.get("/login").headers


def served_templates() -> list[Path]:
    root = PROJECT_ROOT / "templates"
    return [path for path in sorted(root.rglob("*.html"))
            if "email" not in path.relative_to(root).parts and path.name not in NOT_SERVED_AS_PAGES]


def test_templates_have_no_inline_code_the_policy_would_block():
    templates = served_templates()
    assert len(templates) > 20
    found = [f"{path.relative_to(PROJECT_ROOT)}:{text[:match.start()].count(chr(10)) + 1}: {what}"
             for path in templates for text in [path.read_text(encoding="utf-8")]
             for pattern, what in INLINE_CODE for match in pattern.finditer(text)]
    assert found == []


def test_the_check_would_see_inline_code():
    samples = ['<p style="color:red">', '<button onclick="x()">', "<script>alert(1)</script>",
               "<style>p{}</style>", '<a href="javascript:void(0)">']
    for sample in samples:
        assert any(p.search(sample) for p, _ in INLINE_CODE), sample
    assert not any(p.search('<script src="/static/app.js"></script>') for p, _ in INLINE_CODE)
