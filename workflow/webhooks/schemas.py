"""The webhooks' administration API (/api/v1/admin/webhooks): bodies and answers, with the
limits of webhooks/service.py, which keeps its own messages (docs/webhooks.md)."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from workflow.models import WEBHOOK_DELIVERY_STATUSES
from workflow.platform.schemas import Answer, Request
from workflow.webhooks.service import SECRET_MAX, SECRET_MIN, URL_MAX


class WebhookInput(Request):
    department_id: int = Field(ge=1, description="Förvaltningen vars ärendehändelser skickas")
    url: Annotated[str, Field(min_length=1, max_length=URL_MAX, description=(
        "https://…; http:// bara till 127.0.0.1 eller localhost (test och utveckling)"))]
    secret: Annotated[str | None, Field(min_length=SECRET_MIN, max_length=SECRET_MAX,
                                        description="Utelämnad: en hemlighet skapas")] = None


class WebhookDepartment(Answer):
    id: int = None
    name: str = None


class Webhook(Answer):
    id: int = None
    department: WebhookDepartment = None
    url: str = None
    active: bool = None
    created_at: datetime = None
    deactivated_at: datetime | None = None


class WebhookCreated(Webhook):
    secret: str = Field(None, description="Visas bara nu; signerar varje leverans")


class WebhookList(Answer):
    items: list[Webhook] = None


class WebhookDelivery(Answer):
    id: int = None
    webhook_id: int = None
    case_id: int = None
    event_id: int = None
    event: str = None
    status: Literal[WEBHOOK_DELIVERY_STATUSES] = None
    attempts: int = None
    created_at: datetime = None
    next_attempt_at: datetime | None = None
    last_status_code: int | None = None
    last_error: str | None = None
    delivered_at: datetime | None = None
    payload: dict[str, Any] = None


class WebhookDeliveryList(Answer):
    items: list[WebhookDelivery] = None


MODELS: list[type[BaseModel]] = [WebhookInput, WebhookDepartment, Webhook, WebhookCreated,
                                 WebhookList, WebhookDelivery, WebhookDeliveryList]
