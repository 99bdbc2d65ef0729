"""Notification texts kept as msgids and parameters, shown in the reader's language.

A notification's subject is one message: a Swedish msgid (marked with ``N_``) and its
parameters, stored as ``Notification.subject_key`` and ``subject_params``. Its body is a
list of lines (``body_parts``): each a message, or a plain string shown as written (what
people wrote: a case's title, a comment). A parameter is

- a plain value (a case number, a date, a name), filled in as it is;
- a message ``{"key": msgid, "params": {...}}`` (an event's word, "aldrig"), translated and
  filled in first;
- a process label ``{"sv": ..., "en": ...}`` (a state's or an event's name, from the process
  definition, docs/process.md), shown in the reader's language.

Texts are translated first and filled in afterwards, so a translation never meets a
half-Swedish string. The Swedish text is stored as well (``subject``, ``body``): for the
GDPR export and for rows written before migration 0019, which have no key and are shown as
stored.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Mapping, Sequence

from flask import current_app
from flask_babel import force_locale, get_domain, gettext

from workflow.platform.i18n import language
from workflow.states.definition import Label

Part = str | dict[str, Any]


def message(key: str, **params: Any) -> dict[str, Any]:
    """A msgid with its parameters, as stored (``params`` may hold messages and labels)."""
    return {"key": key, "params": {name: _stored(value) for name, value in params.items()}}


def _stored(value: Any) -> Any:
    if isinstance(value, Label):
        return {"sv": value.sv, "en": value.en}
    return value


def render(part: Any, translate: Callable[..., str] = gettext,
           locale: str | None = None) -> str:
    """One message, label or plain value in the current locale (or in ``locale``, with
    ``translate`` its gettext)."""
    if isinstance(part, Mapping):
        if "key" in part:
            params = {name: render(value, translate, locale)
                      for name, value in (part.get("params") or {}).items()}
            return translate(part["key"], **params) if params else translate(part["key"])
        if "sv" in part:
            return Label(sv=part["sv"], en=part.get("en") or part["sv"]).get(
                locale or language())
    return "" if part is None else str(part)


def render_body(parts: Sequence[Part], translate: Callable[..., str] = gettext,
                locale: str | None = None) -> str:
    return "\n".join(render(part, translate, locale) for part in parts)


def subject_of(notification: Any) -> str:
    """The subject in the current locale; an old row without a key shows its stored text."""
    if not notification.subject_key:
        return notification.subject
    return render({"key": notification.subject_key, "params": notification.subject_params})


def body_of(notification: Any) -> str:
    if notification.body_parts is None:
        return notification.body
    return render_body(notification.body_parts)


def stored_texts(subject: dict[str, Any], body: Sequence[Part]) -> tuple[str, str]:
    """Subject and body in the default language (Swedish), for the ``subject`` and ``body``
    columns."""
    locale = current_app.config.get("BABEL_DEFAULT_LOCALE") or "sv"
    with force_locale(locale):  # the catalogue looked up once, not for every message
        catalogue = get_domain().get_translations()

    def translate(key: str, **params: Any) -> str:
        text = catalogue.ugettext(key)
        return text % params if params else text

    code = locale.replace("-", "_").split("_")[0]  # a label's language, e.g. "sv"
    return render(subject, translate, code), render_body(body, translate, code)


@dataclass(frozen=True)
class Shown:
    """A notification as a page shows it: subject and body in the current locale."""

    id: int
    case_id: int | None
    created_at: datetime
    read_at: datetime | None
    subject: str
    body: str

    @classmethod
    def of(cls, notification: Any) -> "Shown":
        return cls(id=notification.id, case_id=notification.case_id,
                   created_at=notification.created_at, read_at=notification.read_at,
                   subject=subject_of(notification), body=body_of(notification))
