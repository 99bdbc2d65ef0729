"""Webhooks: a förvaltning's case events, delivered as signed JSON to a URL a region
administrator registered (docs/webhooks.md).

- Each history row (:func:`workflow.platform.uow.record`) of a case adds one delivery per
  active webhook of the case's förvaltning, in the same transaction: a refused or rolled-back
  event delivers nothing.
- The payload names the case and the event; an anonymous case's carries no author, no actor
  and no comment (docs/threat-model.md).
- The scheduler's ``deliver_webhooks`` job (:func:`deliver_due`) POSTs each due delivery,
  signed with HMAC-SHA256 of the raw body; an answer other than 2xx, or none, is retried after
  1, 2, 4 … minutes, and after :data:`MAX_ATTEMPTS` attempts the delivery is ``failed``.
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
from datetime import datetime, timedelta
from typing import Any, Mapping
from urllib.parse import urlsplit

from sqlalchemy import bindparam, inspect, select, update

from workflow.admin import log as admin_log
from workflow.models import (
    Case,
    CaseEvent,
    Department,
    User,
    Webhook,
    WebhookDelivery,
    utcnow,
)
from workflow.platform.errors import NotFound, ValidationFailed
from workflow.platform.extensions import db
from workflow.platform.uow import on_record, unit_of_work
from workflow.platform.validation import as_id, has_control
from workflow.processes.registry import process_of
from workflow.states.i18n import N_

log = logging.getLogger("workflow.webhooks")

URL_MAX = 500
SECRET_MIN, SECRET_MAX = 16, 200
MAX_ATTEMPTS = 8  # then the delivery is failed: retried after 1, 2, 4 … 64 minutes
TIMEOUT_SECONDS = 5
BATCH = 100  # deliveries per run of the job; the rest wait for the next minute
ERROR_MAX = 200
LOOPBACK_NAMES = {"localhost"}
SIGNATURE_HEADER = "X-Idefloedet-Signature"
EVENT_HEADER = "X-Idefloedet-Event"
DELIVERY_HEADER = "X-Idefloedet-Delivery"
USER_AGENT = "Idefloedet-Webhooks/1"


# ---------------------------------------------------------------- administration

def webhooks_of(region_id: int, department_id: int | None = None) -> list[Webhook]:
    """The region's webhooks (of one förvaltning if given), active first, newest first."""
    query = (select(Webhook).join(Department).where(Department.region_id == region_id)
             .order_by(Webhook.active.desc(), Webhook.id.desc()))
    if department_id is not None:
        query = query.where(Webhook.department_id == department_id)
    return list(db.session.scalars(query))


def get_webhook(actor: User, webhook_id: Any) -> Webhook:
    hook = db.session.get(Webhook, key) if (key := as_id(webhook_id)) else None
    if hook is None or hook.department.region_id != actor.region_id:
        raise NotFound(message=N_("Webhooken finns inte."))
    return hook


def register(actor: User, fields: Mapping[str, Any]) -> tuple[Webhook, str]:
    """A new active webhook and its secret (the given one, or a generated one), which is
    shown this once. The admin log names the URL, never the secret."""
    errors: dict[str, Any] = {}
    department = _department(actor, fields.get("department_id"), errors)
    url = _url(fields.get("url"), errors)
    secret = _secret(fields.get("secret"), errors)
    if errors:
        raise ValidationFailed(errors)
    with unit_of_work():
        hook = Webhook(department=department, url=url, secret=secret,
                       created_by_id=actor.id, created_at=utcnow())
        db.session.add(hook)
        db.session.flush()
        admin_log.record(actor, "webhook.create", hook, region_id=actor.region_id,
                         label=_label(hook),
                         after={"department": department.name, "url": url, "active": True})
    return hook, secret


def deactivate(actor: User, hook: Webhook, now: datetime | None = None) -> Webhook:
    """Stop delivering to ``hook``; what is still pending is marked failed. Deactivating an
    inactive webhook changes nothing."""
    if not hook.active:
        return hook
    now = now or utcnow()
    with unit_of_work():
        hook.active = False
        hook.deactivated_at = now
        db.session.execute(update(WebhookDelivery)
                           .where(WebhookDelivery.webhook_id == hook.id,
                                  WebhookDelivery.status == "pending")
                           .values(status="failed", last_error="webhook deactivated"))
        admin_log.record(actor, "webhook.deactivate", hook, region_id=actor.region_id,
                         label=_label(hook), before={"active": True}, after={"active": False})
    return hook


def deliveries(hook: Webhook, limit: int = 50) -> list[WebhookDelivery]:
    """The webhook's latest deliveries, newest first."""
    return list(db.session.scalars(select(WebhookDelivery)
                                   .where(WebhookDelivery.webhook_id == hook.id)
                                   .order_by(WebhookDelivery.id.desc()).limit(limit)))


def _label(hook: Webhook) -> str:
    return f"{hook.department.name}: {hook.url}"


def _department(actor: User, value: Any, errors: dict[str, Any]) -> Department | None:
    department = db.session.get(Department, key) if (key := as_id(value)) else None
    if department is None or department.region_id != actor.region_id:
        errors["department_id"] = N_("Välj en förvaltning.")
        return None
    return department


def _url(value: Any, errors: dict[str, Any]) -> str:
    url = value.strip() if isinstance(value, str) else ""
    if not url:
        errors["url"] = N_("Ange webhookens adress.")
    elif len(url) > URL_MAX or has_control(url) or any(c.isspace() for c in url):
        errors["url"] = (N_("Adressen får vara högst %(max)s tecken, utan mellanslag."),
                         {"max": URL_MAX})
    elif not _allowed_url(url):
        errors["url"] = N_("Adressen måste börja med https://. http:// går bara till den egna "
                           "datorn (127.0.0.1 eller localhost), för test och utveckling.")
    return url


def _allowed_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018  (a port that is no number raises ValueError)
    except ValueError:
        return False
    if not host or parts.username is not None or parts.password is not None:
        return False
    if parts.scheme == "https":
        return True
    return parts.scheme == "http" and _is_loopback(host)


def _is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _secret(value: Any, errors: dict[str, Any]) -> str:
    secret = value.strip() if isinstance(value, str) else ""
    if value is not None and not isinstance(value, str):
        errors["secret"] = N_("Hemligheten ska vara text.")
    elif not secret:
        return secrets.token_urlsafe(32)
    elif not SECRET_MIN <= len(secret) <= SECRET_MAX or has_control(secret):
        errors["secret"] = (N_("Hemligheten ska vara %(min)s–%(max)s tecken, eller lämnas tom "
                               "så skapas en."), {"min": SECRET_MIN, "max": SECRET_MAX})
    return secret


# ---------------------------------------------------------------- enqueueing

_ACTIVE_HOOKS = (select(Webhook).where(Webhook.department_id == bindparam("department_id"),
                                        Webhook.active.is_(True)).order_by(Webhook.id))


@on_record
def enqueue(entry: CaseEvent) -> list[WebhookDelivery]:
    """One pending delivery of ``entry`` per active webhook of its case's förvaltning, added
    to the session of the event's own transaction."""
    case = entry.case
    department_id = case.department_id if case.department_id is not None else (
        case.department.id if case.department is not None else None)
    if department_id is None:
        return []
    department = case.__dict__.get("department")  # loaded with the case, if it was
    if department is not None and department.id == department_id and \
            "has_active_webhooks" not in inspect(department).unloaded and \
            not department.has_active_webhooks:
        return []  # read with the case (cases/service.py CASE_LOADS): no query needed
    with db.session.no_autoflush:  # the case may be half-written until its unit ends
        hooks = list(db.session.scalars(_ACTIVE_HOOKS, {"department_id": department_id}))
        if not hooks:
            return []
        body = payload(case, entry)
    added = []
    for hook in hooks:
        delivery = WebhookDelivery(webhook=hook, case=case, case_event=entry, event=entry.event,
                                   payload=body, status="pending", attempts=0,
                                   created_at=entry.at, next_attempt_at=entry.at)
        db.session.add(delivery)
        added.append(delivery)
    return added


def payload(case: Case, entry: CaseEvent) -> dict[str, Any]:
    """What a receiver learns of the event (docs/webhooks.md). An anonymous case: no author,
    no actor, no comment."""
    process = process_of(case)
    states, events = process.definition.states, process.definition.events
    department = case.department
    body: dict[str, Any] = {
        "case": {
            "id": case.id, "title": case.title, "state": entry.to_state,
            **_labels("state_label", states[entry.to_state].label
                      if entry.to_state in states else None),
            "diarienummer": case.diarienummer,
            "department": {"id": department.id, "name": department.name},
            "unit": {"id": case.unit.id, "name": case.unit.name} if case.unit else None,
            "anonymous": case.anonymous,
        },
        "event": entry.event,
        **_labels("event_label", events[entry.event].label if entry.event in events else None),
        "from": entry.from_state,
        "to": entry.to_state,
        "at": entry.at.isoformat(),
    }
    if not case.anonymous:
        body["case"]["author"] = case.author.display_name if case.author else None
        body["actor"] = entry.actor.display_name if entry.actor else None
        body["comment"] = entry.comment
    return body


def _labels(key: str, label: Any) -> dict[str, str | None]:
    """A process label in Swedish (``key``) and English (``key``_en); None for both when the
    history row is no process event (e.g. ``edit``, a dossier save)."""
    return {key: label.sv if label else None, f"{key}_en": label.en if label else None}


# ---------------------------------------------------------------- delivering

def sign(secret: str, body: bytes) -> str:
    """The signature header's value: ``sha256=`` and the hex HMAC-SHA256 of the raw body."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def body_of(delivery: WebhookDelivery) -> bytes:
    """The raw JSON that is sent (and signed): the payload with the delivery's and the history
    row's ids."""
    document = {"delivery_id": delivery.id, "event_id": delivery.event_id, **delivery.payload}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"),
                      sort_keys=True).encode("utf-8")


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: 1, 2, 4, 8 … minutes."""
    return timedelta(minutes=2 ** max(0, attempts - 1))


def deliver_due(now: datetime, http: Any = None) -> int:
    """Send every due delivery of an active webhook (oldest first); returns how many were
    delivered. Each outcome is committed at once, so nothing is sent twice. ``http``: the
    ``requests`` module unless told (imported here: only the scheduler sends, and a web
    worker need not carry it, issue 14)."""
    if http is None:
        import requests as http
    due = list(db.session.scalars(
        select(WebhookDelivery.id).join(Webhook)
        .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now,
               Webhook.active.is_(True))
        .order_by(WebhookDelivery.id).limit(BATCH)))
    delivered = 0
    for delivery_id in due:
        with unit_of_work():
            delivery = db.session.get(WebhookDelivery, delivery_id)
            if delivery is None or delivery.status != "pending":
                continue
            delivered += _attempt(delivery, now, http)
    return delivered


def _attempt(delivery: WebhookDelivery, now: datetime, http: Any) -> bool:
    from requests import RequestException
    hook = delivery.webhook
    body = body_of(delivery)
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT,
               SIGNATURE_HEADER: sign(hook.secret, body), EVENT_HEADER: delivery.event,
               DELIVERY_HEADER: str(delivery.id)}
    delivery.attempts += 1
    try:
        response = http.post(hook.url, data=body, headers=headers, timeout=TIMEOUT_SECONDS,
                             allow_redirects=False)
        status, error = response.status_code, None
        response.close()
    except RequestException as exc:  # no answer: the kind of failure, nothing more
        status, error = None, type(exc).__name__
    delivery.last_status_code = status
    if status is not None and 200 <= status < 300:
        delivery.status, delivery.delivered_at, delivery.last_error = "delivered", now, None
        return True
    delivery.last_error = (error or f"HTTP {status}")[:ERROR_MAX]
    if delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = "failed"
    else:
        delivery.next_attempt_at = now + backoff(delivery.attempts)
    log.warning("webhook delivery %s to webhook %s failed (attempt %s): %s", delivery.id,
                hook.id, delivery.attempts, delivery.last_error)
    return False
