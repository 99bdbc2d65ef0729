"""Organisation administration: förvaltningar and units through the pages and the API,
closing without losing cases, per-förvaltning settings read where the file defaults were,
Swedish validation, the admin log and the admin-only rule (both databases)."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, select

from helpers import (
    BENEFIT,
    IDEA,
    NORR,
    admin_log_actions,
    api_headers,
    case_in,
    login,
    unit,
    user,
)
from workflow.cases import service as cases
from workflow.council import service as scoring
from workflow.dossier import service as dossier
from workflow.meetings import service as meetings
from workflow.models import AdminLogEntry, Case, DelegationOrder, Department, Unit
from workflow.organisation import admin as admin_organisation
from workflow.organisation import service as organisation
from workflow.platform.errors import GuardFailed, InvalidState, ValidationFailed
from workflow.platform.extensions import db
from workflow.portfolio import service as portfolio
from workflow.portfolio.service import Filters

SOCIAL = "Socialförvaltningen"
BASE = "/admin/organisation"
API = "/api/v1/admin"


def department(name: str = SOCIAL) -> Department:
    return db.session.scalar(select(Department).where(Department.name == name))




@pytest.fixture
def api(app):
    client = app.test_client()

    client.token = lambda username: api_headers(client, username)
    return client


def settings_form(**overrides) -> dict[str, str]:
    """The förvaltning page's form as the browser sends it, every setting empty."""
    data = {"name": SOCIAL, "committee_name": "Socialnämnden", "council_name": "",
            "management_group_name": "", "delegation_limit_sek": "", "yearly_budget_sek": "",
            "yearly_hours": "", "hourly_cost_sek": "", "discount_rate_percent": "",
            **{q: "" for q in admin_organisation.QUADRANTS}}
    data.update(overrides)
    return data


# ---------------------------------------------------------------- the pages


def test_create_rename_move_close_and_reopen_in_the_browser(app, admin_client):
    page = admin_client.get(f"{BASE}/").get_data(as_text=True)
    assert SOCIAL in page and NORR in page and "Ny förvaltning" in page

    response = admin_client.post(f"{BASE}/departments", data={"department-name": " Kultur "})
    assert response.status_code == 302
    with app.app_context():
        culture = department("Kultur")
        assert culture is not None and culture.units == []
        culture_id, social_id = culture.id, department().id

    response = admin_client.post(f"{BASE}/units", data={"unit-name": "Biblioteket",
                                                        "unit-department_id": culture_id})
    assert response.status_code == 302
    with app.app_context():
        library_id = unit("Biblioteket").id

    response = admin_client.post(f"{BASE}/departments/{culture_id}", data=settings_form(
        name="Kulturförvaltningen", committee_name="Kulturnämnden",
        council_name="Kulturrådet"))
    assert response.status_code == 302
    response = admin_client.post(f"{BASE}/units/{library_id}",
                                 data={"name": "Almedalsbiblioteket", "department_id": social_id})
    assert response.status_code == 302
    with app.app_context():
        moved = db.session.get(Unit, library_id)
        assert (moved.name, moved.department.name) == ("Almedalsbiblioteket", SOCIAL)
        renamed = db.session.get(Department, culture_id)
        assert (renamed.name, renamed.committee_name, renamed.council_name) == (
            "Kulturförvaltningen", "Kulturnämnden", "Kulturrådet")

    confirm = admin_client.get(f"{BASE}/units/{library_id}/close").get_data(as_text=True)
    assert "Det finns inga öppna ärenden här." in confirm
    assert admin_client.post(f"{BASE}/units/{library_id}/close").status_code == 302
    unit_page = admin_client.get(f"{BASE}/units/{library_id}").get_data(as_text=True)
    assert "Öppna enheten igen" in unit_page
    assert admin_client.post(f"{BASE}/units/{library_id}/reopen").status_code == 302
    with app.app_context():
        assert not db.session.get(Unit, library_id).is_closed
        assert admin_log_actions() == ["department.create", "unit.create", "department.rename",
                                 "department.forums", "unit.rename", "unit.move", "unit.close",
                                 "unit.reopen"]


def test_closing_with_open_cases_warns_and_keeps_them_readable(app, admin_client):
    with app.app_context():
        case_id = case_in("refinement").id
        norr_id, social_id = unit().id, department().id

    confirm = admin_client.get(f"{BASE}/units/{norr_id}/close").get_data(as_text=True)
    assert "Öppna ärenden här: 1." in confirm
    assert admin_client.post(f"{BASE}/units/{norr_id}/close").status_code == 302
    tree = admin_client.get(f"{BASE}/").get_data(as_text=True)
    assert "stängd" in tree

    vu = app.test_client()
    login(vu, "vu")
    case_page = vu.get(f"/cases/{case_id}")
    assert case_page.status_code == 200
    assert f"{NORR} (stängd), {SOCIAL}" in case_page.get_data(as_text=True)
    assert f"{NORR} (stängd)" in vu.get("/cases").get_data(as_text=True)

    # Closing the förvaltning closes its other units too; the case stays visible.
    confirm = admin_client.get(f"{BASE}/departments/{social_id}/close").get_data(as_text=True)
    assert "Öppna ärenden här: 1." in confirm
    assert admin_client.post(f"{BASE}/departments/{social_id}/close").status_code == 302
    with app.app_context():
        assert all(u.is_closed for u in department().units)
        assert db.session.get(Case, case_id).state == "refinement"
    page = vu.get(f"/cases/{case_id}").get_data(as_text=True)
    assert f"{NORR} (stängd), {SOCIAL} (stängd)" in page

    # Reopening the förvaltning reopens the units closed with it, not the one closed before.
    assert admin_client.post(f"{BASE}/departments/{social_id}/reopen").status_code == 302
    with app.app_context():
        closed = [u.name for u in department().units if u.is_closed]
        assert closed == [NORR]
    assert admin_client.post(f"{BASE}/units/{norr_id}/reopen").status_code == 302
    with app.app_context():
        assert not unit().is_closed


def test_a_closed_unit_is_not_offered_for_new_ideas_or_meetings(app, api):
    with app.app_context():
        norr = unit()
        admin_organisation.close_unit(user("admin"), norr)
        norr_id, social_id = norr.id, department().id
        assert NORR not in {u.name for u in organisation.units_in_region(user("medarbetare"))}
        assert NORR in {u.name for u in organisation.units_in_region(user("medarbetare"),
                                                                     include_closed=True)}

    browser = app.test_client()
    login(browser, "medarbetare")
    form = browser.get("/ideas/new").get_data(as_text=True)
    assert "Hemtjänst Visby söder" in form and NORR not in form
    response = browser.post("/ideas/new", data={**IDEA, "unit_id": norr_id, "submit": "1"})
    assert response.status_code == 422

    headers = api.token("medarbetare")
    units = api.get("/api/v1/units", headers=headers).get_json()["items"]
    assert NORR not in {u["name"] for u in units}
    refused = api.post("/api/v1/cases", headers=headers, json={**IDEA, "unit_id": norr_id})
    assert refused.status_code == 422
    assert refused.get_json()["fields"]["unit_id"] == ["Enheten är stängd. Välj en annan enhet."]

    with app.app_context():
        assert db.session.scalar(select(func.count(Case.id))) == 0
        with pytest.raises(ValidationFailed) as refused_meeting:
            meetings.create_meeting(user("chef"), {
                "kind": "apt", "department_id": social_id, "unit_id": norr_id,
                "starts_at": datetime(2026, 12, 1, 9, tzinfo=timezone.utc)})
        assert "unit_id" in refused_meeting.value.field_errors

    chef = app.test_client()
    login(chef, "chef")
    assert NORR not in chef.get("/meetings").get_data(as_text=True)


# ---------------------------------------------------------------- the API


def test_the_api_creates_renames_moves_closes_and_reopens(app, api):
    headers = api.token("admin")
    listing = api.get(f"{API}/departments", headers=headers).get_json()["items"]
    social = next(d for d in listing if d["name"] == SOCIAL)
    assert social["defaults"]["yearly_budget_sek"] == 5_000_000
    assert social["settings"]["yearly_budget_sek"] is None
    assert NORR in [u["name"] for u in social["units"]]

    created = api.post(f"{API}/departments", headers=headers,
                       json={"name": "Kultur", "council_name": "Kulturrådet"})
    assert created.status_code == 201
    culture = created.get_json()
    assert (culture["council_name"], culture["closed"]) == ("Kulturrådet", False)

    made = api.post(f"{API}/units", headers=headers,
                    json={"name": "Biblioteket", "department_id": culture["id"]})
    assert made.status_code == 201
    library = made.get_json()

    patched = api.patch(f"{API}/departments/{culture['id']}", headers=headers, json={
        "name": "Kulturförvaltningen", "yearly_budget_sek": 1_000_000,
        "discount_rate_percent": 3.5,
        "target_balance": {"efficiency_internal": 25, "efficiency_external": 25,
                           "innovation_internal": 25, "innovation_external": 25}})
    assert patched.status_code == 200
    body = patched.get_json()
    assert body["name"] == "Kulturförvaltningen"
    assert body["settings"]["discount_rate_percent"] == 3.5
    assert body["effective"]["yearly_budget_sek"] == 1_000_000
    assert body["effective"]["yearly_hours"] == 4000  # the file's default

    moved = api.patch(f"{API}/units/{library['id']}", headers=headers,
                      json={"department_id": social["id"]})
    assert moved.status_code == 200 and moved.get_json()["department"] == SOCIAL

    with app.app_context():
        case_in("submitted")
    closed_unit = next(u for u in social["units"] if u["name"] == NORR)
    closed = api.post(f"{API}/units/{closed_unit['id']}/close", headers=headers)
    assert closed.status_code == 200
    assert (closed.get_json()["closed"], closed.get_json()["open_cases"]) == (True, 1)
    assert "1" in closed.get_json()["warning"]
    again = api.post(f"{API}/units/{closed_unit['id']}/close", headers=headers)
    assert again.status_code == 409 and again.get_json()["error"] == "Enheten är redan stängd."

    whole = api.post(f"{API}/departments/{social['id']}/close", headers=headers)
    assert whole.status_code == 200 and whole.get_json()["open_cases"] == 1
    assert all(u["closed"] for u in whole.get_json()["units"])
    refused = api.post(f"{API}/units", headers=headers,
                       json={"name": "Ny enhet", "department_id": social["id"]})
    assert refused.status_code == 422 and "är stängd" in refused.get_json()["fields"][
        "department_id"][0]
    blocked = api.post(f"{API}/units/{library['id']}/reopen", headers=headers)
    assert blocked.status_code == 409
    reopened = api.post(f"{API}/departments/{social['id']}/reopen", headers=headers)
    assert reopened.status_code == 200 and not reopened.get_json()["closed"]
    assert api.get(f"{API}/units/{library['id']}", headers=headers).get_json()["closed"] is False

    document = api.get("/api/v1/openapi.json").get_json()
    assert {"/admin/departments", "/admin/departments/{department_id}/close",
            "/admin/units/{unit_id}"} <= set(document["paths"])
    assert "AdminDepartment" in document["components"]["schemas"]


def test_names_are_unique_with_a_swedish_error(app, api, admin_client):
    headers = api.token("admin")
    twin = api.post(f"{API}/departments", headers=headers, json={"name": "socialförvaltningen"})
    assert twin.status_code == 422
    assert twin.get_json()["fields"]["name"] == [
        "Det finns redan en förvaltning som heter socialförvaltningen i regionen. "
        "Välj ett annat namn."]
    with app.app_context():
        social_id = department().id
        soder_id = unit("Hemtjänst Visby söder").id
        other_department = department("Tekniska förvaltningen").id
    taken = api.patch(f"{API}/units/{soder_id}", headers=headers, json={"name": NORR.upper()})
    assert taken.status_code == 422
    assert taken.get_json()["fields"]["name"] == [
        f"Det finns redan en enhet som heter {NORR.upper()} i {SOCIAL}. Välj ett annat namn."]
    elsewhere = api.post(f"{API}/units", headers=headers,
                         json={"name": NORR, "department_id": other_department})
    assert elsewhere.status_code == 201  # the same name in another förvaltning is fine

    page = admin_client.post(f"{BASE}/units", data={"unit-name": "",
                                                    "unit-department_id": social_id})
    assert page.status_code == 422 and "Ange ett namn." in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Department.id))) == 6
        assert admin_log_actions() == ["unit.create"]


# ---------------------------------------------------------------- settings where they are read


def test_capacity_comes_from_the_department_and_falls_back_to_the_file(app):
    with app.app_context():
        admin, social = user("admin"), department()
        assert scoring.capacity_for(social).yearly_budget_sek == 5_000_000  # the file's
        admin_organisation.update_department(admin, social, {"yearly_budget_sek": 1_200_000,
                                                             "yearly_hours": 900})
        overview = scoring.council_overview(user("rad"), social)
        assert (overview.capacity.yearly_budget_sek, overview.capacity.yearly_hours) == (
            1_200_000, 900)
        figures = portfolio.demand_and_capacity(user("fchef"), Filters(department_id=social.id))
        assert (figures["budget_sek"], figures["hours"]) == (1_200_000, 900)

        admin_organisation.update_department(admin, social, {"yearly_budget_sek": None,
                                                             "yearly_hours": ""})
        overview = scoring.council_overview(user("rad"), social)
        assert (overview.capacity.yearly_budget_sek, overview.capacity.yearly_hours) == (
            5_000_000, 6000)

    rad = app.test_client()
    login(rad, "rad")
    with app.app_context():
        admin_organisation.update_department(user("admin"), department(),
                                             {"yearly_budget_sek": 1_200_000})
        social_id = department().id
    council = rad.get(f"/council?department_id={social_id}").get_data(as_text=True)
    assert "1\xa0200\xa0000 kr" in council or "1 200 000 kr" in council


def test_a_new_benefit_calculation_uses_the_departments_hourly_cost_and_rate(app):
    with app.app_context():
        admin, social = user("admin"), department()
        admin_organisation.update_department(admin, social, {"hourly_cost_sek": 600,
                                                             "discount_rate_percent": "4,5"})
        case = case_in("refinement")
        given = {k: v for k, v in BENEFIT.items() if k not in ("hourly_cost_sek",
                                                               "discount_rate")}
        view = dossier.save_section(user("vu"), case, "benefit", given)
        assert case.dossier.benefit["hourly_cost_sek"] == 600
        assert Decimal(str(case.dossier.benefit["discount_rate"])) == Decimal("0.045")
        assert view.sections["benefit"].result.discount_rate == Decimal("0.045")
        # 100 own hours at 600 kr instead of 450 kr
        assert view.total_cost_sek == 150_000 + 3 * 30_000 + 100 * 600
        case_id = case.id

    vu = app.test_client()
    login(vu, "vu")
    with app.app_context():
        fresh = case_in("refinement")
        page = vu.get(f"/cases/{fresh.id}/dossier").get_data(as_text=True)
    assert 'value="600"' in page and 'value="4.5"' in page

    with app.app_context():
        admin_organisation.update_department(user("admin"), department(), {
            "hourly_cost_sek": None, "discount_rate_percent": None})
        case = db.session.get(Case, case_id)
        dossier.save_section(user("vu"), case, "benefit", given)
        assert case.dossier.benefit["hourly_cost_sek"] == 450
        assert Decimal(str(case.dossier.benefit["discount_rate"])) == Decimal("0.03")


def test_the_delegation_limit_in_the_approval_guard(app):
    """A förvaltning without a delegationsordning of its own: its single limit decides
    (docs/delegation.md)."""
    with app.app_context():
        admin, social = user("admin"), department()
        db.session.execute(delete(DelegationOrder))  # the demo's Socialförvaltningen has one
        db.session.commit()
        case = case_in("management")  # the dossier's total cost is 285 000 kr
        admin_organisation.update_department(admin, social, {"delegation_limit_sek": 200_000})
        with pytest.raises(GuardFailed) as refused:
            cases.fire(case, "approve", user("fchef"), {})
        assert [f.code for f in refused.value.failures] == ["over_delegation_limit"]
        admin_organisation.update_department(admin, social, {"delegation_limit_sek": None})
        assert app.config["DEFAULT_DELEGATION_LIMIT_SEK"] == 500_000
        cases.fire(case, "approve", user("fchef"), {})
        assert case.state == "approved"


def test_the_target_balance_in_the_portfolio(app):
    with app.app_context():
        admin, social = user("admin"), department()
        filters = Filters(department_id=social.id)
        reader = user("fchef")
        file_target = portfolio.direction_balance(reader, filters).target
        assert file_target[("efficiency", "internal")] == pytest.approx(0.35)
        admin_organisation.update_department(admin, social, {"target_balance": {
            "efficiency_internal": 10, "efficiency_external": 20, "innovation_internal": 30,
            "innovation_external": 40}})
        target = portfolio.direction_balance(reader, filters).target
        assert target == {("efficiency", "internal"): 0.1, ("efficiency", "external"): 0.2,
                          ("innovation", "internal"): 0.3, ("innovation", "external"): 0.4}
        admin_organisation.update_department(admin, social, {"target_balance": None})
        assert portfolio.direction_balance(reader, filters).target == file_target


# ---------------------------------------------------------------- validation and the log


def test_bad_settings_are_refused_in_swedish_and_nothing_is_written(app, admin_client, api):
    with app.app_context():
        social_id = department().id
    response = admin_client.post(f"{BASE}/departments/{social_id}", data=settings_form(
        name="Socialförvaltningen Gotland", yearly_budget_sek="-5", yearly_hours="12,5",
        discount_rate_percent="25", efficiency_internal="40", efficiency_external="30",
        innovation_internal="10", innovation_external="10"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Ange ett belopp i hela kronor, 0 eller mer" in page
    assert "Ange ett helt antal timmar" in page
    assert "Ange kalkylräntan i procent från 0 till 20" in page
    assert "Andelarna ska tillsammans bli 100 %; nu blir de 90 %." in page
    assert 'aria-invalid="true"' in page

    half = admin_client.post(f"{BASE}/departments/{social_id}",
                             data=settings_form(efficiency_internal="100"))
    assert "Fyll i alla fyra andelarna" in half.get_data(as_text=True)

    headers = api.token("admin")
    bad = api.patch(f"{API}/departments/{social_id}", headers=headers,
                    json={"hourly_cost_sek": 450.5, "delegation_limit_sek": True,
                          "discount_rate_percent": 3.25, "colour": "blå"})
    assert bad.status_code == 422 and bad.get_json()["fields"] == {"colour": ["Okänt fält."]}
    bad = api.patch(f"{API}/departments/{social_id}", headers=headers,
                    json={"hourly_cost_sek": 450.5, "delegation_limit_sek": True,
                          "discount_rate_percent": 3.25, "name": ""})
    assert bad.status_code == 422
    assert set(bad.get_json()["fields"]) == {"hourly_cost_sek", "delegation_limit_sek",
                                             "discount_rate_percent", "name"}
    with app.app_context():
        social = department()
        assert social is not None and social.yearly_budget_sek is None
        assert social.delegation_limit_sek == 500_000 and social.hourly_cost_sek is None
        assert admin_log_actions() == []


def test_the_admin_log_records_every_change_with_before_and_after(app):
    with app.app_context():
        admin = user("admin")
        culture = admin_organisation.create_department(admin, {"name": "Kultur"})
        library = admin_organisation.create_unit(admin, {"name": "Biblioteket",
                                                         "department_id": culture.id})
        admin_organisation.update_department(admin, culture, {
            "name": "Kulturförvaltningen", "management_group_name": "Kulturledningen",
            "hourly_cost_sek": 500, "discount_rate_percent": 4})
        admin_organisation.update_unit(admin, library, {"department_id": department().id})
        admin_organisation.close_unit(admin, library)
        admin_organisation.reopen_unit(admin, library)
        admin_organisation.close_department(admin, culture)
        with pytest.raises(InvalidState):
            admin_organisation.close_department(admin, culture)
        admin_organisation.reopen_department(admin, culture)
        admin_organisation.update_department(admin, culture, {"name": "Kulturförvaltningen"})

        entries = {e.action: e for e in db.session.scalars(select(AdminLogEntry))}
        assert admin_log_actions() == [
            "department.create", "unit.create", "department.rename", "department.forums",
            "department.settings", "unit.move", "unit.close", "unit.reopen", "department.close",
            "department.reopen"]
        assert entries["department.rename"].before == {"name": "Kultur"}
        assert entries["department.rename"].after == {"name": "Kulturförvaltningen"}
        assert entries["department.settings"].before == {"hourly_cost_sek": None,
                                                         "discount_rate_percent": None}
        assert entries["department.settings"].after == {"hourly_cost_sek": 500,
                                                        "discount_rate_percent": 4}
        assert entries["unit.move"].before == {"department": "Kulturförvaltningen"}
        assert entries["unit.move"].after["department"] == SOCIAL
        assert entries["unit.move"].target_label == f"Biblioteket ({SOCIAL})"
        assert entries["department.close"].before == {"closed_at": None}
        assert entries["department.close"].after["open_cases"] == 0
        assert all(e.actor_name == admin.display_name for e in entries.values())


# ---------------------------------------------------------------- only administrators


@pytest.mark.parametrize("username", ["fchef", "medarbetare"])
def test_only_region_admins_reach_the_pages_and_the_api(app, api, username):
    with app.app_context():
        social_id, norr_id = department().id, unit().id
    browser = app.test_client()
    login(browser, username)
    for path in (f"{BASE}/", f"{BASE}/departments/{social_id}", f"{BASE}/units/{norr_id}",
                 f"{BASE}/units/{norr_id}/close"):
        assert browser.get(path).status_code == 403
    assert browser.post(f"{BASE}/departments", data={"department-name": "X"}).status_code == 403
    assert browser.post(f"{BASE}/units/{norr_id}/close").status_code == 403

    headers = api.token(username)
    assert api.get(f"{API}/departments", headers=headers).status_code == 403
    assert api.post(f"{API}/departments", headers=headers,
                    json={"name": "X"}).status_code == 403
    assert api.patch(f"{API}/units/{norr_id}", headers=headers,
                     json={"name": "X"}).status_code == 403
    assert api.post(f"{API}/departments/{social_id}/close", headers=headers).status_code == 403
    assert api.get(f"{API}/units").status_code == 401
    with app.app_context():
        assert department("X") is None and not unit().is_closed and admin_log_actions() == []


def test_the_organisation_page_is_linked_from_the_admin_start_page(admin_client):
    start = admin_client.get("/admin/").get_data(as_text=True)
    assert f"{BASE}/" in start and "Organisation" in start


def test_the_department_page_shows_forums_and_defaults(app, admin_client):
    with app.app_context():
        social_id = department().id
    page = admin_client.get(f"{BASE}/departments/{social_id}").get_data(as_text=True)
    assert f'/admin/people?department_id={social_id}' in page
    assert user_name("rad", app) in page and user_name("fchef", app) in page
    assert 'placeholder="standard: 5' in page  # the file's yearly budget for Socialförvaltningen
    assert "config/portfolio.toml" in page


def user_name(username: str, app) -> str:
    with app.app_context():
        return user(username).display_name
