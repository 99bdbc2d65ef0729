"""The exports in the JSON API: the rows of the CSV and XLSX downloads (exports/web.py) as
JSON, with the same columns, filters and visibility (exports/service.py)."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import Blueprint, g, jsonify, request

from workflow.exports import schemas
from workflow.exports import service as exports
from workflow.platform.api import authenticate
from workflow.platform.extensions import csrf
from workflow.processes.registry import current_process
from workflow.states.vocabulary import ORIGINS
from workflow.views.openapi import error_responses, json_content, openapi_fragment, ref

bp = Blueprint("api_exports", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
bp.before_request(authenticate)


@bp.get("/exports/cases")
def case_rows():
    columns, rows = exports.case_rows(g.api_user, _filters())
    return _answer(columns, rows)


@bp.get("/exports/dossiers")
def dossier_rows():
    columns, rows = exports.dossier_rows(g.api_user, _filters())
    return _answer(columns, rows)


def _filters() -> exports.Filters:
    return exports.parse_filters(g.api_user, request.args)  # a 422 naming each bad argument


def _answer(columns: list[str], rows: list[list[Any]]):
    return jsonify({"columns": columns, "rows": [[cell(value) for value in row] for row in rows]})


def cell(value: Any) -> Any:
    """A file's cell as JSON: dates and times in ISO 8601, decimals as numbers."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


# ---------------------------------------------------------------- OpenAPI

@openapi_fragment
def _openapi() -> dict[str, Any]:
    def query(name: str, schema: dict[str, Any]) -> dict[str, Any]:
        return {"name": name, "in": "query", "schema": schema}

    positive = {"type": "integer", "minimum": 1}
    day = {"type": "string", "format": "date"}
    parameters = [query("state", {"enum": list(current_process().definition.states)}),
                  query("unit_id", positive), query("department_id", positive),
                  query("origin", {"enum": list(ORIGINS)}), query("from", day),
                  query("to", day)]
    rows = {"200": {"description": "Raderna", **json_content(ref("ExportRows"))},
            **error_responses(401, 422)}
    return {
        "models": schemas.MODELS,
        "paths": {
            "/exports/cases": {"get": {
                "summary": "Ärendelistan som i arenden.csv: de ärenden du får se",
                "parameters": parameters, "responses": rows}},
            "/exports/dossiers": {"get": {
                "summary": "Beslutsunderlagen som i beslutsunderlag.csv: de ärenden du får se "
                           "som har ett underlag",
                "parameters": parameters, "responses": rows}},
        },
    }
