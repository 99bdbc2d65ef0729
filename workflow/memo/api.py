"""The tjänsteutlåtande in the JSON API: the twin of the memo page and its form
(memo/web.py). The document is always Swedish, as on the page and in the PDF; the errors
follow the caller's language."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify

from workflow.cases import service as cases
from workflow.memo import schemas
from workflow.memo import service as memo
from workflow.platform.api import authenticate, json_body
from workflow.platform.extensions import csrf
from workflow.views.openapi import error_responses, json_content, openapi_fragment, ref

bp = Blueprint("api_memo", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
bp.before_request(authenticate)


@bp.get("/cases/<int:case_id>/memo")
def get_memo(case_id: int):
    return jsonify(_memo(cases.get_case(g.api_user, case_id)))


@bp.put("/cases/<int:case_id>/memo")
def put_memo(case_id: int):
    case = cases.get_case(g.api_user, case_id)
    body = json_body(schemas.MemoInput)
    fields = {name: body[name] for name in memo.FIELDS if name in body}
    memo.save_memo(g.api_user, case, fields, expected_version=body.get("version"))
    return jsonify(_memo(case))


def _memo(case) -> dict[str, Any]:
    document = memo.memo_document(case)
    return {"case_id": document.case_id, "title": document.title,
            "department": document.department, "committee": document.committee,
            "reference": document.reference, "date": document.date,
            "day": document.day.isoformat(), "author": document.author,
            "version": document.version, "texts": document.texts,
            "sections": [{"key": s.key, "heading": s.heading, "text": s.text,
                          "paragraphs": list(s.paragraphs),
                          "rows": [{"label": r.label, "value": r.value} for r in s.rows]}
                         for s in document.sections],
            "incomplete": list(document.incomplete),
            "total_cost_sek": document.total_cost_sek,
            "editable": memo.can_edit(g.api_user, case)}


# ---------------------------------------------------------------- OpenAPI

@openapi_fragment
def _openapi() -> dict[str, Any]:
    case_id = [{"name": "case_id", "in": "path", "required": True,
                "schema": {"type": "integer", "minimum": 1}}]
    answer = {"200": {"description": "Tjänsteutlåtandet", **json_content(ref("Memo"))}}
    return {
        "models": schemas.MODELS,
        "paths": {"/cases/{case_id}/memo": {
            "get": {"summary": "Ärendets tjänsteutlåtande: de egna texterna och delarna ur "
                               "beslutsunderlaget, i dokumentets ordning (på svenska)",
                    "parameters": case_id,
                    "responses": {**answer, **error_responses(401, 404)}},
            "put": {"summary": "Spara tjänsteutlåtandets texter (verksamhetsutvecklaren eller "
                               "förvaltningsledningen, medan ärendet väntar på beslut)",
                    "parameters": case_id,
                    "requestBody": {"required": True, **json_content(ref("MemoInput"))},
                    "responses": {**answer, **error_responses(401, 403, 404, 409, 422)}}}},
    }
