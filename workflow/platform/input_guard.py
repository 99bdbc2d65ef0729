"""Bad input is a 4xx, never a 500: every request body is checked before a view reads it.

A JSON body (the API reads bodies with or without a JSON content type) is parsed once, here,
with a limit on its nesting; a text in it holding a control character, a NUL byte or a lone
surrogate is refused with 422 and the field's path, so nothing reaches the database (which
refuses NUL) or an export (XML forbids control characters). A form's texts are cleaned of
the same characters instead, since a browser user cannot see them (docs: issue 12, item 11).
"""
from __future__ import annotations

import json
from typing import Any

from flask import Flask, request
from werkzeug.datastructures import ImmutableMultiDict

from workflow.platform.errors import ValidationFailed
from workflow.platform.validation import clean_text, has_control
from workflow.states.i18n import N_

MAX_DEPTH = 32
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def init_app(app: Flask) -> None:
    app.before_request(check_request_body)


def check_request_body() -> None:
    _check_query()
    if request.method not in BODY_METHODS:
        return
    if request.mimetype in FORM_TYPES:
        _clean_form()
    elif request.is_json or request.path.startswith("/api/"):
        _check_json()


def _check_query() -> None:
    """A query parameter with a forbidden character: refused by the API (422, naming the
    parameter), cleaned for a page (as a form is), so no search reaches the database with a
    NUL byte (PostgreSQL refuses it)."""
    args = request.args
    if not any(has_control(key) or has_control(value) for key, value in args.items(multi=True)):
        return
    if request.path.startswith("/api/"):
        name = next(key for key, value in args.items(multi=True)
                    if has_control(key) or has_control(value))
        raise ValidationFailed({clean_text(name) or "query": N_(
            "Texten innehåller otillåtna tecken (styrtecken, NUL eller ensamma "
            "surrogattecken).")})
    request.args = ImmutableMultiDict(
        [(clean_text(key), clean_text(value)) for key, value in args.items(multi=True)])


def _clean_form() -> None:
    form = request.form
    if any(has_control(key) or has_control(value) for key, value in form.items(multi=True)):
        request.form = ImmutableMultiDict(
            [(clean_text(key), clean_text(value)) for key, value in form.items(multi=True)])


def _check_json() -> None:
    raw = request.get_data(cache=True)
    if not raw:
        return
    try:
        body = json.loads(raw)
    except RecursionError:
        raise ValidationFailed({"body": N_("JSON-dokumentet är för djupt nästlat.")}) from None
    except ValueError:
        return  # not JSON: the view answers "Skicka ett JSON-objekt."
    problem = _first_problem(body)
    if problem is not None:
        path, message = problem
        raise ValidationFailed({path: message})
    if request.is_json:  # the views read this parse, not a second one
        request._cached_json = (body, body)


def _first_problem(body: Any) -> tuple[str, str] | None:
    """The path and message of the first text with a forbidden character, or of a nesting
    deeper than :data:`MAX_DEPTH` (walked without recursion)."""
    stack: list[tuple[Any, str, int]] = [(body, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            return "body", N_("JSON-dokumentet är för djupt nästlat.")
        if isinstance(value, str):
            if has_control(value):
                return path or "body", N_("Texten innehåller otillåtna tecken (styrtecken, "
                                          "NUL eller ensamma surrogattecken).")
        elif isinstance(value, dict):
            for key, item in value.items():
                name = f"{path}.{key}" if path else str(key)
                if has_control(key):
                    return "body", N_("Texten innehåller otillåtna tecken (styrtecken, NUL "
                                      "eller ensamma surrogattecken).")
                stack.append((item, name, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, f"{path}.{i}" if path else str(i), depth + 1)
                         for i, item in enumerate(value))
    return None
