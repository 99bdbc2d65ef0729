"""Errors every entry point understands: the web views, the JSON API and the CLI."""
from __future__ import annotations

from typing import Any, Iterable, Mapping

from flask_babel import format_decimal, gettext

from workflow.states import Failure
from workflow.states.i18n import N_

# Parameters whose values are msgids themselves (a procurement checklist question, the
# delegation order's basis, the labels of a benefit's unanswered questions): translated
# before they are filled in; a list of msgids is translated item by item and joined by spaces.
MSGID_PARAMS = frozenset({"question", "questions", "basis"})


def translate(message: str, params: Mapping[str, Any] | None = None) -> str:
    """Translate a Swedish msgid and fill in its parameters, numbers in the user's locale."""
    return gettext(message, **{k: _param(k, v) for k, v in (params or {}).items()})


def _param(key: str, value: Any) -> Any:
    if key in MSGID_PARAMS:
        if isinstance(value, str):
            return gettext(value)
        if isinstance(value, (list, tuple)):
            return " ".join(gettext(item) for item in value if isinstance(item, str))
    if isinstance(value, int) and not isinstance(value, bool):
        return format_decimal(value)
    return value


# A field error: a Swedish msgid, or a msgid with its parameters.
Message = str | tuple[str, Mapping[str, Any]]


class ServiceError(Exception):
    status = 400
    message = N_("Något gick fel.")

    def __init__(self, failures: Iterable[Failure] = (), message: str | None = None):
        self.failures = list(failures)
        if message is not None:
            self.message = message
        super().__init__(self.message)

    @property
    def text(self) -> str:
        return translate(self.message)

    @property
    def reasons(self) -> list[str]:
        return [translate(f.message, f.params) for f in self.failures]


class NotFound(ServiceError):
    status = 404
    message = N_("Ärendet finns inte, eller så har du inte behörighet att se det.")


class PermissionDenied(ServiceError):
    status = 403
    message = N_("Du har inte behörighet till detta.")


class InvalidState(ServiceError):
    status = 409
    message = N_("Det går inte i ärendets nuvarande läge.")


class GuardFailed(ServiceError):
    status = 409
    message = N_("Ärendet uppfyller inte villkoren för detta steg.")


class Conflict(ServiceError):
    status = 409
    message = N_("Ärendet har ändrats av någon annan under tiden. Ladda om sidan och försök "
                 "igen; ingenting sparades.")


class ValidationFailed(ServiceError):
    """Input of the wrong shape; ``field_errors`` maps a field name to Swedish msgids."""

    status = 422
    message = N_("Uppgifterna innehåller fel. Rätta de markerade fälten.")

    def __init__(self, field_errors: Mapping[str, Message | list[Message]]):
        self.field_errors = {k: list(v) if isinstance(v, list) else [v]
                             for k, v in field_errors.items()}
        super().__init__()

    @property
    def translated_field_errors(self) -> dict[str, list[str]]:
        return {k: [translate(*m) if isinstance(m, tuple) else translate(m) for m in v]
                for k, v in self.field_errors.items()}
