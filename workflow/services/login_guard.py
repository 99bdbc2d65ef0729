"""Lockout after repeated failed password logins, the same for every worker and host.

Each failed attempt counts against the username typed, whether or not an account has it (so
the answer never tells an attacker which usernames exist), and against the caller's address
(which slows one address trying one password on many usernames). The counts live in the
database table ``login_throttles`` and are changed with single atomic upserts, so gunicorn
workers on several hosts see and add to the same numbers. Limits are in config/settings.toml
``[login]``.
"""
from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, case, delete, func, literal, or_, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..extensions import db
from ..models import LoginThrottle, UTCDateTime, utcnow
from ..states.i18n import N_
from .errors import ServiceError, translate


class LoginLocked(ServiceError):
    """Too many failed attempts; the same answer whether or not the username exists."""

    status = 429
    message = N_("För många misslyckade inloggningsförsök. Försök igen om %(minutes)s min.")

    def __init__(self, retry_after: int):
        self.retry_after = max(1, retry_after)
        super().__init__()

    @property
    def text(self) -> str:
        return translate(self.message, {"minutes": math.ceil(self.retry_after / 60)})


@dataclass(frozen=True)
class Limits:
    max_failures: int
    ip_max_failures: int
    window: timedelta
    lock: timedelta

    @classmethod
    def from_config(cls) -> "Limits":
        config = current_app.config
        return cls(max_failures=int(config["LOGIN_MAX_FAILURES"]),
                   ip_max_failures=int(config["LOGIN_IP_MAX_FAILURES"]),
                   window=timedelta(minutes=int(config["LOGIN_WINDOW_MINUTES"])),
                   lock=timedelta(minutes=int(config["LOGIN_LOCK_MINUTES"])))


def check(username: str, address: str | None, now: datetime | None = None) -> None:
    """Raise :class:`LoginLocked` while the username or the address is locked."""
    now = now or utcnow()
    keys = [key for key, _limit in _counted_keys(username, address, Limits.from_config())]
    locked_until = db.session.scalar(
        select(func.max(LoginThrottle.locked_until))
        .where(LoginThrottle.key.in_(keys), LoginThrottle.locked_until > now))
    if locked_until is not None:
        raise LoginLocked(_seconds_until(locked_until, now))


def record_failure(username: str, address: str | None, now: datetime | None = None) -> None:
    """Count a failed attempt and commit; raise :class:`LoginLocked` if it caused a lock."""
    now = now or utcnow()
    limits = Limits.from_config()
    _forget_stale(now, limits)
    for key, limit in _counted_keys(username, address, limits):
        db.session.execute(_count_failure(key, limit, now, limits))
    db.session.commit()
    check(username, address, now)


def record_success(username: str) -> None:
    """A successful login starts the username's count afresh (not the address's)."""
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.key == _key("user", username)))
    db.session.commit()


def unlock(username: str) -> bool:
    """Lift a username's lock at once (for administrators); False if it had none."""
    result = db.session.execute(
        delete(LoginThrottle).where(LoginThrottle.key == _key("user", username)))
    db.session.commit()
    return bool(result.rowcount)


def _counted_keys(username: str, address: str | None, limits: Limits) -> list[tuple[str, int]]:
    keys = [(_key("user", username), limits.max_failures)]
    if address and limits.ip_max_failures > 0:
        keys.append((_key("ip", address), limits.ip_max_failures))
    return keys


def _key(kind: str, value: str) -> str:
    """A keyed digest, so the table holds neither typed usernames nor addresses."""
    secret = current_app.config["SECRET_KEY"].encode("utf-8")
    return hmac.new(secret, f"{kind}:{value}".encode("utf-8"), hashlib.sha256).hexdigest()


def _count_failure(key: str, limit: int, now: datetime, limits: Limits):
    """One INSERT … ON CONFLICT DO UPDATE: atomic, whichever worker gets there first."""
    table = LoginThrottle.__table__
    at_now = literal(now, UTCDateTime)
    lock_end = literal(now + limits.lock, UTCDateTime)
    window_over = table.c.window_started_at <= literal(now - limits.window, UTCDateTime)
    failures = case((window_over, 1), else_=table.c.failures + 1)
    insert = postgresql_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    statement = insert(table).values(key=key, failures=1, window_started_at=now,
                                     locked_until=now + limits.lock if limit <= 1 else None)
    # The right-hand sides see the row as it was before this update.
    return statement.on_conflict_do_update(index_elements=[table.c.key], set_={
        "failures": failures,
        "window_started_at": case((window_over, at_now), else_=table.c.window_started_at),
        "locked_until": case((failures >= limit, lock_end), else_=table.c.locked_until),
    })


def _forget_stale(now: datetime, limits: Limits) -> None:
    """Drop counts whose window and lock are over, so guessed usernames do not pile up."""
    db.session.execute(delete(LoginThrottle).where(and_(
        LoginThrottle.window_started_at <= now - limits.window,
        or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until <= now))))


def _seconds_until(moment: datetime, now: datetime) -> int:
    return math.ceil((moment - now).total_seconds())
