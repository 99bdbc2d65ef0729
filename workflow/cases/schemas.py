"""The case API's request bodies and answers (cases/api.py, cases/merging_api.py), with the
limits the case service checks. The service keeps its own Swedish messages ("Texten är för
lång.", "Ge idén en rubrik."); these models document the shape and name the fields the API
accepts. State and event names come from the loaded process: :func:`for_process`."""
from __future__ import annotations

from datetime import date, datetime
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from workflow.cases.service import DIARIENUMMER_MAX, MAX_COST_SEK
from workflow.models import TEXT_MAX, TITLE_MAX
from workflow.platform.schemas import Answer, Request
from workflow.states.vocabulary import DIRECTION_FOCUS, DIRECTION_REACH, ORIGINS

Sek = Annotated[int | None, Field(ge=0, le=MAX_COST_SEK, description="Hela kronor")]
Id = Annotated[int, Field(ge=1)]
# Origins a caller may give; the direct channel is what an anonymous idea becomes.
GIVEN_ORIGINS = tuple(o for o in ORIGINS if o != "direct_channel")
ALL_ORIGINS = tuple(ORIGINS)


class TokenRequest(Request):
    username: str
    password: str


class Token(Answer):
    token: str


class Direction(Request):
    focus: Literal[tuple(DIRECTION_FOCUS)]
    reach: Literal[tuple(DIRECTION_REACH)]


class CaseFields(Request):
    title: Annotated[str, Field(max_length=TITLE_MAX)] = None
    need: Annotated[str, Field(max_length=TEXT_MAX)] = None
    effect: Annotated[str, Field(max_length=TEXT_MAX)] = None
    cost_estimate_sek: Sek = None
    direction: Direction | None = None
    planned_go_live: date | None = None
    actual_cost_sek: Sek = None


class CaseCreate(CaseFields):
    model_config = ConfigDict(json_schema_extra={"description": (
        "unit_id krävs för en idé med namn. En anonym idé anger department_id (förvaltningen) "
        "och bara om avsändaren vill unit_id: en liten enhet kan räcka för att peka ut "
        "avsändaren (docs/threat-model.md).")})

    title: Annotated[str, Field(max_length=TITLE_MAX)]
    unit_id: Id = None
    department_id: Id = None
    origin: Literal[GIVEN_ORIGINS] = None
    anonymous: bool = None


class CaseUpdate(CaseFields):
    version: int = None
    diarienummer: Annotated[str, Field(
        max_length=DIARIENUMMER_MAX,
        description="Registrets diarienummer i regionens format; nämndsekreterare eller "
                    "förvaltningsledning, medan beslutet väntar (docs/decisions.md)")] = None


class Me(Answer):
    id: int = None
    username: str = None
    display_name: str = None
    language: Annotated[str | None, Field(
        description="Gränssnittsspråket personen senast valde (\"sv\", \"en\"); null om hen "
                    "aldrig valt. Även e-post till personen skrivs på det.")] = None
    roles: list[dict[str, Any]] = None


class ItemList(Answer):
    items: list[dict[str, Any]] = None


class AnonymousReceipt(Answer):
    state: Literal["received"] = None
    state_label: str = None
    status_url: str = None


class EventRequestFields(BaseModel):
    model_config = ConfigDict(extra="allow", json_schema_extra={
        "description": "Händelsens fält enligt available_events läggs bredvid."})

    event: str
    version: int = None


class Choice(Answer):
    value: str = None
    label: str = None


class EventField(Answer):
    model_config = ConfigDict(title="Field")

    name: str = None
    label: str = None
    type: Literal["text", "date", "number", "case", "choice"] = None
    required: bool = None
    choices: list[Choice] = None


class AvailableEvent(Answer):
    event: str = None
    label: str = None
    notice: str = None
    fields: list[EventField] = None


class HistoryEntry(Answer):
    event: str = None
    from_: str | None = Field(None, alias="from")
    to: str = None
    actor: str | None = None
    at: datetime = None
    comment: str | None = None
    data: dict[str, Any] = None


class CaseSummaryFields(Answer):
    id: int = None
    title: str = None
    state: str = None
    state_label: str = None
    department_id: int = None
    unit_id: int | None = None
    origin: Literal[ALL_ORIGINS] = None
    updated_at: datetime = None


class CaseDetailFields(Answer):
    need: Annotated[str, Field(max_length=TEXT_MAX)] = None
    effect: Annotated[str, Field(max_length=TEXT_MAX)] = None
    cost_estimate_sek: Sek = None
    direction: Direction | None = None
    planned_go_live: date | None = None
    actual_cost_sek: Sek = None
    author: dict[str, Any] | None = None
    priority: str | None = None
    go_live_date: date | None = None
    merged_into: int | None = None
    process: str = None
    diarienummer: str | None = None
    definition_version: int = None
    version: int = None
    available_events: list[AvailableEvent] = None
    history: list[HistoryEntry] = None


class MergeProposal(Answer):
    id: int
    status: Literal["pending", "accepted", "declined", "withdrawn"]
    case_id: int = Field(description="Idén som slås samman")
    case_title: str | None = Field(None, description="Bara om du får se ärendet")
    target_id: int = Field(description="Det mottagande ärendet")
    target_title: str | None = Field(None, description="Bara om du får se ärendet")
    proposed_by: str | None = None
    comment: str | None = None
    created_at: datetime = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    reason: str | None = None
    can_accept: bool = None
    can_withdraw: bool = None


class MergeProposalList(Answer):
    items: list[MergeProposal]


class MergeDecline(Request):
    reason: Annotated[str, Field(min_length=1, max_length=TEXT_MAX)]


@cache
def for_process(states: tuple[str, ...], events: tuple[str, ...]) -> list[type[BaseModel]]:
    """The models whose enums are the loaded process's state and event names: EventRequest,
    CaseSummary, Case and CasePage."""
    event_request = create_model("EventRequest", __base__=EventRequestFields,
                                 event=(Literal[events], ...))
    summary = create_model("CaseSummary", __base__=CaseSummaryFields,
                           state=(Literal[states], None))
    case = create_model("Case", __base__=(CaseDetailFields, summary))
    page = create_model("CasePage", __base__=Answer, items=(list[summary], None),
                        page=(int, None), per_page=(int, None),
                        total=(int, Field(None, description=(
                            "The cases the list holds; with total_exact false, the list holds "
                            "more than this (docs/lists.md)."))),
                        total_exact=(bool, Field(None, description=(
                            "False when the cases were counted only this far: the list holds "
                            "more than total."))),
                        has_next=(bool, Field(None, description="Another page follows.")))
    return [event_request, summary, case, page]


MODELS: list[type[BaseModel]] = [TokenRequest, Token, Me, ItemList, CaseCreate, CaseUpdate,
                                  AnonymousReceipt, MergeProposal, MergeProposalList,
                                  MergeDecline]


# ---------------------------------------------------------------- comments (cases/comments_api.py)

class CommentCreate(Request):
    body: Annotated[str, Field(min_length=1, max_length=TEXT_MAX)]


class CommentAuthor(Answer):
    id: int = None
    display_name: str = None


class CaseComment(Answer):
    id: int = None
    case_id: int = None
    author: CommentAuthor | None = None
    body: str = None
    created_at: datetime = None


class CaseCommentList(Answer):
    items: list[CaseComment] = None


COMMENT_MODELS: list[type[BaseModel]] = [CommentCreate, CommentAuthor, CaseComment,
                                         CaseCommentList]
