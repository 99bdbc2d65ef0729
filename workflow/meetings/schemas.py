"""Meetings in the API (POST /meetings, agenda items, decisions): the bodies and answers.
The meeting service keeps its own messages; these models document the shape and name the
fields the API accepts."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from workflow.meetings.service import MAX_PLACE
from workflow.models import MEETING_KINDS
from workflow.platform.schemas import Answer, Request


class MeetingCreate(Request):
    kind: Literal[MEETING_KINDS]
    department_id: int
    unit_id: int = None
    starts_at: datetime
    place: Annotated[str, Field(max_length=MAX_PLACE)] = None


class AgendaItemCreate(Request):
    case_id: int


class AttendanceRequest(Request):
    present: list[int] = Field(description="Användar-id för de närvarande; bara mötets "
                                           "deltagare (attendees)")


class AgendaMove(Request):
    direction: Literal["up", "down"]


class Meeting(Answer):
    id: int = None
    kind: str = None
    locked: bool = None
    starts_at: datetime = None
    attendees: list[dict[str, Any]] = None
    items: list[dict[str, Any]] = None


class MeetingList(Answer):
    items: list[Meeting] = None


MODELS: list[type[BaseModel]] = [MeetingCreate, AgendaItemCreate, Meeting, MeetingList]
