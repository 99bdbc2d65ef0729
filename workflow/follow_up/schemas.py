"""The benefit follow-up (nyttouppföljning) in the API: the report of one checkpoint (PUT
/cases/{case_id}/follow-up/{benefit_number}/{months}) and what GET answers. The limits are
the follow-up service's; it keeps its own messages."""
from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from workflow.follow_up.service import MAX_COMMENT, MAX_SEK, MAX_VALUE, USE
from workflow.platform.schemas import Answer, Request

Sek = int | None


class FollowUpReport(Request):
    actual_value: Annotated[str, Field(min_length=1, max_length=MAX_VALUE)]
    realised_sek: Annotated[int | None, Field(ge=0, le=MAX_SEK,
                                              description="Hela kronor per år")] = None
    used_as_intended: Literal[tuple(USE)]
    comment: Annotated[str, Field(max_length=MAX_COMMENT)] = None


class Report(Answer):
    actual_value: str = None
    realised_sek: Sek = None
    used_as_intended: str | None = None
    comment: str | None = None
    reported_by: str | None = None
    reported_at: datetime | None = None


class FollowUpCheckpoint(Answer):
    # Not "Checkpoint": that is the benefit calculation's (calc/benefit.py) in the document.
    benefit_number: int = None
    months: int = None
    description: str = None
    category: str = None
    colour: str = None
    indicator: str = None
    baseline: str = None
    target: str = None
    due: date | None = None
    due_now: bool = None
    year: int = Field(None, description="Kalkylens år (år 1 = tolv månader från beslutet)")
    planned_sek: Sek = Field(None, description="Kalkylens belopp för det året")
    report: Report | None = None


class PlannedAndRealised(Answer):
    planned_sek: int = None
    realised_sek: int = None


class Realisation(Answer):
    years: list[int] = None
    reported: int = None
    checkpoints: int = None
    planned_sek: int = None
    realised_sek: int = None
    by_colour: dict[str, PlannedAndRealised] = None
    by_category: dict[str, PlannedAndRealised] = None
    used: dict[str, Any] = None


class CostComparison(Answer):
    planned_yearly_sek: list[int] = None
    planned_total_sek: Sek = None
    actual_sek: Sek = None
    difference_sek: Sek = None


class FollowUp(Answer):
    case_id: int = None
    state: str = None
    go_live_date: date | None = None
    can_report: bool = None
    checkpoints: list[FollowUpCheckpoint] = None
    summary: Realisation = None
    costs: CostComparison = None


MODELS: list[type[BaseModel]] = [FollowUpReport, FollowUpCheckpoint, FollowUp]
