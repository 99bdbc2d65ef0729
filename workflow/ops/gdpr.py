"""A person's rights under the GDPR: a copy of their data (art. 15 and 20) and erasure of it
(art. 17), from the command line (``flask --app workflow gdpr-export|gdpr-erase``).

Erasure removes what identifies the person and keeps the cases and their history:

- the ``users`` row stays as a tombstone, so that every reference to it (case author, history
  actor, comment author, council scores, meetings, sign-offs) still resolves: display name
  "borttagen användare", a random username ``borttagen-<hex>``, email, password hash and every
  other optional text column (external ids from single sign-on) emptied, deactivated;
- API tokens are revoked; notifications, notification settings, follows and role assignments
  are deleted;
- history rows are not touched (they are append-only and hash-chained). They refer to the
  actor by id, so the history now shows "borttagen användare" and every chain still verifies.

Decision on what the person wrote: comments, case texts and council score comments are kept.
They are the case's content, what others decided on, and in a Swedish authority they are
allmänna handlingar that the archive rules (arkivlagen) decide over, not this tool. They are
shown as written by "borttagen användare". Whoever handles the request must read free texts
for the person's name by hand: a name typed into a text (a comment, a dossier's checklist
"who", a reminder's recipients in the history) is not found by this module.

The admin log keeps what administrators did; the erasure itself is logged there without any
personal data (the user's id and the new tombstone username).
"""
from __future__ import annotations

import secrets
from datetime import date, datetime
from typing import AbstractSet, Any

from sqlalchemy import String, delete, func, inspect, or_, select, update

from workflow.admin import log as admin_log
from workflow.models import (
    AdminLogEntry,
    ApiToken,
    BenefitReport,
    Case,
    CaseEvent,
    CaseFollower,
    Comment,
    Meeting,
    MeetingAttendee,
    Notification,
    NotificationSettings,
    RoleAssignment,
    Score,
    User,
    WebhookDelivery,
    utcnow,
)
from workflow.platform.errors import NotFound
from workflow.platform.extensions import db
from workflow.platform.uow import unit_of_work
from workflow.states.i18n import N_

ERASED_NAME = "borttagen användare"
ERASED_PREFIX = "borttagen-"
# Columns of the tombstone that keep their value: the key, the organisation, the flags.
KEPT_USER_COLUMNS = {"id", "region_id", "username", "display_name", "is_active_user"}
# Never exported: the password hash is a secret, not information about the person.
SECRET_COLUMNS = {"password_hash", "token_hash"}
CHAIN_COLUMNS = {"prev_hash", "hash"}


def find_user(username: str) -> User:
    user = db.session.scalar(select(User).where(
        or_(User.username == username, User.username == username.strip().lower())))
    if user is None:
        raise NotFound(message=N_("Det finns ingen användare med det användarnamnet."))
    return user


# ---------------------------------------------------------------- export

def export(user: User, now: datetime | None = None) -> dict[str, Any]:
    """Everything stored about ``user`` as JSON-ready data, and nothing about anyone else."""
    uid = user.id
    return {
        "exported_at": (now or utcnow()).isoformat(),
        "profile": {**_columns(user), "region": user.region.name},
        "role_assignments": [
            {**_columns(a, {"user_id"}), "unit": a.unit.name if a.unit else None,
             "department": a.department.name if a.department else None}
            for a in _rows(RoleAssignment, RoleAssignment.user_id == uid)],
        "ideas": [_columns(c) for c in _rows(Case, Case.author_id == uid)],
        "comments": [_columns(c, {"author_id"}) for c in _rows(Comment, Comment.author_id == uid)],
        "case_history": [_columns(e, {"actor_id"} | CHAIN_COLUMNS)
                         for e in _rows(CaseEvent, CaseEvent.actor_id == uid)],
        "scores": [_columns(s, {"user_id"}) for s in _rows(Score, Score.user_id == uid)],
        "benefit_reports": [_columns(r, {"reported_by_id"})
                            for r in _rows(BenefitReport, BenefitReport.reported_by_id == uid)],
        "notifications": [_columns(n, {"user_id"})
                          for n in _rows(Notification, Notification.user_id == uid)],
        "notification_settings": _settings(uid),
        "followed_cases": [f.case_id for f in _rows(CaseFollower, CaseFollower.user_id == uid)],
        "meetings_chaired": [m.id for m in _rows(Meeting, Meeting.chair_id == uid)],
        "meetings_attended": [_columns(a, {"user_id"})
                              for a in _rows(MeetingAttendee, MeetingAttendee.user_id == uid)],
        "api_tokens": [_columns(t, {"user_id"}) for t in _rows(ApiToken, ApiToken.user_id == uid)],
        "admin_actions": [_columns(e, {"actor_id", "actor_name"})
                          for e in _rows(AdminLogEntry, AdminLogEntry.actor_id == uid)],
    }


def _rows(model: Any, condition: Any) -> list[Any]:
    primary_key = inspect(model).primary_key
    return list(db.session.scalars(select(model).where(condition).order_by(*primary_key)))


def _settings(user_id: int) -> dict[str, Any] | None:
    settings = db.session.get(NotificationSettings, user_id)
    return _columns(settings, {"user_id"}) if settings is not None else None


def _columns(row: Any, leave_out: AbstractSet[str] = frozenset()) -> dict[str, Any]:
    """Every mapped column of ``row`` (so columns added later are exported too)."""
    return {attribute.key: _jsonable(getattr(row, attribute.key))
            for attribute in inspect(type(row)).column_attrs
            if attribute.key not in leave_out | SECRET_COLUMNS}


def _jsonable(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


# ---------------------------------------------------------------- erasure

def erase(user: User, now: datetime | None = None) -> str:
    """Erase ``user``'s personal data (see the module docstring); returns the tombstone's
    new username. One transaction: all of it or nothing."""
    now = now or utcnow()
    with unit_of_work():
        removed = _delete_personal_rows(user.id)
        removed["api_tokens_revoked"] = _revoke_tokens(user.id, now)
        removed["webhook_payloads_scrubbed"] = _scrub_webhook_payloads(user.id)
        db.session.expire(user)  # its role assignments are gone
        _make_tombstone(user)
        admin_log.record(None, "user.erase", user, region_id=user.region_id,
                         label=user.username, after=removed)
    return user.username


def _delete_personal_rows(user_id: int) -> dict[str, int]:
    counts = {}
    for name, model, column in (
            ("notifications", Notification, Notification.user_id),
            ("notification_settings", NotificationSettings, NotificationSettings.user_id),
            ("follows", CaseFollower, CaseFollower.user_id),
            ("role_assignments", RoleAssignment, RoleAssignment.user_id)):
        counts[name] = db.session.scalar(
            select(func.count()).select_from(model).where(column == user_id)) or 0
        db.session.execute(delete(model).where(column == user_id))
    return counts


def _scrub_webhook_payloads(user_id: int) -> int:
    """Webhook payloads (docs/webhooks.md) name the case's author and the event's actor as
    written when the event happened: those names become the tombstone's, in deliveries sent
    or still waiting. Returns how many payloads changed."""
    rows = db.session.execute(
        select(WebhookDelivery, Case.author_id, CaseEvent.actor_id)
        .join(Case, Case.id == WebhookDelivery.case_id)
        .join(CaseEvent, CaseEvent.id == WebhookDelivery.event_id)
        .where((Case.author_id == user_id) | (CaseEvent.actor_id == user_id))).all()
    for delivery, author_id, actor_id in rows:
        payload = dict(delivery.payload or {})
        if author_id == user_id and isinstance(payload.get("case"), dict) \
                and payload["case"].get("author"):
            payload["case"] = {**payload["case"], "author": ERASED_NAME}
        if actor_id == user_id and payload.get("actor"):
            payload["actor"] = ERASED_NAME
        delivery.payload = payload
    return len(rows)


def _revoke_tokens(user_id: int, now: datetime) -> int:
    result = db.session.execute(update(ApiToken)
                                .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
                                .values(revoked_at=now))
    return result.rowcount or 0


def _make_tombstone(user: User) -> None:
    for name in _identifying_columns():
        setattr(user, name, None)
    user.display_name = ERASED_NAME
    user.username = ERASED_PREFIX + secrets.token_hex(8)
    user.is_active_user = False


def _identifying_columns() -> list[str]:
    """Every optional text column of ``users`` (email, password hash, external ids, and any
    added later), which the tombstone empties."""
    return [attribute.key for attribute in inspect(User).column_attrs
            if attribute.key not in KEPT_USER_COLUMNS
            and all(isinstance(c.type, String) and c.nullable for c in attribute.columns)]
