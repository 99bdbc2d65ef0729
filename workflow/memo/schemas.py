"""The tjänsteutlåtande in the API (memo/api.py): the document as the page shows it, and the
five texts its form saves. The memo service keeps its own messages (a text too long, a stale
version); these models document the shape and name the fields the API accepts."""
from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, Field

from workflow.memo.service import MAX_LENGTH
from workflow.platform.schemas import Answer, Request

Text = Annotated[str, Field(max_length=MAX_LENGTH)]


class MemoInput(Request):
    version: int = Field(None, ge=0, description="Den version du läste (0 före första "
                                                 "sparningen); en annan sparad version ger 409")
    proposal: Text = Field(None, description="Förslag till beslut")
    summary: Text = Field(None, description="Sammanfattning av ärendet")
    background: Text = Field(None, description="Bakgrund")
    assessment: Text = Field(None, description="Bedömning")
    child_impact: Text = Field(None, description="Konsekvenser för barn")


class MemoRow(Answer):
    label: str = None
    value: str = None


class MemoSection(Answer):
    key: str = None
    heading: str = None
    text: str = Field(None, description="Den skrivna texten (de fem egna delarna)")
    paragraphs: list[str] = Field(None, description="Meningar ur beslutsunderlaget")
    rows: list[MemoRow] = None


class Memo(Answer):
    case_id: int = None
    title: str = None
    department: str = None
    committee: str = None
    reference: str = Field(None, description="Diarienumret, eller \"ej tilldelat\"")
    date: str = None
    day: date = None
    author: str = None
    version: int = None
    texts: dict[str, str] = None
    sections: list[MemoSection] = Field(None, description="I dokumentets ordning, på svenska")
    incomplete: list[str] = None
    total_cost_sek: int | None = None
    editable: bool = Field(None, description="Om du får ändra texterna nu")


MODELS: list[type[BaseModel]] = [MemoInput, MemoRow, MemoSection, Memo]
