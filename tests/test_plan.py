"""The digitaliseringsplan: goal areas and actions, who keeps them, linking cases (with
history), the proposals parked in the plan, the seed loader and the /plan pages."""
from __future__ import annotations

import re

import pytest
import yaml
from sqlalchemy import select

from factories import SOCIAL, department
from helpers import case_in, login, user
from workflow.cases import service as cases
from workflow.models import Case, CaseEvent, GoalArea, PlanAction, Region
from workflow.plan import service as plan
from workflow.platform.errors import NotFound, PermissionDenied, ValidationFailed
from workflow.platform.extensions import db


def social_action(name: str = "Digitala lås i hemtjänsten") -> PlanAction:
    area = plan.create_area(user("rad"), department().id, "Välfärdsteknik i hemtjänsten")
    return plan.create_action(user("rad"), area, name, "Sofia Karlsson")


def history(case: Case) -> list[CaseEvent]:
    return list(db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)
                                   .order_by(CaseEvent.id)))


def text(response) -> str:
    return response.get_data(as_text=True)


# ---------------------------------------------------------------- the service

def test_plan_lists_region_wide_and_förvaltning_areas_with_only_visible_cases(ctx):
    region_area = plan.create_area(user("digital"), None, "Digitala tjänster för invånare")
    plan.create_action(user("digital"), region_area, "Gemensam e-tjänsteplattform", "Ahmed Hassan",
                       "done")
    action = social_action()
    case = case_in("council")
    plan.link_case(user("vu"), action, case)

    view = plan.plan_for(user("vu"))
    assert view.sections[0].department is None
    assert [a.area.name for a in view.sections[0].areas] == ["Digitala tjänster för invånare"]
    assert view.sections[0].areas[0].actions[0].status_label == "Klar"
    social = next(s for s in view.sections if s.department == department())
    item = social.areas[0].actions[0]
    assert item.action.owner == "Sofia Karlsson" and item.action.status == "not_done"
    assert item.cases == [case] and item.unlinkable == {case.id}

    # A manager of another unit sees the plan but not the case linked to it.
    other = plan.plan_for(user("chef.soder"))
    item = next(s for s in other.sections if s.department == department()).areas[0].actions[0]
    assert item.cases == [] and not item.editable and not item.linkable


def test_department_filter_keeps_the_region_wide_areas(ctx):
    plan.create_area(user("admin"), None, "Säker informationshantering")
    plan.create_area(user("rad"), department().id, "Digital kompetens")
    other = department("Tekniska förvaltningen")
    view = plan.plan_for(user("rad"), other.id)
    assert view.department == other
    assert [s.department for s in view.sections] == [None, other]
    assert view.sections[1].areas == [] and not view.sections[1].editable
    assert plan.plan_for(user("rad"), "no-such").department is None


def test_only_council_and_management_keep_their_förvaltnings_plan(ctx):
    social = department().id
    for username in ("medarbetare", "chef", "vu", "namnd", "digital"):
        with pytest.raises(PermissionDenied):
            plan.create_area(user(username), social, "Digital kompetens")
    area = plan.create_area(user("rad"), social, "Digital kompetens")
    action = plan.create_action(user("fchef"), area, "Digitala ombud på varje enhet")
    with pytest.raises(PermissionDenied):
        plan.update_action(user("vu"), action, status="done")
    with pytest.raises(PermissionDenied):  # another förvaltning's plan
        plan.create_area(user("rad"), department("Tekniska förvaltningen").id, "VA-data")
    assert db.session.scalars(select(GoalArea)).all() == [area]


def test_region_wide_areas_belong_to_the_admin_and_region_wide_digital_unit(ctx):
    for username in ("rad", "fchef", "vu"):
        with pytest.raises(PermissionDenied):
            plan.create_area(user(username), None, "Digitala tjänster för invånare")
    area = plan.create_area(user("digital"), None, "Digitala tjänster för invånare")
    plan.update_area(user("admin"), area, "Digitala tjänster för invånare och företag")
    assert area.name == "Digitala tjänster för invånare och företag" and area.department is None
    with pytest.raises(PermissionDenied):
        plan.create_action(user("rad"), area, "Tillgänglighetsgranskning")


def test_names_and_statuses_are_validated_in_swedish(ctx):
    social = department().id
    with pytest.raises(ValidationFailed) as error:
        plan.create_area(user("rad"), social, "   ")
    assert error.value.field_errors == {"name": ["Ange ett namn."]}
    area = plan.create_area(user("rad"), social, "  Digital kompetens  ")
    assert area.name == "Digital kompetens"
    with pytest.raises(ValidationFailed) as error:
        plan.create_action(user("rad"), area, "x" * 301)
    assert error.value.translated_field_errors["name"] == ["Texten får vara högst 300 tecken."]
    plan.create_action(user("rad"), area, "x" * 300)
    with pytest.raises(ValidationFailed) as error:
        plan.create_action(user("rad"), area, "Digitala ombud", status="klar")
    assert set(error.value.field_errors) == {"status"}
    with pytest.raises(ValidationFailed):
        plan.create_area(user("rad"), 999999, "Digital kompetens")
    with pytest.raises(NotFound):
        plan.get_action(user("rad"), 999999)


def test_status_and_owner_change_without_touching_case_history(ctx):
    action = social_action()
    case = case_in("council")
    plan.link_case(user("vu"), action, case)
    before = len(history(case))
    for status in ("paused", "hard_to_judge", "relevance_questioned", "done"):
        plan.update_action(user("fchef"), action, status=status)
        assert action.status == status
    plan.update_action(user("rad"), action, owner="Karin Gustafsson", name="Nyckelfri hemtjänst")
    db.session.expire_all()
    stored = db.session.get(PlanAction, action.id)
    assert (stored.status, stored.owner, stored.name) == ("done", "Karin Gustafsson",
                                                          "Nyckelfri hemtjänst")
    assert len(history(case)) == before


def test_linking_and_unlinking_land_in_the_case_history(ctx):
    action = social_action()
    second = plan.create_action(user("rad"), action.goal_area, "Digital nattillsyn")
    case = case_in("council")
    plan.link_case(user("vu"), action, case)
    plan.link_case(user("rad"), second, case)  # a case may belong to several actions
    assert set(case.plan_actions) == {action, second}
    entry = history(case)[-2]
    assert (entry.event, entry.from_state, entry.to_state) == ("plan_linked", "council", "council")
    assert entry.actor == user("vu")
    assert entry.data == {"action": "Digitala lås i hemtjänsten",
                          "goal_area": "Välfärdsteknik i hemtjänsten"}
    with pytest.raises(ValidationFailed) as error:
        plan.link_case(user("vu"), action, case)
    assert set(error.value.field_errors) == {"case_id"}

    plan.unlink_case(user("fchef"), action, case)
    entry = history(case)[-1]
    assert (entry.event, entry.actor, entry.data["action"]) == (
        "plan_unlinked", user("fchef"), "Digitala lås i hemtjänsten")
    assert case.plan_actions == [second]
    with pytest.raises(ValidationFailed):
        plan.unlink_case(user("fchef"), action, case)


def test_only_the_cases_developer_council_and_management_may_link(ctx):
    action = social_action()
    case = case_in("council")
    for username in ("medarbetare", "chef", "infosak", "admin"):  # sees it, holds no such role
        with pytest.raises(PermissionDenied):
            plan.link_case(user(username), action, case)
    with pytest.raises(NotFound):  # cannot even see it
        plan.link_case(user("chef.soder"), action, case)
    with pytest.raises(ValidationFailed):
        plan.find_case(user("chef.soder"), case.id)
    with pytest.raises(ValidationFailed):
        plan.find_case(user("vu"), "nr tolv")
    assert plan.find_case(user("vu"), f" {case.id} ") == case
    assert history(case)[-1].event != "plan_linked"


def test_a_case_links_only_to_its_own_förvaltnings_or_region_wide_actions(ctx):
    case = case_in("council")
    other = plan.create_area(user("admin"), None, "Säker informationshantering")
    region_action = plan.create_action(user("admin"), other, "Stark autentisering")
    plan.link_case(user("vu"), region_action, case)
    db.session.add(GoalArea(region_id=user("vu").region_id,
                            department=department("Tekniska förvaltningen"), name="VA-data",
                            actions=[PlanAction(name="Smarta vattenmätare")]))
    db.session.commit()
    foreign = db.session.scalar(select(PlanAction).where(PlanAction.name == "Smarta vattenmätare"))
    with pytest.raises(ValidationFailed) as error:
        plan.link_case(user("vu"), foreign, case)
    assert set(error.value.field_errors) == {"case_id"}


def test_parked_case_with_planned_year_is_listed_and_can_be_reactivated(ctx):
    case = case_in("council")
    cases.fire(case, "park", user("rad"), {"planned_year": 2028, "comment": "Efter bytet."})
    waiting = case_in("council")
    assert (case.state, case.planned_year) == ("plan", 2028)

    view = plan.plan_for(user("rad"))
    [group] = view.parked
    assert group.department == department() and group.cases == [case]
    assert group.reactivatable == {case.id}
    assert waiting not in group.cases
    assert plan.plan_for(user("chef.soder")).parked == []
    assert plan.plan_for(user("namnd")).parked[0].reactivatable == set()

    cases.fire(case, "reactivate", user("rad"), {})
    assert case.state == "council"
    assert plan.plan_for(user("rad")).parked == []


# ---------------------------------------------------------------- the seed loader

def test_load_plan_builds_areas_actions_and_links(ctx):
    region = db.session.scalar(select(Region))
    first, second = case_in("council"), case_in("plan")
    data = {"goal_areas": [
        {"name": "Digitala tjänster för invånare", "description": "För alla.",
         "actions": [{"name": "Videomöten", "status": "not_done", "owner": "Ahmed Hassan",
                      "cases": [2]}]},
        {"name": "Digital kompetens", "department": SOCIAL,
         "actions": [{"name": "Digitala ombud", "status": "done", "cases": [1, 2]},
                     {"name": "Introduktion", "status": "paused"}]},
    ]}
    areas = plan.load_plan(data, region, {d.name: d for d in region.departments}, [first, second])
    assert [a.department for a in areas] == [None, department()]
    assert [(a.name, a.status, a.owner) for a in areas[1].actions] == [
        ("Digitala ombud", "done", ""), ("Introduktion", "paused", "")]
    assert areas[1].actions[0].cases == [first, second]
    assert set(second.plan_actions) == {areas[0].actions[0], areas[1].actions[0]}


@pytest.mark.parametrize("data, message", [
    ({"goal_areas": [{"name": "A", "department": "Finns inte"}]}, "no förvaltning"),
    ({"goal_areas": [{"name": "A", "actions": [{"name": "B", "status": "klar"}]}]}, "status"),
    ({"goal_areas": [{"name": "A", "actions": [{"name": "B", "cases": [3]}]}]}, "case number 3"),
    ({"goal_areas": [{"name": "", "actions": []}]}, "goal area 1"),
])
def test_load_plan_names_what_is_wrong(ctx, data, message):
    region = db.session.scalar(select(Region))
    with pytest.raises(plan.PlanSeedError, match=message):
        plan.load_plan(data, region, {d.name: d for d in region.departments}, [])
    assert db.session.scalars(select(GoalArea)).all() == []


def test_the_demo_plan_loads_on_the_demo_cases(demo_app):
    from workflow.ops.seeding import SEED_DIR
    app = demo_app
    with app.app_context():
        region = db.session.scalar(select(Region))
        seeded = list(db.session.scalars(select(Case).order_by(Case.id)))
        data = yaml.safe_load((SEED_DIR / "plan.yaml").read_text(encoding="utf-8"))
        areas = plan.load_plan(data, region, {d.name: d for d in region.departments}, seeded)
        assert [a.department.name if a.department else None for a in areas] == [
            None, None, SOCIAL, SOCIAL, SOCIAL]
        statuses = {action.status for area in areas for action in area.actions}
        assert statuses == {"not_done", "done", "paused", "hard_to_judge", "relevance_questioned"}
        assert all(2 <= len(area.actions) <= 4 for area in areas)
        parked = [c for c in seeded if c.state == "plan"]
        assert parked and all(c.plan_actions for c in parked)
    client = login(app.test_client(), "rad")
    page = text(client.get("/plan"))
    assert "Välfärdsteknik i hemtjänst och särskilt boende" in page
    assert "Videomöten för samordnad individuell plan (SIP)" in page


# ---------------------------------------------------------------- the pages

def test_plan_pages_need_login(client):
    assert client.get("/plan").status_code == 302
    assert client.post("/plan/areas", data={}).status_code == 302


@pytest.mark.parametrize("username", ["medarbetare", "chef", "vu", "rad", "fchef", "namnd",
                                      "digital", "admin", "chef.soder"])
def test_plan_page_renders_for_everyone(app, client, username):
    with app.app_context():
        action = social_action()
        plan.link_case(user("vu"), action, case_in("council"))
        social = department().id
    login(client, username)
    page = text(client.get("/plan"))
    assert "<h1>Digitaliseringsplan</h1>" in page and "Parkerade förslag" in page
    assert "Digitala lås i hemtjänsten" in page and "<caption>" in page
    assert client.get(f"/plan?department_id={social}").status_code == 200
    assert ("Lägg till en insats" in page) == (username in ("rad", "fchef"))
    assert ("Koppla till insats i digitaliseringsplanen" in page) == (
        username in ("vu", "rad", "fchef"))


def test_council_keeps_the_plan_through_the_forms(app, client):
    with app.app_context():
        social = department().id
    login(client, "rad")
    response = client.post(f"/plan/areas?department_id={social}",
                           data={"area-department_id": str(social), "area-name": "Digital kompetens",
                                 "area-description": "Alla ska känna sig trygga."})
    assert response.status_code == 302 and f"department_id={social}" in response.location
    with app.app_context():
        area_id = db.session.scalar(select(GoalArea.id))
    response = client.post(f"/plan/areas/{area_id}/actions",
                           data={f"newaction{area_id}-name": "Digitala ombud",
                                 f"newaction{area_id}-status": "not_done",
                                 f"newaction{area_id}-owner": "Sofia Karlsson"})
    assert response.status_code == 302
    with app.app_context():
        action_id = db.session.scalar(select(PlanAction.id))
    response = client.post(f"/plan/actions/{action_id}",
                           data={f"action{action_id}-name": "Digitala ombud på varje enhet",
                                 f"action{action_id}-status": "paused",
                                 f"action{action_id}-owner": "Karin Gustafsson"})
    assert response.status_code == 302
    page = text(client.get(response.location))
    assert "Digitala ombud på varje enhet" in page and "Pausad" in page
    assert "Karin Gustafsson" in page
    response = client.post(f"/plan/areas/{area_id}", data={f"area{area_id}-name": "Kompetens",
                                                           f"area{area_id}-description": ""})
    assert response.status_code == 302 and "Kompetens" in text(client.get("/plan"))
    response = client.post("/plan/areas", data={"area-department_id": "999999",
                                                "area-name": "Okänd förvaltning"})
    assert response.status_code == 422 and "Välj en förvaltning som finns." in text(response)


def test_form_errors_are_shown_beside_the_field(app, client):
    with app.app_context():
        action_id = social_action().id
    login(client, "fchef")
    response = client.post(f"/plan/actions/{action_id}",
                           data={f"action{action_id}-name": "",
                                 f"action{action_id}-status": "not_done"})
    assert response.status_code == 422
    page = text(response)
    assert re.search(rf'id="action{action_id}-name"[^>]*aria-invalid="true"|'
                     rf'aria-invalid="true"[^>]*id="action{action_id}-name"', page)
    assert f'id="action{action_id}-name-error">Ange ett namn.' in page


def test_staff_may_not_create_and_get_403(app, client):
    with app.app_context():
        social = department().id
        action_id = social_action().id
    login(client, "medarbetare")
    response = client.post("/plan/areas", data={"area-department_id": str(social),
                                                "area-name": "Min plan"})
    assert response.status_code == 403
    response = client.post(f"/plan/actions/{action_id}",
                           data={f"action{action_id}-name": "Ny", f"action{action_id}-status": "done"})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(PlanAction, action_id).status == "not_done"
        assert db.session.scalar(select(GoalArea.name)) == "Välfärdsteknik i hemtjänsten"


def test_link_and_unlink_by_case_number_on_the_plan_page(app, client):
    with app.app_context():
        action_id = social_action().id
        case_id = case_in("council").id
    login(client, "vu")
    response = client.post(f"/plan/actions/{action_id}/cases",
                           data={f"link{action_id}-case_id": "999999"})
    assert response.status_code == 422
    assert "Det finns inget ärende med det numret" in text(response)
    response = client.post(f"/plan/actions/{action_id}/cases",
                           data={f"link{action_id}-case_id": str(case_id)})
    assert response.status_code == 302
    page = text(client.get("/plan"))
    assert f'href="/cases/{case_id}"' in page and "Ta bort kopplingen" in page
    case_page = text(client.get(f"/cases/{case_id}"))
    assert "Digitala lås i hemtjänsten" in case_page
    response = client.post(f"/plan/actions/{action_id}/cases/{case_id}/unlink")
    assert response.status_code == 302
    with app.app_context():
        events = [e.event for e in history(db.session.get(Case, case_id))]
        assert events[-2:] == ["plan_linked", "plan_unlinked"]
        assert db.session.get(PlanAction, action_id).cases == []


def test_parked_proposals_show_their_planned_year_and_the_way_back(app, client):
    with app.app_context():
        case = case_in("council")
        cases.fire(case, "park", user("rad"), {"planned_year": 2029})
        case_id = case.id
    login(client, "rad")
    page = text(client.get("/plan"))
    parked = page[page.index('id="parked-heading"'):]
    assert "Parkerade förslag i Socialförvaltningen" in parked and "2029" in parked
    assert f'href="/cases/{case_id}#actions-heading"' in parked
    assert "Återuppta i rådet" in text(client.get(f"/cases/{case_id}"))
    assert client.post(f"/cases/{case_id}/events/reactivate", data={}).status_code == 302
    page = text(client.get("/plan"))
    assert "Inga förslag är parkerade i planen." in page


@pytest.fixture
def csrf_client(make_demo_app):
    app = make_demo_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        social = department().id
    client = app.test_client()
    client.social = social
    return client


def test_plan_forms_refuse_a_post_without_csrf_token(csrf_client):
    client = csrf_client
    page = text(client.get("/login"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post("/login", data={"username": "rad", "password": "demo",
                                       "csrf_token": token}).status_code == 302
    data = {"area-department_id": str(client.social), "area-name": "Digital kompetens"}
    assert client.post("/plan/areas", data=data).status_code == 400
    assert client.post("/plan/areas", data={**data, "area-csrf_token": "forged"}).status_code == 400
    page = text(client.get("/plan"))
    token = re.search(r'name="area-csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post("/plan/areas", data={**data, "area-csrf_token": token}).status_code == 302
    for path in ("/plan/areas/1", "/plan/areas/1/actions", "/plan/actions/1",
                 "/plan/actions/1/cases", "/plan/actions/1/cases/1/unlink"):
        assert client.post(path, data={}).status_code == 400, path
