"""Benefit follow-up (docs/follow-up.md): reporting each checkpoint, closing only when all are
reported and the efterkalkyl is given, the planned-against-realised summary (both databases),
and the pure rules of due days and the plan's year."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from helpers import BENEFIT, api_headers, case_in, user
from workflow.cases import service as cases
from workflow.follow_up import service as follow_up
from workflow.platform.errors import GuardFailed, NotFound, PermissionDenied, ValidationFailed
from workflow.states.guards import Facts, go_live_date_given

REPORT = {"actual_value": "12 minuter", "realised_sek": 90_000, "used_as_intended": "yes"}


def test_close_waits_for_every_checkpoint(ctx):
    case = case_in("follow_up")  # one reallocation benefit, checkpoints at 6 and 12 months
    assert follow_up.unreported_count(case) == 2
    with pytest.raises(GuardFailed) as info:
        cases.fire(case, "close", user("vu"), {})
    assert info.value.reasons == ["2 uppföljningstillfällen för nyttan är inte rapporterade.",
                                  "Ange den faktiska kostnaden (efterkalkyl) innan ärendet "
                                  "avslutas."]
    follow_up.report(user("vu"), case, 1, 6, REPORT)
    follow_up.report(user("fchef"), case, 1, 12, {**REPORT, "realised_sek": 140_000,
                                                   "used_as_intended": "partly"})
    with pytest.raises(GuardFailed) as info:  # the efterkalkyl is still missing
        cases.fire(case, "close", user("vu"), {"comment": "Nyttan realiserad."})
    assert [f.code for f in info.value.failures] == ["actual_cost_missing"]
    cases.fire(case, "close", user("vu"), {"comment": "Nyttan realiserad.", "actual_cost_sek": 0})
    assert case.state == "closed" and case.actual_cost_sek == 0  # 0 kr is an answer


def test_realisation_summary_planned_against_realised(ctx):
    case = case_in("follow_up")
    follow_up.report(user("vu"), case, 1, 6, REPORT)
    summary = follow_up.realisation(case)
    # planned: the calculation's amount for the year the 6-month checkpoint falls in. The
    # test case was decided today and went live 2025-06-01, so both checkpoints fall before
    # the decision, in year 1: 100 000 kr (not the mean 133 333 of 100 000, 150 000 and
    # 150 000); realised: the latest report, 90 000 kr
    assert summary.by_colour == {"yellow": (100_000, 90_000)}
    assert summary.by_category == {"reallocation": (100_000, 90_000)}
    assert (summary.reported, summary.checkpoints, summary.used) == (1, 2, {"yes": 1})
    assert summary.years == (1,)


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


# ---------------------------------------------------------------- the rules as plain functions

def checkpoint(due):
    return follow_up.Checkpoint(benefit_number=1, description="", colour="yellow",
                                category="reallocation", indicator="", baseline="", months=6,
                                target="", due=due, report=None)


def test_a_checkpoint_is_reported_from_its_due_day_not_before():
    """DIGG's Vägledning i nyttorealisering (docs/follow-up.md): a benefit is followed up
    when the checkpoint has come; what it came to cannot be known before."""
    due = date(2026, 12, 1)
    follow_up._check_due(checkpoint(due), today=due)  # due today: accepted
    follow_up._check_due(checkpoint(due), today=due + timedelta(days=30))
    with pytest.raises(GuardFailed) as info:
        follow_up._check_due(checkpoint(due), today=due - timedelta(days=1))
    assert [(f.code, f.params) for f in info.value.failures] == [
        ("checkpoint_not_due", {"months": 6, "due": "2026-12-01"})]
    with pytest.raises(GuardFailed) as info:  # no go-live recorded: nothing is due
        follow_up._check_due(checkpoint(None), today=due)
    assert info.value.failures[0].code == "go_live_missing"


def test_go_live_may_be_today_but_not_tomorrow():
    """docs/follow-up.md: follow-up counts from a go-live that has happened."""
    today = date(2026, 12, 6)

    def codes(day):
        return [f.code for f in go_live_date_given(Facts(today=today,
                                                         values={"go_live_date": day}))]

    assert codes(today) == [] and codes(date(2025, 6, 1)) == []
    assert codes(today + timedelta(days=1)) == ["go_live_in_future"]
    assert codes(None) == ["go_live_date_missing"]


@pytest.mark.parametrize("day, year", [
    (date(2025, 1, 15), 1),   # the decision day itself
    (date(2024, 12, 1), 1),   # before the decision (a go-live recorded earlier): year 1
    (date(2026, 1, 15), 1),   # exactly twelve months: reports on year 1
    (date(2026, 1, 16), 2),
    (date(2027, 1, 15), 2),
    (date(2027, 1, 16), 3),
    (None, 1),
])
def test_the_year_of_the_plan_a_checkpoint_reports_on(day, year):
    """docs/follow-up.md, "Planerat per år": year 1 is the twelve months from the decision."""
    assert follow_up.plan_year(date(2025, 1, 15), day) == year


def test_a_decision_on_29_february_counts_years_to_28_february():
    assert follow_up.plan_year(date(2024, 2, 29), date(2025, 2, 28)) == 1
    assert follow_up.plan_year(date(2024, 2, 29), date(2025, 3, 1)) == 2


def test_planned_per_year_is_that_years_amount_not_the_mean():
    """Inera's nyttokalkyl plans each year on its own (docs/follow-up.md): a benefit planned at
    100 000, 150 000 and 150 000 kr is compared with 150 000 kr in year 2, not with 133 333."""
    assert [follow_up.planned_for_year([100_000, 150_000, 150_000], year)
            for year in (1, 2, 3, 4)] == [100_000, 150_000, 150_000, 0]
    decided, go_live = date(2025, 1, 15), date(2025, 6, 1)
    # 6 months after go-live (2025-12-01) is in year 1, 12 months (2026-06-01) in year 2.
    assert follow_up.planned_and_realised(BENEFIT, {(1, 6): 90_000}, go_live, decided) == (
        100_000, 90_000)
    assert follow_up.planned_and_realised(
        BENEFIT, {(1, 6): 90_000, (1, 12): 140_000}, go_live, decided) == (150_000, 140_000)
    # Nothing reported yet: the plan of the first checkpoint's year, nothing realised.
    assert follow_up.planned_and_realised(BENEFIT, {}, go_live, decided) == (100_000, 0)
    # Without a recorded decision the plan counts from go-live.
    assert follow_up.planned_and_realised(BENEFIT, {(1, 12): 140_000}, go_live, None) == (
        100_000, 140_000)


# ---------------------------------------------------------------- through the web and the API

def test_go_live_and_early_reports_are_refused_with_a_reason(app):
    """docs/follow-up.md: go-live not in the future; a checkpoint not before its due day, in
    the organisation's local date; the API answers 409 with the reason in the asked language."""
    with app.app_context():
        case_id = case_in("implementation").id
        today = follow_up.local_today()
    client = app.test_client()
    vu = api_headers(client, "vu")
    tomorrow = (today + timedelta(days=1)).isoformat()
    client.post("/login", data={"username": "vu", "password": "demo"})
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert f'max="{today.isoformat()}"' in page  # the date input offers no later day
    refused = client.post(f"/api/v1/cases/{case_id}/events", headers=vu,
                          json={"event": "go_live", "go_live_date": tomorrow})
    assert refused.status_code == 409
    assert refused.get_json()["reasons"] == [
        f"Driftstarten {tomorrow} ligger i framtiden. Registrera driftstart när lösningen har "
        "tagits i bruk."]
    english = client.post(f"/api/v1/cases/{case_id}/events",
                          headers={**vu, "Accept-Language": "en"},
                          json={"event": "go_live", "go_live_date": tomorrow})
    assert "in the future" in english.get_json()["reasons"][0]
    done = client.post(f"/api/v1/cases/{case_id}/events", headers=vu,
                       json={"event": "go_live", "go_live_date": today.isoformat()})
    assert done.status_code == 200 and done.get_json()["state"] == "follow_up"
    overview = client.get(f"/api/v1/cases/{case_id}/follow-up", headers=vu).get_json()
    first = overview["checkpoints"][0]
    assert (first["months"], first["due_now"], first["report"]) == (6, False, None)
    early = client.put(f"/api/v1/cases/{case_id}/follow-up/1/6", headers=vu, json=REPORT)
    assert early.status_code == 409
    assert early.get_json()["reasons"] == [
        f"Uppföljningen 6 månader efter driftstart kan rapporteras från och med {first['due']}, "
        "inte före."]
    page = client.get(f"/cases/{case_id}/follow-up").get_data(as_text=True)
    assert 'data-flag="not-due"' in page and 'name="b1m6-actual_value"' not in page
    with app.app_context():  # the due day begins at local midnight (Europe/Stockholm)
        case = cases.get_case(user("vu"), case_id)
        midnight = datetime.combine(date.fromisoformat(first["due"]), datetime.min.time(),
                                    ZoneInfo("Europe/Stockholm")).astimezone(timezone.utc)
        with pytest.raises(GuardFailed):
            follow_up.report(user("vu"), case, 1, 6, REPORT, now=midnight - timedelta(minutes=1))
        follow_up.report(user("vu"), case, 1, 6, REPORT, now=midnight)
        assert follow_up.unreported_count(case) == 1


def test_follow_up_api_reads_and_reports_like_the_form(app):
    with app.app_context():
        case_id = case_in("follow_up").id  # decided today, went live 2025-06-01: both due
    client = app.test_client()
    vu = api_headers(client, "vu")
    overview = client.get(f"/api/v1/cases/{case_id}/follow-up", headers=vu)
    assert overview.status_code == 200
    body = overview.get_json()
    assert body["go_live_date"] == "2025-06-01" and body["can_report"] is True
    assert [(p["months"], p["due"], p["due_now"], p["year"], p["planned_sek"])
            for p in body["checkpoints"]] == [(6, "2025-12-01", True, 1, 100_000),
                                              (12, "2026-06-01", True, 1, 100_000)]
    assert body["costs"] == {"planned_yearly_sek": [225_000, 30_000, 30_000],
                             "planned_total_sek": 285_000, "actual_sek": None,
                             "difference_sek": None}
    saved = client.put(f"/api/v1/cases/{case_id}/follow-up/1/6", headers=vu,
                       json={**REPORT, "comment": "Två distrikt kvar."})
    assert saved.status_code == 200
    assert saved.get_json()["report"]["realised_sek"] == 90_000
    summary = client.get(f"/api/v1/cases/{case_id}/follow-up", headers=vu).get_json()["summary"]
    assert (summary["reported"], summary["planned_sek"], summary["realised_sek"]) == (
        1, 100_000, 90_000)
    bad = client.put(f"/api/v1/cases/{case_id}/follow-up/1/6", headers=vu,
                     json={**REPORT, "used_as_intended": "kanske", "extra": 1})
    assert bad.status_code == 422 and set(bad.get_json()["fields"]) == {"extra"}
    assert client.put(f"/api/v1/cases/{case_id}/follow-up/1/9", headers=vu,
                      json=REPORT).status_code == 404
    council = api_headers(client, "rad")
    assert client.put(f"/api/v1/cases/{case_id}/follow-up/1/12", headers=council,
                      json=REPORT).status_code == 403
    outsider = api_headers(client, "lars")  # another unit's medarbetare: cannot see the case
    assert client.get(f"/api/v1/cases/{case_id}/follow-up", headers=outsider).status_code == 404


def test_the_efterkalkyl_is_shown_beside_the_calculation(app):
    """docs/follow-up.md, "Efterkalkyl": the actual cost beside the calculation's total."""
    with app.app_context():
        case = case_in("follow_up")
        case_id = case.id
        follow_up.report(user("vu"), case, 1, 6, REPORT)
        follow_up.report(user("vu"), case, 1, 12, REPORT)
    client = app.test_client()
    client.post("/login", data={"username": "vu", "password": "demo"})
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert 'name="close-actual_cost_sek"' in page  # the close form asks for the actual cost
    response = client.post(f"/cases/{case_id}/events/close", data={
        "close-actual_cost_sek": "310000", "close-comment": "Klart."})
    assert response.status_code == 302
    follow = client.get(f"/cases/{case_id}/follow-up").get_data(as_text=True)
    assert 'data-difference="25000"' in follow  # 310 000 − 285 000 kr
    page = client.get(f"/cases/{case_id}").get_data(as_text=True).replace("\xa0", " ")
    assert "310 000 kr" in page and "285 000 kr" in page and "25 000 kr" in page
