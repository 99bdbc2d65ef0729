"""A case's comments in the JSON API: the twins of the comment list and form on the case page
(cases/web.py), through cases/service.py; whoever may open the case may read and comment."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify

from workflow.cases import schemas
from workflow.cases import service as cases
from workflow.models import Comment
from workflow.platform.api import authenticate, json_body
from workflow.platform.extensions import csrf
from workflow.views.openapi import error_responses, json_content, openapi_fragment, ref

bp = Blueprint("api_comments", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
bp.before_request(authenticate)


@bp.get("/cases/<int:case_id>/comments")
def list_comments(case_id: int):
    case = cases.get_case(g.api_user, case_id)
    return jsonify({"items": [comment_json(c) for c in case.comments]})


@bp.post("/cases/<int:case_id>/comments")
def add_comment(case_id: int):
    case = cases.get_case(g.api_user, case_id)
    body = json_body(schemas.CommentCreate)
    comment = cases.add_comment(g.api_user, case, body.get("body"))
    return jsonify(comment_json(comment)), 201


def comment_json(comment: Comment) -> dict[str, Any]:
    author = comment.author
    return {"id": comment.id, "case_id": comment.case_id,
            "author": {"id": author.id, "display_name": author.display_name} if author else None,
            "body": comment.body, "created_at": comment.created_at.isoformat()}


@openapi_fragment
def _openapi() -> dict[str, Any]:
    case_id = [{"name": "case_id", "in": "path", "required": True,
                "schema": {"type": "integer", "minimum": 1}}]
    return {
        "models": schemas.COMMENT_MODELS,
        "paths": {"/cases/{case_id}/comments": {
            "get": {"summary": "Ärendets kommentarer, äldst först", "parameters": case_id,
                    "responses": {"200": {"description": "Kommentarerna",
                                          **json_content(ref("CaseCommentList"))},
                                  **error_responses(401, 404)}},
            "post": {"summary": "Skriv en kommentar i ärendet", "parameters": case_id,
                     "requestBody": {"required": True, **json_content(ref("CommentCreate"))},
                     "responses": {"201": {"description": "Kommentaren",
                                           **json_content(ref("CaseComment"))},
                                   **error_responses(401, 404, 422)}}}},
    }
