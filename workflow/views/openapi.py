"""The OpenAPI 3.1 document of /api/v1. The paths are declared here (and by the modules that
register an :func:`openapi_fragment`); every schema in ``components`` is generated from the
pydantic models in ``workflow/<feature>/schemas.py``, with state and event names taken from
the loaded process."""
from __future__ import annotations

from typing import Any, Callable

from pydantic import BaseModel

from workflow.cases import schemas as case_schemas
from workflow.council import schemas as council_schemas
from workflow.dossier import schemas as dossier_schemas
from workflow.follow_up import schemas as follow_up_schemas
from workflow.meetings import schemas as meeting_schemas
from workflow.platform.schemas import Error, components
from workflow.processes.registry import current_process


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


# Callables returning {"paths": {...}, "models": [...]}, registered with
# :func:`openapi_fragment` by the API modules that describe their own paths (relative to
# /api/v1); "models" are the pydantic models of their bodies and answers.
OPENAPI_FRAGMENTS: list[Callable[[], dict[str, Any]]] = []

ref, json_content, error_responses = _ref, _json, _errors  # for the fragments


def answer(description: str, model: str, code: str = "200") -> dict[str, Any]:
    """A response of the fragments: ``code`` with ``model``'s JSON."""
    return {code: {"description": description, **_json(_ref(model))}}


def openapi_fragment(build: Callable[[], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
    """Decorate a function returning {"paths": {...}, "models": [...]} to add it to the
    document."""
    if build not in OPENAPI_FRAGMENTS:
        OPENAPI_FRAGMENTS.append(build)
    return build


DOSSIER_MODELS = {name: model.__name__ for name, model in dossier_schemas.SECTION_MODELS.items()}


def core_models() -> list[type[BaseModel]]:
    """The models of the case, dossier, follow-up, meeting and council endpoints (their
    state and event names from the loaded process)."""
    process = current_process().definition
    return [Error, *case_schemas.MODELS,
            *case_schemas.for_process(tuple(process.states), tuple(process.events)),
            *dossier_schemas.MODELS, *follow_up_schemas.MODELS, *meeting_schemas.MODELS,
            *council_schemas.MODELS]


def schema_models() -> list[type[BaseModel]]:
    """Every model the document's components are generated from."""
    return [*core_models(), *(model for fragment in OPENAPI_FRAGMENTS
                              for model in fragment().get("models", ()))]


def openapi_document() -> dict[str, Any]:
    """The whole document: the paths declared here and by ``OPENAPI_FRAGMENTS``, the
    components generated from :func:`schema_models`."""
    process = current_process().definition
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
                                              **_json(_ref("Me"))}, **_errors(401)}}},
        "/units": {"get": {"summary": "Enheter i regionen",
                           "responses": {"200": {"description": "Enheter",
                                                 **_json(_ref("ItemList"))}, **_errors(401)}}},
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
                                           **_json(_ref("AnonymousReceipt"))},
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
                                  **_json(_ref("FollowUpCheckpoint"))},
                          **_errors(401, 403, 404, 409, 422)}}},
        "/objects": {"get": {"summary": "Förvaltningsobjekt i klassningsregistret",
                             "responses": {"200": {"description": "Objekten",
                                                   **_json(_ref("ItemList"))},
                                           **_errors(401)}}},
        "/meetings": {
            "get": {"summary": "Möten du kan se", "responses": {
                "200": {"description": "Möten", **_json(_ref("MeetingList"))}, **_errors(401)}},
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
            "requestBody": {"required": True, **_json(_ref("AgendaItemCreate"))},
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
            "requestBody": {"required": True, **_json(_ref("ScoreRequest"))},
            "responses": {"200": {"description": "Sparat", **_json(_ref("Score"))},
                          **_errors(401, 403, 404, 422)}}},
        "/council/{department_id}": {"get": {
            "summary": "Rådets rangordning och kapacitet för en förvaltning",
            "parameters": [{"name": "department_id", "in": "path", "required": True,
                            "schema": {"type": "integer"}}],
            "responses": {"200": {"description": "Rangordningen", **_json(_ref("Council"))},
                          **_errors(401, 404)}}},
        "/openapi.json": {"get": {"summary": "Detta dokument", "security": [],
                                  "responses": {"200": {"description": "OpenAPI"}}}},
    }
    for fragment in OPENAPI_FRAGMENTS:  # the modules that describe their own paths
        paths.update(fragment().get("paths", {}))
    return {
        "openapi": "3.1.0",
        "info": {"title": "Idéflödet API", "version": "1",
                 "description": "Från medarbetarens idé till investeringsbeslut. Svar på svenska; "
                                "skicka Accept-Language: en för engelska."},
        "servers": [{"url": "/api/v1"}],
        "components": {"schemas": components(schema_models()), "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
        "paths": paths,
    }
