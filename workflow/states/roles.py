"""The canonical roles of the process (docs/process.md). ``author`` is the case's own submitter."""

from __future__ import annotations

from workflow.states.i18n import N_

AUTHOR = "author"

ROLES: tuple[str, ...] = (
    "staff", "manager", "developer", "council", "management", "registrar",
    "security", "procurement", "digital_unit", "admin",
)

# Swedish UI label for each role; English via the translation catalogue.
ROLE_LABELS: dict[str, str] = {
    AUTHOR: N_("Inlämnare"),
    "staff": N_("Medarbetare"),
    "manager": N_("Chef"),
    "developer": N_("Verksamhetsutvecklare"),
    "council": N_("Ledamot i digitaliseringsrådet"),
    "management": N_("Förvaltningschef/ledningsgrupp"),
    "registrar": N_("Nämndsekreterare"),
    "security": N_("Informationssäkerhetssamordnare"),
    "procurement": N_("Upphandlare"),
    "digital_unit": N_("Digitaliseringsstrateg"),
    "admin": N_("Administratör"),
}
