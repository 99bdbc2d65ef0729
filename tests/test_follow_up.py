"""Benefit follow-up: reporting each checkpoint, closing only when all are reported, and the
planned-against-realised summary (both databases)."""
from __future__ import annotations

import pytest

from helpers import case_in, user
from workflow.services import cases, follow_up
from workflow.services.errors import GuardFailed, NotFound, PermissionDenied, ValidationFailed

REPORT = {"actual_value": "12 minuter", "realised_sek": 90_000, "used_as_intended": "yes"}


def test_close_waits_for_every_checkpoint(ctx):
    case = case_in("follow_up")  # one reallocation benefit, checkpoints at 6 and 12 months
    assert follow_up.unreported_count(case) == 2
    with pytest.raises(GuardFailed) as info:
        cases.fire(case, "close", user("vu"), {})
    assert info.value.reasons == ["2 uppföljningstillfällen för nyttan är inte rapporterade."]
    follow_up.report(user("vu"), case, 1, 6, REPORT)
    follow_up.report(user("fchef"), case, 1, 12, {**REPORT, "realised_sek": 140_000,
                                                   "used_as_intended": "partly"})
    cases.fire(case, "close", user("vu"), {"comment": "Nyttan realiserad."})
    assert case.state == "closed"


def test_realisation_summary_planned_against_realised(ctx):
    case = case_in("follow_up")
    follow_up.report(user("vu"), case, 1, 6, REPORT)
    summary = follow_up.realisation(case)
    # planned: mean of 100 000, 150 000 and 150 000 kr = 133 333 kr per year (yellow,
    # reallocation); realised: the latest report, 90 000 kr
    assert summary.by_colour == {"yellow": (133_333, 90_000)}
    assert summary.by_category == {"reallocation": (133_333, 90_000)}
    assert (summary.reported, summary.checkpoints, summary.used) == (1, 2, {"yes": 1})


def test_corrections_keep_what_was_reported_before(ctx):
    case = case_in("follow_up")
    follow_up.report(user("vu"), case, 1, 6, REPORT)
    follow_up.report(user("vu"), case, 1, 6, {**REPORT, "actual_value": "10 minuter"})
    entry = case.history[-1]
    assert entry.event == "benefit_reported"
    assert entry.data["before"]["actual_value"] == "12 minuter"
    assert entry.data["after"]["actual_value"] == "10 minuter"


def test_reporting_rules(ctx):
    case = case_in("follow_up")
    with pytest.raises(PermissionDenied):
        follow_up.report(user("rad"), case, 1, 6, REPORT)
    with pytest.raises(NotFound):
        follow_up.report(user("vu"), case, 1, 9, REPORT)
    with pytest.raises(ValidationFailed) as info:
        follow_up.report(user("vu"), case, 1, 6, {"actual_value": "", "realised_sek": -1,
                                                  "used_as_intended": "kanske"})
    assert set(info.value.field_errors) == {"actual_value", "realised_sek", "used_as_intended"}
    assert follow_up.unreported_count(case) == 2
    implementing = case_in("implementation")
    with pytest.raises(PermissionDenied):
        follow_up.report(user("vu"), implementing, 1, 6, REPORT)


def test_follow_up_tab_in_the_browser(app):
    with app.app_context():
        case_id = case_in("follow_up").id
    client = app.test_client()
    client.post("/login", data={"username": "vu", "password": "demo"})
    page = client.get(f"/cases/{case_id}/follow-up").get_data(as_text=True)
    assert "Minuter per pass på nycklar" in page and "0 av 2" in page
    response = client.post(f"/cases/{case_id}/follow-up/1/6", data={
        "b1m6-actual_value": "15 minuter", "b1m6-realised_sek": "80000",
        "b1m6-used_as_intended": "partly", "b1m6-comment": "Två distrikt kvar."})
    assert response.status_code == 302
    page = client.get(f"/cases/{case_id}/follow-up").get_data(as_text=True)
    assert "1 av 2" in page and "15 minuter" in page


def test_implementation_plan_and_actual_cost_are_recorded(ctx):
    case = case_in("implementation")
    cases.update_case(user("vu"), case, {"planned_go_live": "2027-03-01",
                                         "actual_cost_sek": 260_000})
    assert case.planned_go_live.isoformat() == "2027-03-01" and case.actual_cost_sek == 260_000
    assert case.history[-1].data["changes"]["actual_cost_sek"] == {"before": None,
                                                                    "after": 260_000}
    with pytest.raises(ValidationFailed):
        cases.update_case(user("vu"), case, {"planned_go_live": "snart"})
    with pytest.raises(PermissionDenied):
        cases.update_case(user("rad"), case, {"actual_cost_sek": 1})
