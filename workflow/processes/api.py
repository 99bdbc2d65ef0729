"""JSON API for process administration under /api/v1/admin/processes (region admins only).

A new version is sent as the YAML text itself (any text content type); ``filename`` in the
query names it in error messages and the admin log, ``base_version`` (optional) refuses the
load if another version became the latest since the caller's preview."""
from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, request, url_for

from workflow.admin.support import api_admin, api_blueprint
from workflow.platform.errors import ValidationFailed
from workflow.platform.validation import as_id
from workflow.processes import admin as process_admin
from workflow.processes import schemas
from workflow.states.i18n import N_
from workflow.views.errors import api_error
from workflow.views.openapi import error_responses, json_content, openapi_fragment, ref

bp = api_blueprint("api_admin_processes", __name__)

DEFAULT_FILENAME = "processfil.yaml"


@bp.get("/processes")
def list_versions():
    overview = process_admin.overview(api_admin().region_id)
    return jsonify({
        "process": current_app.config["PROCESS_NAME"],
        "current": {"name": overview.current.name, "version": overview.current.version},
        "versions": [_version_summary(v) for v in overview.versions],
        "departments": [{
            "id": d.department.id, "name": d.department.name,
            "process": d.current.name, "version": d.current.version,
            "running": [{"process": n, "version": v, "cases": c}
                        for (n, v), c in d.running.items()]} for d in overview.departments],
    })


@bp.get("/processes/<name>/<int:version>")
def show_version(name: str, version: int):
    info = process_admin.version_info(api_admin().region_id, name, version)
    return jsonify(process_admin.definition_as_dict(info))


@bp.post("/processes/preview")
def preview():
    try:
        candidate = process_admin.preview(_yaml_body(), _filename())
    except process_admin.DefinitionRejected as rejected:
        return _rejected(rejected)
    return jsonify({"name": candidate.definition.name, "version": candidate.definition.version,
                    "base_version": candidate.base_version, "diff": candidate.diff.as_dict()})


@bp.post("/processes")
def load():
    try:
        row = process_admin.load(api_admin(), _yaml_body(), _filename(), **_base_version())
    except process_admin.DefinitionRejected as rejected:
        return _rejected(rejected)
    info = process_admin.version_info(api_admin().region_id, row.name, row.version)
    response = jsonify(process_admin.definition_as_dict(info))
    response.status_code = 201
    response.headers["Location"] = url_for(".show_version", name=row.name, version=row.version)
    return response


def _version_summary(info: process_admin.VersionInfo) -> dict[str, Any]:
    full = process_admin.definition_as_dict(info)
    return {key: full[key] for key in ("name", "version", "label", "latest", "origin",
                                       "filename", "loaded_at", "loaded_by", "cases")}


def _yaml_body() -> bytes:
    return request.get_data(cache=False)


def _filename() -> str:
    return request.args.get("filename") or DEFAULT_FILENAME


def _base_version() -> dict[str, Any]:
    raw = request.args.get("base_version")
    if raw is None:
        return {}
    if raw in ("", "none"):
        return {"base_version": None}
    version = as_id(raw)  # ASCII digits only: "²".isdigit() is true, int("²") fails
    if version is None:
        raise ValidationFailed({"base_version": N_("Ange ett versionsnummer, eller none.")})
    return {"base_version": version}


def _rejected(rejected: process_admin.DefinitionRejected):
    return api_error(rejected.status, rejected.text, reasons=rejected.reasons,
                     problems=[p.as_dict() for p in rejected.problems])


@openapi_fragment
def _openapi() -> dict[str, Any]:
    text = {"type": "string"}
    yaml_body = {"required": True, "description": "Processdefinitionen i YAML, samma format "
                 "som config/processes/*.yaml",
                 "content": {"application/yaml": {"schema": text},
                             "text/plain": {"schema": text}}}
    filename = {"name": "filename", "in": "query", "schema": text,
                "description": "Filnamnet som visas i felmeddelanden och adminloggen"}
    base = {"name": "base_version", "in": "query", "schema": text,
            "description": "Den senaste versionen du jämförde med (none: ingen); läses inte in "
                           "om en annan version har blivit den senaste"}
    path = [{"name": "name", "in": "path", "required": True, "schema": text},
            {"name": "version", "in": "path", "required": True,
             "schema": {"type": "integer", "minimum": 1}}]
    rejected = {"description": "Filen kan inte läsas in; ingenting sparades",
                **json_content(ref("ProcessRejected"))}
    return {
        "paths": {
            "/admin/processes": {
                "get": {"summary": "Processversioner, hur många ärenden som går i varje och "
                                   "vilken version förvaltningarnas nya ärenden följer",
                        "responses": {"200": {"description": "Versionerna",
                                              **json_content(ref("ProcessOverview"))},
                                      **error_responses(401, 403)}},
                "post": {"summary": "Läs in en ny version; den blir den senaste",
                         "parameters": [filename, base], "requestBody": yaml_body,
                         "responses": {"201": {"description": "Inläst",
                                               **json_content(ref("ProcessDefinition"))},
                                       "422": rejected, **error_responses(401, 403, 409)}}},
            "/admin/processes/preview": {"post": {
                "summary": "Validera en ny version och visa vad som ändras; sparar ingenting",
                "parameters": [filename], "requestBody": yaml_body,
                "responses": {"200": {"description": "Ändringarna mot den senaste versionen",
                                      **json_content(ref("ProcessPreview"))},
                              "422": rejected, **error_responses(401, 403)}}},
            "/admin/processes/{name}/{version}": {"get": {
                "summary": "En version av processdefinitionen som JSON", "parameters": path,
                "responses": {"200": {"description": "Definitionen",
                                      **json_content(ref("ProcessDefinition"))},
                              **error_responses(401, 403, 404)}}},
        },
        "models": schemas.MODELS,
    }
