"""Digital maturity (KPMG's scale) and DiMiOS rounds recorded by the region administrator on
the förvaltning's page: they reach the portfolio, bad input is refused in Swedish with nothing
written, deleting works, the admin log records each change, and only administrators may do it
(both databases)."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from helpers import admin_log_actions, login, user
from workflow.exports.service import today_local
from workflow.models import AdminLogEntry, Department, DimiosRound, MaturityAssessment
from workflow.organisation import admin as admin_organisation
from workflow.platform.errors import NotFound, ValidationFailed
from workflow.platform.extensions import db
from workflow.portfolio import service as portfolio

SOCIAL = "Socialförvaltningen"
BASE = "/admin/organisation"


def department(name: str = SOCIAL) -> Department:
    return db.session.scalar(select(Department).where(Department.name == name))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))




def latest_for(app, name: str = SOCIAL):
    with app.app_context():
        rows = portfolio.maturity(user("admin"))
        return next((a.level, a.assessed_on, a.source, [(r.score, r.respondents) for r in rounds])
                    for d, a, rounds in rows if d.name == name)


def test_adding_in_the_browser_reaches_the_portfolio(app, admin_client):
    with app.app_context():
        social_id, today = department().id, today_local()
    page = admin_client.get(f"{BASE}/departments/{social_id}").get_data(as_text=True)
    assert "Digital mognad" in page and "DiMiOS-mätningar" in page
    assert 'for="maturity-level"' in page and 'for="dimios-respondents"' in page
    assert "3 – Digitalisering" in page  # the seeded assessment, with its label

    response = admin_client.post(f"{BASE}/departments/{social_id}/maturity", data={
        "maturity-level": "4", "maturity-assessed_on": today.isoformat(),
        "maturity-source": "Förvaltningens bedömning i år"})
    assert response.status_code == 302
    response = admin_client.post(f"{BASE}/departments/{social_id}/dimios", data={
        "dimios-measured_on": today.isoformat(), "dimios-score": "3,4",
        "dimios-respondents": "250"})
    assert response.status_code == 302

    level, assessed_on, source, rounds = latest_for(app)
    assert (level, assessed_on, source) == (4, today, "Förvaltningens bedömning i år")
    assert rounds[-1] == (3.4, 250)
    page = admin_client.get(f"{BASE}/departments/{social_id}").get_data(as_text=True)
    assert "4 – Total digital transformation" in page and "Förvaltningens bedömning i år" in page
    portfolio_page = admin_client.get("/portfolio").get_data(as_text=True)
    assert "Total digital transformation" in portfolio_page
    assert "Förvaltningens bedömning i år" in portfolio_page
    with app.app_context():
        assert admin_log_actions() == ["maturity.add", "dimios.add"]


def test_invalid_input_is_refused_in_swedish_and_nothing_is_written(app, admin_client):
    with app.app_context():
        social_id = department().id
        future = (today_local() + timedelta(days=2)).isoformat()
        before = count(MaturityAssessment), count(DimiosRound)

    response = admin_client.post(f"{BASE}/departments/{social_id}/maturity", data={
        "maturity-level": "7", "maturity-assessed_on": future, "maturity-source": "  "})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Välj en nivå från 1 till 5 på KPMG:s skala." in page
    assert "Datumet får inte ligga i framtiden." in page
    assert "Ange källan till bedömningen." in page
    assert 'id="maturity-level-error"' in page and 'aria-invalid="true"' in page
    assert f'value="{future}"' in page  # what was typed is kept

    response = admin_client.post(f"{BASE}/departments/{social_id}/dimios", data={
        "dimios-measured_on": "2025-13-01", "dimios-score": "85",
        "dimios-respondents": "0"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Ange ett datum som ÅÅÅÅ-MM-DD." in page
    assert "Ange poängen som ett tal från 1 till 5, med högst två decimaler." in page
    assert "Ange antalet svarande som ett helt tal, 1 eller fler." in page
    assert 'id="dimios-respondents-error"' in page

    with app.app_context():
        admin = user("admin")
        with pytest.raises(ValidationFailed) as refused:
            admin_organisation.add_maturity(admin, department(), {
                "level": 3, "assessed_on": "2025-01-01", "source": "x" * 301})
        assert list(refused.value.field_errors) == ["source"]
        with pytest.raises(ValidationFailed) as refused:
            admin_organisation.add_dimios_round(admin, department(), {
                "measured_on": "20250101", "score": "abc", "respondents": "tio"})
        assert set(refused.value.field_errors) == {"measured_on", "score", "respondents"}
        with pytest.raises(ValidationFailed):
            admin_organisation.add_maturity(admin, department(), {"level": 3, "extra": 1})
        assert (count(MaturityAssessment), count(DimiosRound)) == before
        assert admin_log_actions() == []


def test_deleting_and_the_admin_log(app, admin_client):
    with app.app_context():
        admin = user("admin")
        social = department()
        social_id = social.id
        assessment = admin_organisation.add_maturity(admin, social, {
            "level": "5", "assessed_on": "2025-11-01", "source": " Egen bedömning "})
        measurement = admin_organisation.add_dimios_round(admin, social, {
            "measured_on": date(2025, 11, 2), "score": 4.25, "respondents": 12})
        assessment_id, round_id = assessment.id, measurement.id
        assert assessment.source == "Egen bedömning"
        assert latest_for(app)[0] == 5

    assert admin_client.post(
        f"{BASE}/departments/{social_id}/maturity/{assessment_id}/delete").status_code == 302
    assert admin_client.post(
        f"{BASE}/departments/{social_id}/dimios/{round_id}/delete").status_code == 302

    with app.app_context():
        assert db.session.get(MaturityAssessment, assessment_id) is None
        assert db.session.get(DimiosRound, round_id) is None
        assert latest_for(app)[0] == 3  # the seeded assessment applies again
        entries = {e.action: e for e in db.session.scalars(select(AdminLogEntry))}
        assert admin_log_actions() == ["maturity.add", "dimios.add", "maturity.delete",
                                 "dimios.delete"]
        assert entries["maturity.add"].after == {"id": assessment_id, "level": 5,
                                                 "assessed_on": "2025-11-01",
                                                 "source": "Egen bedömning"}
        assert entries["maturity.add"].before is None
        assert entries["maturity.delete"].before == entries["maturity.add"].after
        assert entries["dimios.add"].after == {"id": round_id, "measured_on": "2025-11-02",
                                               "score": 4.25, "respondents": 12}
        assert entries["dimios.delete"].before == entries["dimios.add"].after
        assert all(e.target_label == SOCIAL and e.target_type == "departments"
                   and e.actor_name == user("admin").display_name for e in entries.values())


def test_another_departments_entry_is_not_found(app, admin_client):
    with app.app_context():
        social, other = department(), department("Tekniska förvaltningen")
        assessment_id = db.session.scalar(select(MaturityAssessment.id).where(
            MaturityAssessment.department_id == social.id))
        other_id = other.id
        with pytest.raises(NotFound):
            admin_organisation.get_maturity(user("admin"), other, assessment_id)
    response = admin_client.post(
        f"{BASE}/departments/{other_id}/maturity/{assessment_id}/delete")
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(MaturityAssessment, assessment_id) is not None


@pytest.mark.parametrize("username", ["fchef", "medarbetare"])
def test_only_region_admins_may_record_or_delete(app, username):
    with app.app_context():
        social_id = department().id
        assessment_id = db.session.scalar(select(MaturityAssessment.id).where(
            MaturityAssessment.department_id == social_id))
        round_id = db.session.scalar(select(DimiosRound.id).where(
            DimiosRound.department_id == social_id))
        before = count(MaturityAssessment), count(DimiosRound)
    browser = app.test_client()
    login(browser, username)
    assert browser.post(f"{BASE}/departments/{social_id}/maturity", data={
        "maturity-level": "4", "maturity-assessed_on": "2025-01-01",
        "maturity-source": "X"}).status_code == 403
    assert browser.post(f"{BASE}/departments/{social_id}/dimios", data={
        "dimios-measured_on": "2025-01-01", "dimios-score": "3",
        "dimios-respondents": "5"}).status_code == 403
    assert browser.post(f"{BASE}/departments/{social_id}/maturity/{assessment_id}/delete"
                        ).status_code == 403
    assert browser.post(f"{BASE}/departments/{social_id}/dimios/{round_id}/delete"
                        ).status_code == 403
    with app.app_context():
        assert (count(MaturityAssessment), count(DimiosRound)) == before
        assert admin_log_actions() == []
