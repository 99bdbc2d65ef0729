"""The exports as JSON rows in the API (exports/api.py): the columns and rows of the CSV and
XLSX files (exports/service.py), for the cases the caller may see."""
from __future__ import annotations

from pydantic import BaseModel, Field

from workflow.platform.schemas import Answer

Cell = str | int | float | bool | None


class ExportRows(Answer):
    columns: list[str] = Field(None, description="Kolumnernas rubriker, som i filen (svenska)")
    rows: list[list[Cell]] = Field(
        None, description="En rad per ärende; datum och tider som ISO 8601, belopp i kronor")


MODELS: list[type[BaseModel]] = [ExportRows]
