"""Aviseringar in the JSON API: the twins of the notifications page, its buttons, the case
page's follow button and the email settings (notifications/web.py). Subject and body are
rendered in the caller's language (Accept-Language), like the page in the reader's."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify

from workflow.cases import service as cases
from workflow.notifications import messages, schemas
from workflow.notifications import service as notifications
from workflow.platform.api import authenticate, json_body
from workflow.platform.errors import ValidationFailed
from workflow.platform.extensions import csrf
from workflow.states.i18n import N_
from workflow.views.openapi import (
    answer,
    error_responses,
    json_content,
    openapi_fragment,
    ref,
)

bp = Blueprint("api_notifications", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
bp.before_request(authenticate)


@bp.get("/notifications")
def list_notifications():
    user = g.api_user
    return jsonify({"items": [_item(n) for n in notifications.recent(user)],
                    "unread_count": notifications.unread_count(user)})


@bp.post("/notifications/<int:notification_id>/read")
def read(notification_id: int):
    user = g.api_user
    row = notifications.get_notification(user, notification_id)
    marked = notifications.mark_read(user, row.id)
    return jsonify({"marked": marked, "unread_count": notifications.unread_count(user),
                    "notification": _item(row)})


@bp.post("/notifications/read-all")
def read_all():
    user = g.api_user
    marked = notifications.mark_read(user)
    return jsonify({"marked": marked, "unread_count": notifications.unread_count(user),
                    "notification": None})


@bp.put("/cases/<int:case_id>/follow")
def follow(case_id: int):
    user = g.api_user
    case = cases.get_case(user, case_id)
    body = json_body(schemas.FollowRequest)
    wanted = body.get("follow")
    if not isinstance(wanted, bool):
        raise ValidationFailed({"follow": N_("Ange true eller false.")})
    notifications.follow(user, case, wanted)
    return jsonify({"case_id": case.id, "following": notifications.is_following(user, case)})


@bp.get("/notifications/settings")
def get_settings():
    return jsonify(_settings(notifications.settings_for(g.api_user)))


@bp.put("/notifications/settings")
def put_settings():
    body = json_body(schemas.NotificationSettingsInput)
    enabled, kinds = body.get("email_enabled"), body.get("email_kinds", [])
    errors = {}
    if not isinstance(enabled, bool):
        errors["email_enabled"] = N_("Ange true eller false.")
    if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
        errors["email_kinds"] = N_("Välj ett av alternativen.")
    if errors:
        raise ValidationFailed(errors)
    saved = notifications.save_settings(g.api_user, email_enabled=enabled,
                                        email_mode=body.get("email_mode"), email_kinds=kinds)
    return jsonify(_settings(saved))


def _item(row) -> dict[str, Any]:
    shown = messages.Shown.of(row)
    return {"id": shown.id, "case_id": shown.case_id, "kind": row.kind,
            "subject": shown.subject, "body": shown.body,
            "created_at": shown.created_at.isoformat(),
            "read_at": shown.read_at.isoformat() if shown.read_at else None,
            "read": shown.read_at is not None}


def _settings(settings) -> dict[str, Any]:
    return {"email_enabled": bool(settings.email_enabled), "email_mode": settings.email_mode,
            "email_kinds": list(settings.email_kinds or notifications.KINDS),
            "has_email": bool(g.api_user.email)}


# ---------------------------------------------------------------- OpenAPI

@openapi_fragment
def _openapi() -> dict[str, Any]:

    def path_id(name: str) -> list[dict[str, Any]]:
        return [{"name": name, "in": "path", "required": True,
                 "schema": {"type": "integer", "minimum": 1}}]

    return {
        "models": schemas.MODELS,
        "paths": {
            "/notifications": {"get": {
                "summary": "Dina senaste aviseringar, på ditt språk (Accept-Language), och "
                           "hur många som är olästa",
                "responses": {**answer("Aviseringarna", "NotificationList"),
                              **error_responses(401)}}},
            "/notifications/{notification_id}/read": {"post": {
                "summary": "Markera en avisering som läst",
                "parameters": path_id("notification_id"),
                "responses": {**answer("Markerad", "NotificationsMarked"),
                              **error_responses(401, 404)}}},
            "/notifications/read-all": {"post": {
                "summary": "Markera alla dina aviseringar som lästa",
                "responses": {**answer("Markerade", "NotificationsMarked"),
                              **error_responses(401)}}},
            "/notifications/settings": {
                "get": {"summary": "Dina inställningar för e-post",
                        "responses": {**answer("Inställningarna",
                                               "NotificationSettingsAnswer"),
                                      **error_responses(401)}},
                "put": {"summary": "Spara dina inställningar för e-post",
                        "requestBody": {"required": True, **json_content(
                            ref("NotificationSettingsInput"))},
                        "responses": {**answer("Sparade", "NotificationSettingsAnswer"),
                                      **error_responses(401, 422)}}},
            "/cases/{case_id}/follow": {"put": {
                "summary": "Följ ett ärende (eller sluta följa det) för att få aviseringar",
                "parameters": path_id("case_id"),
                "requestBody": {"required": True, **json_content(ref("FollowRequest"))},
                "responses": {**answer("Följer eller inte", "Following"),
                              **error_responses(401, 404, 422)}}},
        },
    }


