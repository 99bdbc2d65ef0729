"""The council's scores in the API (PUT /cases/{case_id}/score, GET /council/{id}). The score
service keeps its own messages; these models document the shape and the accepted fields."""
from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field

from workflow.council.service import MAX_COMMENT
from workflow.platform.schemas import Answer, Request


class ScoreRequest(Request):
    scores: dict[str, Any] = Field(description="Kriterium → 1-5")
    comment: Annotated[str, Field(max_length=MAX_COMMENT)] = None


class Score(Answer):
    case_id: int = None
    scores: dict[str, Any] = None
    comment: str | None = None


class Council(Answer):
    department_id: int = None
    ranked: list[dict[str, Any]] = None
    capacity: dict[str, Any] = None


MODELS: list[type[BaseModel]] = [ScoreRequest, Score, Council]
