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

# Who sees which menu item (by endpoint): staff see what staff use; each other item is shown to
# those who act there. The pages keep their own access rules; this is only the menu. An item
# not named here is for everyone.
MENU_ROLES: dict[str, frozenset[str]] = {
    "plan.index": frozenset({"developer", "council", "management", "registrar", "digital_unit",
                             "admin"}),
    "meetings.index": frozenset({"manager", "developer", "council", "management", "registrar",
                                 "admin"}),
    "council.overview": frozenset({"developer", "council", "management", "admin"}),
    "dossier.objects": frozenset({"developer", "security", "procurement", "management",
                                  "digital_unit", "admin"}),
}


def in_menu(endpoint: str, roles: set[str] | frozenset[str]) -> bool:
    """Whether a person holding ``roles`` sees the menu item ``endpoint``."""
    wanted = MENU_ROLES.get(endpoint)
    return wanted is None or bool(wanted & set(roles))
