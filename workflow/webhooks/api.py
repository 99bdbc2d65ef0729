"""The webhooks in the JSON API under /api/v1/admin: the twins of the pages in webhooks/web.py,
region administrators only (docs/webhooks.md)."""
from __future__ import annotations

from typing import Any

from flask import jsonify, request

from workflow.admin.support import api_admin, api_blueprint
from workflow.models import Webhook, WebhookDelivery
from workflow.platform.api import json_body
from workflow.platform.errors import ValidationFailed
from workflow.platform.validation import as_id
from workflow.states.i18n import N_
from workflow.views.openapi import (
    answer,
    error_responses,
    json_content,
    openapi_fragment,
    ref,
)
from workflow.webhooks import schemas
from workflow.webhooks import service as webhooks

bp = api_blueprint("api_admin_webhooks", __name__)


@bp.get("/webhooks")
def list_webhooks():
    given = request.args.get("department_id")
    department_id = as_id(given)
    if given is not None and department_id is None:
        raise ValidationFailed({"department_id": N_("Välj en förvaltning.")})
    hooks = webhooks.webhooks_of(api_admin().region_id, department_id)
    return jsonify({"items": [webhook_json(hook) for hook in hooks]})


@bp.post("/webhooks")
def create_webhook():
    hook, secret = webhooks.register(api_admin(), json_body(schemas.WebhookInput))
    response = jsonify({**webhook_json(hook), "secret": secret})
    response.headers["Cache-Control"] = "no-store"
    return response, 201


@bp.get("/webhooks/<int:webhook_id>")
def get_webhook(webhook_id: int):
    return jsonify(webhook_json(webhooks.get_webhook(api_admin(), webhook_id)))


@bp.post("/webhooks/<int:webhook_id>/deactivate")
def deactivate_webhook(webhook_id: int):
    hook = webhooks.get_webhook(api_admin(), webhook_id)
    return jsonify(webhook_json(webhooks.deactivate(api_admin(), hook)))


@bp.get("/webhooks/<int:webhook_id>/deliveries")
def list_deliveries(webhook_id: int):
    hook = webhooks.get_webhook(api_admin(), webhook_id)
    return jsonify({"items": [delivery_json(d) for d in webhooks.deliveries(hook)]})


# ---------------------------------------------------------------- shapes

def _iso(moment) -> str | None:
    return moment.isoformat() if moment is not None else None


def webhook_json(hook: Webhook) -> dict[str, Any]:
    """A webhook as the API shows it: never its secret."""
    return {"id": hook.id, "department": {"id": hook.department.id,
                                          "name": hook.department.name},
            "url": hook.url, "active": hook.active, "created_at": _iso(hook.created_at),
            "deactivated_at": _iso(hook.deactivated_at)}


def delivery_json(delivery: WebhookDelivery) -> dict[str, Any]:
    return {"id": delivery.id, "webhook_id": delivery.webhook_id, "case_id": delivery.case_id,
            "event_id": delivery.event_id, "event": delivery.event, "status": delivery.status,
            "attempts": delivery.attempts, "created_at": _iso(delivery.created_at),
            "next_attempt_at": _iso(delivery.next_attempt_at)
            if delivery.status == "pending" else None,
            "last_status_code": delivery.last_status_code, "last_error": delivery.last_error,
            "delivered_at": _iso(delivery.delivered_at), "payload": delivery.payload}


# ---------------------------------------------------------------- OpenAPI

@openapi_fragment
def _openapi() -> dict[str, Any]:
    webhook_id = [{"name": "webhook_id", "in": "path", "required": True,
                   "schema": {"type": "integer", "minimum": 1}}]


    return {
        "models": schemas.MODELS,
        "paths": {
            "/admin/webhooks": {
                "get": {"summary": "Regionens webhooks (en förvaltnings med department_id)",
                        "parameters": [{"name": "department_id", "in": "query",
                                        "schema": {"type": "integer", "minimum": 1}}],
                        "responses": {**answer("Webhookarna", "WebhookList"),
                                      **error_responses(401, 403, 422)}},
                "post": {"summary": "Registrera en webhook för en förvaltning; hemligheten "
                                    "visas bara i detta svar",
                         "requestBody": {"required": True, **json_content(ref("WebhookInput"))},
                         "responses": {**answer("Registrerad", "WebhookCreated", "201"),
                                       **error_responses(401, 403, 422)}}},
            "/admin/webhooks/{webhook_id}": {"get": {
                "summary": "En webhook", "parameters": webhook_id,
                "responses": {**answer("Webhooken", "Webhook"),
                              **error_responses(401, 403, 404)}}},
            "/admin/webhooks/{webhook_id}/deactivate": {"post": {
                "summary": "Inaktivera en webhook; det som väntar markeras misslyckat",
                "parameters": webhook_id,
                "responses": {**answer("Inaktiverad", "Webhook"),
                              **error_responses(401, 403, 404)}}},
            "/admin/webhooks/{webhook_id}/deliveries": {"get": {
                "summary": "Webhookens senaste leveranser, nyast först",
                "parameters": webhook_id,
                "responses": {**answer("Leveranserna", "WebhookDeliveryList"),
                              **error_responses(401, 403, 404)}}},
        },
    }
