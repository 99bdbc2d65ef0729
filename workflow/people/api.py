"""People and roles in the JSON API, under /api/v1/admin (region administrators only):
the same services as the admin pages."""
from __future__ import annotations

from typing import Any

from flask import jsonify, request, url_for
from flask_babel import gettext as _

from workflow.admin.support import api_admin, api_blueprint
from workflow.models import RoleAssignment, User
from workflow.people import admin as admin_people
from workflow.people import schemas, user_import
from workflow.platform.api import field_names, json_body
from workflow.platform.errors import ValidationFailed
from workflow.platform.validation import as_id
from workflow.states.i18n import N_
from workflow.states.roles import ROLE_LABELS, ROLES
from workflow.views.errors import api_error
from workflow.views.openapi import error_responses, json_content, openapi_fragment, ref

bp = api_blueprint("api_admin_people", __name__)

TRUE = {"1", "true", "yes", "ja"}
FALSE = {"0", "false", "no", "nej"}


# ---------------------------------------------------------------- people

@bp.get("/users")
def list_users():
    active = (request.args.get("active") or "").lower()
    role = request.args.get("role") or None
    if role is not None and role not in ROLES:
        raise ValidationFailed({"role": N_("Okänd roll.")})
    filters = admin_people.UserFilter(
        text=(request.args.get("q") or "").strip() or None,
        department_id=as_id(request.args.get("department_id")), role=role,
        active=True if active in TRUE else False if active in FALSE else None)
    page = admin_people.list_users(api_admin(), filters, request.args.get("page", 1, int))
    return jsonify({"items": [_user(u) for u in page.items], "page": page.page,
                    "pages": page.pages, "total": page.total})


@bp.post("/users")
def create_user():
    body = json_body(schemas.AdminUserCreate)
    person = admin_people.create_user(api_admin(), body)
    location = url_for("api_admin_people.get_user", user_id=person.id)
    return jsonify(_user(person, full=True)), 201, {"Location": location}


@bp.get("/users/<int:user_id>")
def get_user(user_id: int):
    return jsonify(_user(admin_people.get_user(api_admin(), user_id), full=True))


@bp.patch("/users/<int:user_id>")
def update_user(user_id: int):
    person = admin_people.get_user(api_admin(), user_id)
    body = json_body(schemas.AdminUserUpdate)
    fields = {"display_name": person.display_name, "email": person.email, **body}
    admin_people.update_user(api_admin(), person, fields)
    return jsonify(_user(person, full=True))


@bp.post("/users/<int:user_id>/deactivate")
def deactivate(user_id: int):
    person = admin_people.get_user(api_admin(), user_id)
    body = json_body(schemas.AdminDeactivate, optional=True)
    end_roles = body.get("end_roles", False)
    if not isinstance(end_roles, bool):
        raise ValidationFailed({"end_roles": N_("Ange true eller false.")})
    try:
        result = admin_people.deactivate(api_admin(), person,
                                         successor_id=body.get("successor_id"),
                                         end_roles=end_roles)
    except admin_people.OpenTasksPending as pending:
        return api_error(409, pending.text, reasons=pending.reasons,
                         tasks=[_task(t) for t in pending.tasks])
    return jsonify({
        "user": _user(person, full=True),
        "successor": _user(result.successor) if result.successor else None,
        "open_tasks": [_task(t) for t in result.tasks],
        "without_anyone": [t.case.id for t in result.orphaned],
        "roles_transferred": result.transferred, "roles_ended": result.ended})


@bp.post("/users/<int:user_id>/reactivate")
def reactivate(user_id: int):
    person = admin_people.get_user(api_admin(), user_id)
    admin_people.reactivate(api_admin(), person)
    return jsonify(_user(person, full=True))


# ---------------------------------------------------------------- roles

@bp.get("/users/<int:user_id>/roles")
def list_roles(user_id: int):
    person = admin_people.get_user(api_admin(), user_id)
    return jsonify({"items": [_assignment(a) for a in person.role_assignments]})


@bp.post("/users/<int:user_id>/roles")
def assign_role(user_id: int):
    person = admin_people.get_user(api_admin(), user_id)
    body = json_body(schemas.AdminRoleAssignmentCreate)
    assignment = admin_people.assign_role(api_admin(), person, body)
    return jsonify(_assignment(assignment)), 201


@bp.delete("/roles/<int:assignment_id>")
def remove_role(assignment_id: int):
    admin_people.remove_role(api_admin(), admin_people.get_assignment(api_admin(),
                                                                       assignment_id))
    return "", 204


# ---------------------------------------------------------------- import

@bp.post("/users/import")
def import_users():
    dry_run = (request.args.get("dry_run") or "").lower() in TRUE
    result = user_import.run_import(api_admin(), api_admin().region_id, _csv_body(),
                                    dry_run=dry_run, source="api")
    if not result.ok:
        return api_error(422, _("%(n)s problem i filen; ingenting sparades.",
                                n=len(result.problems)), **result.as_dict())
    return jsonify(result.as_dict())


def _csv_body() -> str | bytes:
    if request.mimetype == "application/json":
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or set(body) != field_names(schemas.AdminImportCsv) \
                or not isinstance(body["csv"], str):
            raise ValidationFailed({"csv": N_("Skicka {\"csv\": \"...\"} med filens innehåll.")})
        return body["csv"]
    return request.get_data()


# ---------------------------------------------------------------- shapes

def _user(person: User, full: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": person.id, "username": person.username, "display_name": person.display_name,
        "email": person.email, "is_active": person.is_active_user,
        "roles": [_assignment(a) for a in person.roles]}
    if full:
        data["role_assignments"] = [_assignment(a) for a in person.role_assignments]
        data["open_tasks"] = ([_task(t) for t in admin_people.open_tasks(person)]
                              if person.is_active_user else [])
    return data


def _assignment(a: RoleAssignment) -> dict[str, Any]:
    return {"id": a.id, "user_id": a.user_id, "role": a.role, "label": _(ROLE_LABELS[a.role]),
            "department_id": a.department_id,
            "department": a.department.name if a.department else None,
            "unit_id": a.unit_id, "unit": a.unit.name if a.unit else None,
            "valid_from": a.valid_from.isoformat() if a.valid_from else None,
            "valid_to": a.valid_to.isoformat() if a.valid_to else None,
            "status": admin_people.assignment_status(a)}


def _task(task: admin_people.OpenTask) -> dict[str, Any]:
    return {"case_id": task.case.id, "title": task.case.title, "state": task.case.state,
            "roles": list(task.roles), "others": [p.username for p in task.others],
            "nobody_else": task.orphaned}


# ---------------------------------------------------------------- OpenAPI

@openapi_fragment
def _openapi() -> dict[str, Any]:
    text = {"type": "string"}
    user_id = [{"name": "user_id", "in": "path", "required": True,
                "schema": {"type": "integer", "minimum": 1}}]

    def answer(description: str, model: str) -> dict[str, Any]:
        return {"description": description, **json_content(ref(model))}

    user_ok = answer("Personen", "AdminUser")
    paths = {
        "/admin/users": {
            "get": {"summary": "Personer i regionen",
                    "parameters": [
                        {"name": "q", "in": "query", "schema": text},
                        {"name": "department_id", "in": "query", "schema": {"type": "integer"}},
                        {"name": "role", "in": "query", "schema": {"enum": list(ROLES)}},
                        {"name": "active", "in": "query", "schema": {"type": "boolean"}},
                        {"name": "page", "in": "query", "schema": {"type": "integer"}}],
                    "responses": {"200": answer("En sida personer", "AdminUserPage"),
                                  **error_responses(401, 403, 422)}},
            "post": {"summary": "Skapa en person",
                     "requestBody": {"required": True, **json_content(ref("AdminUserCreate"))},
                     "responses": {"201": user_ok, **error_responses(401, 403, 422)}}},
        "/admin/users/{user_id}": {
            "parameters": user_id,
            "get": {"summary": "En person med roller och öppna uppgifter",
                    "responses": {"200": user_ok, **error_responses(401, 403, 404)}},
            "patch": {"summary": "Ändra namn, e-post eller lösenord",
                      "requestBody": {"required": True,
                                      **json_content(ref("AdminUserUpdate"))},
                      "responses": {"200": user_ok, **error_responses(401, 403, 404, 422)}}},
        "/admin/users/{user_id}/deactivate": {"post": {
            "summary": "Inaktivera; med öppna uppgifter krävs successor_id eller end_roles",
            "parameters": user_id,
            "requestBody": {"required": False, **json_content(ref("AdminDeactivate"))},
            "responses": {"200": answer("Inaktiverad", "AdminDeactivation"),
                          "409": answer("Öppna uppgifter (tasks) eller redan inaktiverad",
                                        "Error"),
                          **error_responses(401, 403, 404, 422)}}},
        "/admin/users/{user_id}/reactivate": {"post": {
            "summary": "Aktivera igen", "parameters": user_id,
            "responses": {"200": user_ok, **error_responses(401, 403, 404, 409)}}},
        "/admin/users/{user_id}/roles": {
            "parameters": user_id,
            "get": {"summary": "Alla rolltilldelningar, även avslutade och kommande",
                    "responses": {"200": answer("Rollerna", "AdminRoleAssignmentList"),
                                  **error_responses(401, 403, 404)}},
            "post": {"summary": "Tilldela en roll, ev. med från- och till-datum",
                     "requestBody": {"required": True,
                                     **json_content(ref("AdminRoleAssignmentCreate"))},
                     "responses": {"201": answer("Tilldelad", "AdminRoleAssignment"),
                                   **error_responses(401, 403, 404, 422)}}},
        "/admin/roles/{assignment_id}": {"delete": {
            "summary": "Ta bort en rolltilldelning",
            "parameters": [{"name": "assignment_id", "in": "path", "required": True,
                            "schema": {"type": "integer", "minimum": 1}}],
            "responses": {"204": {"description": "Borttagen"},
                          **error_responses(401, 403, 404)}}},
        "/admin/users/import": {"post": {
            "summary": "Importera personer och roller från CSV (docs/user-import.md)",
            "parameters": [{"name": "dry_run", "in": "query", "schema": {"type": "boolean"},
                            "description": "Kontrollera utan att spara"}],
            "requestBody": {"required": True, "content": {
                "text/csv": {"schema": text},
                "application/json": {"schema": ref("AdminImportCsv")}}},
            "responses": {"200": answer("Importerad eller provkörd", "AdminImportResult"),
                          "422": answer("Problem i filen; ingenting sparades",
                                        "AdminImportResult"),
                          **error_responses(401, 403)}}},
    }
    return {"paths": paths, "models": schemas.MODELS}
