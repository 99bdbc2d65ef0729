"""The decision dossier in the API: each section's input is its pure model (calc/benefit.py,
calc/procurement.py, calc/classification.py, validated by the dossier service with Swedish
messages), and what GET and PUT answer."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, create_model

from workflow.calc import benefit, classification, procurement
from workflow.platform.schemas import Answer

# The API's section names and the model of each section's input.
SECTION_MODELS: dict[str, type[BaseModel]] = {
    "benefit": benefit.BenefitCalculation, "procurement": procurement.ProcurementCheck,
    "classification": classification.CaseClassification}


class Failure(Answer):
    code: str = None
    message: str = Field(None, description="Översatt och ifylld (Accept-Language)")
    params: dict[str, Any] = None


class DossierSection(Answer):
    section: Literal[tuple(SECTION_MODELS)] = None
    version: int = None
    saved: bool = None
    passed: bool = None
    input: dict[str, Any] | None = None
    result: dict[str, Any] | None = None
    problems: list[Failure] = None
    warnings: list[Failure] = None


class Dossier(Answer):
    version: int = None
    complete: bool = None
    total_cost_sek: int | None = None
    failures: list[Failure] = None
    sections: dict[str, DossierSection] = None


# The benefit section's PUT also takes whether the idea replaces an equivalent solution.
BenefitInput = create_model(
    benefit.BenefitCalculation.__name__, __base__=benefit.BenefitCalculation,
    __config__=None, replacement=(bool, Field(None, description="Ersätter en likvärdig lösning")))

MODELS: list[type[BaseModel]] = [BenefitInput, procurement.ProcurementCheck,
                                 classification.CaseClassification, DossierSection, Dossier]
