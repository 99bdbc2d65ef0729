"""The delegationsordning decides who may approve, and every decision taken on delegation is
listed for the nämnd (docs/delegation.md: kommunallagen (2017:725) 6 kap. 37–38 §§ and
7 kap. 8 §; prisbasbelopp, socialförsäkringsbalken 2 kap. 6–7 §§)."""
from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from helpers import (
    PROCUREMENT,
    admin_log_actions,
    api_headers,
    case_in,
    drive,
    login,
    statements_run,
    unit,
    user,
)
from workflow.cases import service as cases
from workflow.delegation import service as delegation
from workflow.models import CaseEvent, DelegationOrder
from workflow.platform.errors import GuardFailed, ValidationFailed
from workflow.platform.extensions import db
from workflow.states.delegation import CaseFigures, DelegationPoint, amount_judged, decide

# ---------------------------------------------------------------- the rules, without a server

FCHEF = DelegationPoint("4.2", "Investering i IT-stöd", "forvaltningschef", limit_sek=500_000,
                        conditions=("not_political",))
AVD = DelegationPoint("4.1", "Mindre inköp", "avdelningschef", limit_pbb=Decimal("2"),
                      conditions=("not_political", "no_sensitive_information"))
NAMND = DelegationPoint("4.3", "Övriga investeringar", "namnd")
ORDER = (AVD, FCHEF, NAMND)
PBB_2025 = 58_800


def test_the_amount_judged_is_the_larger_of_total_cost_and_contract_value():
    """A 2 500 000 kr contract is judged as such, whatever the calculation says."""
    figures = CaseFigures(total_cost_sek=285_000, contract_value_sek=2_500_000,
                          cost_estimate_sek=100_000, has_dossier=True)
    assert amount_judged(figures) == (2_500_000, "contract_value")
    verdict = decide(ORDER, figures, PBB_2025, 2025)
    assert verdict.point is None
    assert [f.code for f in verdict.failures] == ["over_delegation_limit"]
    assert verdict.failures[0].params["amount"] == 2_500_000


def test_the_early_estimate_counts_only_while_there_is_no_dossier():
    assert amount_judged(CaseFigures(cost_estimate_sek=90_000)) == (90_000, "estimate")
    assert amount_judged(CaseFigures(cost_estimate_sek=90_000, has_dossier=True)) == (None, None)
    refused = decide(ORDER, CaseFigures(cost_estimate_sek=90_000, has_dossier=True), PBB_2025, 2025)
    assert [f.code for f in refused.failures] == ["cost_missing"]


@pytest.mark.parametrize("amount, point", [
    (117_600, "4.1"),   # exactly 2 prisbasbelopp 2025: the lowest point covers it
    (117_601, "4.2"),   # one krona more: the förvaltningschef's point
    (500_000, "4.2"),   # the limit itself is within delegation ("högst")
    (500_001, None),    # one krona over: to the nämnd
])
def test_limits_in_kronor_and_prisbasbelopp_at_their_boundaries(amount, point):
    verdict = decide(ORDER, CaseFigures(total_cost_sek=amount, has_dossier=True), PBB_2025, 2025)
    assert (verdict.point.number if verdict.point else None) == point
    assert verdict.within is (point is not None)


def test_conditions_send_political_and_sensitive_cases_past_a_point():
    sensitive = CaseFigures(total_cost_sek=50_000, has_dossier=True, personal_data_level=3)
    assert decide(ORDER, sensitive, PBB_2025, 2025).point == FCHEF
    level_two = CaseFigures(total_cost_sek=50_000, has_dossier=True, personal_data_level=2)
    assert decide(ORDER, level_two, PBB_2025, 2025).point == AVD
    political = decide(ORDER, CaseFigures(total_cost_sek=50_000, has_dossier=True,
                                          political_origin=True), PBB_2025, 2025)
    assert [f.code for f in political.failures] == ["delegation_condition_not_political"]


def test_a_missing_prisbasbelopp_refuses_rather_than_guesses():
    only_pbb = (AVD, NAMND)
    verdict = decide(only_pbb, CaseFigures(total_cost_sek=10_000, has_dossier=True), None, 2031)
    assert [f.code for f in verdict.failures] == ["prisbasbelopp_missing"]
    assert verdict.failures[0].params == {"year": 2031}
    # a point in kronor still carries the decision without it
    assert decide(ORDER, CaseFigures(total_cost_sek=10_000, has_dossier=True), None,
                  2031).point == FCHEF


def test_points_of_the_namnd_never_carry_a_decision_on_delegation():
    verdict = decide((NAMND,), CaseFigures(total_cost_sek=1, has_dossier=True), PBB_2025, 2025)
    assert [f.code for f in verdict.failures] == ["no_delegation_point"]


# ---------------------------------------------------------------- the service and the pages

CONTRACT_2_5M = {**PROCUREMENT, "estimated_value_sek": 2_500_000, "chosen_route": "eu_procedure",
                 "kind": ""}


def test_a_large_contract_cannot_be_approved_under_a_small_limit(app):
    """The case from the issue: a 2 500 000 kr contract approved under a 500 000 kr limit."""
    client = app.test_client()
    with app.test_request_context():
        case = case_in("council")
        cases.fire(case, "return", user("rad"), {"comment": "Kontraktsvärdet är fel."})
        drive(case, [("dossier", "vu", ("procurement", CONTRACT_2_5M)),
                     ("to_council", "vu", {}), ("prioritise", "rad", {"priority": "high"})])
        case_id, version = case.id, case.version
        with pytest.raises(GuardFailed) as refused:
            cases.fire(case, "approve", user("fchef"), {})
        assert [f.code for f in refused.value.failures] == ["over_delegation_limit"]
    headers = api_headers(client, "fchef")
    answer = client.post(f"/api/v1/cases/{case_id}/events", headers=headers,
                         json={"event": "approve"})
    assert answer.status_code == 409
    reason = answer.get_json()["reasons"][0].replace("\xa0", " ")
    assert "2 500 000" in reason and "upphandlingens kontraktsvärde" in reason
    english = client.post(f"/api/v1/cases/{case_id}/events", json={"event": "approve"},
                          headers={**headers, "Accept-Language": "en"})
    assert "contract value" in english.get_json()["reasons"][0]
    login(client, "fchef")
    page = client.post(f"/cases/{case_id}/events/approve", data={})
    assert page.status_code == 409
    assert "ska lyftas till nämnden" in page.get_data(as_text=True)
    with app.app_context():
        case = cases.get_case(user("fchef"), case_id)
        assert (case.state, case.version) == ("management", version)


def test_a_decision_records_its_point_and_reaches_the_anmalan(app):
    client = app.test_client()
    with app.test_request_context():
        case = case_in("approved")
        case_id = case.id
        entry = db.session.scalar(select(CaseEvent).where(CaseEvent.case_id == case.id,
                                                          CaseEvent.event == "approve"))
        assert entry.data["delegation"] == {
            "point": "4.2", "title": "Beslut om investering i IT-stöd och digitala tjänster "
            "inom förvaltningens budget", "decider": "forvaltningschef", "limit_sek": 500_000,
            "limit_pbb": None, "amount_sek": 285_000, "basis": "total_cost",
            "order_version": 1, "prisbasbelopp_sek": None}
        social = unit().department.id
    query = f"department_id={social}&from=2000-01-01&to=2100-12-31"
    login(client, "namnd")
    history = client.get(f"/cases/{case_id}").get_data(as_text=True).replace("\xa0", " ")
    assert "punkt 4.2, Beslut om investering" in history and "prövat belopp 285 000 kr" in history
    assert "{&#39;point" not in history and "{'point" not in history
    page = client.get(f"/delegation/anmalan?{query}").get_data(as_text=True)
    assert f"Nr {case_id}" in page and "4.2" in page and "Karin Gustafsson" in page
    rows = list(csv.reader(io.StringIO(
        client.get(f"/delegation/anmalan.csv?{query}").data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:2] == ["Ärende", "Diarienummer"]
    assert rows[1][0] == str(case_id) and rows[1][5] == "4.2" and rows[1][7] == "285000"
    pdf = client.get(f"/delegation/anmalan.pdf?{query}")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    bad = client.get(f"/delegation/anmalan?department_id={social}&from=2026-02-01&to=2026-01-01")
    assert bad.status_code == 422 and "Slutdatumet ligger före startdatumet" in bad.get_data(
        as_text=True)
    listed = client.get(f"/api/v1/delegation/decisions?{query}",
                        headers=api_headers(client, "namnd"))
    assert [item["case_id"] for item in listed.get_json()["items"]] == [case_id]
    assert listed.get_json()["items"][0]["decider_label"] == "Förvaltningschef"
    # Staff do not read the anmälan; the page and the API say so without listing anything.
    login(client, "medarbetare")
    assert client.get(f"/delegation/anmalan?{query}").status_code == 403
    assert client.get(f"/api/v1/delegation/decisions?{query}",
                      headers=api_headers(client, "medarbetare")).status_code == 404


def test_the_administrator_edits_the_order_in_the_browser_as_new_versions(app):
    client = app.test_client()
    login(client, "admin")
    with app.app_context():
        social = unit().department.id
    url = f"/admin/delegation/{social}"
    form = client.get(url).get_data(as_text=True)
    assert "4.2" in form and 'name="points-0-number"' in form
    rows = {"row_count": "3", "valid_from": "2026-02-01",
            "adopted_by": "Socialnämnden 2026-01-28 § 12",
            "points-0-number": "4.1", "points-0-title": "Investering i IT-stöd",
            "points-0-decider": "forvaltningschef", "points-0-limit_sek": "",
            "points-0-limit_pbb": "10", "points-0-conditions": "not_political",
            "points-1-number": "4.1", "points-1-title": "Dubblett",
            "points-1-decider": "avdelningschef", "points-1-limit_sek": "100000",
            "points-2-number": "", "points-2-title": ""}
    refused = client.post(url, data=rows)
    assert refused.status_code == 422
    assert "Rad 2: Två punkter har samma nummer." in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DelegationOrder)) == 1
    rows["points-1-number"] = "4.0"
    assert client.post(url, data=rows).status_code == 302
    with app.test_request_context():
        order = delegation.order_on(unit().department, delegation.local_today())
        assert order.version == 2 and order.adopted_by == "Socialnämnden 2026-01-28 § 12"
        assert [(p["number"], p["limit_pbb"], p["limit_sek"]) for p in order.points] == [
            ("4.1", "10", None), ("4.0", None, 100_000)]
        assert "delegation_order.save" in admin_log_actions()
    # Everyone in the region reads the order in force; 10 prisbasbelopp 2026 = 592 000 kr.
    login(client, "medarbetare")
    shown = client.get(f"/delegation/{social}").get_data(as_text=True).replace("\xa0", " ")
    assert "10 prisbasbelopp" in shown and "592 000" in shown


def test_the_api_twins_of_the_order_and_the_prisbasbelopp(app):
    client = app.test_client()
    headers = api_headers(client, "admin")
    with app.app_context():
        social = unit().department.id
    bad = client.post(f"/api/v1/admin/departments/{social}/delegation-orders", headers=headers,
                      json={"valid_from": "2026-13-01", "adopted_by": "",
                            "points": [{"number": "1", "title": "T", "decider": "kung",
                                        "limit_sek": 5}]})
    assert bad.status_code == 422
    assert set(bad.get_json()["fields"]) == {"valid_from", "adopted_by", "points.0.decider"}
    saved = client.post(f"/api/v1/admin/departments/{social}/delegation-orders",
                        headers=headers, json={
                            "valid_from": "2026-03-01", "adopted_by": "SN § 3",
                            "points": [{"number": "1", "title": "T", "decider": "avdelningschef",
                                        "limit_pbb": "2.5"}]})
    assert saved.status_code == 201 and saved.get_json()["version"] == 2
    current = client.get(f"/api/v1/departments/{social}/delegation-order", headers=headers)
    assert current.get_json()["order"]["points"][0]["limit_in_sek"] == 148_000  # 2,5 × 59 200
    year = client.put("/api/v1/admin/prisbasbelopp/2027", headers=headers,
                      json={"amount_sek": 60_000, "source": "Förordning om prisbasbelopp 2027"})
    assert year.status_code == 200 and year.get_json()["stored"] is True
    assert client.put("/api/v1/admin/prisbasbelopp/2027", headers=headers,
                      json={"amount_sek": "sextio"}).status_code == 422
    with app.app_context():
        assert delegation.prisbasbelopp(2027).amount_sek == 60_000
        assert admin_log_actions().count("prisbasbelopp.set") == 1
        with pytest.raises(ValidationFailed):
            delegation.set_prisbasbelopp(user("admin"), {"year": 1999, "amount_sek": 1,
                                                         "source": ""})
    assert client.post(f"/api/v1/admin/departments/{social}/delegation-orders", json={},
                       headers=api_headers(client, "fchef")).status_code == 403


def test_the_facts_an_approval_reads_the_order_in_force_and_the_years_prisbasbelopp(app):
    """``facts_for`` (one statement): no order in force (none before its first day); the
    version in force on a day; the prisbasbelopp from config/prisbasbelopp.toml, an amount
    added in the browser instead of it, and none for a year neither has."""
    with app.test_request_context():
        department = unit().department
        first = delegation.order_on(department, delegation.local_today())
        before_any = delegation.facts_for(department, first.valid_from.replace(year=2001))
        assert before_any["delegation_points"] is None and before_any["_order_version"] is None
        in_force = delegation.facts_for(department, date(2026, 6, 1))
        assert in_force["_order_version"] == first.version
        assert [p.number for p in in_force["delegation_points"]] == [
            p["number"] for p in first.points]
        assert in_force["prisbasbelopp_sek"] == 59_200  # the file's 2026
        delegation.set_prisbasbelopp(user("admin"), {
            "year": 2026, "amount_sek": 60_000, "source": "Rättad förordning"})
        assert delegation.facts_for(department, date(2026, 6, 1))["prisbasbelopp_sek"] == 60_000
        assert delegation.facts_for(department, date(2031, 6, 1))["prisbasbelopp_sek"] is None


def test_an_approval_reads_the_dossier_with_the_delegation_facts(ctx):
    """``facts_for(dossier_of=case)``: the case's dossier comes with the facts in the same
    statement and is the case's own (no second read when the gates look at it); a case with
    no dossier gets none; a case that has read its dossier already is not read again."""
    department = unit().department
    with_dossier = case_in("council")
    without = case_in("apt")
    for case in (with_dossier, without):
        db.session.expire(case, ["dossier"])
        with statements_run(db.engine) as statements:
            facts = delegation.facts_for(department, date(2026, 6, 1), dossier_of=case)
            dossier = case.dossier
        reads = [s for s in statements if "dossiers" in s or "delegation_orders" in s]
        assert len(reads) == 1 and "dossiers" in reads[0] and "delegation_orders" in reads[0]
        assert facts["prisbasbelopp_sek"] == 59_200
        assert (dossier is not None) is (case is with_dossier)
    assert with_dossier.dossier.case_id == with_dossier.id
    with statements_run(db.engine) as statements:
        delegation.facts_for(department, date(2026, 6, 1), dossier_of=with_dossier)
    reads = [s for s in statements if "dossiers" in s or "delegation_orders" in s]
    assert len(reads) == 1 and "dossiers" not in reads[0]
