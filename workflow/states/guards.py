"""Guards: pure rules over the facts the service layer hands in.

Each guard returns the list of reasons it refuses (empty when it passes), so that a user
sees every missing piece at once. Messages are Swedish msgids with named parameters.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable, Mapping

from workflow.states.i18n import N_


@dataclass(frozen=True)
class CaseRef:
    """What a guard may know about another case (the target of a merge).

    ``mergeable`` is the service's verdict on the boundaries: the actor may see the case, it
    belongs to the same förvaltning and it is no draft. A case that is not mergeable is refused
    with the same words as one that does not exist, so that an id reveals nothing."""

    id: int
    final: bool
    mergeable: bool = True


@dataclass(frozen=True)
class Facts:
    """Everything a guard may look at: the case, the event's field values and the limits."""

    case_id: int | None = None
    title: str | None = None
    need: str | None = None
    effect: str | None = None
    unit_given: bool = False
    origin: str = "staff_idea"
    cost_estimate_sek: int | None = None
    direction_given: bool = False
    delegation_limit_sek: int | None = None
    values: Mapping[str, Any] = field(default_factory=dict)
    target: CaseRef | None = None
    unreported_checkpoints: int = 0
    # The decision dossier's total cost over its horizon, when a benefit calculation exists;
    # approval within delegation compares this rather than the early cost estimate.
    total_cost_sek: int | None = None
    # Every missing or failing item of the dossier; None when the service did not check it.
    dossier_failures: tuple["Failure", ...] | None = None
    # The day the event fires, in the organisation's time zone (dates may not lie after it).
    today: date | None = None
    # The case's diarienummer when it has one, and the region's pattern for it.
    diarienummer: str | None = None
    diarienummer_pattern: str | None = None
    diarienummer_example: str | None = None
    # Whether the tjänsteutlåtande's "Förslag till beslut" is written.
    memo_proposal_given: bool = False
    # The actual cost (efterkalkyl) recorded on the case.
    actual_cost_sek: int | None = None
    # The delegation order (workflow/states/delegation.py): its points (None: only the
    # förvaltning's single delegation_limit_sek), the year's prisbasbelopp, the procurement's
    # contract value, whether a dossier exists, and the confidentiality level of personal data.
    delegation_points: tuple[Any, ...] | None = None
    prisbasbelopp_sek: int | None = None
    contract_value_sek: int | None = None
    has_dossier: bool = False
    personal_data_level: int | None = None


@dataclass(frozen=True)
class Failure:
    code: str
    message: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Guard:
    name: str
    check: Callable[[Facts], list[Failure]]
    requires_fields: tuple[str, ...] = ()


GUARDS: dict[str, Guard] = {}


def guard(name: str, requires_fields: tuple[str, ...] = ()):
    def register(check: Callable[[Facts], list[Failure]]):
        GUARDS[name] = Guard(name=name, check=check, requires_fields=requires_fields)
        return check
    return register


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _field_given(name: str, field_name: str, code: str, message: str) -> None:
    @guard(name, requires_fields=(field_name,))
    def check(facts: Facts) -> list[Failure]:
        return [Failure(code, message)] if _blank(facts.values.get(field_name)) else []


_field_given("apt_note_given", "note", "apt_note_missing",
             N_("Skriv en anteckning från APT innan idén förs vidare."))
_field_given("resolution_given", "resolution", "resolution_missing",
             N_("Beskriv hur behovet löstes i verksamheten."))
_field_given("question_given", "question", "question_missing",
             N_("Skriv frågan till digitaliseringsavdelningen."))
_field_given("answer_given", "answer", "answer_missing",
             N_("Skriv svaret till verksamhetsutvecklaren."))
_field_given("priority_given", "priority", "priority_missing",
             N_("Ange rådets prioritering."))
_field_given("comment_given", "comment", "comment_missing",
             N_("Skriv en kommentar som förklarar varför ärendet skickas tillbaka."))
_field_given("motivation_given", "motivation", "motivation_missing",
             N_("Skriv en motivering; den skickas alltid till den som lämnade idén."))

# A paragraph of a nämnd's minutes: "§ 123" (a letter may follow: "§ 123 a").
PARAGRAPH = re.compile(r"§\s?\d{1,5}(\s?[a-z])?")


@guard("decision_reference_given", requires_fields=("decision_reference",))
def decision_reference_given(facts: Facts) -> list[Failure]:
    """The nämnd's decision is cited by the paragraph of its minutes (docs/decisions.md)."""
    reference = facts.values.get("decision_reference")
    if _blank(reference):
        return [Failure("decision_reference_missing",
                        N_("Ange beslutets paragraf (t.ex. § 123)."))]
    if not PARAGRAPH.fullmatch(str(reference).strip()):
        return [Failure("decision_reference_malformed",
                        N_("Skriv paragrafen som i protokollet, t.ex. § 123 (du skrev "
                           "\"%(reference)s\")."), {"reference": str(reference).strip()[:40]})]
    return []


def _past_date_given(name: str, field_name: str, missing: Failure, future_code: str,
                     future_message: str) -> Callable[[Facts], list[Failure]]:
    """A date that must be given and may not lie after the day the event fires."""

    @guard(name, requires_fields=(field_name,))
    def check(facts: Facts) -> list[Failure]:
        day = facts.values.get(field_name)
        if _blank(day):
            return [missing]
        if facts.today is not None and isinstance(day, date) and day > facts.today:
            return [Failure(future_code, future_message,
                            {"date": day.isoformat(), "today": facts.today.isoformat()})]
        return []
    return check


# A decision is recorded after the meeting that took it (docs/decisions.md).
meeting_date_given = _past_date_given(
    "meeting_date_given", "meeting_date",
    Failure("meeting_date_missing", N_("Ange datum för nämndens sammanträde.")),
    "meeting_date_in_future",
    N_("Sammanträdesdatumet %(date)s ligger i framtiden. Registrera beslutet när nämnden har "
       "sammanträtt."))
# Follow-up counts from a go-live that has happened (docs/follow-up.md).
go_live_date_given = _past_date_given(
    "go_live_date_given", "go_live_date",
    Failure("go_live_date_missing", N_("Ange datum för driftstart.")),
    "go_live_in_future",
    N_("Driftstarten %(date)s ligger i framtiden. Registrera driftstart när lösningen har "
       "tagits i bruk."))


@guard("diarienummer_given", requires_fields=("diarienummer",))
def diarienummer_given(facts: Facts) -> list[Failure]:
    """A nämnd's decision is taken in a registered case (docs/decisions.md)."""
    given = facts.values.get("diarienummer")
    number = str(given).strip() if not _blank(given) else facts.diarienummer
    if _blank(number):
        return [Failure("diarienummer_missing",
                        N_("Ange ärendets diarienummer (t.ex. %(example)s)."),
                        {"example": facts.diarienummer_example or ""})]
    if facts.diarienummer_pattern and not re.fullmatch(facts.diarienummer_pattern, number):
        return [Failure("diarienummer_malformed",
                        N_("Diarienumret \"%(number)s\" följer inte regionens format (t.ex. "
                           "%(example)s)."),
                        {"number": number[:60], "example": facts.diarienummer_example or ""})]
    return []


@guard("memo_proposal_given")
def memo_proposal_given(facts: Facts) -> list[Failure]:
    """The nämnd decides on a tjänsteutlåtande with a proposal (docs/decisions.md)."""
    if not facts.memo_proposal_given:
        return [Failure("memo_proposal_missing",
                        N_("Skriv tjänsteutlåtandets förslag till beslut innan ärendet lyfts "
                           "till nämnden."))]
    return []


@guard("actual_cost_given")
def actual_cost_given(facts: Facts) -> list[Failure]:
    """A case is closed with its efterkalkyl beside the calculation (docs/follow-up.md)."""
    if facts.values.get("actual_cost_sek") is None and facts.actual_cost_sek is None:
        return [Failure("actual_cost_missing",
                        N_("Ange den faktiska kostnaden (efterkalkyl) innan ärendet avslutas."))]
    return []


@guard("idea_complete")
def idea_complete(facts: Facts) -> list[Failure]:
    failures = []
    if _blank(facts.title):
        failures.append(Failure("title_missing", N_("Idén saknar rubrik.")))
    if _blank(facts.need):
        failures.append(Failure("need_missing", N_("Beskriv behovet som idén ska lösa.")))
    if not facts.unit_given:
        failures.append(Failure("unit_missing", N_("Välj den enhet idén gäller.")))
    return failures


@guard("proposal_complete")
def proposal_complete(facts: Facts) -> list[Failure]:
    failures = []
    if _blank(facts.need):
        failures.append(Failure("need_missing", N_("Förslaget saknar en beskrivning av behovet.")))
    if _blank(facts.effect):
        failures.append(Failure("effect_missing", N_("Förslaget saknar förväntad effekt.")))
    if facts.cost_estimate_sek is None:
        failures.append(Failure("cost_missing", N_("Förslaget saknar kostnadsuppskattning.")))
    if not facts.direction_given:
        failures.append(Failure("direction_missing",
                                N_("Ange inriktning: effektivisering eller innovation, "
                                   "intern nytta eller nytta för medborgare/brukare.")))
    return failures


@guard("dossier_complete")
def dossier_complete(facts: Facts) -> list[Failure]:
    if facts.dossier_failures is None:
        return [Failure("dossier_unchecked", N_("Beslutsunderlaget har inte kontrollerats."))]
    return list(facts.dossier_failures)


@guard("not_political")
def not_political(facts: Facts) -> list[Failure]:
    if facts.origin == "political":
        return [Failure("political_case",
                        N_("Ärendet är ett politiskt initiativ och ska lyftas till nämnden."))]
    return []


@guard("benefits_followed_up")
def benefits_followed_up(facts: Facts) -> list[Failure]:
    if facts.unreported_checkpoints > 0:
        return [Failure("checkpoints_unreported",
                        N_("%(count)s uppföljningstillfällen för nyttan är inte rapporterade."),
                        {"count": facts.unreported_checkpoints})]
    return []


@guard("merge_target_valid", requires_fields=("target_case",))
def merge_target_valid(facts: Facts) -> list[Failure]:
    wanted = facts.values.get("target_case")
    if wanted is None:
        return [Failure("target_missing", N_("Ange vilket ärende idén ska slås samman med."))]
    if facts.target is None or not facts.target.mergeable:
        return [Failure("target_not_found",
                        N_("Ärende %(id)s finns inte eller går inte att slå samman med."),
                        {"id": wanted})]
    if facts.target.id == facts.case_id:
        return [Failure("target_is_self", N_("Ett ärende kan inte slås samman med sig självt."))]
    if facts.target.final:
        return [Failure("target_closed",
                        N_("Ärende %(id)s är avslutat och kan inte ta emot fler idéer."),
                        {"id": facts.target.id})]
    return []
