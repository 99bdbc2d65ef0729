"""The delegation order and the anmälan av delegationsbeslut in the API (delegation/api.py),
with the limits of delegation/service.py, which keeps its own messages."""
from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from workflow.delegation.service import (
    ADOPTED_BY_MAX,
    MAX_POINTS,
    MAX_SEK,
    NUMBER,
    PRICE_BASE_SEK,
    SOURCE_MAX,
    TITLE_MAX,
)
from workflow.platform.schemas import Answer, Request
from workflow.states import delegation as rules

Decider = Literal[tuple(rules.DECIDERS)]
Conditions = list[Literal[tuple(rules.CONDITIONS)]]
LimitSek = Annotated[int | None, Field(ge=0, le=MAX_SEK)]


class DelegationPointInput(Request):
    number: str = Field(pattern=f"^{NUMBER.pattern}$", description="T.ex. 3.2")
    title: Annotated[str, Field(max_length=TITLE_MAX)]
    decider: Decider
    limit_sek: LimitSek = None
    limit_pbb: str | float | None = Field(
        None, description="Gräns i prisbasbelopp, t.ex. 10 eller 2.5")
    conditions: Conditions = None


class DelegationPoint(Answer):
    number: str = None
    title: str = None
    decider: Decider = None
    limit_sek: LimitSek = None
    limit_pbb: str | None = None
    conditions: Conditions = None
    decider_label: str = None
    limit_in_sek: int | None = None


class DelegationOrderInput(Request):
    valid_from: date
    adopted_by: Annotated[str, Field(min_length=1, max_length=ADOPTED_BY_MAX)]
    points: Annotated[list[DelegationPointInput], Field(min_length=1, max_length=MAX_POINTS)]


class DelegationOrder(Answer):
    version: int = None
    valid_from: date = None
    adopted_by: str = None
    created_at: str | None = None
    points: list[DelegationPoint] = None


class DelegationOrderList(Answer):
    items: list[DelegationOrder] = None


class PriceBaseAmount(Answer):
    year: int = None
    amount_sek: int = None
    source: str = None
    stored: bool = None


class PriceBaseAmountList(Answer):
    items: list[PriceBaseAmount] = None


class PriceBaseInput(Request):
    amount_sek: Annotated[int, Field(ge=PRICE_BASE_SEK[0], le=PRICE_BASE_SEK[1])]
    source: Annotated[str, Field(min_length=1, max_length=SOURCE_MAX)]


class DelegationDecision(Answer):
    case_id: int = None
    diarienummer: str | None = None
    title: str = None
    decided_on: date = None
    delegate: str = None
    point: str | None = None
    point_title: str | None = None
    decider: str | None = None
    decider_label: str | None = None
    amount_sek: int | None = None
    limit_sek: int | None = None


class DelegationDecisions(Answer):
    department: dict[str, Any] = None
    committee: str | None = None
    from_: str = Field(None, alias="from")
    to: str = None
    items: list[DelegationDecision] = None


class CurrentDelegationOrder(Answer):
    order: DelegationOrder | None = None
    fallback_limit_sek: int | None = None
    prisbasbelopp: PriceBaseAmount | None = None


MODELS: list[type[BaseModel]] = [
    DelegationPointInput, DelegationPoint, DelegationOrderInput, DelegationOrder,
    DelegationOrderList, PriceBaseAmount, PriceBaseAmountList, PriceBaseInput,
    DelegationDecision, DelegationDecisions, CurrentDelegationOrder]
