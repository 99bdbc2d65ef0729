"""Downloads of the case list and the decision dossiers as CSV and XLSX.

The query takes the /cases filters (``state``, ``unit_id``) plus ``department_id``,
``origin``, ``from`` and ``to`` (ISO dates, the case's creation day, both included). Empty
values are ignored; a bad value answers 422 with a page naming each bad argument, so a
download never silently contains something other than what was asked for.
"""
from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from workflow.exports import service as exports
from workflow.platform.errors import ValidationFailed
from workflow.views.errors import MESSAGES

bp = Blueprint("exports", __name__, url_prefix="/exports")

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.before_request
@login_required
def require_login():
    """Every export needs a logged-in user."""


@bp.errorhandler(ValidationFailed)
def bad_filters(error: ValidationFailed):
    reasons = [f"{name}: {text}" for name, texts in error.translated_field_errors.items()
               for text in texts]
    return render_template("error.html", status=422, message=_(MESSAGES[422]),
                           reasons=reasons), 422


def _filters() -> exports.Filters:
    return exports.parse_filters(current_user, request.args)


def _download(content: bytes, mimetype: str, stem: str, extension: str) -> Response:
    response = Response(content, mimetype=mimetype)
    name = exports.filename(stem, extension)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    # The files hold names and case details: keep them out of shared caches.
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/cases.csv")
def cases_csv():
    headers, rows = exports.case_rows(current_user, _filters())
    return _download(exports.to_csv(headers, rows), CSV_TYPE, "arenden", "csv")


@bp.get("/cases.xlsx")
def cases_xlsx():
    filters = _filters()
    case_headers, case_rows = exports.case_rows(current_user, filters)
    dossier_headers, dossier_rows = exports.dossier_rows(current_user, filters)
    content = exports.to_xlsx([(exports.SHEET_CASES, case_headers, case_rows),
                               (exports.SHEET_DOSSIERS, dossier_headers, dossier_rows)])
    return _download(content, XLSX_TYPE, "arenden", "xlsx")


@bp.get("/dossiers.csv")
def dossiers_csv():
    headers, rows = exports.dossier_rows(current_user, _filters())
    return _download(exports.to_csv(headers, rows), CSV_TYPE, "beslutsunderlag", "csv")
