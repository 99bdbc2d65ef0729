"""JSON API for the organisation under /api/v1/admin: förvaltningar and units, their forums
and settings, closing and reopening. Region administrators only (see admin_support)."""
from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask_babel import gettext as _

from workflow.admin.support import api_admin, api_blueprint, openapi_fragment
from workflow.models import Department, Unit
from workflow.organisation import admin as organisation
from workflow.platform.errors import ValidationFailed
from workflow.states.i18n import N_
from workflow.views.openapi import error_responses, json_body, ref

bp = api_blueprint("api_admin_organisation", __name__)

PEOPLE_URL = "/admin/people?department_id={id}"


# ---------------------------------------------------------------- förvaltningar

@bp.get("/departments")
def list_departments():
    tree = organisation.organisation_tree(api_admin().region_id)
    return jsonify({"items": [_department(row.department, row.open_cases,
                                          {u.unit.id: u.open_cases for u in row.units})
                              for row in tree]})


@bp.post("/departments")
def create_department():
    department = organisation.create_department(api_admin(), _body())
    return jsonify(_department_detail(department)), 201


@bp.get("/departments/<int:department_id>")
def get_department(department_id: int):
    department = organisation.get_department(api_admin(), department_id)
    return jsonify(_department_detail(department))


@bp.patch("/departments/<int:department_id>")
def update_department(department_id: int):
    department = organisation.get_department(api_admin(), department_id)
    organisation.update_department(api_admin(), department, _body())
    return jsonify(_department_detail(department))


@bp.post("/departments/<int:department_id>/close")
def close_department(department_id: int):
    department = organisation.get_department(api_admin(), department_id)
    open_cases = organisation.close_department(api_admin(), department)
    return jsonify({**_department_detail(department), **_warning(open_cases)})


@bp.post("/departments/<int:department_id>/reopen")
def reopen_department(department_id: int):
    department = organisation.get_department(api_admin(), department_id)
    organisation.reopen_department(api_admin(), department)
    return jsonify(_department_detail(department))


# ---------------------------------------------------------------- the region

@bp.get("/region")
def get_region():
    return jsonify(_region(api_admin().region))


@bp.patch("/region")
def update_region():
    """The region's diarienummer pattern and example (docs/decisions.md)."""
    region = api_admin().region
    organisation.update_region(api_admin(), region, _body())
    return jsonify(_region(region))


def _region(region) -> dict[str, Any]:
    return {"id": region.id, "name": region.name,
            "settings": organisation.region_settings(region),
            "defaults": organisation.region_defaults()}


# ---------------------------------------------------------------- units

@bp.get("/units")
def list_units():
    tree = organisation.organisation_tree(api_admin().region_id)
    return jsonify({"items": [_unit(u.unit, u.open_cases) for row in tree for u in row.units]})


@bp.post("/units")
def create_unit():
    unit = organisation.create_unit(api_admin(), _body())
    return jsonify(_unit(unit, 0)), 201


@bp.get("/units/<int:unit_id>")
def get_unit(unit_id: int):
    unit = organisation.get_unit(api_admin(), unit_id)
    return jsonify(_unit(unit, organisation.open_cases_in_unit(unit)))


@bp.patch("/units/<int:unit_id>")
def update_unit(unit_id: int):
    unit = organisation.get_unit(api_admin(), unit_id)
    organisation.update_unit(api_admin(), unit, _body())
    return jsonify(_unit(unit, organisation.open_cases_in_unit(unit)))


@bp.post("/units/<int:unit_id>/close")
def close_unit(unit_id: int):
    unit = organisation.get_unit(api_admin(), unit_id)
    open_cases = organisation.close_unit(api_admin(), unit)
    return jsonify({**_unit(unit, open_cases), **_warning(open_cases)})


@bp.post("/units/<int:unit_id>/reopen")
def reopen_unit(unit_id: int):
    unit = organisation.get_unit(api_admin(), unit_id)
    organisation.reopen_unit(api_admin(), unit)
    return jsonify(_unit(unit, organisation.open_cases_in_unit(unit)))


# ---------------------------------------------------------------- shapes

def _body() -> dict[str, Any]:
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        raise ValidationFailed({"body": N_("Skicka ett JSON-objekt.")})
    return body


def _moment(value) -> str | None:
    return value.isoformat() if value is not None else None


def _unit(unit: Unit, open_cases: int) -> dict[str, Any]:
    return {"id": unit.id, "name": unit.name, "department_id": unit.department_id,
            "department": unit.department.name, "closed": unit.is_closed,
            "closed_at": _moment(unit.closed_at), "open_cases": open_cases}


def _department(department: Department, open_cases: int,
                unit_cases: dict[int, int]) -> dict[str, Any]:
    return {
        "id": department.id, "name": department.name, "closed": department.is_closed,
        "closed_at": _moment(department.closed_at),
        **{key: getattr(department, key) for key in organisation.FORUM_FIELDS},
        "open_cases": open_cases,
        "settings": organisation.settings_of(department),
        "defaults": organisation.file_defaults(department),
        "effective": organisation.effective_settings(department),
        "units": [_unit(u, unit_cases.get(u.id, 0)) for u in department.units],
    }


def _department_detail(department: Department) -> dict[str, Any]:
    unit_cases = {u.id: organisation.open_cases_in_unit(u) for u in department.units}
    members = organisation.forum_members(department)
    return {**_department(department, sum(unit_cases.values()), unit_cases),
            "forum_members": {role: [{"id": p.id, "display_name": p.display_name}
                                     for p in people] for role, people in members.items()},
            "people_url": PEOPLE_URL.format(id=department.id)}


def _warning(open_cases: int) -> dict[str, Any]:
    text = (_("Det finns %(n)s öppna ärenden här. De finns kvar och syns som förut.",
              n=open_cases) if open_cases else None)
    return {"open_cases": open_cases, "warning": text}


# ---------------------------------------------------------------- OpenAPI

@openapi_fragment
def _openapi() -> dict[str, Any]:
    text, nullable_text = {"type": "string"}, {"type": ["string", "null"], "maxLength": 200}
    sek = {"type": ["integer", "null"], "minimum": 0, "maximum": organisation.MAX_SEK,
           "description": "Hela kronor; null = standardvärdet"}
    balance = {"type": ["object", "null"], "additionalProperties": False,
               "required": list(organisation.QUADRANTS),
               "description": "Hela procent per kvadrant, summa 100; null = standardvärdet",
               "properties": {q: {"type": "integer", "minimum": 0, "maximum": 100}
                              for q in organisation.QUADRANTS}}
    settings = {"type": "object", "properties": {
        "delegation_limit_sek": sek, "yearly_budget_sek": sek,
        "yearly_hours": {"type": ["integer", "null"], "minimum": 0,
                         "maximum": organisation.MAX_HOURS},
        "hourly_cost_sek": sek,
        "discount_rate_percent": {"type": ["number", "null"], "minimum": 0, "maximum": 20,
                                  "multipleOf": 0.1},
        "target_balance": balance}}
    forums = {key: nullable_text for key in organisation.FORUM_FIELDS}
    unit = {"type": "object", "properties": {
        "id": {"type": "integer"}, "name": text, "department_id": {"type": "integer"},
        "department": text, "closed": {"type": "boolean"},
        "closed_at": {"type": ["string", "null"], "format": "date-time"},
        "open_cases": {"type": "integer"}}}
    department = {"type": "object", "properties": {
        "id": {"type": "integer"}, "name": text, "closed": {"type": "boolean"},
        "closed_at": {"type": ["string", "null"], "format": "date-time"}, **forums,
        "open_cases": {"type": "integer"}, "settings": ref("AdminDepartmentSettings"),
        "defaults": ref("AdminDepartmentSettings"), "effective": ref("AdminDepartmentSettings"),
        "units": {"type": "array", "items": ref("AdminUnit")},
        "forum_members": {"type": "object"}, "people_url": text}}
    department_input = {"type": "object", "additionalProperties": False, "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 200}, **forums,
        **settings["properties"]}}
    closed = {"open_cases": {"type": "integer"}, "warning": {"type": ["string", "null"]}}
    region_settings = {"type": "object", "additionalProperties": False, "properties": {
        "diarienummer_pattern": {"type": ["string", "null"],
                                 "maxLength": organisation.PATTERN_MAX,
                                 "description": "Reguljärt uttryck; null = standard"},
        "diarienummer_example": {"type": ["string", "null"],
                                 "maxLength": organisation.EXAMPLE_MAX,
                                 "description": "Ett diarienummer som följer mönstret"}}}
    department_id = [{"name": "department_id", "in": "path", "required": True,
                      "schema": {"type": "integer", "minimum": 1}}]
    unit_id = [{"name": "unit_id", "in": "path", "required": True,
                "schema": {"type": "integer", "minimum": 1}}]

    def answer(description: str, schema: dict[str, Any], code: str = "200") -> dict[str, Any]:
        return {code: {"description": description, **json_body(schema)}}

    return {
        "schemas": {
            "AdminDepartmentSettings": settings, "AdminUnit": unit,
            "AdminDepartment": department, "AdminDepartmentInput": department_input,
            "AdminRegion": {"type": "object", "properties": {
                "id": {"type": "integer"}, "name": text,
                "settings": ref("AdminRegionSettings"), "defaults": ref("AdminRegionSettings")}},
            "AdminRegionSettings": region_settings,
            "AdminUnitInput": {"type": "object", "additionalProperties": False, "properties": {
                "name": {"type": "string", "minLength": 1, "maxLength": 200},
                "department_id": {"type": "integer", "minimum": 1}}},
        },
        "paths": {
            "/admin/region": {
                "get": {"summary": "Regionens inställningar: diarienumrets mönster och exempel",
                        "responses": {**answer("Regionen", ref("AdminRegion")),
                                      **error_responses(401, 403)}},
                "patch": {"summary": "Ändra diarienumrets mönster (reguljärt uttryck) och "
                                     "exempel; null = standard",
                          "requestBody": {"required": True,
                                          **json_body(ref("AdminRegionSettings"))},
                          "responses": {**answer("Regionen", ref("AdminRegion")),
                                        **error_responses(401, 403, 422)}}},
            "/admin/departments": {
                "get": {"summary": "Förvaltningarna med enheter, forum och inställningar",
                        "responses": {**answer("Förvaltningarna", {"type": "object", "properties": {
                            "items": {"type": "array", "items": ref("AdminDepartment")}}}),
                                      **error_responses(401, 403)}},
                "post": {"summary": "Ny förvaltning (namnet krävs)",
                         "requestBody": {"required": True,
                                         **json_body(ref("AdminDepartmentInput"))},
                         "responses": {**answer("Skapad", ref("AdminDepartment"), "201"),
                                       **error_responses(401, 403, 422)}}},
            "/admin/departments/{department_id}": {
                "get": {"summary": "En förvaltning", "parameters": department_id,
                        "responses": {**answer("Förvaltningen", ref("AdminDepartment")),
                                      **error_responses(401, 403, 404)}},
                "patch": {"summary": "Byt namn, forum eller inställningar (null = standard)",
                          "parameters": department_id,
                          "requestBody": {"required": True,
                                          **json_body(ref("AdminDepartmentInput"))},
                          "responses": {**answer("Förvaltningen", ref("AdminDepartment")),
                                        **error_responses(401, 403, 404, 422)}}},
            "/admin/departments/{department_id}/close": {"post": {
                "summary": "Stäng förvaltningen och dess enheter; ärendena finns kvar",
                "parameters": department_id,
                "responses": {**answer("Stängd, med antalet öppna ärenden", {"allOf": [
                    ref("AdminDepartment"), {"type": "object", "properties": closed}]}),
                              **error_responses(401, 403, 404, 409)}}},
            "/admin/departments/{department_id}/reopen": {"post": {
                "summary": "Öppna förvaltningen och enheterna som stängdes med den",
                "parameters": department_id,
                "responses": {**answer("Öppnad", ref("AdminDepartment")),
                              **error_responses(401, 403, 404, 409)}}},
            "/admin/units": {
                "get": {"summary": "Alla enheter, även stängda",
                        "responses": {**answer("Enheterna", {"type": "object", "properties": {
                            "items": {"type": "array", "items": ref("AdminUnit")}}}),
                                      **error_responses(401, 403)}},
                "post": {"summary": "Ny enhet i en öppen förvaltning",
                         "requestBody": {"required": True, **json_body(ref("AdminUnitInput"))},
                         "responses": {**answer("Skapad", ref("AdminUnit"), "201"),
                                       **error_responses(401, 403, 422)}}},
            "/admin/units/{unit_id}": {
                "get": {"summary": "En enhet", "parameters": unit_id,
                        "responses": {**answer("Enheten", ref("AdminUnit")),
                                      **error_responses(401, 403, 404)}},
                "patch": {"summary": "Byt namn på enheten eller flytta den (department_id)",
                          "parameters": unit_id,
                          "requestBody": {"required": True, **json_body(ref("AdminUnitInput"))},
                          "responses": {**answer("Enheten", ref("AdminUnit")),
                                        **error_responses(401, 403, 404, 422)}}},
            "/admin/units/{unit_id}/close": {"post": {
                "summary": "Stäng enheten; ärendena finns kvar", "parameters": unit_id,
                "responses": {**answer("Stängd, med antalet öppna ärenden", {"allOf": [
                    ref("AdminUnit"), {"type": "object", "properties": closed}]}),
                              **error_responses(401, 403, 404, 409)}}},
            "/admin/units/{unit_id}/reopen": {"post": {
                "summary": "Öppna enheten igen (dess förvaltning måste vara öppen)",
                "parameters": unit_id,
                "responses": {**answer("Öppnad", ref("AdminUnit")),
                              **error_responses(401, 403, 404, 409)}}},
        },
    }
