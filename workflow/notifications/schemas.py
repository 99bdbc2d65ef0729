"""Aviseringar in the API (notifications/api.py): the list in the reader's language, marking
read, following a case and the email settings; the service keeps its own messages."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from workflow.notifications.service import EMAIL_MODES, KINDS
from workflow.platform.schemas import Answer, Request


class NotificationItem(Answer):
    id: int = None
    case_id: int | None = None
    kind: str = None
    subject: str = Field(None, description="På det språk Accept-Language ber om")
    body: str = None
    created_at: datetime = None
    read_at: datetime | None = None
    read: bool = None


class NotificationList(Answer):
    items: list[NotificationItem] = None
    unread_count: int = Field(None, description="Samma antal som sidhuvudet visar")


class NotificationsMarked(Answer):
    marked: int = Field(None, description="Hur många som markerades som lästa nu")
    unread_count: int = None
    notification: NotificationItem | None = None


class FollowRequest(Request):
    follow: bool


class Following(Answer):
    case_id: int = None
    following: bool = None


class NotificationSettingsInput(Request):
    email_enabled: bool
    email_mode: Literal[EMAIL_MODES]
    email_kinds: list[Literal[tuple(KINDS)]] = Field(
        default_factory=list, description="Tom lista: alla slag")


class NotificationSettingsAnswer(Answer):
    email_enabled: bool = None
    email_mode: str = None
    email_kinds: list[str] = None
    has_email: bool = None


MODELS: list[type[BaseModel]] = [
    NotificationItem, NotificationList, NotificationsMarked, FollowRequest, Following,
    NotificationSettingsInput, NotificationSettingsAnswer]
