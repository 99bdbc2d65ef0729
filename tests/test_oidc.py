"""Single sign-on against a real OpenID Connect provider started by the test (oidc_provider.py).

The browser's part is played by hand: the app's test client starts the login, ``requests``
visits the provider (which consents at once), and the test client follows the provider's
redirect back to the callback.
"""
from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from oidc_provider import OidcProvider, generate_signing_key
from sqlalchemy import select

from workflow.models import User
from workflow.ops.seeding import seed_demo
from workflow.people import sso
from workflow.platform.extensions import db

ANNA = {"sub": "entra-0001", "email": "anna.lindqvist@example.se", "email_verified": True,
        "name": "Anna Lindqvist", "preferred_username": "medarbetare", "oid": "oid-0001"}
WHO = '<span class="who">Anna Lindqvist</span>'


@pytest.fixture(scope="module")
def signing_key():
    return generate_signing_key()


@pytest.fixture(scope="module")
def other_key():
    """A key the provider does not publish: what a forger would sign with."""
    return generate_signing_key()


@pytest.fixture
def warnings(caplog, monkeypatch):
    """What workflow.people.sso logs. (Alembic's fileConfig in the migration fixtures disables
    loggers that already exist, this one among them.)"""
    monkeypatch.setattr(sso.log, "disabled", False)
    caplog.set_level(logging.DEBUG)
    return caplog


@pytest.fixture
def provider(signing_key):
    with OidcProvider(signing_key) as running:
        running.person = dict(ANNA)
        yield running


@pytest.fixture
def sso_app(make_app, provider):
    """The demo organisation, with SSO pointing at the test provider."""
    def build(**settings):
        app = make_app(**provider.app_settings(**settings))
        with app.app_context():
            if db.session.scalar(select(User).limit(1)) is None:
                seed_demo(with_cases=False)
        return app
    return build


def sso_login(client, provider, start="/login/sso", tamper_state=False):
    """Start at the app, pass the provider, and land on the app's callback."""
    started = client.get(start)
    assert started.status_code == 302
    assert started.location.startswith(f"{provider.issuer}/authorize?")
    at_provider = requests.get(started.location, allow_redirects=False, timeout=10)
    assert at_provider.status_code == 302
    back = urlsplit(at_provider.headers["Location"])
    assert back.path == "/login/sso/callback"
    query = parse_qs(back.query)
    if tamper_state:
        query["state"] = ["someone-elses-state"]
    return client.get(f"{back.path}?{urlencode(query, doseq=True)}")


def anna(app) -> User:
    with app.app_context():
        return db.session.scalar(select(User).where(User.username == "medarbetare"))


def update_anna(app, **values) -> None:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "medarbetare"))
        for name, value in values.items():
            setattr(user, name, value)
        db.session.commit()


def assert_logged_out(client) -> None:
    response = client.get("/ideas/mine")
    assert response.status_code == 302 and response.location.startswith("/login")


def test_login_with_the_organisations_account(sso_app, provider, warnings):
    app = sso_app()
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    assert "Logga in med organisationens konto" in page and 'href="/login/sso"' in page
    assert 'name="password"' in page  # passwords still work beside SSO by default

    response = sso_login(client, provider)

    assert response.status_code == 302 and response.location == "/"
    mine = client.get("/ideas/mine")
    assert mine.status_code == 200 and WHO in mine.get_data(as_text=True)
    assert anna(app).external_subject == f"{provider.issuer} entra-0001"
    assert provider.token_requests == 1
    assert "linked user" in warnings.text
    assert not any(secret in warnings.text for secret in provider.issued)


def test_session_cookie_is_fresh_httponly_lax_and_expires(sso_app, provider):
    client = sso_app(SESSION_COOKIE_SECURE=True).test_client()
    started = client.get("/login/sso")
    before = started.headers["Set-Cookie"]
    response = sso_login(client, provider)
    cookie = response.headers["Set-Cookie"]
    assert cookie != before
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    assert "Expires=" in cookie


def test_next_page_is_kept_through_the_provider(sso_app, provider):
    client = sso_app().test_client()
    response = sso_login(client, provider, start="/login/sso?next=/ideas/mine")
    assert response.location == "/ideas/mine"


def test_unknown_person_is_refused_and_not_created(sso_app, provider, warnings):
    app = sso_app()
    provider.person = {**ANNA, "sub": "entra-0999", "email": "okand.person@example.se"}
    client = app.test_client()
    response = sso_login(client, provider)
    assert response.status_code == 403
    assert "Det finns inget konto i Idéflödet för dig" in response.get_data(as_text=True)
    assert "no users have email matching" in warnings.text
    assert_logged_out(client)
    with app.app_context():
        assert db.session.scalar(select(User).where(User.external_subject.is_not(None))) is None
        assert db.session.scalar(select(User).where(User.email == "okand.person@example.se")) \
            is None


def test_deactivated_user_is_refused_before_and_after_linking(sso_app, provider):
    app = sso_app()
    update_anna(app, is_active_user=False)
    first = app.test_client()
    response = sso_login(first, provider)
    assert response.status_code == 403
    assert "inaktiverat" in response.get_data(as_text=True)
    assert_logged_out(first)
    assert anna(app).external_subject is None  # nothing linked to a deactivated account

    update_anna(app, is_active_user=True)
    assert sso_login(app.test_client(), provider).status_code == 302
    update_anna(app, is_active_user=False)
    again = app.test_client()
    assert sso_login(again, provider).status_code == 403
    assert_logged_out(again)


def test_wrong_state_is_refused_and_the_code_never_redeemed(sso_app, provider, warnings):
    client = sso_app().test_client()
    response = sso_login(client, provider, tamper_state=True)
    assert response.status_code == 400
    assert "gått ut eller startats i en annan flik" in response.get_data(as_text=True)
    assert "the state in the callback matches no login" in warnings.text
    assert provider.token_requests == 0
    assert_logged_out(client)


def test_callback_without_a_started_login_is_refused(sso_app):
    client = sso_app().test_client()
    response = client.get("/login/sso/callback?code=abc&state=xyz")
    assert response.status_code == 400
    assert_logged_out(client)


def test_id_token_signed_with_another_key_is_refused(sso_app, provider, other_key, warnings):
    app = sso_app()
    provider.signing_key = other_key
    client = app.test_client()
    response = sso_login(client, provider)
    assert response.status_code == 400
    assert "misslyckades" in response.get_data(as_text=True)
    assert_logged_out(client)
    assert anna(app).external_subject is None
    assert "the provider's answer was refused (BadSignatureError" in warnings.text
    assert provider.issued and not any(secret in warnings.text for secret in provider.issued)


def test_provider_refusal_is_shown_on_the_login_page(sso_app, provider):
    client = sso_app().test_client()
    provider.deny = "access_denied"
    response = sso_login(client, provider)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "misslyckades" in page and 'name="password"' in page
    assert_logged_out(client)


def test_link_survives_a_changed_email_address(sso_app, provider):
    app = sso_app()
    assert sso_login(app.test_client(), provider).status_code == 302
    # The person's address changes at the provider and in Idéflödet, to different values.
    provider.person = {**ANNA, "email": "anna.lindqvist-berg@example.se"}
    update_anna(app, email="anna.berg@example.se")
    client = app.test_client()
    assert sso_login(client, provider).status_code == 302
    assert WHO in client.get("/ideas/mine").get_data(as_text=True)


def test_linked_account_cannot_be_taken_over_by_another_subject(sso_app, provider):
    app = sso_app()
    assert sso_login(app.test_client(), provider).status_code == 302
    provider.person = {**ANNA, "sub": "entra-0002"}  # the same address, another identity
    client = app.test_client()
    response = sso_login(client, provider)
    assert response.status_code == 403
    assert "redan kopplat till en annan inloggning" in response.get_data(as_text=True)
    assert_logged_out(client)
    assert anna(app).external_subject.endswith(" entra-0001")


def test_unverified_email_is_not_trusted(sso_app, provider):
    client = sso_app().test_client()
    provider.person = {**ANNA, "email_verified": False}
    assert sso_login(client, provider).status_code == 403
    assert_logged_out(client)


def test_claim_only_in_userinfo_matched_to_username(sso_app, provider):
    app = sso_app(OIDC_USER_CLAIM="preferred_username", OIDC_MATCH="username")
    provider.id_token_claims = {"name"}  # preferred_username comes from /userinfo only
    client = app.test_client()
    assert sso_login(client, provider).status_code == 302
    assert WHO in client.get("/ideas/mine").get_data(as_text=True)


def test_object_id_matched_to_external_id(sso_app, provider):
    app = sso_app(OIDC_USER_CLAIM="oid", OIDC_MATCH="external_id")
    provider.id_token_claims = {"oid"}
    client = app.test_client()
    assert sso_login(client, provider).status_code == 403  # nobody has that external id yet
    update_anna(app, external_id="oid-0001")
    client = app.test_client()
    assert sso_login(client, provider).status_code == 302
    assert WHO in client.get("/ideas/mine").get_data(as_text=True)


def test_local_login_off_hides_and_refuses_passwords(sso_app, provider):
    app = sso_app(LOCAL_LOGIN=False)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    assert 'name="password"' not in page and 'href="/login/sso"' in page

    response = client.post("/login", data={"username": "medarbetare", "password": "demo"})
    assert response.status_code == 403
    assert "Inloggning med lösenord är avstängd" in response.get_data(as_text=True)
    assert_logged_out(client)

    api = client.post("/api/v1/tokens", json={"username": "medarbetare", "password": "demo"})
    assert api.status_code == 403
    assert "Inloggning med lösenord är avstängd" in api.get_json()["error"]
    assert "token" not in api.get_json()

    assert sso_login(client, provider).status_code == 302


def test_unreachable_provider_is_explained(make_app, warnings):
    app = make_app(OIDC_ISSUER="http://127.0.0.1:9", OIDC_CLIENT_ID="x", OIDC_CLIENT_SECRET="y")
    with app.app_context():
        seed_demo(with_cases=False)
    response = app.test_client().get("/login/sso")
    assert response.status_code == 400
    assert "misslyckades" in response.get_data(as_text=True)
    assert "could not start the login" in warnings.text


def test_local_login_off_without_a_provider_stops_start_up(make_app):
    with pytest.raises(RuntimeError, match="OIDC_ISSUER"):
        make_app(LOCAL_LOGIN=False)


def test_sso_is_off_without_an_issuer(client):
    assert client.get("/login/sso").status_code == 404
    assert client.get("/login/sso/callback?code=a&state=b").status_code == 404
    assert "/login/sso" not in client.get("/login").get_data(as_text=True)
