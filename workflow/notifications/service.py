"""Notifications: telling people what happened and what waits for them.

Each notification has a unique key, so whatever creates it (an event, a job run twice, a
job catching up after downtime) can never create it twice. The scheduler process sends the
emails; web processes only write rows.
"""
from __future__ import annotations

import hashlib
import json
import secrets
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import (
    Boolean,
    String,
    and_,
    bindparam,
    cast,
    exists,
    func,
    inspect,
    literal,
    literal_column,
    null,
    or_,
    select,
    true,
)
from sqlalchemy import (
    case as sql_case,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.expression import FromClause

from workflow.models import (
    AnonymousSubmission,
    Case,
    CaseEvent,
    CaseFollower,
    InfoObject,
    Notification,
    NotificationSettings,
    StatusToken,
    User,
    utcnow,
)
from workflow.notifications import messages
from workflow.notifications.messages import message
from workflow.platform import uow
from workflow.platform.audit import Follow
from workflow.platform.extensions import db
from workflow.platform.sqlite_functions import sqlite_function
from workflow.processes.registry import process_of, registry
from workflow.states import features
from workflow.states.i18n import N_
from workflow.states.roles import ROLES

RULES_KEY = "workflow.notification_rules"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
EMAIL_MODES = ("immediate", "digest")
KINDS: dict[str, str] = {
    "status": N_("Ändringar i idéer jag har lämnat"),
    "followed": N_("Ändringar i ärenden jag följer"),
    "reminder": N_("Påminnelser om ärenden som väntar på mig"),
    "escalation": N_("Ärenden som har väntat för länge"),
    "follow_up": N_("Uppföljning av nytta"),
    "review": N_("Årlig översyn av klassning"),
    "digest": N_("Veckosammanfattning av Att göra"),
    "meeting": N_("Påminnelser om möten med dagordning"),
}
SYSTEM_EVENTS = ("reminder", "escalation")


class RulesError(ValueError):
    def __init__(self, source: str, entry: str, problem: str, fix: str):
        super().__init__(f"{source}: {entry}: {problem}. {fix}")


@dataclass(frozen=True)
class Escalation:
    after_days: int
    to_roles: tuple[str, ...]


@dataclass(frozen=True)
class Rules:
    reminders: bool
    escalation: Mapping[str, Escalation]
    checkpoint_months: tuple[int, ...]
    review_months: int
    review_roles: tuple[str, ...]
    digest_weekday: int
    digest_hour: int
    email_enabled: bool
    email_mode: str


def load_rules(path: Path, states: Iterable[str]) -> Rules:
    """Read config/notifications.toml; a broken file stops start-up naming the entry."""
    source = str(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(source, "TOML", f"cannot be parsed ({exc})", "Fix the syntax.") from exc
    known_states = set(states)
    escalation = {}
    for state, item in raw.get("escalation", {}).items():
        entry = f"[escalation.{state}]"
        if state not in known_states:
            raise RulesError(source, entry, f"unknown state '{state}'",
                             "Name a state of the process definition.")
        escalation[state] = Escalation(
            after_days=_positive(item.get("after_days"), source, f"{entry}.after_days"),
            to_roles=_roles(item.get("to_roles"), source, f"{entry}.to_roles"))
    digest, email = raw.get("digest", {}), raw.get("email", {})
    weekday = str(digest.get("weekday", "monday")).lower()
    if weekday not in WEEKDAYS:
        raise RulesError(source, "[digest].weekday", f"unknown day '{weekday}'",
                         f"Use one of: {', '.join(WEEKDAYS)}.")
    hour = digest.get("hour", 7)
    if not isinstance(hour, int) or not 0 <= hour <= 23:
        raise RulesError(source, "[digest].hour", "must be a whole hour 0-23", "Write e.g. 7.")
    mode = email.get("mode", "immediate")
    if mode not in EMAIL_MODES:
        raise RulesError(source, "[email].mode", f"unknown mode '{mode}'",
                         "Use 'immediate' or 'digest'.")
    months = raw.get("benefit_follow_up", {}).get("checkpoint_months", [6, 12])
    review = raw.get("annual_review", {})
    return Rules(
        reminders=bool(raw.get("reminders", {}).get("enabled", True)), escalation=escalation,
        checkpoint_months=tuple(_positive(m, source, "[benefit_follow_up]") for m in months),
        review_months=_positive(review.get("months", 12), source, "[annual_review].months"),
        review_roles=_roles(review.get("to_roles", ["security"]), source,
                            "[annual_review].to_roles"),
        digest_weekday=WEEKDAYS.index(weekday), digest_hour=hour,
        email_enabled=bool(email.get("enabled", True)), email_mode=mode)


def _positive(value: Any, source: str, entry: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise RulesError(source, entry, "must be a whole number from 1", "Write e.g. 14.")
    return value


def _roles(value: Any, source: str, entry: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise RulesError(source, entry, "must be a non-empty list of roles",
                         'Write e.g. ["management"].')
    for role in value:
        if role not in ROLES:
            raise RulesError(source, entry, f"unknown role '{role}'",
                             f"Use one of: {', '.join(ROLES)}.")
    return tuple(value)


def rules() -> Rules:
    return current_app.extensions[RULES_KEY]


# ---------------------------------------------------------------- creating notifications

def settings_for(user: User) -> NotificationSettings:
    return _or_defaults(user, db.session.get(NotificationSettings, user.id))


def _or_defaults(user: User, found: NotificationSettings | None) -> NotificationSettings:
    """The person's stored settings, or (no row) the defaults of config/notifications.toml."""
    if found is not None:
        return found
    defaults = _default_wishes()
    return NotificationSettings(user_id=user.id, email_enabled=defaults.email_enabled,
                                email_mode=defaults.email_mode, email_kinds=defaults.email_kinds)


def _default_wishes() -> "Wishes":
    """The settings of config/notifications.toml, for a person who saved none."""
    defaults = rules()
    return Wishes(defaults.email_enabled, defaults.email_mode, list(KINDS))


@dataclass(frozen=True, slots=True)
class Recipient:
    """A person to tell, as :func:`_recipients` reads them: columns, not an entity."""
    id: int
    email: str | None


@dataclass(frozen=True, slots=True)
class Wishes:
    """A person's notification settings as :func:`_recipients` reads them."""
    email_enabled: bool
    email_mode: str
    email_kinds: list[str] | None


def notify(user: User | Recipient, kind: str, key: str, subject: dict[str, Any],
           body: Sequence[messages.Part], *, case: Case | None = None,
           now: datetime | None = None, settings: NotificationSettings | Wishes | None = None,
           new_key: bool = False, texts: tuple[str, str] | None = None
           ) -> Notification | None:
    """Create the notification unless one with ``key`` exists; returns the new one or None.

    ``subject`` is a message (``messages.message``), ``body`` a list of lines (messages, or
    plain strings shown as written): kept as msgids and parameters and shown in the reader's
    language (workflow/notifications/messages.py). ``settings``: the person's settings when
    the caller has read them already (:func:`settings_for`). ``new_key``: the key names a row
    this transaction has just inserted, so no notification can have it yet (nothing to look
    up; the unit of work's INSERT skips a key that exists all the same). ``texts``: the
    stored texts (``messages.stored_texts``) when the caller has them already."""
    if not new_key and db.session.scalar(
            select(Notification.id).where(Notification.key == key)) is not None:
        return None
    if settings is None:
        settings = settings_for(user)
    subject_text, body_text = texts or messages.stored_texts(subject, body)
    owner: dict[str, Any] = {"user": user} if isinstance(user, User) else {"user_id": user.id}
    notification = Notification(
        key=key, **owner, case=case, kind=kind, subject=subject_text, body=body_text,
        subject_key=subject["key"], subject_params=subject.get("params") or {},
        body_parts=list(body), created_at=now or utcnow(),
        email_mode=email_mode_for(settings, user.email, kind))
    work = uow.current()
    if work is not None:  # added with the unit of work's other notifications, in one batch
        return work.add_notification(notification)
    try:
        with db.session.begin_nested():
            db.session.add(notification)
    except IntegrityError:  # another process created it a moment ago
        return None
    return notification


def email_mode_for(settings: NotificationSettings | Wishes, email: str | None,
                   kind: str) -> str | None:
    """How a notification of ``kind`` is emailed to a person with ``settings`` and ``email``
    ("immediate", "digest"), or None: not emailed. :func:`_email_mode_column` says the same
    in SQL (tests/test_notifications.py checks that the two agree)."""
    if not (settings.email_enabled and email and kind in (settings.email_kinds or KINDS)):
        return None
    return "immediate" if kind == "digest" else settings.email_mode


def case_changed(case: Case, entry: CaseEvent, now: datetime) -> int:
    """Tell the submitter and the followers about a change of state (in the same
    transaction as the change). An anonymous submitter follows through the status link.
    A transition writes these rows with its history row instead (:func:`transition_follow`);
    this is for a merge, the row appended by the two-step path, and other databases."""
    if entry.from_state == entry.to_state:
        return 0
    subject, body = _change_message(case, entry)
    created, texts = 0, None
    # The key names the history row this transaction has just inserted (rows are never
    # deleted, so its id is never used again): no notification can have it yet.
    for user_id, (user, kind, settings) in _recipients(case).items():
        if entry.actor_id == user_id:
            continue  # they did it themselves
        texts = texts or messages.stored_texts(subject, body)  # the same for everyone
        if notify(user, kind, f"event:{entry.id}:user:{user_id}", subject, body,
                  case=case, now=now, settings=settings, new_key=uow.current() is not None,
                  texts=texts):
            created += 1
    return created


def transition_follow(case: Case, entry: CaseEvent, now: datetime,
                      dialect: str) -> Follow | None:
    """:func:`case_changed`'s notifications as an INSERT … SELECT that the transition writes
    with its history row (platform/audit.py ``append``; issue 14): the same people, kinds,
    keys, texts and email choices, chosen by the database (:func:`_email_mode_column`).
    None when the state stays, for a merge, whose message names the other case, and on a
    database other than PostgreSQL and SQLite (:func:`case_changed` writes those)."""
    build = _NOTIFICATIONS_OF_TRANSITION.get(dialect)
    if build is None or entry.from_state == entry.to_state or entry.event == features.MERGE:
        return None
    subject, body = _change_message(case, entry)
    subject_text, body_text = messages.stored_texts(subject, body)
    defaults = rules()
    return Follow(build, {
        "case_id": case.id, "submitter_id": case.author_id, "actor_id": entry.actor_id,
        "notice_subject": subject_text, "notice_body": body_text,
        "notice_subject_key": subject["key"],
        "notice_subject_params": subject.get("params") or {}, "notice_body_parts": list(body),
        "notice_at": now, "notice_default_enabled": defaults.email_enabled,
        "notice_default_mode": defaults.email_mode})


def _change_message(case: Case, entry: CaseEvent) -> tuple[dict[str, Any], list[messages.Part]]:
    """The subject and the lines of the message about ``entry``'s change of state."""
    process = process_of(case)
    event = process.definition.events.get(entry.event)
    state = process.state(entry.to_state)
    if entry.event in COMMITTEE_DECISIONS:
        subject = message(N_("Ärende %(case)s: nämndens beslut, %(decision)s"), case=case.id,
                          decision=message(COMMITTEE_DECISIONS[entry.event]))
    else:
        subject = message(N_("Ärende %(case)s: %(event)s"), case=case.id,
                          event=event.label if event else entry.event)
    body: list[messages.Part] = [
        case.title, "", message(N_("Nytt läge: %(state)s. %(plain)s"), state=state.label,
                                plain=state.plain)]
    if entry.event in COMMITTEE_DECISIONS:
        body += ["", _committee_line(entry)]
    if entry.comment:
        body += ["", message(_comment_heading(entry.event), text=entry.comment)]
    if entry.event == features.MERGE and case.merged_into is not None:
        target = case.merged_into
        body += ["", message(N_("Idén drivs vidare i ärende %(case)s: %(title)s. Följ det "
                                "ärendet om du vill få veta hur det går."),
                             case=target.id, title=target.title)]
    return subject, body


def _comment_heading(event: str) -> str:
    """The msgid that shows an event's comment under its heading."""
    return {features.REJECT: N_("Motivering: %(text)s"), features.DECIDE_NO: N_("Beslut: %(text)s"),
            features.DECIDE_YES: N_("Beslut: %(text)s"),
            features.REMIT: N_("Det nämnden vill ha utrett: %(text)s"),
            features.RETURN: N_("Kommentar: %(text)s"),
            features.MERGE: N_("Kommentar: %(text)s")}.get(event, N_("Kommentar: %(text)s"))


# How the nämnd's decision reads in the message, e.g. "Nämndens beslut: återremiss
# (Socialnämnden, sammanträdet 2026-11-18, § 87, diarienummer SON 2026/123)." (docs/decisions.md)
COMMITTEE_DECISIONS = {features.DECIDE_YES: N_("bifall"), features.DECIDE_NO: N_("avslag"),
                       features.REMIT: N_("återremiss")}


def _committee_line(entry: CaseEvent) -> dict[str, Any]:
    data = entry.data or {}
    params = {"decision": message(COMMITTEE_DECISIONS[entry.event]),
              "committee": data.get("committee") or message(N_("nämnden")),
              "date": data.get("meeting_date") or "—",
              "paragraph": data.get("decision_reference") or "§ —"}
    if data.get("diarienummer"):
        return message(N_("Nämndens beslut: %(decision)s (%(committee)s, sammanträdet %(date)s, "
                          "%(paragraph)s, diarienummer %(diarienummer)s)."),
                       diarienummer=data["diarienummer"], **params)
    return message(N_("Nämndens beslut: %(decision)s (%(committee)s, sammanträdet %(date)s, "
                      "%(paragraph)s)."), **params)


# The case's active followers and its author (an author_id of NULL matches no one), each
# with their notification settings if they saved any: as columns (issue 14: loading them as
# entities cost as much as the rest of the notification).
_RECIPIENTS = (
    select(User.id, User.email, NotificationSettings.user_id.label("saved"),
           NotificationSettings.email_enabled, NotificationSettings.email_mode,
           NotificationSettings.email_kinds)
    .outerjoin(NotificationSettings, NotificationSettings.user_id == User.id)
    .where((User.id.in_(select(CaseFollower.user_id)
                        .where(CaseFollower.case_id == bindparam("case_id")))
            & User.is_active_user.is_(True))
           | (User.id == bindparam("submitter_id"))))


def _email_mode_column(recipient: Any, kind: Any, dialect: str) -> Any:
    """:func:`email_mode_for` in SQL for the kinds a transition tells ("status",
    "followed"), over a row of ``_RECIPIENTS`` (the person's saved settings or, with none
    saved, the defaults given as parameters). PostgreSQL: a CASE
    (so that the JSON functions only see an array; tests/test_notifications.py checks that
    it agrees with the Python); SQLite: :func:`email_mode_for` itself."""
    default_enabled = bindparam("notice_default_enabled", type_=Boolean)
    default_mode = bindparam("notice_default_mode", type_=String)
    if dialect == "sqlite":
        return func.workflow_email_mode(
            recipient.c.saved, recipient.c.email_enabled, recipient.c.email_mode,
            recipient.c.email_kinds, recipient.c.email, kind, default_enabled, default_mode)
    saved = recipient.c.saved.is_not(None)
    kinds = recipient.c.email_kinds
    enabled = sql_case((saved, recipient.c.email_enabled), else_=default_enabled)
    mode = sql_case((saved, recipient.c.email_mode), else_=default_mode)
    listed = exists(select(literal_column("1"))
                    .select_from(func.json_array_elements_text(kinds).alias("kind"))
                    .where(literal_column("kind.value") == kind))
    every_kind = or_(~saved, kinds.is_(None), func.json_typeof(kinds) != "array")
    kind_wanted = sql_case((every_kind, true()), (func.json_array_length(kinds) == 0, true()),
                           else_=listed)
    wanted = and_(enabled, recipient.c.email.is_not(None), recipient.c.email != "")
    return sql_case((and_(wanted, kind_wanted), mode), else_=null())


@sqlite_function("workflow_email_mode", 8)
def _sqlite_email_mode(saved: Any, enabled: Any, mode: str | None, kinds: str | None,
                       email: str | None, kind: str, default_enabled: Any,
                       default_mode: str) -> str | None:
    """:func:`email_mode_for` for SQLite's statements (``kinds`` as stored: JSON text)."""
    wishes = (Wishes(bool(enabled), mode, json.loads(kinds) if kinds is not None else None)
              if saved is not None else Wishes(bool(default_enabled), default_mode, list(KINDS)))
    return email_mode_for(wishes, email, kind)


def _notifications_of_transition(dialect: str, appended: FromClause) -> Any:
    """INSERT INTO notifications … SELECT one row per person ``_RECIPIENTS`` names but the
    actor, keyed by the new history row (``appended``), as :func:`case_changed` would."""
    recipient = _RECIPIENTS.subquery("recipient")
    kind = sql_case((recipient.c.id == bindparam("submitter_id"), literal("status")),
                    else_=literal("followed"))
    columns = Notification.__table__.c
    key = (literal("event:") + cast(appended.c.appended_id, String) + literal(":user:")
           + cast(recipient.c.id, String))
    rows = (select(key, recipient.c.id, bindparam("case_id", type_=columns.case_id.type), kind,
                   bindparam("notice_subject", type_=columns.subject.type),
                   bindparam("notice_body", type_=columns.body.type),
                   bindparam("notice_subject_key", type_=columns.subject_key.type),
                   bindparam("notice_subject_params", type_=columns.subject_params.type),
                   bindparam("notice_body_parts", type_=columns.body_parts.type),
                   bindparam("notice_at", type_=columns.created_at.type),
                   _email_mode_column(recipient, kind, dialect))
            .select_from(appended.join(recipient, true()))
            .where(recipient.c.id.is_distinct_from(bindparam("actor_id"))))
    return (uow.insert_ignoring_conflicts(Notification.__table__, dialect,
                                          index_elements=[columns.key])
            .from_select(["key", "user_id", "case_id", "kind", "subject", "body", "subject_key",
                          "subject_params", "body_parts", "created_at", "email_mode"], rows)
            .returning(columns.id))


# One builder per database (built once: platform/audit.py caches the statements by it).
_NOTIFICATIONS_OF_TRANSITION = {dialect: partial(_notifications_of_transition, dialect)
                                for dialect in ("postgresql", "sqlite")}


def _recipients(case: Case) -> dict[int, tuple[Recipient, str, Wishes]]:
    """The submitter ("status"), then the active followers ("followed"), each with their
    settings (or the defaults), read in one query."""
    rows = db.session.connection().execute(
        _RECIPIENTS, {"case_id": case.id, "submitter_id": case.author_id}).all()  # columns
    people = [(Recipient(row.id, row.email),
               Wishes(row.email_enabled, row.email_mode, row.email_kinds)
               if row.saved is not None else _default_wishes())
              for row in rows]
    recipients = {user.id: (user, "status", settings) for user, settings in people
                  if user.id == case.author_id}
    for user, settings in people:
        recipients.setdefault(user.id, (user, "followed", settings))
    return recipients


# ---------------------------------------------------------------- reading and settings

def unread_count(user: User) -> int:
    """How many of the person's notifications are unread: as read with the person where the
    user loader read it (``User.unread_notifications``), else asked now."""
    if "unread_notifications" not in inspect(user).unloaded:
        return user.unread_notifications or 0
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def recent(user: User, limit: int = 50) -> list[Notification]:
    query = (select(Notification).where(Notification.user_id == user.id)
             .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit))
    return list(db.session.scalars(query))


def get_notification(user: User, notification_id: int) -> Notification:
    """One of the user's own notifications; NotFound for anyone else's (the API's 404)."""
    from workflow.platform.errors import NotFound
    row = db.session.get(Notification, notification_id)
    if row is None or row.user_id != user.id:
        raise NotFound(message=N_("Aviseringen finns inte."))
    return row


def mark_read(user: User, notification_id: int | None = None, now: datetime | None = None) -> int:
    query = select(Notification).where(Notification.user_id == user.id,
                                       Notification.read_at.is_(None))
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    rows = list(db.session.scalars(query))
    with uow.unit_of_work():
        for row in rows:
            row.read_at = now or utcnow()
    return len(rows)


def save_settings(user: User, *, email_enabled: bool, email_mode: str,
                  email_kinds: Iterable[str]) -> NotificationSettings:
    from workflow.platform.errors import ValidationFailed
    kinds = list(email_kinds)
    if email_mode not in EMAIL_MODES:
        raise ValidationFailed({"email_mode": N_("Välj ett av alternativen.")})
    if any(kind not in KINDS for kind in kinds):
        raise ValidationFailed({"email_kinds": N_("Välj ett av alternativen.")})
    settings = db.session.get(NotificationSettings, user.id) or NotificationSettings(
        user_id=user.id)
    with uow.unit_of_work():
        settings.email_enabled, settings.email_mode, settings.email_kinds = (
            email_enabled, email_mode, kinds)
        db.session.add(settings)
    return settings


def is_following(user: User, case: Case) -> bool:
    db.session.flush()  # a follow added in this session counts
    return db.session.connection().scalar(_FOLLOWING, {"case_id": case.id,
                                                       "user_id": user.id}) is not None


# A column, not the entity (issue 14: loading it by primary key cost a quarter millisecond).
_FOLLOWING = select(CaseFollower.user_id).where(CaseFollower.case_id == bindparam("case_id"),
                                                CaseFollower.user_id == bindparam("user_id"))


def follow(user: User, case: Case, follow: bool = True) -> None:
    existing = db.session.get(CaseFollower, (case.id, user.id))
    try:
        with uow.unit_of_work():
            if follow and existing is None:
                db.session.add(CaseFollower(case_id=case.id, user_id=user.id))
            elif not follow and existing is not None:
                db.session.delete(existing)
    except IntegrityError:  # a double click from two tabs: rolled back, nothing to do
        pass


# ---------------------------------------------------------------- anonymous status links

def issue_status_token(case: Case) -> str:
    """A secret link for an anonymous submitter, shown once; only its digest is kept."""
    token = new_status_secret()
    db.session.add(StatusToken(token_hash=_digest(token), case=case))
    return token


def new_status_secret() -> str:
    return secrets.token_urlsafe(24)


def status_digest(token: str) -> str:
    return _digest(token)


def case_for_status_token(token: str) -> Case | None:
    if not token or len(token) > 100:
        return None
    row = db.session.get(StatusToken, _digest(token))
    return row.case if row else None


def is_held_submission(token: str) -> bool:
    """True while the anonymous idea behind ``token`` waits for tonight's batch."""
    if not token or len(token) > 100:
        return False
    return db.session.get(AnonymousSubmission, _digest(token)) is not None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------- helpers for the jobs

def local_time(moment: datetime) -> datetime:
    return moment.astimezone(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"]))


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


def digest_moment(now: datetime) -> datetime:
    """This week's digest time (local), so a scheduler that was down catches up later."""
    local = local_time(now)
    monday = (local - timedelta(days=local.weekday())).replace(
        hour=rules().digest_hour, minute=0, second=0, microsecond=0)
    return monday + timedelta(days=rules().digest_weekday)


def objects_due_for_review(now: datetime) -> list[InfoObject]:
    limit = add_months(local_time(now).date(), -rules().review_months)
    query = select(InfoObject).where((InfoObject.last_review.is_(None))
                                     | (InfoObject.last_review < limit))
    return list(db.session.scalars(query))


def states_with_targets() -> dict[str, int]:
    targets: dict[str, int] = {}
    for process in registry().all():
        for state in process.definition.states.values():
            if state.target_days:
                targets.setdefault(state.name, state.target_days)
    return targets
