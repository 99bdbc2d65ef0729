"""The admin log: every administrative change, who made it, when, and the values before and
after. It is append-only (the database refuses updates and deletes) and kept apart from the
case history. Every admin service calls :func:`record` in the same transaction as its change."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import Select, func, select

from workflow.models import AdminLogEntry, User
from workflow.platform.extensions import db

PAGE_SIZE = 50


def record(actor: User | None, action: str, target: Any, *, region_id: int | None = None,
           before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
           label: str | None = None) -> AdminLogEntry:
    """Add one entry for ``action`` (e.g. ``"department.rename"``) on ``target`` (a model
    instance). ``actor`` None means the command line. The caller commits."""
    region = region_id if region_id is not None else _region_of(actor, target)
    entry = AdminLogEntry(
        region_id=region,
        actor_id=actor.id if actor is not None else None,
        actor_name=actor.display_name if actor is not None else "kommandoraden",
        action=action, target_type=type(target).__tablename__,
        target_id=getattr(target, "id", None),
        target_label=(label if label is not None else _label(target))[:300],
        before=_jsonable(before), after=_jsonable(after))
    db.session.add(entry)
    return entry


def changes(old: dict[str, Any], new: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the keys whose values differ, as (before, after)."""
    keys = [k for k in new if old.get(k) != new.get(k)]
    return {k: old.get(k) for k in keys}, {k: new.get(k) for k in keys}


@dataclass(frozen=True)
class LogFilter:
    action: str | None = None
    actor_id: int | None = None
    target_type: str | None = None
    since: date | None = None
    until: date | None = None
    text: str | None = None


@dataclass(frozen=True)
class LogPage:
    entries: list[AdminLogEntry]
    total: int
    page: int
    pages: int
    exact: bool = True  # counted in full (the pagination macro reads it, as for case lists)


def entries(region_id: int, filters: LogFilter = LogFilter(), page: int = 1,
            per_page: int = PAGE_SIZE) -> LogPage:
    """The region's entries matching ``filters``, newest first."""
    query = _filtered(select(AdminLogEntry).where(AdminLogEntry.region_id == region_id), filters)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = db.session.scalars(query.order_by(AdminLogEntry.at.desc(), AdminLogEntry.id.desc())
                              .limit(per_page).offset((page - 1) * per_page))
    return LogPage(list(rows), total, page, pages)


def actions(region_id: int) -> list[str]:
    return list(db.session.scalars(select(AdminLogEntry.action).distinct()
                                   .where(AdminLogEntry.region_id == region_id)
                                   .order_by(AdminLogEntry.action)))


def _filtered(query: Select, f: LogFilter) -> Select:
    if f.action:
        query = query.where(AdminLogEntry.action == f.action)
    if f.actor_id:
        query = query.where(AdminLogEntry.actor_id == f.actor_id)
    if f.target_type:
        query = query.where(AdminLogEntry.target_type == f.target_type)
    if f.since:
        query = query.where(AdminLogEntry.at >= _start_of(f.since))
    if f.until:
        query = query.where(AdminLogEntry.at < _start_of(f.until + timedelta(days=1)))
    if f.text:
        query = query.where(AdminLogEntry.target_label.ilike(f"%{f.text}%"))
    return query


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def _region_of(actor: User | None, target: Any) -> int:
    for candidate in (getattr(target, "region_id", None),
                      getattr(getattr(target, "department", None), "region_id", None),
                      actor.region_id if actor is not None else None):
        if candidate is not None:
            return candidate
    raise ValueError("admin_log.record needs region_id for this target")


def _label(target: Any) -> str:
    for attribute in ("display_name", "name", "username", "title"):
        value = getattr(target, attribute, None)
        if value:
            return str(value)
    return f"{type(target).__name__} {getattr(target, 'id', '')}".strip()


def _jsonable(values: dict[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    return {key: (value.isoformat() if isinstance(value, (date, datetime)) else value)
            for key, value in values.items()}
