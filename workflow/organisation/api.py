"""JSON API for the organisation under /api/v1/admin: förvaltningar and units, their forums
and settings, closing and reopening. Region administrators only (see admin/support.py)."""
from __future__ import annotations

from typing import Any

from flask import jsonify
from flask_babel import gettext as _

from workflow.admin.support import api_admin, api_blueprint
from workflow.models import Department, Unit
from workflow.organisation import admin as organisation
from workflow.organisation import schemas
from workflow.platform.api import json_body
from workflow.platform.errors import ValidationFailed
from workflow.portfolio import service as portfolio
from workflow.states.i18n import N_
from workflow.views.openapi import (
    answer,
    error_responses,
    json_content,
    openapi_fragment,
    ref,
)

bp = api_blueprint("api_admin_organisation", __name__)

PEOPLE_URL = "/admin/people?department_id={id}"
PUBLIC_URL = "/public/{id}"
# The förvaltning's measurements in the API: path, model, and the document's words for them.
MEASUREMENTS = (
    ("maturity", "Maturity", "bedömningar av digital mognad (KPMG:s skala 1-5)",
     "en bedömning av den digitala mognaden"),
    ("dimios", "Dimios", "DiMiOS-mätningar", "en DiMiOS-mätning"),
)


# ---------------------------------------------------------------- förvaltningar

@bp.get("/departments")
def list_departments():
    tree = organisation.organisation_tree(api_admin().region_id)
    return jsonify({"items": [_department(row.department, row.open_cases,
                                          {u.unit.id: u.open_cases for u in row.units})
                              for row in tree]})


@bp.post("/departments")
def create_department():
    department = organisation.create_department(api_admin(), json_body())
    return jsonify(_department_detail(department)), 201


@bp.get("/departments/<int:department_id>")
def get_department(department_id: int):
    department = organisation.get_department(api_admin(), department_id)
    return jsonify(_department_detail(department))


@bp.patch("/departments/<int:department_id>")
def update_department(department_id: int):
    department = organisation.get_department(api_admin(), department_id)
    organisation.update_department(api_admin(), department, json_body())
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
    organisation.update_region(api_admin(), region, json_body())
    return jsonify(_region(region))


@bp.put("/region/public-page")
def put_public_page():
    """The switch of the portfolio page: the region's public page on or off."""
    body = json_body(schemas.PublicPageSwitch)
    shown = body.get("shown")
    if not isinstance(shown, bool):
        raise ValidationFailed({"shown": N_("Ange true eller false.")})
    region = organisation.set_public_page(api_admin(), api_admin().region, shown)
    return jsonify(_public_page(region))


def _region(region) -> dict[str, Any]:
    return {"id": region.id, "name": region.name,
            "settings": organisation.region_settings(region),
            "defaults": organisation.region_defaults(),
            "public_page": _public_page(region)}


def _public_page(region) -> dict[str, Any]:
    return {"shown": bool(region.public_page), "url": PUBLIC_URL.format(id=region.id)}


# ---------------------------------------------------------------- maturity and DiMiOS

@bp.get("/departments/<int:department_id>/maturity")
def list_maturity(department_id: int):
    department = organisation.get_department(api_admin(), department_id)
    return jsonify(_maturity_list(department))


@bp.post("/departments/<int:department_id>/maturity")
def add_maturity(department_id: int):
    department = organisation.get_department(api_admin(), department_id)
    assessment = organisation.add_maturity(api_admin(), department,
                                           json_body(schemas.MaturityInput))
    return jsonify(_assessment(assessment)), 201


@bp.delete("/departments/<int:department_id>/maturity/<int:assessment_id>")
def delete_maturity(department_id: int, assessment_id: int):
    department = organisation.get_department(api_admin(), department_id)
    assessment = organisation.get_maturity(api_admin(), department, assessment_id)
    organisation.delete_maturity(api_admin(), assessment)
    return jsonify(_maturity_list(department))


@bp.get("/departments/<int:department_id>/dimios")
def list_dimios(department_id: int):
    department = organisation.get_department(api_admin(), department_id)
    return jsonify(_dimios_list(department))


@bp.post("/departments/<int:department_id>/dimios")
def add_dimios(department_id: int):
    department = organisation.get_department(api_admin(), department_id)
    measurement = organisation.add_dimios_round(api_admin(), department,
                                                json_body(schemas.DimiosInput))
    return jsonify(_round(measurement)), 201


@bp.delete("/departments/<int:department_id>/dimios/<int:round_id>")
def delete_dimios(department_id: int, round_id: int):
    department = organisation.get_department(api_admin(), department_id)
    measurement = organisation.get_dimios_round(api_admin(), department, round_id)
    organisation.delete_dimios_round(api_admin(), measurement)
    return jsonify(_dimios_list(department))


def _assessment(assessment) -> dict[str, Any]:
    return {"id": assessment.id, "level": assessment.level,
            "level_label": _(portfolio.MATURITY[assessment.level]),
            "assessed_on": assessment.assessed_on.isoformat(), "source": assessment.source}


def _round(measurement) -> dict[str, Any]:
    return {"id": measurement.id, "measured_on": measurement.measured_on.isoformat(),
            "score": measurement.score, "respondents": measurement.respondents}


def _maturity_list(department: Department) -> dict[str, Any]:
    return {"department_id": department.id, "items": [
        _assessment(a) for a in organisation.maturity_assessments(department)]}


def _dimios_list(department: Department) -> dict[str, Any]:
    return {"department_id": department.id, "items": [
        _round(r) for r in organisation.dimios_rounds(department)]}


# ---------------------------------------------------------------- units

@bp.get("/units")
def list_units():
    tree = organisation.organisation_tree(api_admin().region_id)
    return jsonify({"items": [_unit(u.unit, u.open_cases) for row in tree for u in row.units]})


@bp.post("/units")
def create_unit():
    unit = organisation.create_unit(api_admin(), json_body())
    return jsonify(_unit(unit, 0)), 201


@bp.get("/units/<int:unit_id>")
def get_unit(unit_id: int):
    unit = organisation.get_unit(api_admin(), unit_id)
    return jsonify(_unit(unit, organisation.open_cases_in_unit(unit)))


@bp.patch("/units/<int:unit_id>")
def update_unit(unit_id: int):
    unit = organisation.get_unit(api_admin(), unit_id)
    organisation.update_unit(api_admin(), unit, json_body())
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
    department_id = [{"name": "department_id", "in": "path", "required": True,
                      "schema": {"type": "integer", "minimum": 1}}]
    unit_id = [{"name": "unit_id", "in": "path", "required": True,
                "schema": {"type": "integer", "minimum": 1}}]


    def body(model: str) -> dict[str, Any]:
        return {"required": True, **json_content(ref(model))}

    return {
        "models": schemas.MODELS,
        "paths": {
            "/admin/region": {
                "get": {"summary": "Regionens inställningar: diarienumrets mönster och exempel",
                        "responses": {**answer("Regionen", "AdminRegion"),
                                      **error_responses(401, 403)}},
                "patch": {"summary": "Ändra diarienumrets mönster (reguljärt uttryck) och "
                                     "exempel; null = standard",
                          "requestBody": body("AdminRegionSettings"),
                          "responses": {**answer("Regionen", "AdminRegion"),
                                        **error_responses(401, 403, 422)}}},
            "/admin/region/public-page": {"put": {
                "summary": "Slå på eller stäng av regionens offentliga sida (som knappen på "
                           "portföljsidan)",
                "requestBody": body("PublicPageSwitch"),
                "responses": {**answer("Den offentliga sidan", "PublicPage"),
                              **error_responses(401, 403, 422)}}},
            **{f"/admin/departments/{{department_id}}/{kind}": {
                "get": {"summary": f"Förvaltningens {label}, senaste först",
                        "parameters": department_id,
                        "responses": {**answer("Listan", f"{model}List"),
                                      **error_responses(401, 403, 404)}},
                "post": {"summary": f"Lägg till {label_one}",
                         "parameters": department_id,
                         "requestBody": body(f"{model}Input"),
                         "responses": {**answer("Tillagd", model, "201"),
                                       **error_responses(401, 403, 404, 422)}}}
               for kind, model, label, label_one in MEASUREMENTS},
            **{f"/admin/departments/{{department_id}}/{kind}/{{{item}}}": {"delete": {
                "summary": f"Ta bort {label_one}; svaret är de som finns kvar",
                "parameters": department_id + [{"name": item, "in": "path", "required": True,
                                                 "schema": {"type": "integer", "minimum": 1}}],
                "responses": {**answer("De som finns kvar", f"{model}List"),
                              **error_responses(401, 403, 404)}}}
               for (kind, model, _label, label_one), item in zip(
                   MEASUREMENTS, ("assessment_id", "round_id"), strict=True)},
            "/admin/departments": {
                "get": {"summary": "Förvaltningarna med enheter, forum och inställningar",
                        "responses": {**answer("Förvaltningarna", "AdminDepartmentList"),
                                      **error_responses(401, 403)}},
                "post": {"summary": "Ny förvaltning (namnet krävs)",
                         "requestBody": body("AdminDepartmentInput"),
                         "responses": {**answer("Skapad", "AdminDepartment", "201"),
                                       **error_responses(401, 403, 422)}}},
            "/admin/departments/{department_id}": {
                "get": {"summary": "En förvaltning", "parameters": department_id,
                        "responses": {**answer("Förvaltningen", "AdminDepartment"),
                                      **error_responses(401, 403, 404)}},
                "patch": {"summary": "Byt namn, forum eller inställningar (null = standard)",
                          "parameters": department_id,
                          "requestBody": body("AdminDepartmentInput"),
                          "responses": {**answer("Förvaltningen", "AdminDepartment"),
                                        **error_responses(401, 403, 404, 422)}}},
            "/admin/departments/{department_id}/close": {"post": {
                "summary": "Stäng förvaltningen och dess enheter; ärendena finns kvar",
                "parameters": department_id,
                "responses": {**answer("Stängd, med antalet öppna ärenden",
                                       "AdminDepartmentClosed"),
                              **error_responses(401, 403, 404, 409)}}},
            "/admin/departments/{department_id}/reopen": {"post": {
                "summary": "Öppna förvaltningen och enheterna som stängdes med den",
                "parameters": department_id,
                "responses": {**answer("Öppnad", "AdminDepartment"),
                              **error_responses(401, 403, 404, 409)}}},
            "/admin/units": {
                "get": {"summary": "Alla enheter, även stängda",
                        "responses": {**answer("Enheterna", "AdminUnitList"),
                                      **error_responses(401, 403)}},
                "post": {"summary": "Ny enhet i en öppen förvaltning",
                         "requestBody": body("AdminUnitInput"),
                         "responses": {**answer("Skapad", "AdminUnit", "201"),
                                       **error_responses(401, 403, 422)}}},
            "/admin/units/{unit_id}": {
                "get": {"summary": "En enhet", "parameters": unit_id,
                        "responses": {**answer("Enheten", "AdminUnit"),
                                      **error_responses(401, 403, 404)}},
                "patch": {"summary": "Byt namn på enheten eller flytta den (department_id)",
                          "parameters": unit_id,
                          "requestBody": body("AdminUnitInput"),
                          "responses": {**answer("Enheten", "AdminUnit"),
                                        **error_responses(401, 403, 404, 422)}}},
            "/admin/units/{unit_id}/close": {"post": {
                "summary": "Stäng enheten; ärendena finns kvar", "parameters": unit_id,
                "responses": {**answer("Stängd, med antalet öppna ärenden", "AdminUnitClosed"),
                              **error_responses(401, 403, 404, 409)}}},
            "/admin/units/{unit_id}/reopen": {"post": {
                "summary": "Öppna enheten igen (dess förvaltning måste vara öppen)",
                "parameters": unit_id,
                "responses": {**answer("Öppnad", "AdminUnit"),
                              **error_responses(401, 403, 404, 409)}}},
        },
    }
