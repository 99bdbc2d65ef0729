"""The delegation order (delegationsordning) as data, and which point of it carries a decision.

Pure rules (no Flask, no database); the rules and their sources are in docs/delegation.md:

- A nämnd may delegate decisions to a delegat (kommunallagen (2017:725) 6 kap. 37 §), but not
  every matter (6 kap. 38 §); decisions taken on delegation are reported to the nämnd
  (7 kap. 8 §, the *anmälan av delegationsbeslut*).
- A delegation order is a list of numbered points ("3.2 Beslut om investering i IT-stöd"), each
  naming the delegat and a limit in kronor **or** in prisbasbelopp (socialförsäkringsbalken
  2 kap. 6–7 §§; the year's amount is in config/prisbasbelopp.toml), with optional conditions.
- The amount judged is the larger of the benefit calculation's total cost over its horizon and
  the procurement's contract value over the whole term; the idea's early estimate is used only
  while the case has no decision dossier at all.
- A decision within delegation uses the point with the lowest limit that covers the amount and
  whose conditions the case meets; when no such point exists the case goes to the nämnd.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from typing import Any, Iterable, Mapping

from workflow.states.guards import Facts, Failure, guard
from workflow.states.i18n import N_

# Who decides on a point. The nämnd itself is listed so that an order can say where its
# delegation ends; a point whose decider is the nämnd is never used to decide on delegation.
DECIDERS: dict[str, str] = {
    "forvaltningschef": N_("Förvaltningschef"),
    "avdelningschef": N_("Avdelningschef"),
    "namnd": N_("Nämnden"),
}
DELEGATES = ("forvaltningschef", "avdelningschef")

# Conditions a point may carry: the case must meet each for the point to be used.
CONDITIONS: dict[str, str] = {
    "not_political": N_("Gäller inte ärenden som väckts politiskt"),
    "no_sensitive_information": N_("Gäller inte när personuppgifter klassas på nivå 3 eller "
                                   "högre i konfidentialitet"),
}
SENSITIVE_LEVEL = 3

AMOUNT_BASES: dict[str, str] = {
    "total_cost": N_("nyttokalkylens totala kostnad"),
    "contract_value": N_("upphandlingens kontraktsvärde för hela avtalstiden"),
    "estimate": N_("idéns kostnadsuppskattning"),
}


@dataclass(frozen=True)
class DelegationPoint:
    number: str
    title: str
    decider: str
    limit_sek: int | None = None
    limit_pbb: Decimal | None = None
    conditions: tuple[str, ...] = ()

    def limit_in_sek(self, prisbasbelopp_sek: int | None) -> int | None:
        """The limit in kronor; a limit in prisbasbelopp needs the year's amount."""
        if self.limit_sek is not None:
            return self.limit_sek
        if self.limit_pbb is None or prisbasbelopp_sek is None:
            return None
        return int((self.limit_pbb * prisbasbelopp_sek).to_integral_value(ROUND_FLOOR))

    def as_dict(self) -> dict[str, Any]:
        return {"number": self.number, "title": self.title, "decider": self.decider,
                "limit_sek": self.limit_sek,
                "limit_pbb": None if self.limit_pbb is None else format(self.limit_pbb, "f"),
                "conditions": list(self.conditions)}


def point_from_dict(raw: Mapping[str, Any]) -> DelegationPoint:
    pbb = raw.get("limit_pbb")
    return DelegationPoint(number=str(raw["number"]), title=str(raw["title"]),
                           decider=str(raw["decider"]), limit_sek=raw.get("limit_sek"),
                           limit_pbb=None if pbb in (None, "") else Decimal(str(pbb)),
                           conditions=tuple(raw.get("conditions") or ()))


@dataclass(frozen=True)
class CaseFigures:
    """What the delegation order looks at in a case."""

    total_cost_sek: int | None = None
    contract_value_sek: int | None = None
    cost_estimate_sek: int | None = None
    has_dossier: bool = False
    political_origin: bool = False
    # The highest confidentiality level of the classification when it covers personal data.
    personal_data_level: int | None = None


@dataclass(frozen=True)
class Verdict:
    amount_sek: int | None
    basis: str | None
    point: DelegationPoint | None
    limit_sek: int | None
    failures: tuple[Failure, ...] = field(default_factory=tuple)

    @property
    def within(self) -> bool:
        return self.point is not None and not self.failures


def amount_judged(figures: CaseFigures) -> tuple[int | None, str | None]:
    """The larger of the total cost and the contract value; the early estimate only while the
    case has no dossier."""
    candidates = [(amount, basis) for amount, basis in (
        (figures.total_cost_sek, "total_cost"), (figures.contract_value_sek, "contract_value"))
        if amount is not None]
    if candidates:
        return max(candidates, key=lambda pair: pair[0])
    if not figures.has_dossier and figures.cost_estimate_sek is not None:
        return figures.cost_estimate_sek, "estimate"
    return None, None


def meets_conditions(point: DelegationPoint, figures: CaseFigures) -> bool:
    for condition in point.conditions:
        if condition == "not_political" and figures.political_origin:
            return False
        if condition == "no_sensitive_information" and \
                (figures.personal_data_level or 0) >= SENSITIVE_LEVEL:
            return False
    return True


def decide(points: Iterable[DelegationPoint], figures: CaseFigures,
           prisbasbelopp_sek: int | None, year: int) -> Verdict:
    """Which delegation point carries a decision on this case, or why none does."""
    amount, basis = amount_judged(figures)
    if amount is None:
        return Verdict(None, None, None, None, (Failure(
            "cost_missing", N_("Ärendet saknar belopp att pröva mot delegationsordningen: fyll "
                               "i nyttokalkylen eller upphandlingskontrollens kontraktsvärde.")),))
    delegated = [point for point in points if point.decider in DELEGATES]
    if not delegated:
        return Verdict(amount, basis, None, None, (Failure(
            "no_delegation_point",
            N_("Förvaltningens delegationsordning har ingen punkt som ger förvaltningen rätt att "
               "besluta om investeringar; ärendet ska lyftas till nämnden.")),))
    usable = [point for point in delegated if meets_conditions(point, figures)]
    covering = sorted(((point.limit_in_sek(prisbasbelopp_sek), point) for point in usable
                       if point.limit_in_sek(prisbasbelopp_sek) is not None
                       and point.limit_in_sek(prisbasbelopp_sek) >= amount),
                      key=lambda pair: pair[0])
    if covering:
        limit, point = covering[0]
        return Verdict(amount, basis, point, limit)
    if prisbasbelopp_sek is None and any(point.limit_sek is None for point in usable):
        # A limit in prisbasbelopp cannot be judged without the year's amount: refuse rather
        # than guess, and say what is missing.
        return Verdict(amount, basis, None, None, (Failure(
            "prisbasbelopp_missing",
            N_("Prisbasbeloppet för %(year)s saknas, så gränser i prisbasbelopp kan inte räknas "
               "om till kronor. Be administratören lägga in årets prisbasbelopp."),
            {"year": year}),))
    params = {"amount": amount, "basis": AMOUNT_BASES[basis]}
    if not usable:
        reasons = sorted({condition for point in delegated for condition in point.conditions
                          if not meets_conditions(
                              DelegationPoint("", "", point.decider, conditions=(condition,)),
                              figures)})
        return Verdict(amount, basis, None, None, tuple(Failure(
            f"delegation_condition_{condition}", _CONDITION_REFUSALS[condition], params)
            for condition in reasons))
    limit, point = max(((point.limit_in_sek(prisbasbelopp_sek) or 0, point) for point in usable),
                       key=lambda pair: pair[0])  # every usable limit is known here
    return Verdict(amount, basis, None, limit, (Failure(
        "over_delegation_limit",
        N_("Beloppet %(amount)s kr (%(basis)s) överstiger delegationsordningens högsta gräns "
           "%(limit)s kr (punkt %(point)s, %(title)s) och ska lyftas till nämnden."),
        {**params, "limit": limit, "point": point.number, "title": point.title}),))


_CONDITION_REFUSALS = {
    "not_political": N_("Ärendet har väckts politiskt; enligt delegationsordningen beslutar "
                        "nämnden i sådana ärenden, oavsett belopp."),
    "no_sensitive_information": N_("Ärendet behandlar personuppgifter som klassas på nivå 3 "
                                   "eller högre; enligt delegationsordningen beslutar nämnden."),
}


def fallback_points(limit_sek: int | None) -> tuple[DelegationPoint, ...]:
    """A förvaltning without a delegation order of its own: its single delegation limit."""
    if limit_sek is None:
        return ()
    return (DelegationPoint(number="–", title=N_("Förvaltningens delegationsgräns"),
                            decider="forvaltningschef", limit_sek=limit_sek),)


def figures_of(facts: Facts) -> CaseFigures:
    return CaseFigures(total_cost_sek=facts.total_cost_sek,
                       contract_value_sek=facts.contract_value_sek,
                       cost_estimate_sek=facts.cost_estimate_sek, has_dossier=facts.has_dossier,
                       political_origin=facts.origin == "political",
                       personal_data_level=facts.personal_data_level)


def verdict_of(facts: Facts) -> Verdict:
    points = facts.delegation_points
    if points is None:
        points = fallback_points(facts.delegation_limit_sek)
    year = facts.today.year if facts.today is not None else 0
    return decide(points, figures_of(facts), facts.prisbasbelopp_sek, year)


@guard("within_delegation")
def within_delegation(facts: Facts) -> list[Failure]:
    """The delegation order carries the decision (docs/delegation.md). A political case is
    refused by the ``not_political`` guard beside this one; saying it twice helps nobody."""
    return [failure for failure in verdict_of(facts).failures
            if failure.code != "delegation_condition_not_political"]
