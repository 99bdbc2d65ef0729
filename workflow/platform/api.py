"""What every blueprint of the JSON API (/api/v1) shares: bearer-token authentication, the one
way to read a JSON body, and the refusal of fields a request schema does not name."""
from __future__ import annotations

from typing import Any, Iterable

from flask import g, request
from flask_babel import gettext as _
from pydantic import BaseModel

from workflow.people import accounts
from workflow.platform.errors import ValidationFailed
from workflow.states.i18n import N_
from workflow.views.errors import api_error

# Endpoints anyone may call: logging in, and the OpenAPI document.
PUBLIC_ENDPOINTS = {"api.create_token", "api.openapi"}

Allowed = type[BaseModel] | Iterable[str]


def authenticate():
    """A ``before_request`` hook: the bearer token's user in ``g.api_user``, or a 401 answer."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    user = accounts.user_for_token(token.strip()) if scheme.lower() == "bearer" else None
    if user is None:
        response = api_error(401, _("Logga in: skicka en giltig token i Authorization: Bearer."))
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
        return response
    g.api_user = user
    return None


def json_body(allowed: Allowed | None = None, *, optional: bool = False) -> dict[str, Any]:
    """The request's JSON object (whatever its Content-Type), else a 422 on ``body``.

    ``allowed`` (a request schema, or field names) refuses any other field with a 422 per
    unknown field; ``optional`` reads an empty request as ``{}``."""
    if optional and not request.get_data():
        return {}
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        raise ValidationFailed({"body": N_("Skicka ett JSON-objekt.")})
    if allowed is not None:
        reject_unknown(body, allowed)
    return body


def field_names(allowed: Allowed) -> set[str]:
    """The fields a request schema (a pydantic model, by alias) or a list of names allows."""
    if isinstance(allowed, type) and issubclass(allowed, BaseModel):
        return {field.alias or name for name, field in allowed.model_fields.items()}
    return set(allowed)


def reject_unknown(body: dict[str, Any], allowed: Allowed) -> None:
    """A 422 with "Okänt fält." for every field of ``body`` that ``allowed`` does not name."""
    unknown = sorted(set(body) - field_names(allowed))
    if unknown:
        raise ValidationFailed({key: N_("Okänt fält.") for key in unknown})
