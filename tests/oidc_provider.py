"""A small OpenID Connect provider for the tests, speaking the real protocol over HTTP.

It serves discovery, ``/authorize`` (consents at once for the configured person and sends the
browser back with ``code`` and ``state``), ``/token`` (checks the client secret, the code, the
redirect URI and the PKCE verifier, and answers with an RS256-signed id_token), ``/jwks`` and
``/userinfo``, on 127.0.0.1 and a free port, in a thread::

    with OidcProvider(signing_key) as provider:
        app = make_app(**provider.app_settings())
        provider.person = {"sub": "1", "email": "anna@example.se"}

Tests change ``person``, ``id_token_claims`` (which of the person's claims go in the id_token;
the userinfo endpoint always gives them all), ``deny`` (an error code to answer /authorize
with) and ``signing_key`` (another key than the published one, to forge an id_token).
"""
from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from typing import Any
from urllib.parse import urlencode

from flask import Flask, Response, jsonify, redirect, request
from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server

CLIENT_ID = "idefloedet-test"
CLIENT_SECRET = "provider-test-secret"
REDIRECT_URI = "http://localhost/login/sso/callback"
KEY_ID = "test-signing-key"


def generate_signing_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": KEY_ID, "use": "sig", "alg": "RS256"})


class OidcProvider:
    def __init__(self, key: RSAKey, *, redirect_uri: str = REDIRECT_URI):
        self.published_key = key
        self.signing_key = key
        self.redirect_uri = redirect_uri
        self.person: dict[str, Any] = {}
        self.id_token_claims: set[str] = {"email", "email_verified", "name"}
        self.deny: str | None = None
        self.issued: list[str] = []  # every code and token handed out, to look for in logs
        self.token_requests = 0
        self._codes: dict[str, dict[str, Any]] = {}
        self._access_tokens: dict[str, dict[str, Any]] = {}
        self._server = make_server("127.0.0.1", 0, self._build_app(), threaded=True)
        self.issuer = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> "OidcProvider":
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()

    def app_settings(self, **overrides: Any) -> dict[str, Any]:
        """The application settings that point Idéflödet at this provider."""
        return {"OIDC_ISSUER": self.issuer, "OIDC_CLIENT_ID": CLIENT_ID,
                "OIDC_CLIENT_SECRET": CLIENT_SECRET, **overrides}

    # The protocol.

    def _build_app(self) -> Flask:
        app = Flask("oidc_provider")
        app.add_url_rule("/.well-known/openid-configuration", view_func=self._discovery)
        app.add_url_rule("/authorize", view_func=self._authorize)
        app.add_url_rule("/token", view_func=self._token, methods=["POST"])
        app.add_url_rule("/jwks", view_func=self._jwks)
        app.add_url_rule("/userinfo", view_func=self._userinfo)
        return app

    def _discovery(self) -> Response:
        return jsonify({
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic",
                                                      "client_secret_post"],
            "scopes_supported": ["openid", "email", "profile"],
        })

    def _authorize(self) -> Response:
        args = request.args
        # Never send the browser to an address the client did not register.
        if args.get("client_id") != CLIENT_ID or args.get("redirect_uri") != self.redirect_uri:
            return Response("unknown client or redirect_uri", status=400)
        problem = self._authorize_problem(args)
        state = args.get("state", "")
        if problem or self.deny:
            return self._back(error=problem or self.deny, state=state)
        code = secrets.token_urlsafe(24)
        self.issued.append(code)
        self._codes[code] = {"nonce": args["nonce"], "challenge": args["code_challenge"],
                             "redirect_uri": args["redirect_uri"], "person": dict(self.person)}
        return self._back(code=code, state=state)

    @staticmethod
    def _authorize_problem(args: Any) -> str | None:
        if args.get("response_type") != "code" or "openid" not in args.get("scope", "").split():
            return "invalid_request"
        if not args.get("state") or not args.get("nonce"):
            return "invalid_request"
        if args.get("code_challenge_method") != "S256" or not args.get("code_challenge"):
            return "invalid_request"  # PKCE is required here
        return None

    def _back(self, **params: str) -> Response:
        return redirect(f"{self.redirect_uri}?{urlencode(params)}")

    def _token(self) -> Response:
        self.token_requests += 1
        if not self._client_authenticated():
            return _oauth_error("invalid_client", 401)
        form = request.form
        grant = self._codes.pop(form.get("code", ""), None)  # a code works once
        if form.get("grant_type") != "authorization_code" or grant is None:
            return _oauth_error("invalid_grant")
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return _oauth_error("invalid_grant")
        if _s256(form.get("code_verifier", "")) != grant["challenge"]:
            return _oauth_error("invalid_grant")
        access_token = secrets.token_urlsafe(24)
        self._access_tokens[access_token] = grant["person"]
        id_token = self._id_token(grant["person"], grant["nonce"])
        self.issued += [access_token, id_token]
        response = jsonify({"access_token": access_token, "token_type": "Bearer",
                            "expires_in": 300, "id_token": id_token})
        response.headers["Cache-Control"] = "no-store"
        return response

    def _client_authenticated(self) -> bool:
        auth = request.authorization
        if auth is not None and auth.type == "basic":
            return auth.username == CLIENT_ID and auth.password == CLIENT_SECRET
        return (request.form.get("client_id") == CLIENT_ID
                and request.form.get("client_secret") == CLIENT_SECRET)

    def _id_token(self, person: dict[str, Any], nonce: str) -> str:
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": CLIENT_ID, "sub": person["sub"], "iat": now,
                  "exp": now + 300, "nonce": nonce,
                  **{k: v for k, v in person.items() if k in self.id_token_claims}}
        header = {"alg": "RS256", "kid": KEY_ID, "typ": "JWT"}
        return jwt.encode(header, claims, self.signing_key)

    def _jwks(self) -> Response:
        return jsonify({"keys": [self.published_key.as_dict(private=False)]})

    def _userinfo(self) -> Response:
        scheme, _sep, token = (request.headers.get("Authorization") or "").partition(" ")
        person = self._access_tokens.get(token) if scheme.lower() == "bearer" else None
        if person is None:
            return _oauth_error("invalid_token", 401)
        return jsonify(person)


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _oauth_error(error: str, status: int = 400) -> Response:
    response = jsonify({"error": error})
    response.status_code = status
    return response
