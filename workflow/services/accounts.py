"""Logging in: passwords for the web, hashed bearer tokens for the JSON API."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import ApiToken, User, utcnow


def authenticate(username: object, password: object) -> User | None:
    """The active user with this username and password, or None."""
    if not isinstance(username, str) or not isinstance(password, str) or not username:
        return None
    user = db.session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None or not user.is_active or not user.check_password(password):
        return None
    return user


def issue_token(user: User, now: datetime | None = None) -> str:
    """A new API token; only its digest is kept, so it is shown to the caller once."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    lifetime = timedelta(days=current_app.config["API_TOKEN_LIFETIME_DAYS"])
    db.session.add(ApiToken(user=user, token_hash=_digest(token), created_at=now,
                            expires_at=now + lifetime))
    db.session.commit()
    return token


def user_for_token(token: str, now: datetime | None = None) -> User | None:
    if not token:
        return None
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    now = now or utcnow()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    return row.user if row.user.is_active else None


def revoke_token(token: str, now: datetime | None = None) -> bool:
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = now or utcnow()
    db.session.commit()
    return True


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
