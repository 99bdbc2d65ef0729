"""The OpenAPI document's schemas are generated from the pydantic models in
workflow/<feature>/schemas.py, with the limits the services check; the API refuses what the
document says it refuses, in Swedish."""
from __future__ import annotations

import pytest

from helpers import IDEA
from workflow.cases import schemas as case_schemas
from workflow.cases.service import DIARIENUMMER_MAX, MAX_COST_SEK
from workflow.delegation import schemas as delegation_schemas
from workflow.delegation import service as delegation
from workflow.follow_up import schemas as follow_up_schemas
from workflow.follow_up import service as follow_up
from workflow.models import TEXT_MAX, TITLE_MAX
from workflow.organisation import admin as organisation
from workflow.organisation import schemas as organisation_schemas
from workflow.people import admin as people
from workflow.people import schemas as people_schemas
from workflow.platform.api import field_names
from workflow.platform.schemas import components, json_schema
from workflow.views.openapi import schema_models


@pytest.fixture
def document(app):
    return app.test_client().get("/api/v1/openapi.json").get_json()


def test_every_schema_in_the_document_is_generated_from_a_model(app, document):
    with app.test_request_context():
        generated = components(schema_models())
    assert document["components"]["schemas"] == generated


def _request_schemas(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "requestBody" not in operation:
                continue
            content = operation["requestBody"]["content"]
            if "application/json" in content:
                yield f"{method.upper()} {path}", content["application/json"]["schema"]


def test_every_json_request_body_refers_to_a_model(document):
    bodies = dict(_request_schemas(document))
    assert len(bodies) >= 20
    for operation, schema in bodies.items():
        assert set(schema) == {"$ref"}, operation
        name = schema["$ref"].rsplit("/", 1)[1]
        assert name in document["components"]["schemas"], operation


def test_the_case_limits_are_the_services():
    schema, defs = json_schema(case_schemas.CaseCreate)
    properties = schema["properties"]
    assert properties["title"]["maxLength"] == TITLE_MAX
    assert properties["need"]["maxLength"] == properties["effect"]["maxLength"] == TEXT_MAX
    assert properties["cost_estimate_sek"]["anyOf"][0]["maximum"] == MAX_COST_SEK
    update = json_schema(case_schemas.CaseUpdate)[0]["properties"]
    assert update["diarienummer"]["maxLength"] == DIARIENUMMER_MAX
    decline = json_schema(case_schemas.MergeDecline)[0]["properties"]
    assert decline["reason"]["maxLength"] == TEXT_MAX


def test_the_feature_limits_are_the_services():
    report = json_schema(follow_up_schemas.FollowUpReport)[0]["properties"]
    assert report["actual_value"]["maxLength"] == follow_up.MAX_VALUE
    assert report["comment"]["maxLength"] == follow_up.MAX_COMMENT
    assert report["realised_sek"]["anyOf"][0]["maximum"] == follow_up.MAX_SEK
    order = json_schema(delegation_schemas.DelegationOrderInput)[0]["properties"]
    assert order["points"]["maxItems"] == delegation.MAX_POINTS
    assert order["adopted_by"]["maxLength"] == delegation.ADOPTED_BY_MAX
    user = json_schema(people_schemas.AdminUserCreate)[0]["properties"]
    assert user["username"]["maxLength"] == people.USERNAME_MAX
    assert user["password"]["minLength"] == people.PASSWORD_MIN
    region = json_schema(organisation_schemas.AdminRegionSettings)[0]["properties"]
    assert region["diarienummer_pattern"]["anyOf"][0]["maxLength"] == organisation.PATTERN_MAX


def test_the_schemas_name_the_fields_the_services_take():
    assert field_names(organisation_schemas.AdminDepartmentInput) == set(
        organisation.DEPARTMENT_FIELDS)
    assert field_names(organisation_schemas.AdminUnitInput) == set(organisation.UNIT_FIELDS)
    assert field_names(organisation_schemas.AdminRegionSettings) == set(
        organisation.REGION_FIELDS)
    assert field_names(case_schemas.CaseUpdate) >= set(case_schemas.CaseFields.model_fields)


def test_a_too_long_title_is_refused_in_swedish(app):
    client = app.test_client()
    token = client.post("/api/v1/tokens",
                        json={"username": "medarbetare", "password": "demo"}).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    units = client.get("/api/v1/units", headers=headers).get_json()["items"]
    body = {**IDEA, "title": "x" * (TITLE_MAX + 1), "unit_id": units[0]["id"]}
    response = client.post("/api/v1/cases", headers=headers, json=body)
    assert response.status_code == 422
    assert response.get_json()["fields"]["title"] == ["Texten är för lång."]
    unknown = client.post("/api/v1/cases", headers=headers, json={**body, "colour": "blå"})
    assert unknown.status_code == 422
    assert unknown.get_json()["fields"] == {"colour": ["Okänt fält."]}
