"""Duplicate hints in the API (similar/api.py): the hints the page shows while an idea is
written."""
from __future__ import annotations

from pydantic import BaseModel, Field

from workflow.platform.schemas import Answer


class SimilarHint(Answer):
    id: int = None
    title: str = None
    state: str = None
    state_label: str = None
    department: str = None
    unit: str | None = None
    score: float = None
    visible: bool = Field(None, description="Om du får öppna ärendet; annars saknas need")
    need: str | None = None
    merged_into_id: int | None = None


class SimilarHints(Answer):
    items: list[SimilarHint] = Field(None, description="Bäst först, som på sidan")
    searched: bool = Field(None, description="Falskt när varken title eller need angavs")


MODELS: list[type[BaseModel]] = [SimilarHint, SimilarHints]
