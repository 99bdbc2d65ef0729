"""The OpenAPI 3.1 document of /api/v1, with event names taken from the loaded process."""
from __future__ import annotations

from typing import Any, Callable

from workflow.calc import benefit, classification, procurement
from workflow.processes.registry import current_process
from workflow.states.vocabulary import DIRECTION_FOCUS, DIRECTION_REACH, ORIGINS


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    texts = {400: "Felaktig begäran", 401: "Ingen eller ogiltig token",
             403: "Rollen får inte detta", 404: "Finns inte eller syns inte för dig",
             409: "Fel läge, villkor ej uppfyllt eller samtidig ändring",
             422: "Felaktiga uppgifter, med fel per fält"}
    return {str(c): {"description": texts[c], **_json(_ref("Error"))} for c in codes}


# Callables returning {"paths": {...}, "schemas": {...}}, registered by the admin API modules
# (see views/admin_support.openapi_fragment). Paths are relative to /api/v1.
OPENAPI_FRAGMENTS: list[Callable[[], dict[str, Any]]] = []

ref, json_body, error_responses = _ref, _json, _errors  # for the fragments


DOSSIER_MODELS = {"benefit": "BenefitCalculation", "procurement": "ProcurementCheck",
                  "classification": "CaseClassification"}


def _dossier_schemas() -> dict[str, Any]:
    """JSON Schemas of the section documents, generated from the pydantic input models."""
    schemas: dict[str, Any] = {}
    for model in (benefit.BenefitCalculation, procurement.ProcurementCheck,
                  classification.CaseClassification):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    schemas["BenefitCalculation"]["properties"]["replacement"] = {
        "type": "boolean", "description": "Ersätter en likvärdig lösning"}
    failure = {"type": "object", "properties": {
        "code": {"type": "string"},
        "message": {"type": "string", "description": "Översatt och ifylld (Accept-Language)"},
        "params": {"type": "object"}}}
    schemas["DossierSection"] = {"type": "object", "properties": {
        "section": {"enum": list(DOSSIER_MODELS)}, "version": {"type": "integer"},
        "saved": {"type": "boolean"}, "passed": {"type": "boolean"},
        "input": {"type": ["object", "null"]}, "result": {"type": ["object", "null"]},
        "problems": {"type": "array", "items": failure},
        "warnings": {"type": "array", "items": failure}}}
    schemas["Dossier"] = {"type": "object", "properties": {
        "version": {"type": "integer"}, "complete": {"type": "boolean"},
        "total_cost_sek": {"type": ["integer", "null"]},
        "failures": {"type": "array", "items": failure},
        "sections": {"type": "object", "additionalProperties": {
            "$ref": "#/components/schemas/DossierSection"}}}}
    return schemas


def _follow_up_schemas() -> dict[str, Any]:
    """The follow-up (nyttouppföljning) documents of /cases/{case_id}/follow-up."""
    sek = {"type": ["integer", "null"]}
    pair = {"type": "object", "properties": {"planned_sek": {"type": "integer"},
                                             "realised_sek": {"type": "integer"}}}
    report = {"type": "object", "additionalProperties": False,
              "required": ["actual_value", "used_as_intended"],
              "properties": {
                  "actual_value": {"type": "string", "minLength": 1, "maxLength": 200},
                  "realised_sek": {"type": ["integer", "null"], "minimum": 0,
                                   "maximum": 10**12, "description": "Hela kronor per år"},
                  "used_as_intended": {"enum": ["yes", "partly", "no"]},
                  "comment": {"type": "string", "maxLength": 2000}}}
    checkpoint = {"type": "object", "properties": {
        "benefit_number": {"type": "integer"}, "months": {"type": "integer"},
        "description": {"type": "string"}, "category": {"type": "string"},
        "colour": {"type": "string"}, "indicator": {"type": "string"},
        "baseline": {"type": "string"}, "target": {"type": "string"},
        "due": {"type": ["string", "null"], "format": "date"}, "due_now": {"type": "boolean"},
        "year": {"type": "integer", "description": "Kalkylens år (år 1 = tolv månader från "
                                                   "beslutet)"},
        "planned_sek": {**sek, "description": "Kalkylens belopp för det året"},
        "report": {"type": ["object", "null"]}}}
    follow = {"type": "object", "properties": {
        "case_id": {"type": "integer"}, "state": {"type": "string"},
        "go_live_date": {"type": ["string", "null"], "format": "date"},
        "can_report": {"type": "boolean"},
        "checkpoints": {"type": "array", "items": _ref("Checkpoint")},
        "summary": {"type": "object", "properties": {
            "years": {"type": "array", "items": {"type": "integer"}},
            "reported": {"type": "integer"}, "checkpoints": {"type": "integer"},
            "planned_sek": {"type": "integer"}, "realised_sek": {"type": "integer"},
            "by_colour": {"type": "object", "additionalProperties": pair},
            "by_category": {"type": "object", "additionalProperties": pair},
            "used": {"type": "object"}}},
        "costs": {"type": "object", "properties": {
            "planned_yearly_sek": {"type": "array", "items": {"type": "integer"}},
            "planned_total_sek": sek, "actual_sek": sek, "difference_sek": sek}}}}
    return {"FollowUpReport": report, "Checkpoint": checkpoint, "FollowUp": follow}


def openapi_document() -> dict[str, Any]:
    """The whole document; modules under /api/v1/admin add theirs via ``OPENAPI_FRAGMENTS``."""
    process = current_process().definition
    text = {"type": "string"}
    direction = {"type": ["object", "null"], "additionalProperties": False,
                 "required": ["focus", "reach"],
                 "properties": {"focus": {"enum": list(DIRECTION_FOCUS)},
                                "reach": {"enum": list(DIRECTION_REACH)}}}
    cost = {"type": ["integer", "null"], "minimum": 0, "maximum": 10**12,
            "description": "Hela kronor"}
    case_fields = {"title": {"type": "string", "maxLength": 200},
                   "need": {"type": "string", "maxLength": 5000},
                   "effect": {"type": "string", "maxLength": 5000},
                   "cost_estimate_sek": cost, "direction": direction,
                   "planned_go_live": {"type": ["string", "null"], "format": "date"},
                   "actual_cost_sek": cost}
    schemas = {
        "Error": {"type": "object", "required": ["error"], "properties": {
            "error": text, "reasons": {"type": "array", "items": text},
            "fields": {"type": "object", "additionalProperties": {"type": "array",
                                                                 "items": text}}}},
        "TokenRequest": {"type": "object", "additionalProperties": False,
                         "required": ["username", "password"],
                         "properties": {"username": text, "password": text}},
        "Token": {"type": "object", "required": ["token"], "properties": {"token": text}},
        "CaseCreate": {"type": "object", "additionalProperties": False,
                       "required": ["title"],
                       "description": "unit_id krävs för en idé med namn. En anonym idé anger "
                       "department_id (förvaltningen) och bara om avsändaren vill unit_id: en "
                       "liten enhet kan räcka för att peka ut avsändaren "
                       "(docs/threat-model.md).",
                       "properties": {**case_fields, "unit_id": {"type": "integer", "minimum": 1},
                                      "department_id": {"type": "integer", "minimum": 1},
                                      "origin": {"enum": [o for o in ORIGINS
                                                          if o != "direct_channel"]},
                                      "anonymous": {"type": "boolean"}}},
        "CaseUpdate": {"type": "object", "additionalProperties": False,
                       "properties": {**case_fields, "version": {"type": "integer"},
                                      "diarienummer": {
                                          "type": "string", "maxLength": 60,
                                          "description": "Registrets diarienummer i regionens "
                                          "format; nämndsekreterare eller förvaltningsledning, "
                                          "medan beslutet väntar (docs/decisions.md)"}}},
        "EventRequest": {"type": "object", "required": ["event"],
                         "description": "Händelsens fält enligt available_events läggs bredvid.",
                         "properties": {"event": {"enum": list(process.events)},
                                        "version": {"type": "integer"}},
                         "additionalProperties": True},
        "Field": {"type": "object", "properties": {
            "name": text, "label": text,
            "type": {"enum": ["text", "date", "number", "case", "choice"]},
            "required": {"type": "boolean"},
            "choices": {"type": "array", "items": {"type": "object", "properties": {
                "value": text, "label": text}}}}},
        "AvailableEvent": {"type": "object", "properties": {
            "event": text, "label": text, "notice": text,
            "fields": {"type": "array", "items": _ref("Field")}}},
        "HistoryEntry": {"type": "object", "properties": {
            "event": text, "from": {"type": ["string", "null"]}, "to": text,
            "actor": {"type": ["string", "null"]}, "at": {"type": "string",
                                                          "format": "date-time"},
            "comment": {"type": ["string", "null"]}, "data": {"type": "object"}}},
        "CaseSummary": {"type": "object", "properties": {
            "id": {"type": "integer"}, "title": text, "state": {"enum": list(process.states)},
            "state_label": text, "department_id": {"type": "integer"},
            "unit_id": {"type": ["integer", "null"]}, "origin": {"enum": list(ORIGINS)},
            "updated_at": {"type": "string", "format": "date-time"}}},
        "Case": {"allOf": [_ref("CaseSummary"), {"type": "object", "properties": {
            **case_fields, "author": {"type": ["object", "null"]},
            "priority": {"type": ["string", "null"]},
            "go_live_date": {"type": ["string", "null"], "format": "date"},
            "merged_into": {"type": ["integer", "null"]}, "process": text,
            "diarienummer": {"type": ["string", "null"]},
            "definition_version": {"type": "integer"}, "version": {"type": "integer"},
            "available_events": {"type": "array", "items": _ref("AvailableEvent")},
            "history": {"type": "array", "items": _ref("HistoryEntry")}}}]},
        "CasePage": {"type": "object", "properties": {
            "items": {"type": "array", "items": _ref("CaseSummary")},
            "page": {"type": "integer"}, "per_page": {"type": "integer"},
            "total": {"type": "integer"}}},
    }
    schemas.update(_dossier_schemas())
    schemas.update(_follow_up_schemas())
    schemas["MeetingCreate"] = {
        "type": "object", "additionalProperties": False,
        "required": ["kind", "department_id", "starts_at"],
        "properties": {"kind": {"enum": ["apt", "council", "management"]},
                       "department_id": {"type": "integer"}, "unit_id": {"type": "integer"},
                       "starts_at": {"type": "string", "format": "date-time"}, "place": text}}
    schemas["Meeting"] = {"type": "object", "properties": {
        "id": {"type": "integer"}, "kind": {"type": "string"}, "locked": {"type": "boolean"},
        "starts_at": {"type": "string", "format": "date-time"},
        "attendees": {"type": "array", "items": {"type": "object"}},
        "items": {"type": "array", "items": {"type": "object"}}}}
    meeting_id = [{"name": "meeting_id", "in": "path", "required": True,
                   "schema": {"type": "integer", "minimum": 1}}]
    case_id = [{"name": "case_id", "in": "path", "required": True,
                "schema": {"type": "integer", "minimum": 1}}]
    paths = {
        "/tokens": {"post": {
            "summary": "Logga in och få en token", "security": [],
            "requestBody": {"required": True, **_json(_ref("TokenRequest"))},
            "responses": {"201": {"description": "Token", **_json(_ref("Token"))},
                          **_errors(401, 422)}}},
        "/tokens/current": {"delete": {
            "summary": "Återkalla den token som används",
            "responses": {"204": {"description": "Återkallad"}, **_errors(401)}}},
        "/me": {"get": {"summary": "Inloggad användare och roller",
                        "responses": {"200": {"description": "Användaren",
                                              **_json({"type": "object"})}, **_errors(401)}}},
        "/units": {"get": {"summary": "Enheter i regionen",
                           "responses": {"200": {"description": "Enheter",
                                                 **_json({"type": "object"})}, **_errors(401)}}},
        "/cases": {
            "get": {"summary": "Ärenden du får se", "parameters": [
                {"name": "state", "in": "query", "schema": {"enum": list(process.states)}},
                {"name": "unit_id", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}}],
                "responses": {"200": {"description": "En sida ärenden",
                                      **_json(_ref("CasePage"))}, **_errors(401, 422)}},
            "post": {"summary": "Ny idé (utkast), eller anonymt direkt till ledningen",
                     "requestBody": {"required": True, **_json(_ref("CaseCreate"))},
                     "responses": {"201": {"description": "Skapad", **_json(_ref("Case"))},
                                   "202": {"description": "Anonym idé mottagen; registreras "
                                                          "som ärende i natt",
                                           **_json({"type": "object", "properties": {
                                               "state": {"enum": ["received"]},
                                               "state_label": {"type": "string"},
                                               "status_url": {"type": "string"}}})},
                                   **_errors(401, 409, 422)}}},
        "/cases/{case_id}": {
            "get": {"summary": "Ett ärende med historik och möjliga händelser",
                    "parameters": case_id,
                    "responses": {"200": {"description": "Ärendet", **_json(_ref("Case"))},
                                  **_errors(401, 404)}},
            "patch": {"summary": "Ändra ärendets egna fält", "parameters": case_id,
                      "requestBody": {"required": True, **_json(_ref("CaseUpdate"))},
                      "responses": {"200": {"description": "Ärendet", **_json(_ref("Case"))},
                                    **_errors(401, 403, 404, 409, 422)}}},
        "/cases/{case_id}/events": {"post": {
            "summary": "Utför en händelse i processen", "parameters": case_id,
            "requestBody": {"required": True, **_json(_ref("EventRequest"))},
            "responses": {"200": {"description": "Ärendet efter händelsen",
                                  **_json(_ref("Case"))},
                          "202": {"description": "merge in i ett ärende du inte ansvarar för: "
                                                 "förslaget väntar på att det ärendets "
                                                 "ansvariga godkänner (docs/process.md)",
                                  **_json(_ref("MergeProposal"))},
                          **_errors(401, 403, 404, 409, 422)}}},
        "/cases/{case_id}/dossier": {"get": {
            "summary": "Beslutsunderlaget: alla tre delar, om det är komplett och vad som saknas",
            "parameters": case_id,
            "responses": {"200": {"description": "Beslutsunderlaget",
                                  **_json(_ref("Dossier"))}, **_errors(401, 404)}}},
        **{f"/cases/{{case_id}}/dossier/{name}": {
            "get": {"summary": f"Beslutsunderlagets del {name}: indata och beräknat resultat",
                    "parameters": case_id,
                    "responses": {"200": {"description": "Delen", **_json(_ref("DossierSection"))},
                                  **_errors(401, 404)}},
            "put": {"summary": f"Spara delen {name}; felaktiga uppgifter lämnar den sparade orörd",
                    "parameters": case_id,
                    "requestBody": {"required": True, **_json(_ref(model))},
                    "responses": {"200": {"description": "Sparad", **_json(_ref("DossierSection"))},
                                  **_errors(401, 403, 404, 409, 422)}}}
            for name, model in DOSSIER_MODELS.items()},
        "/cases/{case_id}/dossier/classification/sign-off": {"post": {
            "summary": "Informationssäkerhetssamordnaren godkänner klassningen",
            "parameters": case_id,
            "responses": {"200": {"description": "Klassningen", **_json(_ref("DossierSection"))},
                          **_errors(401, 403, 404, 422)}}},
        "/cases/{case_id}/follow-up": {"get": {
            "summary": "Nyttouppföljningen: uppföljningstillfällen med förfallodag, planerad nytta "
                       "för kalkylens år, rapporter, sammanfattning och efterkalkyl",
            "parameters": case_id,
            "responses": {"200": {"description": "Uppföljningen", **_json(_ref("FollowUp"))},
                          **_errors(401, 404)}}},
        "/cases/{case_id}/follow-up/{benefit_number}/{months}": {"put": {
            "summary": "Rapportera (eller rätta) ett uppföljningstillfälle; tidigast på "
                       "förfallodagen",
            "parameters": case_id + [
                {"name": "benefit_number", "in": "path", "required": True,
                 "schema": {"type": "integer", "minimum": 1}},
                {"name": "months", "in": "path", "required": True,
                 "schema": {"type": "integer", "minimum": 1}}],
            "requestBody": {"required": True, **_json(_ref("FollowUpReport"))},
            "responses": {"200": {"description": "Uppföljningstillfället",
                                  **_json(_ref("Checkpoint"))},
                          **_errors(401, 403, 404, 409, 422)}}},
        "/objects": {"get": {"summary": "Förvaltningsobjekt i klassningsregistret",
                             "responses": {"200": {"description": "Objekten",
                                                   **_json({"type": "object"})},
                                           **_errors(401)}}},
        "/meetings": {
            "get": {"summary": "Möten du kan se", "responses": {
                "200": {"description": "Möten", **_json({"type": "object"})}, **_errors(401)}},
            "post": {"summary": "Nytt möte (APT, digitaliseringsråd, ledningsgrupp) med föreslagen "
                                "dagordning",
                     "requestBody": {"required": True, **_json(_ref("MeetingCreate"))},
                     "responses": {"201": {"description": "Mötet", **_json(_ref("Meeting"))},
                                   **_errors(401, 403, 422)}}},
        "/meetings/{meeting_id}": {"get": {
            "summary": "Ett möte med närvaro och dagordning", "parameters": meeting_id,
            "responses": {"200": {"description": "Mötet", **_json(_ref("Meeting"))},
                          **_errors(401, 404)}}},
        "/meetings/{meeting_id}/items": {"post": {
            "summary": "Lägg till ett ärende på dagordningen", "parameters": meeting_id,
            "requestBody": {"required": True, **_json({"type": "object", "required": ["case_id"],
                                                      "properties": {"case_id": {
                                                          "type": "integer"}}})},
            "responses": {"201": {"description": "Mötet", **_json(_ref("Meeting"))},
                          **_errors(401, 403, 404, 409, 422)}}},
        "/meetings/{meeting_id}/items/{item_id}/decision": {"post": {
            "summary": "Mötets beslut i en punkt: ärendets händelse med dess fält",
            "parameters": meeting_id + [{"name": "item_id", "in": "path", "required": True,
                                         "schema": {"type": "integer"}}],
            "requestBody": {"required": True, **_json(_ref("EventRequest"))},
            "responses": {"200": {"description": "Mötet", **_json(_ref("Meeting"))},
                          **_errors(401, 403, 404, 409, 422)}}},
        "/meetings/{meeting_id}/adjust": {"post": {
            "summary": "Justera och lås protokollet (ordföranden)", "parameters": meeting_id,
            "responses": {"200": {"description": "Mötet", **_json(_ref("Meeting"))},
                          **_errors(401, 403, 404, 409)}}},
        "/cases/{case_id}/score": {"put": {
            "summary": "En rådsledamots poäng (1-5 per kriterium) för ett förslag",
            "parameters": case_id,
            "requestBody": {"required": True, **_json({"type": "object", "required": ["scores"],
                                                      "properties": {
                                                          "scores": {"type": "object"},
                                                          "comment": text}})},
            "responses": {"200": {"description": "Sparat", **_json({"type": "object"})},
                          **_errors(401, 403, 404, 422)}}},
        "/council/{department_id}": {"get": {
            "summary": "Rådets rangordning och kapacitet för en förvaltning",
            "parameters": [{"name": "department_id", "in": "path", "required": True,
                            "schema": {"type": "integer"}}],
            "responses": {"200": {"description": "Rangordningen", **_json({"type": "object"})},
                          **_errors(401, 404)}}},
        "/openapi.json": {"get": {"summary": "Detta dokument", "security": [],
                                  "responses": {"200": {"description": "OpenAPI"}}}},
    }
    for fragment in OPENAPI_FRAGMENTS:  # the admin API modules describe their own paths
        extra = fragment()
        paths.update(extra.get("paths", {}))
        schemas.update(extra.get("schemas", {}))
    return {
        "openapi": "3.1.0",
        "info": {"title": "Idéflödet API", "version": "1",
                 "description": "Från medarbetarens idé till investeringsbeslut. Svar på svenska; "
                                "skicka Accept-Language: en för engelska."},
        "servers": [{"url": "/api/v1"}],
        "components": {"schemas": schemas, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
        "paths": paths,
    }
