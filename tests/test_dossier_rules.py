"""Rules of the decision dossier around its sections (docs/dossier-rules.md): when the
security sign-off is accepted, and the API's messages of every section formatted and
translated like the top-level ones (both databases for the two database tests)."""
from __future__ import annotations

from typing import Any

import pytest

from helpers import api_headers, case_in, user
from workflow.dossier import service as dossier
from workflow.platform.errors import InvalidState
from workflow.platform.settings import PROJECT_ROOT
from workflow.states.definition import load_definition_file

BEFORE_DECISION = {"refinement", "central_support", "council", "plan", "management", "political"}


@pytest.mark.parametrize("version", [1, 2])
def test_the_sign_off_is_open_until_the_decision(version):
    """docs/dossier-rules.md, "The sign-off": the informationssäkerhetssamordnare's sign-off
    belongs to the basis for the decision (SKR's KLASSA; MSB): accepted up to and including
    management and political, never after `approved` and never on a final state."""
    definition = load_definition_file(
        PROJECT_ROOT / "config" / "processes" / f"standard-v{version}.yaml")
    open_states = {name for name in definition.states
                   if dossier.sign_off_open_in(definition, name)}
    assert open_states == BEFORE_DECISION
    assert not dossier.sign_off_open_in(definition, "closed")
    assert not dossier.sign_off_open_in(definition, "no_such_state")


def test_a_decided_case_keeps_its_sign_off(app):
    """A sign-off after the decision is refused with a Swedish reason (409 in the API), and
    the dossier page offers no button for it."""
    with app.app_context():
        case = case_in("approved")
        case_id = case.id
        assert not dossier.can_sign_off(user("infosak"), case)
        with pytest.raises(InvalidState) as info:
            dossier.sign_off_classification(user("infosak"), case)
        assert [f.code for f in info.value.failures] == ["sign_off_after_decision"]
        assert not case.dossier.signed_off_by
    client = app.test_client()
    headers = api_headers(client, "infosak")
    response = client.post(f"/api/v1/cases/{case_id}/dossier/classification/sign-off",
                           headers=headers)
    assert response.status_code == 409
    assert response.get_json()["reasons"][0].startswith(
        "Klassningen kan bara godkännas innan ärendet är beslutat.")
    client.post("/login", data={"username": "infosak", "password": "demo"})
    page = client.get(f"/cases/{case_id}/dossier").get_data(as_text=True)
    assert "Godkänn klassningen" not in page


def messages(value: Any) -> list[str]:
    """Every "message" of the API's answer, wherever it is."""
    if isinstance(value, dict):
        found = [value["message"]] if isinstance(value.get("message"), str) else []
        return found + [m for item in value.values() for m in messages(item)]
    if isinstance(value, list):
        return [m for item in value for m in messages(item)]
    return []


def test_every_dossier_message_is_formatted_and_translated(app):
    """The section results' problems, warnings, hints and route_problem reach a client
    filled in and in its language, like the top-level failures; code and params stay, and a
    parameter that is itself a text (a checklist question, a benefit's questions) is
    translated too."""
    with app.app_context():
        case = case_in("refinement")
        case_id = case.id
        vu = user("vu")
        dossier.save_section(vu, case, "benefit", {
            "costs": [{"year": 1, "investment_sek": 100_000}],
            "benefits": [{"description": "Tid", "category": "reallocation", "colour": "yellow",
                          "beneficiary": "internal", "amounts_sek": [50_000]}]})
        dossier.save_section(vu, case, "procurement", {
            "estimated_value_sek": 900_000, "contract_years": 3, "kind": "Licenser",
            "chosen_route": "direct_procurement", "checked_on": "2026-11-01"})
        dossier.save_section(vu, case, "classification", {
            "information": "Hälsouppgifter", "personal_data": True,
            "sensitive_personal_data": True, "levels": {"confidentiality": 2},
            "risk_of_not_developing": "Fler fel."})
    client = app.test_client()
    headers = api_headers(client, "vu")
    url = f"/api/v1/cases/{case_id}/dossier"
    swedish = client.get(url, headers=headers).get_json()
    english = client.get(url, headers={**headers, "Accept-Language": "en"}).get_json()
    for body in (swedish, english):
        texts = messages(body)
        assert len(texts) > 10 and not [t for t in texts if "%(" in t]
    sv_section = swedish["sections"]["classification"]
    en_section = english["sections"]["classification"]
    problem = next(p for p in sv_section["result"]["problems"]
                   if p["code"] == "sensitive_data_confidentiality_too_low")
    assert problem["params"] == {"level": 2, "required": 3}
    assert problem["message"].startswith("Känsliga personuppgifter (GDPR art. 9) kräver "
                                         "konfidentialitet minst 3 (allvarlig), men nivån är 2.")
    english_problem = next(p["message"] for p in en_section["result"]["problems"]
                           if p["code"] == "sensitive_data_confidentiality_too_low")
    assert "GDPR" in english_problem and "konfidentialitet" not in english_problem
    assert "dpia_missing" in [p["code"] for p in en_section["problems"]]
    route = english["sections"]["procurement"]["result"]["route_problem"]
    assert route["code"] and route["params"] is not None and "%(" not in route["message"]
    assert route["message"] != swedish["sections"]["procurement"]["result"]["route_problem"][
        "message"]
    question = next(p for p in english["sections"]["procurement"]["problems"]
                    if p["params"].get("item") == "dpa")
    assert "personuppgiftsbiträdesavtal" not in question["message"].lower()
    unanswered = next(p for p in english["sections"]["benefit"]["problems"]
                      if p["code"] == "benefit_questions_unanswered")
    assert "Hur realiseras" not in unanswered["message"]
    assert "Hur realiseras nyttan?" in next(
        p["message"] for p in swedish["sections"]["benefit"]["problems"]
        if p["code"] == "benefit_questions_unanswered")
    assert english["failures"] and all("params" in f for f in english["failures"])
    client.post("/login", data={"username": "vu", "password": "demo"})
    page = client.get(f"/cases/{case_id}/dossier").get_data(as_text=True)
    assert 'name="classification-dpia_date"' in page  # the form asks for the DPIA
    assert 'data-figure="financial-npv"' in page and 'data-section="conventions"' in page
