"""The digitaliseringsplan in the JSON API: the twins of the plan page and its forms
(plan/web.py), through plan/service.py and its rules (docs/portfolio.md)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify, request
from flask_babel import gettext as _

from workflow.cases import service as cases
from workflow.models import Case, Department
from workflow.plan import schemas
from workflow.plan import service as plan
from workflow.platform.api import authenticate, json_body
from workflow.platform.errors import ValidationFailed
from workflow.platform.extensions import csrf
from workflow.platform.i18n import localized
from workflow.processes.registry import process_of
from workflow.states.i18n import N_
from workflow.views.openapi import (
    answer,
    error_responses,
    json_content,
    openapi_fragment,
    ref,
)

bp = Blueprint("api_plan", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
bp.before_request(authenticate)


@bp.get("/plan")
def get_plan():
    """The plan as the page shows it to the caller (``department_id``: one förvaltning)."""
    return jsonify(_plan(plan.plan_for(g.api_user, _department_filter())))


@bp.post("/plan/areas")
def create_area():
    body = json_body(schemas.GoalAreaCreate)
    area = plan.create_area(g.api_user, body.get("department_id"), body.get("name"),
                            body.get("description", ""))
    return jsonify(_area_of(area)), 201


@bp.patch("/plan/areas/<int:area_id>")
def update_area(area_id: int):
    area = plan.get_area(g.api_user, area_id)
    body = json_body(schemas.GoalAreaUpdate)
    plan.update_area(g.api_user, area, body.get("name"), body.get("description"))
    return jsonify(_area_of(area))


@bp.post("/plan/areas/<int:area_id>/actions")
def create_action(area_id: int):
    area = plan.get_area(g.api_user, area_id)
    body = json_body(schemas.PlanActionCreate)
    action = plan.create_action(g.api_user, area, body.get("name"), body.get("owner", ""),
                                body.get("status", "not_done"))
    return jsonify(_action_of(action)), 201


@bp.patch("/plan/actions/<int:action_id>")
def update_action(action_id: int):
    action = plan.get_action(g.api_user, action_id)
    body = json_body(schemas.PlanActionUpdate)
    plan.update_action(g.api_user, action, name=body.get("name"), owner=body.get("owner"),
                       status=body.get("status"))
    return jsonify(_action_of(action))


@bp.post("/plan/actions/<int:action_id>/cases")
def link_case(action_id: int):
    action = plan.get_action(g.api_user, action_id)
    body = json_body(schemas.PlanLink)
    plan.link_case(g.api_user, action, plan.find_case(g.api_user, body.get("case_id")))
    return jsonify(_action_of(action)), 201


@bp.delete("/plan/actions/<int:action_id>/cases/<int:case_id>")
def unlink_case(action_id: int, case_id: int):
    action = plan.get_action(g.api_user, action_id)
    case = next((c for c in action.cases if c.id == case_id), None)
    if case is None:
        case = cases.get_case(g.api_user, case_id)  # 404 for a case the caller may not see
    plan.unlink_case(g.api_user, action, case)
    return jsonify(_action_of(action))


# ---------------------------------------------------------------- shapes

def _department_filter() -> str | None:
    """The page's filter; an id that names no förvaltning of the region is a 422 here (the
    page shows the whole plan instead)."""
    raw = request.args.get("department_id") or None
    if raw is not None and not any(str(d.id) == raw.strip()
                                   for d in plan.departments_in(g.api_user)):
        raise ValidationFailed({"department_id": N_("Välj en förvaltning som finns.")})
    return raw.strip() if raw else None


def _department(department: Department | None) -> dict[str, Any] | None:
    return None if department is None else {"id": department.id, "name": department.name}


def _case(case: Case, unlinkable: set[int]) -> dict[str, Any]:
    return {"id": case.id, "title": case.title, "state": case.state,
            "state_label": localized(process_of(case).state(case.state).label),
            "unlinkable": case.id in unlinkable}


def _action(item: plan.ActionView) -> dict[str, Any]:
    action = item.action
    return {"id": action.id, "goal_area_id": action.goal_area_id, "name": action.name,
            "owner": action.owner, "status": action.status,
            "status_label": _(item.status_label), "editable": item.editable,
            "linkable": item.linkable,
            "cases": [_case(c, item.unlinkable) for c in item.cases]}


def _area(view: plan.AreaView) -> dict[str, Any]:
    area = view.area
    return {"id": area.id, "department_id": area.department_id, "name": area.name,
            "description": area.description, "editable": view.editable,
            "actions": [_action(item) for item in view.actions]}


def _area_of(area) -> dict[str, Any]:
    return _area(plan.area_view(g.api_user, area))


def _action_of(action) -> dict[str, Any]:
    view = plan.area_view(g.api_user, action.goal_area)
    return _action(next(item for item in view.actions if item.action.id == action.id))


def _plan(view: plan.PlanView) -> dict[str, Any]:
    return {
        "region": {"id": view.region.id, "name": view.region.name},
        "department": _department(view.department),
        "departments": [_department(d) for d in view.departments],
        "area_scopes": [_department(d) for d in view.area_scopes],
        "sections": [{"department": _department(s.department), "editable": s.editable,
                      "areas": [_area(a) for a in s.areas]} for s in view.sections],
        "parked": [{"department": _department(group.department),
                    "cases": [{"id": c.id, "title": c.title, "planned_year": c.planned_year,
                               "reactivatable": c.id in group.reactivatable}
                              for c in group.cases]} for group in view.parked],
    }


# ---------------------------------------------------------------- OpenAPI

@openapi_fragment
def _openapi() -> dict[str, Any]:
    def path_id(name: str) -> dict[str, Any]:
        return {"name": name, "in": "path", "required": True,
                "schema": {"type": "integer", "minimum": 1}}


    def body(model: str) -> dict[str, Any]:
        return {"required": True, **json_content(ref(model))}

    return {
        "models": schemas.MODELS,
        "paths": {
            "/plan": {"get": {
                "summary": "Digitaliseringsplanen: målområden, insatser med status och de "
                           "kopplade ärenden du får se, förslag parkerade i planen",
                "parameters": [{"name": "department_id", "in": "query",
                                "schema": {"type": "integer", "minimum": 1}}],
                "responses": {**answer("Planen", "Plan"), **error_responses(401, 422)}}},
            "/plan/areas": {"post": {
                "summary": "Nytt målområde för en förvaltning eller hela regionen",
                "requestBody": body("GoalAreaCreate"),
                "responses": {**answer("Målområdet", "PlanGoalArea", "201"),
                              **error_responses(401, 403, 422)}}},
            "/plan/areas/{area_id}": {"patch": {
                "summary": "Byt namn på (och beskriv) ett målområde",
                "parameters": [path_id("area_id")], "requestBody": body("GoalAreaUpdate"),
                "responses": {**answer("Målområdet", "PlanGoalArea"),
                              **error_responses(401, 403, 404, 422)}}},
            "/plan/areas/{area_id}/actions": {"post": {
                "summary": "Ny insats i ett målområde",
                "parameters": [path_id("area_id")], "requestBody": body("PlanActionCreate"),
                "responses": {**answer("Insatsen", "PlanAction", "201"),
                              **error_responses(401, 403, 404, 422)}}},
            "/plan/actions/{action_id}": {"patch": {
                "summary": "Ändra en insats namn, ansvarig eller status",
                "parameters": [path_id("action_id")], "requestBody": body("PlanActionUpdate"),
                "responses": {**answer("Insatsen", "PlanAction"),
                              **error_responses(401, 403, 404, 422)}}},
            "/plan/actions/{action_id}/cases": {"post": {
                "summary": "Koppla ett ärende till en insats (syns i ärendets historik)",
                "parameters": [path_id("action_id")], "requestBody": body("PlanLink"),
                "responses": {**answer("Insatsen", "PlanAction", "201"),
                              **error_responses(401, 403, 404, 422)}}},
            "/plan/actions/{action_id}/cases/{case_id}": {"delete": {
                "summary": "Ta bort kopplingen mellan ett ärende och en insats",
                "parameters": [path_id("action_id"), path_id("case_id")],
                "responses": {**answer("Insatsen", "PlanAction"),
                              **error_responses(401, 403, 404, 422)}}},
        },
    }
