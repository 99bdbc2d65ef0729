"""Throttling failed password logins, the same for every worker and host, without letting
anyone lock anyone else out.

Three counts, each with its own limit (config/settings.toml ``[login]``):

* **username and address** (``max_failures``): the ordinary lock. Guessing one account's
  password from one address locks that address out of that account, and each further lock
  of the pair lasts twice as long (``lock_minutes``, 2×, 4×… up to ``lock_max_minutes``).
  The account stays usable from every other address, so nobody can lock a colleague out by
  typing wrong passwords under their name.
* **address** (``ip_max_failures``, growing the same way): one address trying a password on
  many usernames (password spraying) is locked for all of them.
* **username from all addresses together** (``account_max_failures``, a much higher ceiling,
  0 = off): against guessing one account's password from many addresses. This is the one
  lock a stranger can still cause for everyone, and it takes ``account_max_failures`` failures
  from at least ``account_max_failures / max_failures`` addresses within one window; its lock
  does not grow, so it ends ``lock_minutes`` after such an attack stops. The trade-off:
  without it, an attacker with many addresses could guess without bound; with it, such an
  attacker can keep an account locked (its owner can still log in with single sign-on).

Every failed attempt counts whether or not an account has the username, so the answers never
tell which usernames exist. The counts live in the table ``login_throttles`` under keyed
digests (neither typed usernames, which are sometimes passwords, nor addresses are stored)
and are changed with single atomic upserts, so every worker sees the same numbers. Every new
lock is logged (as a warning of this module's logger), with the address and, only when it
names an account, the username; never the password.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, case, delete, func, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from workflow.models import LoginThrottle, UTCDateTime, utcnow
from workflow.platform.errors import ServiceError, translate
from workflow.platform.extensions import db
from workflow.platform.uow import in_unit_of_work, unit_of_work
from workflow.states.i18n import N_

log = logging.getLogger(__name__)


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
    account_max_failures: int
    window: timedelta
    lock: timedelta
    lock_max: timedelta

    @classmethod
    def from_config(cls) -> "Limits":
        config = current_app.config
        lock = timedelta(minutes=int(config["LOGIN_LOCK_MINUTES"]))
        return cls(max_failures=int(config["LOGIN_MAX_FAILURES"]),
                   ip_max_failures=int(config["LOGIN_IP_MAX_FAILURES"]),
                   account_max_failures=int(config["LOGIN_ACCOUNT_MAX_FAILURES"]),
                   window=timedelta(minutes=int(config["LOGIN_WINDOW_MINUTES"])),
                   lock=lock,
                   lock_max=max(lock, timedelta(
                       minutes=int(config["LOGIN_LOCK_MAX_MINUTES"]))))

    def lock_for(self, earlier_locks: int, grows: bool) -> timedelta:
        """``lock`` for a first lock; twice the previous one for each further lock."""
        if not grows:
            return self.lock
        return min(self.lock * 2 ** min(earlier_locks, 30), self.lock_max)


@dataclass(frozen=True)
class Counted:
    """One count an attempt adds to: its key, limit, whether its locks grow, and how a log
    line names it."""

    key: str
    limit: int
    grows: bool
    what: str


def check(username: str, address: str | None, now: datetime | None = None) -> None:
    """Raise :class:`LoginLocked` while this username from this address, the address or
    (past the account ceiling) the username from everywhere is locked."""
    now = now or utcnow()
    keys = [counted.key for counted in _counted(username, address, Limits.from_config())]
    locked_until = db.session.scalar(
        select(func.max(LoginThrottle.locked_until))
        .where(LoginThrottle.key.in_(keys), LoginThrottle.locked_until > now))
    if locked_until is not None:
        raise LoginLocked(_seconds_until(locked_until, now))


def record_failure(username: str, address: str | None, now: datetime | None = None,
                   account_exists: bool = False) -> None:
    """Count a failed attempt and commit; raise :class:`LoginLocked` if it caused a lock.

    ``account_exists`` only decides whether a log line may name the username (a typed
    username that names no account may be a password typed in the wrong field)."""
    now = now or utcnow()
    limits = Limits.from_config()
    with unit_of_work():
        _forget_stale(now, limits)
        locked = []
        for counted in _counted(username, address, limits):
            failures, locked_until, locks = db.session.execute(
                _count_failure(counted.key, now, limits)).one()
            if failures >= counted.limit and (locked_until is None or locked_until <= now):
                duration = limits.lock_for(locks, counted.grows)
                # Only one worker's update finds the key unlocked, so each lock is logged once.
                started = db.session.execute(
                    update(LoginThrottle)
                    .where(LoginThrottle.key == counted.key,
                           or_(LoginThrottle.locked_until.is_(None),
                               LoginThrottle.locked_until <= now))
                    .values(locked_until=now + duration, locks=LoginThrottle.locks + 1)
                    .execution_options(synchronize_session=False)).rowcount
                if started:
                    locked.append((counted, duration, locks + 1))
    for counted, duration, number in locked:
        log.warning("login locked: %s (username %s, address %s) for %d min, lock %d in a row",
                    counted.what, username if account_exists else "not an account",
                    address or "unknown", math.ceil(duration.total_seconds() / 60), number)
    check(username, address, now)


@in_unit_of_work
def record_success(username: str, address: str | None) -> None:
    """A successful login starts the count of this username from this address afresh (not
    the address's, nor the account-wide one: an attacker's failures stay counted)."""
    db.session.execute(delete(LoginThrottle).where(
        LoginThrottle.key == _pair_key(username, address)))


@in_unit_of_work
def unlock(username: str) -> bool:
    """Lift every lock of a username, from every address (for administrators); False if it
    had none."""
    result = db.session.execute(delete(LoginThrottle).where(
        LoginThrottle.key.startswith(_user_prefix(username))))
    return bool(result.rowcount)


def _counted(username: str, address: str | None, limits: Limits) -> list[Counted]:
    counted = [Counted(_pair_key(username, address), limits.max_failures, True,
                       "username from one address")]
    if address and limits.ip_max_failures > 0:
        counted.append(Counted(_key("ip", address), limits.ip_max_failures, True, "address"))
    if limits.account_max_failures > 0:
        counted.append(Counted(_key("user", username), limits.account_max_failures, False,
                               "username from all addresses"))
    return counted


def _key(kind: str, value: str) -> str:
    """A keyed digest, so the table holds neither typed usernames nor addresses."""
    secret = current_app.config["SECRET_KEY"].encode("utf-8")
    return hmac.new(secret, f"{kind}:{value}".encode("utf-8"), hashlib.sha256).hexdigest()


def _user_prefix(username: str) -> str:
    """The first half of the username's digest: every key about the username starts with it,
    so :func:`unlock` finds the pairs without knowing their addresses."""
    return _key("user", username)[:32]


def _pair_key(username: str, address: str | None) -> str:
    return _user_prefix(username) + _key("pair", f"{username}\n{address or ''}")[:32]


def _count_failure(key: str, now: datetime, limits: Limits):
    """One INSERT … ON CONFLICT DO UPDATE: atomic, whichever worker gets there first. Returns
    the count, the current lock and the number of earlier locks."""
    table = LoginThrottle.__table__
    at_now = literal(now, UTCDateTime)
    window_over = table.c.window_started_at <= literal(now - limits.window, UTCDateTime)
    insert = postgresql_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    statement = insert(table).values(key=key, failures=1, window_started_at=now, locks=0)
    # The right-hand sides see the row as it was before this update.
    return statement.on_conflict_do_update(index_elements=[table.c.key], set_={
        "failures": case((window_over, 1), else_=table.c.failures + 1),
        "window_started_at": case((window_over, at_now), else_=table.c.window_started_at),
    }).returning(table.c.failures, table.c.locked_until, table.c.locks)


def _forget_stale(now: datetime, limits: Limits) -> None:
    """Drop counts whose window is over and which have not been locked for ``lock_max``, so
    guessed usernames do not pile up (a lock is remembered that long, to let the next grow)."""
    db.session.execute(delete(LoginThrottle).where(and_(
        LoginThrottle.window_started_at <= now - limits.window,
        or_(LoginThrottle.locked_until.is_(None),
            LoginThrottle.locked_until <= now - limits.lock_max))))


def _seconds_until(moment: datetime, now: datetime) -> int:
    return math.ceil((moment - now).total_seconds())
