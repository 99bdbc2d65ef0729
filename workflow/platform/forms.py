"""The one way a web page shows a service's refusal on its WTForms form."""
from __future__ import annotations

from typing import Collection, Mapping

from flask_wtf import FlaskForm

from workflow.platform.errors import ServiceError, ValidationFailed


def show_service_error(form: FlaskForm, error: ServiceError,
                       rename: Mapping[str, str] | None = None,
                       fields: Collection[str] | None = None) -> list[str]:
    """Put a :class:`ValidationFailed`'s messages (translated) under the form's fields.

    ``rename`` maps a service field to the form field that shows it (e.g. the service's
    ``unit_id`` to the form's ``anonymous_place``); ``fields`` limits which form fields may
    show one. Returns the messages no field took, for the page to show elsewhere; any other
    error (a conflict, a refusal) leaves the form as it is and returns nothing."""
    if not isinstance(error, ValidationFailed):
        return []
    unplaced: list[str] = []
    for name, messages in error.translated_field_errors.items():
        target = (rename or {}).get(name, name)
        if target in form and (fields is None or target in fields):
            form[target].errors = list(form[target].errors) + messages
        else:
            unplaced += messages
    return unplaced
