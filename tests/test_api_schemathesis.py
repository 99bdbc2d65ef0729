"""Schemathesis against the OpenAPI document the app serves (/api/v1/openapi.json), in-process
over WSGI, as a verksamhetsutvecklare and as the region administrator: no answer is a server
error, every status code is one the document lists for the operation, and JSON answers have
the documented content type and shape.

The number of examples per operation is kept small (the whole file runs in about a minute
per database); hypothesis varies them between runs, and tests/test_api.py fuzzes the case
endpoints' bodies further."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from helpers import BENEFIT, api_token, case_in, user
from workflow.people import accounts

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
EXAMPLES_PER_OPERATION = 6


@pytest.fixture
def api_schema(app):
    """The served document, with a few cases in the database so that ids 1-3 exist."""
    with app.app_context():
        for state in ("draft", "submitted", "council"):
            case_in(state)
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.fixture
def bearer(app):
    """Headers for ``username`` with a token from POST /api/v1/tokens; for a call that revokes
    the current token, a fresh token (made directly) so that the others keep working."""
    tokens: dict[str, str] = {}

    def headers(username: str, case) -> dict[str, str]:
        if case.method.upper() == "DELETE" and case.path == "/tokens/current":
            with app.app_context():
                return {"Authorization": f"Bearer {accounts.issue_token(user(username))}"}
        if username not in tokens:
            tokens[username] = api_token(app.test_client(), username)
        return {"Authorization": f"Bearer {tokens[username]}"}

    return headers


def fuzz(schema, headers_for, mode: GenerationMode) -> list[str]:
    """Every operation of the document with a bounded number of generated requests; returns
    the failures (operation and what schemathesis found), so one run reports them all."""
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def call(case) -> None:
            case.call_and_validate(headers=headers_for(case), checks=CHECKS)

        try:
            call()
        except (Exception, BaseExceptionGroup) as failure:  # reported together below
            failures.append(f"{operation.label} ({mode.value}): {failure}")
    return failures


@pytest.mark.parametrize("username", ["vu", "admin"])
def test_the_api_keeps_its_documented_contract(api_schema, bearer, username):
    failures = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        failures += fuzz(api_schema, lambda case: bearer(username, case), mode)
    assert not failures, "\n\n".join(failures)


# ---------------------------------------------------------------- what the fuzzing found

HUGE = "9" * 25


@pytest.mark.parametrize("method, path", [
    ("get", f"/api/v1/cases/{HUGE}"), ("patch", f"/api/v1/cases/{HUGE}"),
    ("put", f"/api/v1/cases/{HUGE}/dossier/benefit"), ("get", f"/api/v1/meetings/{HUGE}"),
    ("post", f"/api/v1/meetings/{HUGE}/adjust"), ("get", "/api/v1/cases/2147483648"),
    ("post", f"/api/v1/meetings/1/items/{HUGE}/decision"),
])
def test_an_id_too_large_for_the_database_is_not_found(app, bearer, method, path):
    """Such ids overflowed in the database driver (SQLite: OverflowError; PostgreSQL:
    integer out of range) and answered 500; and a 405 for the other methods of the path."""
    response = getattr(app.test_client(), method)(
        path, json={}, headers=bearer("vu", SimpleNamespace(method=method, path=path)))
    assert response.status_code == 404


@pytest.mark.parametrize("field, value", [("unit_id", 2**40), ("unit_id", "²"),
                                          ("unit_id", "٣" * 12)])
def test_a_case_with_an_impossible_unit_is_refused(app, bearer, field, value):
    response = app.test_client().post(
        "/api/v1/cases", json={"title": "Idé", field: value},
        headers=bearer("vu", SimpleNamespace(method="post", path="/cases")))
    assert response.status_code == 422 and field in response.get_json()["fields"]


def test_a_meeting_in_an_impossible_department_is_refused(app, bearer):
    response = app.test_client().post(
        "/api/v1/meetings", headers=bearer("rad", SimpleNamespace(method="post", path="/")),
        json={"kind": "council", "department_id": 2**40, "starts_at": "2026-12-01T09:00:00Z"})
    assert response.status_code == 422 and "department_id" in response.get_json()["fields"]


def test_a_dossier_version_in_other_digits_is_refused(app, bearer):
    with app.app_context():
        case_id = case_in("refinement").id
    response = app.test_client().put(
        f"/api/v1/cases/{case_id}/dossier/benefit", json={**BENEFIT, "version": "²"},
        headers=bearer("vu", SimpleNamespace(method="put", path="/")))
    assert response.status_code == 422 and "version" in response.get_json()["fields"]
