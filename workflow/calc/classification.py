"""Information classification of a case, LISA-style; the rules and their sources are in
docs/dossier-rules.md ("Informationsklassning").

Scale: SKR's KLASSA on MSB's model. Each of the four axes (Konfidentialitet, Riktighet,
Tillgänglighet, Spårbarhet) gets a consequence level 0-4: 0 ingen eller försumbar, 1 måttlig,
2 betydande, 3 allvarlig, 4 synnerligen allvarlig (säkerhetsskydd).

Rules that ``evaluate`` applies (problems block the decision, warnings do not):

- A case is linked to the förvaltningsobjekt (PM3) it touches; Region Gotland keeps their
  classification in LISA (KPMG, seed 001:596-597, 759-761, 1576-1578). On every axis the case
  must be classified at least as high as the strictest linked object; the *effective* level is
  the per-axis maximum of the case's own levels and that minimum.
- Any effective axis at 3 or higher: a risk analysis (dated, at most 12 months old) and the
  informationssäkerhetssamordnare's sign-off are required before approval.
- Any effective axis at 4: a recorded säkerhetsskyddsanalys is required as well.
- Personal data and sensitive personal data (GDPR art. 9) are flagged; the case handles them
  if it says so or if a linked object holds them. Sensitive without personal data is a
  contradiction in the input.
- A case that says it handles sensitive personal data (GDPR art. 9) needs confidentiality at
  least 3 (allvarlig) and a recorded konsekvensbedömning avseende dataskydd (DPIA, GDPR
  art. 35: its date, and where it is recorded or what it concluded, which may be that a full
  assessment is not required). Both are problems, not warnings: art. 35(3)(b) names the
  processing of art. 9 data as high risk, and the assessment comes before the processing.
- What information is handled and "the risk of not developing" must both be described:
  security should weigh risk, not only block (Göteborgs Stad, seed 003:1209-1219).
- Risk analysis and classification are reviewed once a year (Socialförvaltningen, seed
  001:1763); a linked object not reviewed in the last 12 months gives a warning.

"Twelve months" is calendar arithmetic: a review on 15 March 2024 is due on 15 March 2025 and
overdue from 16 March. A review on 29 February is due on 28 February the next year.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from workflow.states.guards import Failure
from workflow.states.i18n import N_

LEVELS = {
    0: N_("Ingen eller försumbar"),
    1: N_("Måttlig"),
    2: N_("Betydande"),
    3: N_("Allvarlig"),
    4: N_("Synnerligen allvarlig"),
}

AXES = {
    "confidentiality": N_("Konfidentialitet"),
    "integrity": N_("Riktighet"),
    "availability": N_("Tillgänglighet"),
    "traceability": N_("Spårbarhet"),
}

HIGH_LEVEL = 3
# Sensitive personal data (GDPR art. 9) is classified at least "allvarlig" for confidentiality.
SENSITIVE_DATA_CONFIDENTIALITY = 3
SECURITY_PROTECTION_LEVEL = 4
MAX_LINKED_OBJECTS = 50

Level = Annotated[int, Field(strict=True, ge=0, le=4)]
ObjectId = Annotated[int, Field(strict=True, ge=1)]

_MODEL_CONFIG = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Levels(BaseModel):
    """Consequence level 0-4 on each of the four axes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    confidentiality: Level = 0
    integrity: Level = 0
    availability: Level = 0
    traceability: Level = 0

    def highest(self) -> int:
        return max(self.on(axis) for axis in AXES)

    def on(self, axis: str) -> int:
        return getattr(self, axis)


def combine_max(levels: Iterable[Levels]) -> Levels:
    """Per-axis maximum; of nothing, all axes 0."""
    levels = list(levels)
    return Levels(**{axis: max((lv.on(axis) for lv in levels), default=0) for axis in AXES})


@dataclass(frozen=True)
class ObjectRecord:
    """A förvaltningsobjekt in the register, as the service hands it in."""

    id: int
    name: str
    levels: Levels
    personal_data: bool
    sensitive_personal_data: bool
    last_review: date | None


def _twelve_months_after(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February in a year without one
        return date(day.year + 1, 2, 28)


def review_overdue(last_review: date | None, today: date) -> bool:
    """Never reviewed, or reviewed more than 12 months before ``today``.

    Exactly 12 months is not overdue; a review on 29 February is due on 28 February.
    """
    return last_review is None or today > _twelve_months_after(last_review)


class CaseClassification(BaseModel):
    """The classification section of a case's dossier, as the user fills it in.

    Every field may be left empty while the section is being written; ``evaluate`` lists what
    is missing.
    """

    model_config = _MODEL_CONFIG

    information: str = Field(default="", max_length=2000)
    levels: Levels = Field(default_factory=Levels)
    personal_data: bool = Field(default=False, strict=True)
    sensitive_personal_data: bool = Field(default=False, strict=True)
    object_ids: list[ObjectId] = Field(default_factory=list, max_length=MAX_LINKED_OBJECTS)
    risk_analysis: str = Field(default="", max_length=4000)
    risk_analysis_date: date | None = None
    security_protection_analysis: str = Field(default="", max_length=4000)
    risk_of_not_developing: str = Field(default="", max_length=2000)
    # The konsekvensbedömning avseende dataskydd (DPIA, GDPR art. 35): when it was made and
    # where it is recorded (a diarienummer, a document) or what it concluded.
    dpia_date: date | None = None
    dpia_reference: str = Field(default="", max_length=2000)

    @field_validator("object_ids")
    @classmethod
    def _unique_object_ids(cls, ids: list[int]) -> list[int]:
        if len(set(ids)) != len(ids):
            raise ValueError(N_("Varje förvaltningsobjekt kan bara kopplas en gång."))
        return ids

    @field_validator("risk_analysis_date", "dpia_date", mode="before")
    @classmethod
    def _date_not_number(cls, value: Any) -> Any:
        if isinstance(value, (int, float)):
            raise ValueError(N_("Ange ett datum som ÅÅÅÅ-MM-DD."))
        return value


@dataclass(frozen=True)
class ClassificationResult:
    required_minimum: Levels
    effective_levels: Levels
    highest_level: int
    needs_risk_analysis: bool
    needs_security_sign_off: bool
    needs_security_protection_analysis: bool
    personal_data: bool
    sensitive_personal_data: bool
    # The case says it handles sensitive personal data: a DPIA (GDPR art. 35) is required.
    needs_dpia: bool = False
    overdue_objects: list[str] = field(default_factory=list)
    missing_objects: list[int] = field(default_factory=list)
    problems: list[Failure] = field(default_factory=list)
    warnings: list[Failure] = field(default_factory=list)

    @property
    def passes(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "required_minimum": self.required_minimum.model_dump(),
            "effective_levels": self.effective_levels.model_dump(),
            "highest_level": self.highest_level,
            "needs_risk_analysis": self.needs_risk_analysis,
            "needs_security_sign_off": self.needs_security_sign_off,
            "needs_security_protection_analysis": self.needs_security_protection_analysis,
            "personal_data": self.personal_data,
            "sensitive_personal_data": self.sensitive_personal_data,
            "needs_dpia": self.needs_dpia,
            "overdue_objects": list(self.overdue_objects),
            "missing_objects": list(self.missing_objects),
            "passes": self.passes,
            "problems": [_failure_dict(f) for f in self.problems],
            "warnings": [_failure_dict(f) for f in self.warnings],
        }


def _failure_dict(failure: Failure) -> dict[str, Any]:
    return {"code": failure.code, "message": failure.message, "params": dict(failure.params)}


def evaluate(classification: CaseClassification, objects: Sequence[ObjectRecord], *,
             signed_off: bool, today: date) -> ClassificationResult:
    """Evaluate a case's classification against its linked objects (pure).

    ``objects`` are the register records the service found for ``classification.object_ids``;
    ids it could not find are reported as problems (``missing_objects``). A record that was
    not asked for is a service error (ValueError).

    ``signed_off`` is decided by the service: whether the informationssäkerhetssamordnare has
    approved *this* classification. The service invalidates the sign-off whenever the
    classification (or the set of linked objects) changes, so a stale approval never counts.
    """
    linked = _linked_in_order(classification.object_ids, objects)
    found = {obj.id for obj in linked}
    missing = [oid for oid in classification.object_ids if oid not in found]
    required = combine_max(obj.levels for obj in linked)
    effective = combine_max([classification.levels, required])
    highest = effective.highest()
    personal, sensitive = _personal_data_flags(classification, linked)
    overdue = [obj for obj in linked if review_overdue(obj.last_review, today)]
    problems = [
        *_below_minimum(classification.levels, linked),
        *_missing_descriptions(classification),
        *_contradictory_flags(classification),
        *_sensitive_data_problems(classification, today),
        *_high_level_gates(classification, highest, signed_off, today),
        *_missing_object_problems(classification.object_ids, missing),
    ]
    warnings = [
        *(_overdue_warning(obj) for obj in overdue),
        *_personal_data_warnings(classification, linked, highest),
    ]
    return ClassificationResult(
        required_minimum=required,
        effective_levels=effective,
        highest_level=highest,
        needs_risk_analysis=highest >= HIGH_LEVEL,
        needs_security_sign_off=highest >= HIGH_LEVEL,
        needs_security_protection_analysis=highest >= SECURITY_PROTECTION_LEVEL,
        personal_data=personal,
        sensitive_personal_data=sensitive,
        needs_dpia=classification.sensitive_personal_data,
        overdue_objects=[obj.name for obj in overdue],
        missing_objects=missing,
        problems=problems,
        warnings=warnings,
    )


def _linked_in_order(object_ids: Sequence[int],
                     objects: Sequence[ObjectRecord]) -> list[ObjectRecord]:
    by_id = {obj.id: obj for obj in objects}
    unasked = sorted(set(by_id) - set(object_ids))
    if unasked or len(by_id) != len(objects):
        raise ValueError(f"object records not linked to the case or repeated: {unasked}")
    return [by_id[oid] for oid in object_ids if oid in by_id]


def _personal_data_flags(classification: CaseClassification,
                         linked: Sequence[ObjectRecord]) -> tuple[bool, bool]:
    sensitive = classification.sensitive_personal_data or any(
        obj.sensitive_personal_data for obj in linked)
    personal = sensitive or classification.personal_data or any(
        obj.personal_data for obj in linked)
    return personal, sensitive


_BELOW_MINIMUM = {
    "confidentiality": N_("Konfidentialitet är %(level)s men det kopplade objektet %(object)s "
                          "har %(required)s: nivån måste vara minst %(required)s."),
    "integrity": N_("Riktighet är %(level)s men det kopplade objektet %(object)s "
                    "har %(required)s: nivån måste vara minst %(required)s."),
    "availability": N_("Tillgänglighet är %(level)s men det kopplade objektet %(object)s "
                       "har %(required)s: nivån måste vara minst %(required)s."),
    "traceability": N_("Spårbarhet är %(level)s men det kopplade objektet %(object)s "
                       "har %(required)s: nivån måste vara minst %(required)s."),
}


def _below_minimum(own: Levels, linked: Sequence[ObjectRecord]) -> list[Failure]:
    failures = []
    for axis in AXES:
        strictest = max(linked, key=lambda obj: obj.levels.on(axis), default=None)
        if strictest is not None and own.on(axis) < strictest.levels.on(axis):
            failures.append(Failure("level_below_object", _BELOW_MINIMUM[axis], {
                "axis": axis, "level": own.on(axis), "required": strictest.levels.on(axis),
                "object": strictest.name, "object_id": strictest.id}))
    return failures


def _missing_descriptions(classification: CaseClassification) -> list[Failure]:
    failures = []
    if not classification.information:
        failures.append(Failure("information_missing", N_(
            "Beskriv vilken information lösningen ska hantera.")))
    if not classification.risk_of_not_developing:
        failures.append(Failure("risk_of_not_developing_missing", N_(
            "Beskriv risken med att inte utveckla: vad händer om behovet inte blir löst?")))
    return failures


def _contradictory_flags(classification: CaseClassification) -> list[Failure]:
    if classification.sensitive_personal_data and not classification.personal_data:
        return [Failure("sensitive_without_personal_data", N_(
            "Känsliga personuppgifter är markerade men inte personuppgifter. Markera att "
            "lösningen hanterar personuppgifter, eller ta bort markeringen för känsliga "
            "personuppgifter."))]
    return []


def _sensitive_data_problems(classification: CaseClassification, today: date) -> list[Failure]:
    """GDPR art. 9 data: confidentiality at least 3 and a DPIA (art. 35) on record.

    The case's own level is judged (like ``_below_minimum``), so a stricter linked object
    never hides a problem: it adds its own "level_below_object" instead."""
    if not classification.sensitive_personal_data:
        return []
    failures = []
    level = classification.levels.confidentiality
    if level < SENSITIVE_DATA_CONFIDENTIALITY:
        failures.append(Failure("sensitive_data_confidentiality_too_low", N_(
            "Känsliga personuppgifter (GDPR art. 9) kräver konfidentialitet minst %(required)s "
            "(allvarlig), men nivån är %(level)s. Höj konfidentialiteten."),
            {"level": level, "required": SENSITIVE_DATA_CONFIDENTIALITY}))
    if classification.dpia_date is None or not classification.dpia_reference:
        failures.append(Failure("dpia_missing", N_(
            "Känsliga personuppgifter kräver en konsekvensbedömning avseende dataskydd (GDPR "
            "art. 35). Ange datum för konsekvensbedömningen och var den finns eller vad den "
            "kom fram till.")))
    elif classification.dpia_date > today:
        failures.append(Failure("dpia_date_in_future", N_(
            "Konsekvensbedömningens datum %(date)s har inte varit än. Ange datumet då den "
            "gjordes."), {"date": classification.dpia_date.isoformat()}))
    return failures


def _high_level_gates(classification: CaseClassification, highest: int, signed_off: bool,
                      today: date) -> list[Failure]:
    if highest < HIGH_LEVEL:
        return []
    failures = _risk_analysis_problems(classification, highest, today)
    if not signed_off:
        failures.append(Failure("security_sign_off_missing", N_(
            "Informationssäkerhetssamordnaren har inte godkänt klassningen. Be "
            "informationssäkerhetssamordnaren granska och godkänna den."),
            {"level": highest}))
    if highest >= SECURITY_PROTECTION_LEVEL and not classification.security_protection_analysis:
        failures.append(Failure("security_protection_analysis_missing", N_(
            "Nivå 4 kräver en dokumenterad säkerhetsskyddsanalys innan beslut."),
            {"level": highest}))
    return failures


def _risk_analysis_problems(classification: CaseClassification, highest: int,
                            today: date) -> list[Failure]:
    analysis_date = classification.risk_analysis_date
    if not classification.risk_analysis:
        return [Failure("risk_analysis_missing", N_(
            "Nivå %(level)s kräver en riskanalys. Gör en riskanalys och sammanfatta den eller "
            "hänvisa till den."), {"level": highest})]
    if analysis_date is None:
        return [Failure("risk_analysis_date_missing", N_(
            "Ange vilket datum riskanalysen gjordes."), {"level": highest})]
    if analysis_date > today:
        return [Failure("risk_analysis_date_in_future", N_(
            "Riskanalysens datum %(date)s har inte varit än. Ange datumet då riskanalysen "
            "gjordes."), {"date": analysis_date.isoformat()})]
    if review_overdue(analysis_date, today):
        return [Failure("risk_analysis_outdated", N_(
            "Riskanalysen är från %(date)s, mer än 12 månader sedan. Uppdatera riskanalysen "
            "och ange det nya datumet."), {"date": analysis_date.isoformat()})]
    return []


def _missing_object_problems(object_ids: Sequence[int], missing: Sequence[int]) -> list[Failure]:
    return [Failure("object_not_found", N_(
        "Förvaltningsobjekt %(object_id)s finns inte i objektregistret. Ta bort kopplingen "
        "eller välj ett objekt som finns."),
        {"object_id": oid, "number": object_ids.index(oid) + 1}) for oid in missing]


def _overdue_warning(obj: ObjectRecord) -> Failure:
    if obj.last_review is None:
        return Failure("object_never_reviewed", N_(
            "Förvaltningsobjektet %(object)s har ingen registrerad riskanalys och klassning. "
            "Be objektägaren göra en."), {"object": obj.name, "object_id": obj.id})
    return Failure("object_review_overdue", N_(
        "Förvaltningsobjektet %(object)s klassades senast %(date)s, för mer än 12 månader "
        "sedan. Be objektägaren uppdatera riskanalys och klassning."),
        {"object": obj.name, "object_id": obj.id, "date": obj.last_review.isoformat()})


def _personal_data_warnings(classification: CaseClassification,
                            linked: Sequence[ObjectRecord], highest: int) -> list[Failure]:
    warnings = [*_unflagged_personal_data(classification, linked)]
    personal, _ = _personal_data_flags(classification, linked)
    if personal and highest < HIGH_LEVEL and not classification.risk_analysis:
        warnings.append(Failure("personal_data_without_risk_analysis", N_(
            "Lösningen hanterar personuppgifter men ingen riskanalys är angiven. Gör en "
            "riskanalys eller skriv kort varför den inte behövs.")))
    return warnings


def _unflagged_personal_data(classification: CaseClassification,
                             linked: Sequence[ObjectRecord]) -> list[Failure]:
    """Linked objects hold (sensitive) personal data the case does not mention: ask to check."""
    warnings = []
    holder = next((obj for obj in linked if obj.personal_data or obj.sensitive_personal_data),
                  None)
    if holder is not None and not classification.personal_data:
        warnings.append(Failure("object_has_personal_data", N_(
            "Förvaltningsobjektet %(object)s innehåller personuppgifter. Kontrollera om "
            "lösningen hanterar dem och markera i så fall personuppgifter."),
            {"object": holder.name, "object_id": holder.id}))
    holder = next((obj for obj in linked if obj.sensitive_personal_data), None)
    if holder is not None and not classification.sensitive_personal_data:
        warnings.append(Failure("object_has_sensitive_personal_data", N_(
            "Förvaltningsobjektet %(object)s innehåller känsliga personuppgifter (GDPR art. 9). "
            "Kontrollera om lösningen hanterar dem och markera i så fall känsliga "
            "personuppgifter."), {"object": holder.name, "object_id": holder.id}))
    return warnings
