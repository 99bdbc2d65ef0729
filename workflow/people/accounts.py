"""Logging in: passwords for the web, hashed bearer tokens for the JSON API."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from functools import cache

from flask import current_app
from sqlalchemy import select, update

from workflow.models import ApiToken, User, utcnow
from workflow.people import login_guard
from workflow.people.login_guard import LoginLocked  # the views catch it from here
from workflow.platform.errors import ServiceError
from workflow.platform.extensions import db
from workflow.platform.passwords import hash_password, needs_rehash, verify_password
from workflow.platform.uow import in_unit_of_work, unit_of_work
from workflow.states.i18n import N_


class LocalLoginDisabled(ServiceError):
    """LOCAL_LOGIN=0: people log in with the organisation's account only
    (workflow/people/sso.py)."""

    status = 403
    message = N_("Inloggning med lösenord är avstängd. Logga in med organisationens konto "
                 "(enkel inloggning) i stället.")


def local_login_enabled() -> bool:
    return bool(current_app.config["LOCAL_LOGIN"])


def authenticate(username: object, password: object,
                 address: str | None = None) -> User | None:
    """The active user with this username and password, or None.

    Raises :class:`LocalLoginDisabled` when passwords are switched off, and
    :class:`LoginLocked` after too many failed attempts for the username or the
    caller's ``address``. Every attempt hashes once, whether or not the user exists or is
    locked, so the time taken does not tell which usernames exist.
    """
    if not local_login_enabled():
        raise LocalLoginDisabled()
    if not isinstance(username, str) or not isinstance(password, str) or not username.strip():
        return None
    name = username.strip().lower()
    try:
        login_guard.check(name, address)
    except LoginLocked:
        verify_password(_dummy_hash(), password)
        raise
    user = db.session.scalar(select(User).where(User.username == name))
    account_exists = user is not None
    if user is None or not user.password_hash:
        verify_password(_dummy_hash(), password)
        user = None
    elif not user.check_password(password) or not user.is_active:
        user = None
    if user is None:
        login_guard.record_failure(name, address, account_exists=account_exists)
        return None
    with unit_of_work():
        if needs_rehash(user.password_hash):  # an older hash: stored anew (platform/passwords)
            user.password_hash = hash_password(password)
        login_guard.record_success(name, address)
    return user


# --- web sessions ------------------------------------------------------------------------------

# The key in the (signed) session cookie that holds the user's session generation.
SESSION_GENERATION_KEY = "_generation"


def session_is_current(user: User, stored: object) -> bool:
    """Whether a session cookie that carries generation ``stored`` still counts: not after
    its user logged out (anywhere) or got a new password. (A deactivated user is refused
    anyway: flask-login's ``is_authenticated`` follows ``User.is_active``.)"""
    return isinstance(stored, int) and stored == user.session_generation


def end_sessions(user: User) -> None:
    """End every web session of the user, in every browser and every copy of the cookie:
    each is refused at its next request. (API tokens are revoked on their own.)"""
    with unit_of_work():
        db.session.execute(update(User).where(User.id == user.id)
                           .values(session_generation=User.session_generation + 1)
                           .execution_options(synchronize_session=False))
    db.session.expire(user, ["session_generation"])


@in_unit_of_work
def set_language(user: User, language: str) -> None:
    """Store the interface language the person picked, so that it follows them to their next
    login on any device and their emails are written in it."""
    user.language = language


@cache
def _dummy_hash() -> str:
    """A hash made the same way as real ones, to spend the same time on unknown usernames."""
    return hash_password(secrets.token_hex(16))


@in_unit_of_work
def issue_token(user: User, now: datetime | None = None) -> str:
    """A new API token; only its digest is kept, so it is shown to the caller once."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    lifetime = timedelta(days=current_app.config["API_TOKEN_LIFETIME_DAYS"])
    db.session.add(ApiToken(user=user, token_hash=_digest(token), created_at=now,
                            expires_at=now + lifetime))
    return token


def user_for_token(token: str, now: datetime | None = None) -> User | None:
    if not token:
        return None
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    now = now or utcnow()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    return row.user if row.user.is_active else None


@in_unit_of_work
def revoke_token(token: str, now: datetime | None = None) -> bool:
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = now or utcnow()
    return True


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
