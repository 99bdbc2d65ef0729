"""Duplicate hints in the JSON API: the twin of /ideas/similar (similar/web.py), the cases of
the caller's region most like a title and a need, best first. Where the page shortens a too
long text, the API answers 422 (docs/api.md: the API is stricter)."""
from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Blueprint, g, jsonify, request

from workflow.models import TEXT_MAX, TITLE_MAX
from workflow.platform.api import authenticate
from workflow.platform.errors import ValidationFailed
from workflow.platform.extensions import csrf
from workflow.similar import schemas
from workflow.similar import service as similar
from workflow.states.i18n import N_
from workflow.views.openapi import error_responses, json_content, openapi_fragment, ref

bp = Blueprint("api_similar", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
bp.before_request(authenticate)

LIMITS = {"title": TITLE_MAX, "need": TEXT_MAX}


@bp.get("/similar")
def search():
    texts = {name: request.args.get(name, "") for name in LIMITS}
    too_long = {name: N_("Texten är för lång.") for name, text in texts.items()
                if len(text) > LIMITS[name]}
    if too_long:
        raise ValidationFailed(too_long)
    searched = bool(texts["title"].strip() or texts["need"].strip())
    items = similar.similar_cases(g.api_user, texts["title"], texts["need"]) if searched else []
    return jsonify({"items": [asdict(item) for item in items], "searched": searched})


# ---------------------------------------------------------------- OpenAPI

@openapi_fragment
def _openapi() -> dict[str, Any]:
    return {
        "models": schemas.MODELS,
        "paths": {"/similar": {"get": {
            "summary": "Liknande ärenden i regionen medan en idé skrivs (dubblettips), bäst "
                       "först",
            "parameters": [
                {"name": name, "in": "query", "schema": {"type": "string", "maxLength": limit}}
                for name, limit in LIMITS.items()],
            "responses": {"200": {"description": "Tipsen", **json_content(ref("SimilarHints"))},
                          **error_responses(401, 422)}}}},
    }
