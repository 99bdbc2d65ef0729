"""The decision dossier through the service, the JSON API and the web pages, on both databases."""
from __future__ import annotations

import copy
import re
from datetime import date

import pytest
from sqlalchemy import select

from helpers import BENEFIT, CLASSIFICATION, PROCUREMENT, api_headers, case_in, login, user
from workflow.cases import service as cases
from workflow.dossier import service as dossier
from workflow.models import InfoObject, Unit
from workflow.platform.errors import Conflict, GuardFailed, PermissionDenied, ValidationFailed
from workflow.platform.extensions import db


def save(case, section, document, who="vu", **kwargs):
    return dossier.save_section(user(who), case, section, copy.deepcopy(document), **kwargs)


def codes(failures):
    return [f.code for f in failures]


def test_every_dossier_change_lands_in_the_history_with_before_and_after(ctx):
    case = case_in("refinement")
    save(case, "benefit", BENEFIT)
    changed = copy.deepcopy(BENEFIT)
    changed["costs"][1]["running_sek"] = 35_000
    changed["benefits"][0]["indicator"] = "Minuter per pass"
    save(case, "benefit", changed)
    entry = case.history[-1]
    assert entry.event == "dossier_benefit" and entry.actor.username == "vu"
    assert entry.data["changes"] == {
        "benefits.0.indicator": {"before": "Minuter per pass på nycklar", "after": "Minuter per pass"},
        "costs.1.running_sek": {"before": 30_000, "after": 35_000}}


def test_saving_the_same_document_again_records_nothing(ctx):
    case = case_in("refinement")
    save(case, "procurement", PROCUREMENT)
    count = len(case.history)
    save(case, "procurement", PROCUREMENT)
    assert len(case.history) == count


@pytest.mark.parametrize("section, document, path", [
    ("benefit", {**BENEFIT, "horizon_years": 16}, "horizon_years"),
    ("benefit", {**BENEFIT, "costs": [{"year": 1, "investment_sek": -5}]}, "costs.0.investment_sek"),
    ("benefit", {**BENEFIT, "costs": [{"year": 1, "investment_sek": "mycket"}]}, "costs.0.investment_sek"),
    ("benefit", {**BENEFIT, "costs": [{"year": 1, "running_sek": 10**13}]}, "costs.0.running_sek"),
    ("benefit", {**BENEFIT, "discount_rate": 0.5}, "discount_rate"),
    ("procurement", {**PROCUREMENT, "estimated_value_sek": 1.5}, "estimated_value_sek"),
    ("procurement", {**PROCUREMENT, "chosen_route": "handshake"}, "chosen_route"),
    ("procurement", {**PROCUREMENT, "kind": "x" * 5000}, "kind"),
    ("classification", {**CLASSIFICATION, "levels": {**CLASSIFICATION["levels"], "integrity": 5}},
     "levels.integrity"),
    ("classification", {**CLASSIFICATION, "colour": "röd"}, "colour"),
])
def test_bad_input_is_refused_and_the_stored_dossier_is_unchanged(ctx, section, document, path):
    case = case_in("refinement")
    good = {"benefit": BENEFIT, "procurement": PROCUREMENT, "classification": CLASSIFICATION}[section]
    save(case, section, good)
    stored, history = copy.deepcopy(getattr(case.dossier, section)), len(case.history)
    with pytest.raises(ValidationFailed) as info:
        save(case, section, document)
    assert path in info.value.field_errors
    db.session.expire_all()
    assert getattr(case.dossier, section) == stored and len(case.history) == history


def test_only_the_developer_in_a_preparing_state_may_change_the_dossier(ctx):
    case = case_in("council")
    for who in ("rad", "fchef", "chef", "infosak"):
        with pytest.raises(PermissionDenied):
            save(case, "benefit", BENEFIT, who=who)
    save(case, "benefit", BENEFIT)  # the developer still may while the council reads it
    approved = case_in("approved")
    with pytest.raises(PermissionDenied):
        save(approved, "benefit", BENEFIT)


def test_stale_dossier_version_is_a_conflict(ctx):
    case = case_in("refinement")
    save(case, "benefit", BENEFIT)
    version = case.dossier.version
    save(case, "procurement", PROCUREMENT, expected_version=version)
    with pytest.raises(Conflict):
        save(case, "classification", CLASSIFICATION, expected_version=version)


def test_incomplete_dossier_blocks_approval_with_every_reason(ctx):
    case = case_in("management")
    half = copy.deepcopy(PROCUREMENT)
    del half["checklist"]["exit_plan"]
    half["checklist"]["dpa"] = {"answer": "no"}
    save(case, "procurement", half)
    with pytest.raises(GuardFailed) as info:
        cases.fire(case, "approve", user("fchef"), {})
    assert codes(info.value.failures) == ["checklist_no_without_motivation",
                                          "checklist_unanswered"]
    assert any("Fråga 8 saknar svar" in reason for reason in info.value.reasons)
    with pytest.raises(GuardFailed):
        cases.fire(case, "escalate", user("fchef"), {})


def high_object(name="Verksamhetssystem socialtjänst", level=3):
    obj = InfoObject(name=name, confidentiality=level, integrity=1, availability=1,
                     traceability=1, personal_data=True, last_review=date.today())
    db.session.add(obj)
    db.session.commit()
    return obj


def test_linked_object_sets_the_minimum_level(ctx):
    case = case_in("refinement")
    obj = high_object()
    view = save(case, "classification", {**CLASSIFICATION, "object_ids": [obj.id]})
    section = view.sections["classification"]
    assert section.result.effective_levels.confidentiality == 3
    assert "confidentiality_below_object" in codes(section.problems) or any(
        "Konfidentialitet" in f.message for f in section.problems)


def test_high_classification_needs_the_security_coordinators_sign_off(ctx):
    case = case_in("management")
    high = {**CLASSIFICATION, "levels": {**CLASSIFICATION["levels"], "confidentiality": 3},
            "risk_analysis": "Riskanalys 2026-10", "risk_analysis_date": date.today().isoformat()}
    with pytest.raises(PermissionDenied):
        save(case, "classification", high, who="fchef")
    save(case, "classification", high)
    with pytest.raises(GuardFailed) as info:
        cases.fire(case, "approve", user("fchef"), {})
    assert "Informationssäkerhetssamordnaren har inte godkänt klassningen." in " ".join(info.value.reasons)
    with pytest.raises(PermissionDenied):
        dossier.sign_off_classification(user("vu"), case)
    dossier.sign_off_classification(user("infosak"), case)
    assert dossier.view(case).complete
    changed = {**high, "information": "Även larmloggar"}
    save(case, "classification", changed)  # a changed classification needs a new sign-off
    assert not dossier.view(case).signed_off
    dossier.sign_off_classification(user("infosak"), case)
    cases.fire(case, "approve", user("fchef"), {})
    assert case.state == "approved"
    assert [h.event for h in case.history][-2:] == ["classification_signed_off", "approve"]


def test_direct_procurements_of_the_same_kind_are_summed_within_the_förvaltning(ctx):
    """LOU 19 kap. 8 §: same kind, förvaltning and räkenskapsår add up; over the limit the
    direct award is refused (a problem), naming the other case by number only."""
    first, second = case_in("refinement"), case_in("refinement")
    save(first, "procurement", {**PROCUREMENT, "estimated_value_sek": 400_000})
    view = save(second, "procurement", {**PROCUREMENT, "estimated_value_sek": 400_000,
                                        "kind": "digitala NYCKELSKÅP "})
    section = view.sections["procurement"]
    assert section.result.direct_sum_sek == 800_000
    assert section.result.same_kind_case_ids == (first.id,)
    [problem] = [f for f in section.problems if f.code == "direct_sum_above_limit"]
    assert problem.params == {"year": "2026", "sum": 800_000, "limit": 700_000,
                              "cases": str(first.id)}
    assert not view.complete
    other_unit = db.session.scalar(select(Unit).where(Unit.name == "Vårdcentral Hemse"))
    first.unit = other_unit  # another förvaltning does not count
    db.session.commit()
    section = dossier.view(second).sections["procurement"]
    assert (section.result.direct_sum_sek, section.problems) == (400_000, [])


def _two_direct_awards_of_the_same_kind(other_value):
    """A case in management with the helpers' 240 000 kr direct award, and another case in
    the same förvaltning with a direct award of the same kind worth ``other_value``."""
    decided = case_in("management")
    other = case_in("refinement")
    kind = decided.dossier.procurement["kind"]
    save(other, "procurement", {**PROCUREMENT, "kind": kind, "estimated_value_sek": other_value})
    return decided.id, other.id, kind


def test_an_approval_reads_the_same_kind_awards_with_the_dossier_and_sums_the_same(ctx):
    """An approval's one statement for the delegation facts and the dossier also brings the
    other cases' direct awards of the kind and year the dossier stored (LOU 19 kap. 8 §);
    the check then sums exactly what its own statement would, and reads them itself when the
    check's year is not the stored one."""
    from helpers import statements_run
    from workflow.delegation import service as delegation
    from workflow.models import Case, Dossier

    decided_id, other_id, kind = _two_direct_awards_of_the_same_kind(100_000)
    third = case_in("refinement")
    save(third, "procurement", {**PROCUREMENT, "kind": kind.upper(), "estimated_value_sek": 50_000})
    unrelated = case_in("refinement")
    save(unrelated, "procurement", {**PROCUREMENT, "kind": "Något annat", "estimated_value_sek": 1})
    decided = db.session.get(Case, decided_id)
    day = date(2026, 11, 2)
    expected = dossier.view(decided, day).sections["procurement"].result
    assert expected.same_kind_case_ids == tuple(sorted((other_id, third.id)))

    db.session.expire(decided, ["dossier"])
    with statements_run(db.engine) as statements:
        facts = delegation.facts_for(decided.department, day, dossier_of=decided)
        result = dossier.view(decided, day, facts["_same_kind_direct"]) \
            .sections["procurement"].result
    assert len([s for s in statements if "dossiers" in s]) == 1
    known = facts["_same_kind_direct"]
    assert (known.kind, known.year) == (kind.strip().lower(), 2026)
    assert known.awards == tuple(sorted(((other_id, 100_000), (third.id, 50_000))))
    assert expected.direct_sum_sek == 240_000 + 100_000 + 50_000
    assert (result.direct_sum_sek, result.same_kind_case_ids) == (
        expected.direct_sum_sek, expected.same_kind_case_ids)

    # The stored year is another (the check was saved last year without a date): read anew.
    db.session.execute(db.update(Dossier).where(Dossier.case_id == decided_id)
                       .values(procurement_year=2025))
    db.session.expire(decided, ["dossier"])
    with statements_run(db.engine) as statements:
        facts = delegation.facts_for(decided.department, day, dossier_of=decided)
        result = dossier.view(decided, day, facts["_same_kind_direct"]) \
            .sections["procurement"].result
    assert facts["_same_kind_direct"].year == 2025
    assert len([s for s in statements if "dossiers" in s]) == 2
    assert (result.direct_sum_sek, result.same_kind_case_ids) == (
        expected.direct_sum_sek, expected.same_kind_case_ids)


def test_api_refuses_approve_over_the_aggregated_direct_award_limit_lou_19_kap_8(app, api):
    """LOU 19 kap. 8 §: 240 000 + 460 001 = 700 001 > "högst" 700 000: approve and escalate
    answer 409 with the reason naming the other case; at 700 000 exactly, approve goes through."""
    with app.app_context():
        case_id, other_id, kind = _two_direct_awards_of_the_same_kind(460_001)
    fchef = api.headers("fchef")
    for event in ("approve", "escalate"):
        response = api.post(f"/api/v1/cases/{case_id}/events", headers=fchef,
                            json={"event": event})
        assert response.status_code == 409
        [reason] = [r for r in response.get_json()["reasons"] if "Direktupphandling" in r]
        assert reason.startswith("Direktupphandling är inte tillåten:")
        assert f"(detta ärende och ärende {other_id})" in reason
        assert re.search(r"700\s001 kr", reason) and "LOU 19 kap. 8 §" in reason
        assert "Digital nyckelhantering" not in reason  # numbers only, never titles
    problems = api.get(f"/api/v1/cases/{case_id}/dossier/procurement",
                       headers=fchef).get_json()
    assert problems["passed"] is False and problems["result"]["same_kind_case_ids"] == [other_id]
    assert problems["result"]["thresholds"]["eu_threshold_preliminary"] is True
    vu = api.headers("vu")
    response = api.put(f"/api/v1/cases/{other_id}/dossier/procurement", headers=vu,
                       json={**PROCUREMENT, "kind": kind, "estimated_value_sek": 460_000})
    assert response.status_code == 200
    response = api.post(f"/api/v1/cases/{case_id}/events", headers=fchef,
                        json={"event": "approve"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["state"] == "approved"


def test_web_ui_shows_the_swedish_reason_when_escalation_is_refused_lou_19_kap_8(app):
    """LOU 19 kap. 8 §: the refusal reaches the web user as a shown Swedish reason; the
    dossier page shows the preliminary EU threshold flag (SEK figure for 2026-2027 unconfirmed)."""
    with app.app_context():
        case_id, other_id, _kind = _two_direct_awards_of_the_same_kind(500_000)
    fchef = login(app.test_client(), "fchef")
    response = fchef.post(f"/cases/{case_id}/events/escalate", data={})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Direktupphandling är inte tillåten" in page
    assert f"detta ärende och ärende {other_id}" in page
    dossier_page = fchef.get(f"/cases/{case_id}/dossier").get_data(as_text=True)
    assert 'data-flag="eu-threshold-preliminary"' in dossier_page
    assert "preliminärt" in dossier_page and "ECB referenskurs" in dossier_page
    assert "Direktupphandling är inte tillåten" in dossier_page


# ---------------------------------------------------------------- JSON API

@pytest.fixture
def api(app):
    client = app.test_client()

    client.headers = lambda username: api_headers(client, username)
    return client


def test_api_dossier_sections_and_field_errors(app, api):
    with app.app_context():
        case_id = case_in("refinement").id
    vu = api.headers("vu")
    url = f"/api/v1/cases/{case_id}/dossier/benefit"
    assert api.get(url, headers=vu).get_json()["saved"] is False
    response = api.put(url, headers=vu, json={**BENEFIT, "horizon_years": 0,
                                              "costs": [{"year": 1, "investment_sek": -1}]})
    assert response.status_code == 422
    fields = response.get_json()["fields"]
    assert set(fields) >= {"horizon_years", "costs.0.investment_sek"}
    assert fields["horizon_years"] == ["Värdet måste vara minst 1."]
    response = api.put(url, headers=vu, json=BENEFIT)
    body = response.get_json()
    assert response.status_code == 200 and body["passed"] is True
    assert body["result"]["total_cost_sek"] == 285_000
    assert body["result"]["yearly"][0]["cost_sek"] == 225_000
    assert api.put(url, headers=api.headers("rad"), json=BENEFIT).status_code == 403
    assert api.put(f"/api/v1/cases/{case_id}/dossier/astrology", headers=vu, json={}).status_code == 404
    assert api.put(url, headers=vu, json=[1, 2]).status_code == 422


def test_api_objects_register(app, api):
    items = {o["name"]: o for o in
             api.get("/api/v1/objects", headers=api.headers("vu")).get_json()["items"]}
    assert len(items) == 8  # the demo register
    assert items["Trygghetslarm"]["levels"]["availability"] == 4
    assert items["Utbetalningar av försörjningsstöd"]["review_overdue"] is True  # 2024-11-30
    assert items["Verksamhetssystem socialtjänst"]["review_overdue"] is False
    assert api.get("/api/v1/objects").status_code == 401


def test_openapi_describes_the_dossier(api):
    document = api.get("/api/v1/openapi.json").get_json()
    assert "/cases/{case_id}/dossier/benefit" in document["paths"]
    assert "horizon_years" in document["components"]["schemas"]["BenefitCalculation"]["properties"]


# ---------------------------------------------------------------- web pages

def benefit_form_data(**overrides):
    data = {"benefit-horizon_years": "3", "benefit-discount_rate_percent": "3",
            "benefit-hourly_cost_sek": "450", "benefit-costs-0-investment_sek": "150000",
            "benefit-costs-0-running_sek": "30000", "benefit-costs-0-internal_hours": "100",
            "benefit-costs-1-running_sek": "30000", "benefit-costs-2-running_sek": "30000",
            "benefit-benefits-0-description": "Frigjord tid",
            "benefit-benefits-0-category": "reallocation", "benefit-benefits-0-colour": "yellow",
            "benefit-benefits-0-beneficiary": "internal",
            "benefit-benefits-0-amounts_sek-0": "100000", "benefit-benefits-0-amounts_sek-1": "150000",
            "benefit-benefits-0-amounts_sek-2": "150000",
            "benefit-benefits-0-checkpoints-0-months_after_go_live": "6",
            "benefit-benefits-0-checkpoints-0-target": "20 minuter",
            "benefit-benefits-0-checkpoints-1-months_after_go_live": "12",
            "benefit-benefits-0-checkpoints-1-target": "10 minuter",
            "benefit-save": "1"}
    for name in ("how_realised", "who_realises", "when", "follow_up_method", "follow_up_owner",
                 "indicator", "baseline"):
        data[f"benefit-benefits-0-{name}"] = "Svar"
    data.update(overrides)
    return data


def test_developer_fills_in_the_benefit_calculation_in_the_browser_form(app):
    with app.app_context():
        case_id = case_in("refinement").id
    client = login(app.test_client(), "vu")
    page = client.get(f"/cases/{case_id}/dossier").get_data(as_text=True)
    assert "Nyttokalkyl" in page and 'name="benefit-costs-2-running_sek"' in page
    response = client.post(f"/cases/{case_id}/dossier/benefit", data=benefit_form_data())
    assert response.status_code == 302
    page = client.get(f"/cases/{case_id}/dossier").get_data(as_text=True)
    assert "Nyttokalkylen är sparad." in page
    assert re.search(r"285[\s\xa0]000\s*kr", page)  # total cost over the horizon


def test_bad_benefit_form_shows_the_error_beside_the_field(app):
    with app.app_context():
        case_id = case_in("refinement").id
    client = login(app.test_client(), "vu")
    response = client.post(f"/cases/{case_id}/dossier/benefit",
                           data=benefit_form_data(**{"benefit-benefits-0-category": "magic"}))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    error = re.search(r'id="benefit-benefits-0-category-error">([^<]+)<', page)
    assert error and "Välj ett av alternativen." in error.group(1)
    assert "Frigjord tid" in page
    with app.app_context():
        assert db.session.get(type(case_in("draft")), case_id).dossier is None


def test_add_benefit_button_adds_an_empty_benefit(app):
    with app.app_context():
        case_id = case_in("refinement").id
    client = login(app.test_client(), "vu")
    response = client.post(f"/cases/{case_id}/dossier/benefit",
                           data={**benefit_form_data(), "benefit-save": "", "benefit-add_benefit": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Nytta 2" in page
    assert 'name="benefit-benefits-1-amounts_sek-2"' in page


def test_reader_sees_the_dossier_without_forms_and_the_print_summary(app):
    with app.app_context():
        case = case_in("management")
        case_id = case.id
    client = login(app.test_client(), "fchef")
    page = client.get(f"/cases/{case_id}/dossier").get_data(as_text=True)
    assert "Beslutsunderlaget är komplett." in page
    assert 'action="/cases/%d/dossier/benefit' % case_id not in page
    summary = client.get(f"/cases/{case_id}/dossier/print").get_data(as_text=True)
    assert "Beslutssammanfattning" in summary and "Nuvärde" in summary


def test_a_check_dated_beyond_the_configured_thresholds_is_a_problem_not_a_crash(app):
    with app.app_context():
        case = case_in("refinement")
        view = save(case, "procurement", {**PROCUREMENT, "checked_on": "2031-03-01"})
        assert codes(view.sections["procurement"].problems) == ["thresholds_missing"]
        case_id = case.id
    client = login(app.test_client(), "vu")
    page = client.get(f"/cases/{case_id}/dossier")
    assert page.status_code == 200 and "config/procurement.toml" in page.get_data(as_text=True)
    api_body = client.get(f"/cases/{case_id}/dossier/print")
    assert api_body.status_code == 200


def test_whole_dossier_in_the_browser_forms_then_approval(app):
    with app.app_context():
        case = case_in("refinement")
        case_id = case.id
        cases.update_case(user("vu"), case, {"cost_estimate_sek": 285_000,
                                             "direction": {"focus": "efficiency",
                                                           "reach": "internal"}})
    vu = login(app.test_client(), "vu")
    assert vu.post(f"/cases/{case_id}/dossier/benefit", data=benefit_form_data()).status_code == 302
    procurement = {"procurement-estimated_value_sek": "240000", "procurement-kind": "Nyckelskåp",
                   "procurement-chosen_route": "direct_procurement",
                   "procurement-checked_on": "2026-11-01", "procurement-save": "1",
                   "procurement-checklist-it_consulted-answer": "yes",
                   "procurement-checklist-it_consulted-who": "Ahmed Hassan",
                   "procurement-checklist-it_consulted-when": "2026-10-20"}
    for item in ("reuse_considered", "compatibility", "data_ownership", "dpa", "third_country",
                 "security_protection"):
        procurement[f"procurement-checklist-{item}-answer"] = "yes"
    response = vu.post(f"/cases/{case_id}/dossier/procurement", data=procurement)
    assert response.status_code == 302
    page = vu.get(f"/cases/{case_id}/dossier").get_data(as_text=True)
    assert "Fråga 8 saknar svar" in page  # the exit plan is still unanswered
    procurement.update({"procurement-checklist-exit_plan-answer": "not_relevant",
                        "procurement-checklist-exit_plan-motivation": "Ingen data lagras hos leverantören."})
    assert vu.post(f"/cases/{case_id}/dossier/procurement", data=procurement).status_code == 302
    classification = {"classification-information": "Nyckelinnehav per brukare",
                      "classification-levels-confidentiality": "2",
                      "classification-levels-integrity": "2",
                      "classification-levels-availability": "2",
                      "classification-levels-traceability": "1",
                      "classification-personal_data": "y",
                      "classification-risk_of_not_developing": "Nycklar tappas bort.",
                      "classification-save": "1"}
    assert vu.post(f"/cases/{case_id}/dossier/classification", data=classification).status_code == 302
    assert "Beslutsunderlaget är komplett." in vu.get(f"/cases/{case_id}/dossier").get_data(as_text=True)
    assert vu.post(f"/cases/{case_id}/events/to_council", data={}).status_code == 302
    rad = login(app.test_client(), "rad")
    assert rad.post(f"/cases/{case_id}/events/prioritise",
                    data={"prioritise-priority": "high"}).status_code == 302
    fchef = login(app.test_client(), "fchef")
    assert fchef.post(f"/cases/{case_id}/events/approve",
                      data={"approve-comment": "Beslutat inom delegation."}).status_code == 302
    assert "Beslutad" in fchef.get(f"/cases/{case_id}").get_data(as_text=True)


def test_register_page_flags_overdue_reviews(app):
    client = login(app.test_client(), "infosak")
    page = client.get("/objects").get_data(as_text=True)
    row = re.search(r"Utbetalningar av försörjningsstöd.*?</tr>", page, re.S).group(0)
    assert "Översyn försenad" in row
    row = re.search(r"Verksamhetssystem socialtjänst.*?</tr>", page, re.S).group(0)
    assert "Översyn försenad" not in row


def test_case_history_names_the_changed_dossier_fields(app):
    with app.app_context():
        case = case_in("refinement")
        save(case, "benefit", BENEFIT)
        changed = copy.deepcopy(BENEFIT)
        changed["benefits"][0]["indicator"] = "Minuter per pass"
        save(case, "benefit", changed)
        case_id = case.id
    page = login(app.test_client(), "vu").get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Nyttokalkylen ändrades" in page
    # one entry per save, expanding to a before/after table (issue 15)
    text = re.sub(r"<[^>]+>", " ", page)
    assert re.search(r"1 fält ändrades", text)
    assert re.search(r"Nytta 1: Vilken indikator\?\s+Minuter per pass på nycklar\s+"
                     r"Minuter per pass\s", text)


def test_the_history_shows_yes_and_no_never_a_python_value(app):
    """A dossier change of a yes/no field reads "Ja"/"Nej" in the history, never True/False."""
    client = app.test_client()
    with app.test_request_context():
        case = case_in("council")
        case_id = case.id
    login(client, "vu")
    page = re.sub(r"<[^>]+>", " ", client.get(f"/cases/{case_id}").get_data(as_text=True))
    assert re.search(r"Personuppgifter\s+—\s+Ja", page)
    assert not re.search(r"\b(True|False|None)\b", page)
