"""The delegation order and the anmälan av delegationsbeslut in the JSON API: the twins of the
pages in delegation/web.py (docs/delegation.md)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, jsonify, request
from flask_babel import gettext as _

from workflow.admin.support import api_admin, api_blueprint
from workflow.delegation import schemas
from workflow.delegation import service as delegation
from workflow.models import DelegationOrder, Department
from workflow.platform.api import authenticate, json_body
from workflow.platform.extensions import csrf, db
from workflow.states import delegation as rules
from workflow.views.openapi import (
    answer,
    error_responses,
    json_content,
    openapi_fragment,
    ref,
)

bp = Blueprint("api_delegation", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
admin_bp = api_blueprint("api_admin_delegation", __name__)
bp.before_request(authenticate)


# ---------------------------------------------------------------- for the förvaltning

@bp.get("/delegation/decisions")
def decisions():
    """The anmälan av delegationsbeslut for one förvaltning and period."""
    start, end = delegation.default_period()
    report = delegation.anmalan(g.api_user, request.args.get("department_id"),
                                request.args.get("from") or start.isoformat(),
                                request.args.get("to") or end.isoformat())
    return jsonify({
        "department": {"id": report.department.id, "name": report.department.name},
        "committee": report.committee or None,
        "from": report.start.isoformat(), "to": report.end.isoformat(),
        "items": [{"case_id": d.case_id, "diarienummer": d.diarienummer, "title": d.title,
                   "decided_on": d.decided_on.isoformat(), "delegate": d.delegate,
                   "point": d.point or None, "point_title": d.point_title or None,
                   "decider": d.decider or None,
                   "decider_label": _(rules.DECIDERS[d.decider])
                   if d.decider in rules.DECIDERS else None,
                   "amount_sek": d.amount_sek, "limit_sek": d.limit_sek}
                  for d in report.decisions]})


@bp.get("/departments/<int:department_id>/delegation-order")
def current_order(department_id: int):
    department = _department(department_id)
    today = delegation.local_today()
    order = delegation.order_on(department, today)
    base = delegation.prisbasbelopp(today.year)
    return jsonify({
        "department": {"id": department.id, "name": department.name},
        "order": _order(order, base.amount_sek if base else None) if order else None,
        "fallback_limit_sek": None if order else
        delegation.facts_for(department, today)["delegation_limit_sek"],
        "prisbasbelopp": _price_base(base) if base else None})


# ---------------------------------------------------------------- administration

@admin_bp.get("/departments/<int:department_id>/delegation-orders")
def admin_orders(department_id: int):
    department = _department(department_id, admin=True)
    return jsonify({"items": [_order(order, None) for order in delegation.orders(department)]})


@admin_bp.post("/departments/<int:department_id>/delegation-orders")
def admin_save_order(department_id: int):
    department = _department(department_id, admin=True)
    body = json_body(schemas.DelegationOrderInput)
    order = delegation.save_order(api_admin(), department, body)
    return jsonify(_order(order, None)), 201


@admin_bp.get("/prisbasbelopp")
def admin_price_base_amounts():
    return jsonify({"items": [_price_base(a) for a in delegation.price_base_amounts()]})


@admin_bp.put("/prisbasbelopp/<int:year>")
def admin_set_price_base(year: int):
    body = json_body(schemas.PriceBaseInput)
    saved = delegation.set_prisbasbelopp(api_admin(), {**body, "year": year})
    return jsonify(_price_base(saved))


# ---------------------------------------------------------------- shapes

def _department(department_id: int, admin: bool = False) -> Department:
    user = api_admin() if admin else g.api_user
    department = db.session.get(Department, department_id)
    if department is None or department.region_id != user.region_id:
        abort(404)
    return department


def _order(order: DelegationOrder, prisbasbelopp_sek: int | None) -> dict[str, Any]:
    points = delegation.points_of(order)
    return {"version": order.version, "valid_from": order.valid_from.isoformat(),
            "adopted_by": order.adopted_by,
            "created_at": order.created_at.isoformat() if order.created_at else None,
            "points": [{**point.as_dict(), "decider_label": _(rules.DECIDERS[point.decider]),
                        "limit_in_sek": point.limit_in_sek(prisbasbelopp_sek)}
                       for point in points]}


def _price_base(base: delegation.PriceBase) -> dict[str, Any]:
    return {"year": base.year, "amount_sek": base.amount_sek, "source": base.source,
            "stored": base.stored}


# ---------------------------------------------------------------- OpenAPI

@openapi_fragment
def _openapi() -> dict[str, Any]:
    department_path = [{"name": "department_id", "in": "path", "required": True,
                        "schema": {"type": "integer", "minimum": 1}}]


    return {
        "models": schemas.MODELS,
        "paths": {
            "/delegation/decisions": {"get": {
                "summary": "Anmälan av delegationsbeslut (KL 7 kap. 8 §) för en förvaltning "
                           "och period; nämndsekreterare, ledning och administratör",
                "parameters": [
                    {"name": "department_id", "in": "query", "required": True,
                     "schema": {"type": "integer", "minimum": 1}},
                    {"name": "from", "in": "query", "schema": {"type": "string",
                                                               "format": "date"}},
                    {"name": "to", "in": "query", "schema": {"type": "string",
                                                             "format": "date"}}],
                "responses": {**answer("Besluten", "DelegationDecisions"),
                              **error_responses(401, 404, 422)}}},
            "/departments/{department_id}/delegation-order": {"get": {
                "summary": "Förvaltningens gällande delegationsordning",
                "parameters": department_path,
                "responses": {**answer("Delegationsordningen", "CurrentDelegationOrder"),
                              **error_responses(401, 404)}}},
            "/admin/departments/{department_id}/delegation-orders": {
                "get": {"summary": "Delegationsordningens versioner, nyast först",
                        "parameters": department_path,
                        "responses": {**answer("Versionerna", "DelegationOrderList"),
                                      **error_responses(401, 403, 404)}},
                "post": {"summary": "Spara en ny version av delegationsordningen",
                         "parameters": department_path,
                         "requestBody": {"required": True,
                                         **json_content(ref("DelegationOrderInput"))},
                         "responses": {**answer("Sparad", "DelegationOrder", "201"),
                                       **error_responses(401, 403, 404, 422)}}},
            "/admin/prisbasbelopp": {"get": {
                "summary": "Prisbasbelopp per år (konfiguration och administratörens tillägg)",
                "responses": {**answer("Beloppen", "PriceBaseAmountList"),
                              **error_responses(401, 403)}}},
            "/admin/prisbasbelopp/{year}": {"put": {
                "summary": "Lägg till eller rätta ett års prisbasbelopp",
                "parameters": [{"name": "year", "in": "path", "required": True,
                                "schema": {"type": "integer", "minimum": delegation.YEARS[0],
                                           "maximum": delegation.YEARS[1]}}],
                "requestBody": {"required": True, **json_content(ref("PriceBaseInput"))},
                "responses": {**answer("Sparat", "PriceBaseAmount"),
                              **error_responses(401, 403, 404, 422)}}},
        },
    }
