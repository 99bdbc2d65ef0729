"""The user's language, and process labels shown in it."""
from __future__ import annotations

from flask_babel import get_locale

from workflow.states.definition import Label


def language() -> str:
    locale = get_locale()
    return locale.language if locale else "sv"


def localized(label: Label | None) -> str:
    return label.get(language()) if label else ""
