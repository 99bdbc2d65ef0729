"""Single sign-on with OpenID Connect (Microsoft Entra ID, Keycloak, Google Workspace …).

Authorization-code flow with PKCE (S256), ``state`` and ``nonce``, through Authlib's Flask
client; the provider is found from ``OIDC_ISSUER``'s discovery document. Authlib checks the
state, the id_token's signature against the provider's keys, its issuer, audience, expiry and
nonce; we refuse any answer without a valid id_token.

Who may log in (docs/sso.md): only people who already have an active account. The first time,
the claim ``OIDC_USER_CLAIM`` is matched to the local field ``OIDC_MATCH``; the provider's
issuer and ``sub`` are then stored in ``users.external_subject`` and used from then on, so a
changed email address or username at the provider does not break the link. Nobody is created
automatically, and roles stay in the application.
"""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from workflow.models import User
from workflow.platform.errors import ServiceError
from workflow.platform.extensions import db
from workflow.platform.uow import unit_of_work
from workflow.states.i18n import N_

EXTENSION_KEY = "workflow.people.sso"
MATCH_FIELDS = ("email", "username", "external_id")
SUBJECT_MAX = 512
HTTP_TIMEOUT_SECONDS = 10

log = logging.getLogger(__name__)



def provider_errors() -> tuple[type[BaseException], ...]:
    """What can go wrong between us and the provider: its own error answers, a state that
    does not match, an id_token that fails verification, or the provider not answering
    sensibly. Authlib, joserfc and requests are imported only where SSO is used: together
    about 20 MiB a worker that a region without SSO does not carry (issue 14, memory)."""
    import requests
    from authlib.common.errors import AuthlibBaseError
    from joserfc.errors import JoseError
    return (AuthlibBaseError, JoseError, requests.RequestException, ValueError, KeyError,
            RuntimeError)


class SsoError(ServiceError):
    status = 400
    message = N_("Inloggningen med organisationens konto misslyckades. Försök igen, eller "
                 "kontakta supporten om felet kvarstår.")


class SsoStateMismatch(SsoError):
    message = N_("Inloggningen kunde inte slutföras: den hade gått ut eller startats i en annan "
                 "flik. Försök igen.")


class SsoUnknownUser(SsoError):
    status = 403
    message = N_("Det finns inget konto i Idéflödet för dig. Be administratören att lägga upp "
                 "dig och försök sedan igen.")


class SsoInactiveUser(SsoError):
    status = 403
    message = N_("Ditt konto i Idéflödet är inaktiverat. Kontakta administratören om du "
                 "behöver komma åt tjänsten igen.")


class SsoLinkedElsewhere(SsoError):
    status = 403
    message = N_("Kontot i Idéflödet är redan kopplat till en annan inloggning. Kontakta "
                 "administratören.")


def init_app(app: Flask) -> None:
    """Register the provider when OIDC_ISSUER is set; stop start-up on a broken setting."""
    config = app.config
    issuer = config.get("OIDC_ISSUER") or ""
    if not config["LOCAL_LOGIN"] and not issuer:
        raise RuntimeError("LOCAL_LOGIN=0 needs OIDC_ISSUER: nobody could log in otherwise")
    if not issuer:
        return
    _validate(config)
    from authlib.integrations.flask_client import OAuth
    oauth = OAuth(app)
    app.extensions[EXTENSION_KEY] = oauth.register(
        "oidc",
        client_id=config["OIDC_CLIENT_ID"],
        client_secret=config["OIDC_CLIENT_SECRET"] or None,
        server_metadata_url=discovery_url(issuer),
        client_kwargs={"scope": config["OIDC_SCOPES"], "code_challenge_method": "S256",
                       "default_timeout": HTTP_TIMEOUT_SECONDS},
    )


def _validate(config: Any) -> None:
    if not config["OIDC_CLIENT_ID"]:
        raise RuntimeError("OIDC_ISSUER is set but OIDC_CLIENT_ID is missing")
    if "openid" not in config["OIDC_SCOPES"].split():
        raise RuntimeError("OIDC_SCOPES must include 'openid'")
    if config["OIDC_MATCH"] not in MATCH_FIELDS:
        raise RuntimeError(f"OIDC_MATCH must be one of {', '.join(MATCH_FIELDS)}")
    if not config["OIDC_USER_CLAIM"]:
        raise RuntimeError("OIDC_USER_CLAIM must name a claim")


def discovery_url(issuer: str) -> str:
    return issuer.rstrip("/") + "/.well-known/openid-configuration"


def enabled() -> bool:
    return EXTENSION_KEY in current_app.extensions


def _client():
    return current_app.extensions[EXTENSION_KEY]


def start(redirect_uri: str) -> Response:
    """Send the browser to the provider; Authlib keeps state, nonce and PKCE verifier."""
    try:
        return _client().authorize_redirect(redirect_uri)
    except provider_errors() as error:
        log.warning("SSO: could not start the login at the provider (%s)", _describe(error))
        raise SsoError() from None


def finish() -> User:
    """The user for the provider's answer on the callback, linked on the first login."""
    claims = _verified_claims()
    return _user_for(claims)


def _verified_claims() -> dict[str, Any]:
    from authlib.integrations.base_client import MismatchingStateError, OAuthError
    client = _client()
    try:
        token = client.authorize_access_token()
    except MismatchingStateError:
        log.warning("SSO: the state in the callback matches no login started in this session")
        raise SsoStateMismatch() from None
    except OAuthError as error:
        log.warning("SSO: the provider answered with an error (%s)", _describe(error))
        raise SsoError() from None
    except provider_errors() as error:
        log.warning("SSO: the provider's answer was refused (%s)", _describe(error))
        raise SsoError() from None
    claims = token.get("userinfo")
    if not claims:
        log.warning("SSO: the token answer had no id_token")
        raise SsoError()
    claims = dict(claims)
    if str(claims.get("iss", "")).rstrip("/") != current_app.config["OIDC_ISSUER"].rstrip("/"):
        log.warning("SSO: the id_token's issuer is not OIDC_ISSUER")
        raise SsoError()
    if not claims.get(current_app.config["OIDC_USER_CLAIM"]):
        claims = _with_userinfo(client, token, claims)
    return claims


def _with_userinfo(client: Any, token: dict[str, Any], claims: dict[str, Any]) -> dict[str, Any]:
    """Claims the id_token lacks, from the userinfo endpoint (the same ``sub`` only)."""
    if "userinfo_endpoint" not in client.load_server_metadata():
        return claims
    try:
        extra = client.userinfo(token=token)
    except provider_errors() as error:
        log.warning("SSO: the userinfo endpoint failed (%s)", _describe(error))
        raise SsoError() from None
    if extra.get("sub") != claims.get("sub"):
        log.warning("SSO: userinfo answered for another subject than the id_token")
        raise SsoError()
    return {**extra, **claims}


def _user_for(claims: dict[str, Any]) -> User:
    subject = f"{claims['iss']} {claims['sub']}"
    if len(subject) > SUBJECT_MAX:
        log.warning("SSO: issuer and subject are longer than %s characters", SUBJECT_MAX)
        raise SsoError()
    user = db.session.scalar(select(User).where(User.external_subject == subject))
    if user is None:
        user = _first_login(claims, subject)
    if not user.is_active:
        log.warning("SSO: user %s is deactivated", user.id)
        raise SsoInactiveUser()
    return user


def _first_login(claims: dict[str, Any], subject: str) -> User:
    """Find the user by the configured claim and link the provider's subject to them."""
    user = _match(claims)
    if user.external_subject is not None:
        log.warning("SSO: user %s is already linked to another subject", user.id)
        raise SsoLinkedElsewhere()
    if not user.is_active:
        log.warning("SSO: user %s is deactivated", user.id)
        raise SsoInactiveUser()
    with unit_of_work():
        user.external_subject = subject
    log.info("SSO: linked user %s to the provider's subject", user.id)
    return user


def _match(claims: dict[str, Any]) -> User:
    config = current_app.config
    claim, field = config["OIDC_USER_CLAIM"], config["OIDC_MATCH"]
    value = claims.get(claim)
    if not isinstance(value, str) or not value.strip():
        log.warning("SSO: the provider sent no %r claim to match users by", claim)
        raise SsoUnknownUser()
    if claim == "email" and claims.get("email_verified") is False:
        log.warning("SSO: the provider says the email address is not verified")
        raise SsoUnknownUser()
    found = db.session.scalars(_match_query(field, value.strip()).limit(2)).all()
    if len(found) != 1:
        log.warning("SSO: %s users have %s matching the %r claim %r",
                    "several" if found else "no", field, claim, value)
        raise SsoUnknownUser()
    return found[0]


def _match_query(field: str, value: str):
    if field == "email":
        return select(User).where(func.lower(User.email) == value.lower())
    if field == "username":
        return select(User).where(User.username == value.lower())
    return select(User).where(User.external_id == value)


def _describe(error: Exception) -> str:
    """The kind of failure for the log: the class and the provider's error code, no tokens."""
    code = getattr(error, "error", None)
    return f"{type(error).__name__}: {code}" if isinstance(code, str) else type(error).__name__
