"""The meeting page's two remaining buttons in the JSON API (docs/api.md): keeping attendance
and moving an item up or down the agenda. The other meeting endpoints (list, create, read,
agenda items, decisions, adjusting) are in workflow/cases/api.py; both answer the same
meeting (its ``_meeting`` shape)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify

from workflow.cases.api import _meeting as meeting_answer
from workflow.meetings import schemas
from workflow.meetings import service as meetings
from workflow.platform.api import authenticate, json_body
from workflow.platform.errors import ValidationFailed
from workflow.platform.extensions import csrf
from workflow.states.i18n import N_
from workflow.views.openapi import error_responses, json_content, openapi_fragment, ref

bp = Blueprint("api_meetings", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
bp.before_request(authenticate)

DIRECTIONS = {"up": -1, "down": 1}


@bp.put("/meetings/<int:meeting_id>/attendance")
def put_attendance(meeting_id: int):
    """Who is present, as the page's checkboxes: only the meeting's attendees may be named."""
    meeting = meetings.get_meeting(g.api_user, meeting_id)
    body = json_body(schemas.AttendanceRequest)
    present = body.get("present")
    attendees = {a.user_id for a in meeting.attendees}
    if (not isinstance(present, list)
            or not all(isinstance(i, int) and not isinstance(i, bool) for i in present)
            or not set(present) <= attendees):
        raise ValidationFailed({"present": N_("Välj bland mötets deltagare.")})
    meetings.set_attendance(g.api_user, meeting, set(present))
    return jsonify(meeting_answer(meeting))


@bp.post("/meetings/<int:meeting_id>/items/<int:item_id>/move")
def move_item(meeting_id: int, item_id: int):
    """One place up or down on the agenda, as the page's arrows (the first item stays first)."""
    meeting = meetings.get_meeting(g.api_user, meeting_id)
    body = json_body(schemas.AgendaMove)
    direction = body.get("direction")
    if not isinstance(direction, str) or direction not in DIRECTIONS:
        raise ValidationFailed({"direction": N_("Välj ett av alternativen.")})
    meetings.move_item(g.api_user, meeting, item_id, DIRECTIONS[direction])
    return jsonify(meeting_answer(meeting))


# ---------------------------------------------------------------- OpenAPI

@openapi_fragment
def _openapi() -> dict[str, Any]:
    def path_id(*names: str) -> list[dict[str, Any]]:
        return [{"name": name, "in": "path", "required": True,
                 "schema": {"type": "integer", "minimum": 1}} for name in names]

    answer = {"200": {"description": "Mötet", **json_content(ref("Meeting"))}}
    return {
        "models": [schemas.AttendanceRequest, schemas.AgendaMove],
        "paths": {
            "/meetings/{meeting_id}/attendance": {"put": {
                "summary": "Spara närvaron: vilka av mötets deltagare som är närvarande "
                           "(den som leder mötet, före justeringen)",
                "parameters": path_id("meeting_id"),
                "requestBody": {"required": True, **json_content(ref("AttendanceRequest"))},
                "responses": {**answer, **error_responses(401, 403, 404, 409, 422)}}},
            "/meetings/{meeting_id}/items/{item_id}/move": {"post": {
                "summary": "Flytta en punkt ett steg upp eller ned på dagordningen",
                "parameters": path_id("meeting_id", "item_id"),
                "requestBody": {"required": True, **json_content(ref("AgendaMove"))},
                "responses": {**answer, **error_responses(401, 403, 404, 409, 422)}}},
        },
    }
