"""Pydantic validation errors as field errors in Swedish, keyed by dotted paths."""
from __future__ import annotations

import re
from typing import Any, Mapping

from pydantic import BaseModel, ValidationError

from workflow.platform.errors import Message, ValidationFailed
from workflow.states.i18n import N_, MessageError

MESSAGES: dict[str, str] = {
    "missing": N_("Fältet krävs."),
    "extra_forbidden": N_("Okänt fält."),
    "int_type": N_("Ange ett heltal."),
    "int_parsing": N_("Ange ett heltal."),
    "int_from_float": N_("Ange ett heltal."),
    "float_type": N_("Ange ett tal."),
    "float_parsing": N_("Ange ett tal."),
    "decimal_type": N_("Ange ett tal."),
    "decimal_parsing": N_("Ange ett tal."),
    "finite_number": N_("Ange ett tal."),
    "string_type": N_("Ange en text."),
    "bool_type": N_("Ange ja eller nej."),
    "bool_parsing": N_("Ange ja eller nej."),
    "date_type": N_("Ange ett datum som ÅÅÅÅ-MM-DD."),
    "date_parsing": N_("Ange ett datum som ÅÅÅÅ-MM-DD."),
    "date_from_datetime_parsing": N_("Ange ett datum som ÅÅÅÅ-MM-DD."),
    "literal_error": N_("Välj ett av alternativen."),
    "enum": N_("Välj ett av alternativen."),
    "list_type": N_("Ange en lista."),
    "dict_type": N_("Ange ett objekt."),
    "model_type": N_("Ange ett objekt."),
    "model_attributes_type": N_("Ange ett objekt."),
}
WITH_LIMITS: dict[str, str] = {
    "greater_than_equal": N_("Värdet måste vara minst %(ge)s."),
    "greater_than": N_("Värdet måste vara större än %(gt)s."),
    "less_than_equal": N_("Värdet får vara högst %(le)s."),
    "less_than": N_("Värdet måste vara mindre än %(lt)s."),
    "string_too_long": N_("Texten får vara högst %(max_length)s tecken."),
    "too_long": N_("Högst %(max_length)s rader."),
    "too_short": N_("Minst %(min_length)s rader."),
}
FALLBACK = N_("Ogiltigt värde.")


# Control characters break XML (XLSX exports), PostgreSQL refuses NUL in text, and lone
# surrogates cannot be encoded: none of them belongs in a text. Tab, line feed and carriage
# return stay in multi-line texts.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
LINE_BREAKS = re.compile("[\t\n\r]+")


def clean_text(value: str, multiline: bool = True) -> str:
    """``value`` without control characters and lone surrogates; a single-line text also
    without tabs and line breaks (each run becomes one space)."""
    value = CONTROL.sub("", value)
    return value if multiline else LINE_BREAKS.sub(" ", value)


def has_control(value: str) -> bool:
    return CONTROL.search(value) is not None


def clean_payload(value: Any) -> Any:
    """Every text in a form or JSON payload (keys too) cleaned with :func:`clean_text`."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, Mapping):
        return {clean_payload(k): clean_payload(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean_payload(v) for v in value]
    return value


def validate(model: type[BaseModel], payload: Any) -> BaseModel:
    """The validated model, or :class:`ValidationFailed` with every error by field path.
    Control characters in the payload's texts are removed first."""
    if not isinstance(payload, Mapping):
        raise ValidationFailed({"body": N_("Skicka ett JSON-objekt.")})
    try:
        return model.model_validate(clean_payload(dict(payload)))
    except ValidationError as exc:
        raise ValidationFailed(field_errors(exc)) from None


def field_errors(exc: ValidationError) -> dict[str, list[Message]]:
    errors: dict[str, list[Message]] = {}
    for error in exc.errors():
        path = ".".join(str(part) for part in error["loc"]) or "body"
        errors.setdefault(path, []).append(_message(error))
    return errors


def _message(error: Mapping[str, Any]) -> Message:
    kind, context = error["type"], error.get("ctx") or {}
    if kind in MESSAGES:
        return MESSAGES[kind]
    if kind in WITH_LIMITS:
        return WITH_LIMITS[kind], {k: str(v) for k, v in context.items()}
    if kind in ("value_error", "assertion_error") and "error" in context:
        error = context["error"]
        if isinstance(error, MessageError):  # a msgid with parameters, translated later
            return error.message, error.params
        return str(error)  # the model's own Swedish message
    return FALLBACK


ID_LIMIT = 2**31  # an INTEGER id column holds less; a larger number would overflow the driver


def as_id(value: Any) -> int | None:
    """An id from a form, a query string or JSON (an int or ASCII digits, 1 ≤ id < 2**31), or
    None for anything else (empty, malformed, "²", booleans, too large)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        if len(text) > 10:  # longer than any id; int() of thousands of digits would fail
            return None
        value = int(text) if text.isascii() and text.isdigit() else None
    return value if isinstance(value, int) and 0 < value < ID_LIMIT else None
