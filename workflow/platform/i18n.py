"""The user's language, process labels shown in it, and the request's translations for the
templates without Flask-Babel's per-call lookups (issue 14: no per-row Babel work)."""
from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

from babel import Locale
from babel.dates import DateTimePattern, get_datetime_format, get_timezone, parse_pattern
from flask import Flask, g
from flask_babel import get_locale, get_translations
from flask_babel import get_timezone as user_timezone

from workflow.states.definition import Label


def language() -> str:
    locale = get_locale()
    return locale.language if locale else "sv"


def localized(label: Label | None) -> str:
    return label.get(language()) if label else ""


def translations() -> Any:
    """The request's catalogue. Flask-Babel looks up its domain, context, locale and the
    locale's name on every call (about 16 µs, a page has hundreds); this keeps the catalogue
    on the request beside the locale it is for, so ``force_locale`` (emails in the
    reader's language) still gets its own: a new locale object means a new lookup."""
    context = g.get("_flask_babel")
    locale = getattr(context, "babel_locale", None)
    if locale is None:  # the first call of the request: Flask-Babel chooses the locale
        return get_translations()
    kept = getattr(context, "workflow_translations", None)
    if kept is not None and kept[0] is locale:
        return kept[1]
    found = get_translations()
    context.workflow_translations = (locale, found)
    return found


def install_template_gettext(app: Flask) -> None:
    """The templates' ``_``/``gettext``/``ngettext`` through :func:`translations` (same
    catalogues, same new-style %-formatting and autoescaping as Flask-Babel installs)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True)


@lru_cache(maxsize=32)
def _short_datetime_pattern(locale: Locale) -> DateTimePattern:
    """The locale's short date and time as one parsed pattern: what
    ``babel.dates.format_datetime(…, "short")`` assembles on every call."""
    joined = str(get_datetime_format("short", locale=locale))
    return parse_pattern(joined.replace("{0}", locale.time_formats["short"].pattern)
                         .replace("{1}", locale.date_formats["short"].pattern))


def short_datetime(value: datetime) -> str:
    """``flask_babel.format_datetime(value, "short")``: the same text (tests compare them),
    a naive value being UTC as everywhere in the app, shown in the user's time zone."""
    locale = get_locale() or Locale.parse("sv")
    zone = user_timezone() or get_timezone("Europe/Stockholm")
    moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return _short_datetime_pattern(locale).apply(moment.astimezone(zone), locale)
