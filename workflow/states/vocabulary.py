"""Closed vocabularies of the domain with their Swedish labels (docs/process.md)."""
from __future__ import annotations

from workflow.states.i18n import N_

ORIGINS: dict[str, str] = {
    "staff_idea": N_("Medarbetaridé"),
    "direct_channel": N_("Direktkanal till ledningen"),
    "political": N_("Politiskt initiativ eller uppdrag"),
    "mandatory": N_("Tvingande (lag, avtal, gemensamt initiativ)"),
}

# The origin staff get; direct_channel is set by an anonymous submission, the others are
# registered by the roles that lead the work.
STAFF_ORIGINS = ("staff_idea",)

DIRECTION_FOCUS: dict[str, str] = {
    "efficiency": N_("Effektivisering"),
    "innovation": N_("Innovation"),
}

DIRECTION_REACH: dict[str, str] = {
    "internal": N_("Intern nytta"),
    "external": N_("Nytta för medborgare/brukare"),
}
