"""What every administration blueprint shares: the admin check for pages and for the API,
and the list of sections the admin start page links to.

A section module registers itself with :func:`section` and, for the API, builds its blueprint
with :func:`api_blueprint` (bearer token, region admin only, JSON errors, no CSRF) and
describes its paths with :func:`workflow.views.openapi.openapi_fragment`."""
from __future__ import annotations

from dataclasses import dataclass
from functools import wraps
from typing import Callable

from flask import Blueprint, abort, g
from flask_babel import gettext as _
from flask_login import current_user, login_required

from workflow.cases.access import is_region_admin
from workflow.models import User
from workflow.platform.api import authenticate
from workflow.platform.extensions import csrf
from workflow.views.errors import api_error
from workflow.views.openapi import openapi_fragment  # noqa: F401  (the admin API modules')


@dataclass(frozen=True)
class Section:
    endpoint: str
    label: str  # a msgid marked with N_ or _l; translated when shown
    description: str
    order: int


SECTIONS: list[Section] = []


def section(endpoint: str, label: str, description: str, order: int) -> None:
    """Link a page from the admin start page (once per endpoint)."""
    if all(s.endpoint != endpoint for s in SECTIONS):
        SECTIONS.append(Section(endpoint, label, description, order))
        SECTIONS.sort(key=lambda s: s.order)


def require_admin(bp: Blueprint) -> None:
    """Every page of ``bp`` needs a logged-in region administrator (others get 403)."""

    @bp.before_request
    @login_required
    def _only_admins():
        if not is_region_admin(current_user):
            abort(403)


def api_blueprint(name: str, import_name: str) -> Blueprint:
    """A blueprint under /api/v1/admin whose every endpoint needs an admin's bearer token."""
    bp = Blueprint(name, import_name, url_prefix="/api/v1/admin")
    csrf.exempt(bp)

    @bp.before_request
    def _only_admins():
        refused = authenticate()
        if refused is not None:
            return refused
        if not is_region_admin(g.api_user):
            return api_error(403, _("Endast administratörer får göra detta."))
        return None

    return bp


def api_admin() -> User:
    return g.api_user


def admin_only(view: Callable) -> Callable:
    """For a single admin view in a blueprint that is otherwise open to others."""

    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not is_region_admin(current_user):
            abort(403)
        return view(*args, **kwargs)

    return wrapper
