"""The delegation order and the anmälan av delegationsbeslut in the JSON API: the twins of the
pages in delegation/web.py (docs/delegation.md)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, jsonify, request
from flask_babel import gettext as _

from workflow.admin.support import api_admin, api_blueprint, openapi_fragment
from workflow.delegation import service as delegation
from workflow.models import DelegationOrder, Department
from workflow.platform.errors import ValidationFailed
from workflow.platform.extensions import csrf, db
from workflow.states import delegation as rules
from workflow.states.i18n import N_

bp = Blueprint("api_delegation", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
admin_bp = api_blueprint("api_admin_delegation", __name__)


@bp.before_request
def _authenticate():
    from workflow.cases.api import authenticate
    return authenticate()


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
    body = _body()
    unknown = sorted(set(body) - {"valid_from", "adopted_by", "points"})
    if unknown:
        raise ValidationFailed({key: N_("Okänt fält.") for key in unknown})
    order = delegation.save_order(api_admin(), department, body)
    return jsonify(_order(order, None)), 201


@admin_bp.get("/prisbasbelopp")
def admin_price_base_amounts():
    return jsonify({"items": [_price_base(a) for a in delegation.price_base_amounts()]})


@admin_bp.put("/prisbasbelopp/<int:year>")
def admin_set_price_base(year: int):
    body = _body()
    unknown = sorted(set(body) - {"amount_sek", "source"})
    if unknown:
        raise ValidationFailed({key: N_("Okänt fält.") for key in unknown})
    saved = delegation.set_prisbasbelopp(api_admin(), {**body, "year": year})
    return jsonify(_price_base(saved))


# ---------------------------------------------------------------- shapes

def _department(department_id: int, admin: bool = False) -> Department:
    user = api_admin() if admin else g.api_user
    department = db.session.get(Department, department_id)
    if department is None or department.region_id != user.region_id:
        abort(404)
    return department


def _body() -> dict[str, Any]:
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        raise ValidationFailed({"body": N_("Skicka ett JSON-objekt.")})
    return body


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
    from workflow.views.openapi import error_responses, json_body, ref

    text, nullable = {"type": "string"}, {"type": ["string", "null"]}
    point_input = {"type": "object", "additionalProperties": False,
                   "required": ["number", "title", "decider"], "properties": {
                       "number": {"type": "string", "maxLength": 20,
                                  "description": "T.ex. 3.2"},
                       "title": {"type": "string", "maxLength": 200},
                       "decider": {"enum": list(rules.DECIDERS)},
                       "limit_sek": {"type": ["integer", "null"], "minimum": 0,
                                     "maximum": 10**12},
                       "limit_pbb": {"type": ["string", "number", "null"],
                                     "description": "Gräns i prisbasbelopp, t.ex. 10 eller 2.5"},
                       "conditions": {"type": "array",
                                      "items": {"enum": list(rules.CONDITIONS)}}}}
    point = {"type": "object", "properties": {
        **point_input["properties"], "limit_pbb": nullable, "decider_label": text,
        "limit_in_sek": {"type": ["integer", "null"]}}}
    order = {"type": "object", "properties": {
        "version": {"type": "integer"}, "valid_from": {"type": "string", "format": "date"},
        "adopted_by": text, "created_at": nullable,
        "points": {"type": "array", "items": ref("DelegationPoint")}}}
    price_base = {"type": "object", "properties": {
        "year": {"type": "integer"}, "amount_sek": {"type": "integer"}, "source": text,
        "stored": {"type": "boolean"}}}
    decision = {"type": "object", "properties": {
        "case_id": {"type": "integer"}, "diarienummer": nullable, "title": text,
        "decided_on": {"type": "string", "format": "date"}, "delegate": text,
        "point": nullable, "point_title": nullable, "decider": nullable,
        "decider_label": nullable, "amount_sek": {"type": ["integer", "null"]},
        "limit_sek": {"type": ["integer", "null"]}}}
    department_path = [{"name": "department_id", "in": "path", "required": True,
                        "schema": {"type": "integer", "minimum": 1}}]

    def answer(description: str, schema: dict[str, Any], code: str = "200") -> dict[str, Any]:
        return {code: {"description": description, **json_body(schema)}}

    return {
        "schemas": {"DelegationPoint": point, "DelegationPointInput": point_input,
                    "DelegationOrder": order, "PriceBaseAmount": price_base,
                    "DelegationDecision": decision},
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
                "responses": {**answer("Besluten", {"type": "object", "properties": {
                    "department": {"type": "object"}, "committee": nullable,
                    "from": text, "to": text,
                    "items": {"type": "array", "items": ref("DelegationDecision")}}}),
                              **error_responses(401, 404, 422)}}},
            "/departments/{department_id}/delegation-order": {"get": {
                "summary": "Förvaltningens gällande delegationsordning",
                "parameters": department_path,
                "responses": {**answer("Delegationsordningen", {"type": "object", "properties": {
                    "order": {"oneOf": [ref("DelegationOrder"), {"type": "null"}]},
                    "fallback_limit_sek": {"type": ["integer", "null"]},
                    "prisbasbelopp": {"oneOf": [ref("PriceBaseAmount"), {"type": "null"}]}}}),
                              **error_responses(401, 404)}}},
            "/admin/departments/{department_id}/delegation-orders": {
                "get": {"summary": "Delegationsordningens versioner, nyast först",
                        "parameters": department_path,
                        "responses": {**answer("Versionerna", {"type": "object", "properties": {
                            "items": {"type": "array", "items": ref("DelegationOrder")}}}),
                                      **error_responses(401, 403, 404)}},
                "post": {"summary": "Spara en ny version av delegationsordningen",
                         "parameters": department_path,
                         "requestBody": {"required": True, **json_body({
                             "type": "object", "additionalProperties": False,
                             "required": ["valid_from", "adopted_by", "points"],
                             "properties": {
                                 "valid_from": {"type": "string", "format": "date"},
                                 "adopted_by": {"type": "string", "minLength": 1,
                                                "maxLength": 300},
                                 "points": {"type": "array", "minItems": 1,
                                            "maxItems": delegation.MAX_POINTS,
                                            "items": ref("DelegationPointInput")}}})},
                         "responses": {**answer("Sparad", ref("DelegationOrder"), "201"),
                                       **error_responses(401, 403, 404, 422)}}},
            "/admin/prisbasbelopp": {"get": {
                "summary": "Prisbasbelopp per år (konfiguration och administratörens tillägg)",
                "responses": {**answer("Beloppen", {"type": "object", "properties": {
                    "items": {"type": "array", "items": ref("PriceBaseAmount")}}}),
                              **error_responses(401, 403)}}},
            "/admin/prisbasbelopp/{year}": {"put": {
                "summary": "Lägg till eller rätta ett års prisbasbelopp",
                "parameters": [{"name": "year", "in": "path", "required": True,
                                "schema": {"type": "integer", "minimum": 2000,
                                           "maximum": 2100}}],
                "requestBody": {"required": True, **json_body({
                    "type": "object", "additionalProperties": False,
                    "required": ["amount_sek", "source"], "properties": {
                        "amount_sek": {"type": "integer", "minimum": 10000,
                                       "maximum": 1000000},
                        "source": {"type": "string", "minLength": 1, "maxLength": 300}}})},
                "responses": {**answer("Sparat", ref("PriceBaseAmount")),
                              **error_responses(401, 403, 404, 422)}}},
        },
    }
