"""Guards: pure rules over the facts the service layer hands in.

Each guard returns the list of reasons it refuses (empty when it passes), so that a user
sees every missing piece at once. Messages are Swedish msgids with named parameters.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from .i18n import N_


@dataclass(frozen=True)
class CaseRef:
    """What a guard may know about another case (the target of a merge)."""

    id: int
    final: bool


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
_field_given("decision_reference_given", "decision_reference", "decision_reference_missing",
             N_("Ange beslutets paragraf (t.ex. § 123)."))
_field_given("meeting_date_given", "meeting_date", "meeting_date_missing",
             N_("Ange datum för nämndens sammanträde."))
_field_given("go_live_date_given", "go_live_date", "go_live_date_missing",
             N_("Ange datum för driftstart."))


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


@guard("within_delegation")
def within_delegation(facts: Facts) -> list[Failure]:
    cost = facts.total_cost_sek if facts.total_cost_sek is not None else facts.cost_estimate_sek
    if cost is None:
        return [Failure("cost_missing", N_("Ärendet saknar kostnadsuppskattning."))]
    if facts.delegation_limit_sek is None:
        return [Failure("no_delegation_limit",
                        N_("Förvaltningen har ingen delegationsgräns; ärendet ska eskaleras "
                           "till nämnd."))]
    if cost > facts.delegation_limit_sek:
        return [Failure("over_delegation_limit",
                        N_("Kostnaden %(cost)s kr överstiger förvaltningens delegationsgräns "
                           "%(limit)s kr och ska eskaleras till nämnd."),
                        {"cost": cost, "limit": facts.delegation_limit_sek})]
    return []


@guard("dossier_complete")
def dossier_complete(facts: Facts) -> list[Failure]:
    if facts.dossier_failures is None:
        return [Failure("dossier_unchecked", N_("Beslutsunderlaget har inte kontrollerats."))]
    return list(facts.dossier_failures)


@guard("not_political")
def not_political(facts: Facts) -> list[Failure]:
    if facts.origin == "political":
        return [Failure("political_case",
                        N_("Ärendet är ett politiskt initiativ och ska eskaleras till nämnd."))]
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
    if facts.target is None:
        return [Failure("target_not_found", N_("Ärende %(id)s finns inte."), {"id": wanted})]
    if facts.target.id == facts.case_id:
        return [Failure("target_is_self", N_("Ett ärende kan inte slås samman med sig självt."))]
    if facts.target.final:
        return [Failure("target_closed",
                        N_("Ärende %(id)s är avslutat och kan inte ta emot fler idéer."),
                        {"id": facts.target.id})]
    return []
