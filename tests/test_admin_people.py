"""People and roles administration: accounts, dated role assignments (stand-ins),
deactivation with open tasks, the admin log and who may do any of it."""
from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from helpers import NORR, api_headers, case_in, new_draft, unit, user
from workflow.cases import access
from workflow.cases import service as cases
from workflow.models import AdminLogEntry, Department, RoleAssignment, User, local_today
from workflow.people import admin as admin_people
from workflow.platform.errors import PermissionDenied, ValidationFailed
from workflow.platform.extensions import db

SOF = "Socialförvaltningen"


def _login(client, username: str, password: str = "demo"):
    return client.post("/login", data={"username": username, "password": password})


def _department(name: str = SOF) -> Department:
    return db.session.scalar(select(Department).where(Department.name == name))


def _actions() -> list[str]:
    return list(db.session.scalars(select(AdminLogEntry.action).order_by(AdminLogEntry.id)))


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _new_person(username: str = "ersattare", name: str = "Ebba Ersättare") -> User:
    return admin_people.create_user(user("admin"), {"username": username, "display_name": name,
                                                    "password": "hemligt-lösen"})


# ---------------------------------------------------------------- dated roles (stand-ins)

def test_a_stand_in_acts_on_valid_to_and_not_the_day_after(ctx):
    case = case_in("refinement")  # waits for a verksamhetsutvecklare in Socialförvaltningen
    today = local_today()
    stand_in = _new_person()
    assignment = admin_people.assign_role(user("admin"), stand_in, {
        "role": "developer", "department_id": _department().id,
        "valid_from": (today - timedelta(days=14)).isoformat(), "valid_to": today.isoformat()})
    assert "developer" in access.roles_for(stand_in, case)
    assert [c.id for c in cases.list_cases(stand_in, todo=True).items] == [case.id]
    assert stand_in in access.users_acting_on(case, {"developer"})

    assignment.valid_to = today - timedelta(days=1)  # today is the day after valid_to
    db.session.commit()
    assert access.roles_for(stand_in, case) == set()
    assert cases.list_cases(stand_in, todo=True).total == 0
    assert stand_in not in access.users_acting_on(case, {"developer"})
    assert not access.can_view(stand_in, case)
    with pytest.raises(PermissionDenied):
        cases.fire(case, "request_support", stand_in, {"question": "Finns avtal?"})

    assignment.valid_from, assignment.valid_to = today + timedelta(days=1), None  # not yet
    db.session.commit()
    assert access.roles_for(stand_in, case) == set()

    assignment.valid_from = today  # first day
    db.session.commit()
    cases.fire(case, "request_support", stand_in, {"question": "Finns avtal?"})
    assert case.state == "central_support"


def test_the_same_role_may_be_held_in_two_periods_but_not_overlapping(ctx):
    person, department_id = _new_person(), _department().id
    admin_people.assign_role(user("admin"), person, {
        "role": "developer", "department_id": department_id,
        "valid_from": "2030-01-01", "valid_to": "2030-01-31"})
    admin_people.assign_role(user("admin"), person, {
        "role": "developer", "department_id": department_id,
        "valid_from": "2030-03-01", "valid_to": "2030-03-31"})
    with pytest.raises(ValidationFailed) as refused:
        admin_people.assign_role(user("admin"), person, {
            "role": "developer", "department_id": department_id, "valid_from": "2030-01-15"})
    assert "role" in refused.value.field_errors
    assert len(person.role_assignments) == 2 and person.roles == []


def test_authorship_grants_view_to_someone_without_any_role(app, client):
    with app.test_request_context():
        case = new_draft()
        cases.fire(case, "submit", user("medarbetare"))
        case_id = case.id
        for assignment in list(user("medarbetare").role_assignments):
            admin_people.remove_role(user("admin"), assignment)
        author = user("medarbetare")
        assert author.role_assignments == [] and author.roles == []
        assert access.can_view(author, db.session.get(type(case), case_id))
        assert [c.id for c in cases.list_cases(author, mine=True).items] == [case_id]
        assert [c.id for c in cases.list_cases(author).items] == [case_id]
    _login(client, "medarbetare")
    assert client.get(f"/cases/{case_id}").status_code == 200
    assert client.get(f"/api/v1/cases/{case_id}",
                      headers=api_headers(client, "medarbetare")).status_code == 200


# ---------------------------------------------------------------- through the pages

def test_the_admin_creates_a_person_and_changes_roles_in_the_browser(app, client):
    _login(client, "admin")
    created = client.post("/admin/people/new", data={
        "username": "Nils.Ny", "display_name": "Nils  Ny", "email": "nils@example.se",
        "password": "tillfälligt1"})
    assert created.status_code == 302
    with app.app_context():
        person = user("nils.ny")
        person_id, norr_id = person.id, unit(NORR).id
        assert person.display_name == "Nils Ny" and person.check_password("tillfälligt1")
    page = client.get(f"/admin/people/{person_id}").get_data(as_text=True)
    assert "Nils Ny" in page and 'name="role-scope"' in page and "Inga roller" in page

    added = client.post(f"/admin/people/{person_id}/roles", data={
        "role-role": "manager", "role-scope": f"unit:{norr_id}", "role-valid_from": "",
        "role-valid_to": ""})
    assert added.status_code == 302
    refused = client.post(f"/admin/people/{person_id}/roles", data={
        "role-role": "staff", "role-scope": f"unit:{norr_id}",
        "role-valid_from": "2030-02-01", "role-valid_to": "2030-01-01"})
    assert refused.status_code == 422
    assert "efter till och med-datumet" in refused.get_data(as_text=True)
    with app.app_context():
        assignments = user("nils.ny").role_assignments
        assert [(a.role, a.unit_id, a.valid_to) for a in assignments] == [
            ("manager", norr_id, None)]
        assignment_id = assignments[0].id
    page = client.get(f"/admin/people/{person_id}").get_data(as_text=True)
    assert "Hemtjänst Visby norr" in page and "Gäller nu" in page

    edited = client.post(f"/admin/people/{person_id}", data={
        "user-display_name": "Nils Nyman", "user-email": "nils.nyman@example.se",
        "user-password": ""})
    assert edited.status_code == 302
    removed = client.post(f"/admin/people/roles/{assignment_id}/delete")
    assert removed.status_code == 302
    with app.app_context():
        person = user("nils.ny")
        assert person.display_name == "Nils Nyman" and person.role_assignments == []
        assert person.check_password("tillfälligt1")  # an empty password keeps it
        assert _actions() == ["user.create", "role.assign", "user.update", "role.remove"]
        update = db.session.scalars(select(AdminLogEntry).filter_by(action="user.update")).one()
        assert update.before == {"display_name": "Nils Ny", "email": "nils@example.se"}
        assert update.after == {"display_name": "Nils Nyman", "email": "nils.nyman@example.se"}
        assert update.actor_name == user("admin").display_name


def test_bad_input_on_the_pages_is_shown_by_the_field_and_nothing_is_saved(app, client):
    with app.app_context():
        people = _count(User)
    _login(client, "admin")
    response = client.post("/admin/people/new", data={
        "username": "chef", "display_name": "Ännu en chef", "email": "inte-en-adress",
        "password": "kort"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Användarnamnet är redan upptaget." in page
    assert "Ange en giltig e-postadress" in page and "minst 8 tecken" in page
    assert 'aria-invalid="true"' in page
    with app.app_context():
        assert _count(User) == people and _actions() == []


def test_filters_find_people_by_text_role_department_and_status(ctx):
    admin = user("admin")
    found = admin_people.list_users(admin, admin_people.UserFilter(text="LINDQ"))
    assert [p.username for p in found.items] == ["medarbetare"]
    managers = admin_people.list_users(admin, admin_people.UserFilter(role="manager"))
    assert {p.username for p in managers.items} == {
        "chef", "chef.soder", "chef.ifo", "chef.sabo", "chef.lss"}
    in_sof = admin_people.list_users(admin, admin_people.UserFilter(
        department_id=_department().id, role="developer"))
    assert [p.username for p in in_sof.items] == ["vu"]
    admin_people.deactivate(admin, user("lars"))
    inactive = admin_people.list_users(admin, admin_people.UserFilter(active=False))
    assert [p.username for p in inactive.items] == ["lars"]


# ---------------------------------------------------------------- through the API

def test_roles_through_the_api(app, client):
    headers = api_headers(client, "admin")
    created = client.post("/api/v1/admin/users", headers=headers, json={
        "username": "api.person", "display_name": "Api Person", "email": "api@example.se"})
    assert created.status_code == 201, created.get_json()
    person_id = created.get_json()["id"]
    with app.app_context():
        department_id, norr_id = _department().id, unit(NORR).id
        technical_id = _department("Tekniska förvaltningen").id
    url = f"/api/v1/admin/users/{person_id}/roles"
    assigned = client.post(url, headers=headers, json={
        "role": "council", "department_id": department_id, "valid_to": "2099-12-31"})
    assert assigned.status_code == 201, assigned.get_json()
    body = assigned.get_json()
    assert (body["role"], body["department"], body["valid_to"], body["status"]) == (
        "council", SOF, "2099-12-31", "current")

    for bad, field in [({"role": "boss"}, "role"),
                       ({"role": "staff", "unit_id": 99999}, "unit_id"),
                       ({"role": "staff", "department_id": "x"}, "department_id"),
                       ({"role": "staff", "valid_from": "31/12/2030"}, "valid_from"),
                       ({"role": "staff", "color": "red"}, "color")]:
        refused = client.post(url, headers=headers, json=bad)
        assert refused.status_code == 422 and field in refused.get_json()["fields"], bad
    other_department = client.post(url, headers=headers, json={
        "role": "staff", "department_id": technical_id, "unit_id": norr_id})
    assert other_department.get_json()["fields"]["unit_id"] == [
        "Enheten hör inte till den valda förvaltningen."]

    listed = client.get(url, headers=headers).get_json()["items"]
    assert [a["role"] for a in listed] == ["council"]
    assert client.delete(f"/api/v1/admin/roles/{body['id']}", headers=headers).status_code == 204
    assert client.get(url, headers=headers).get_json()["items"] == []
    assert client.delete(f"/api/v1/admin/roles/{body['id']}", headers=headers).status_code == 404

    patched = client.patch(f"/api/v1/admin/users/{person_id}", headers=headers,
                           json={"email": "ny@example.se"})
    assert patched.status_code == 200
    assert (patched.get_json()["display_name"], patched.get_json()["email"]) == (
        "Api Person", "ny@example.se")
    with app.app_context():
        assert _actions() == ["user.create", "role.assign", "role.remove", "user.update"]


def test_the_user_list_in_the_api(client):
    headers = api_headers(client, "admin")
    body = client.get("/api/v1/admin/users?role=manager&q=erik", headers=headers).get_json()
    assert [u["username"] for u in body["items"]] == ["chef"]
    assert body["items"][0]["roles"][0]["role"] in {"manager", "staff"}
    assert client.get("/api/v1/admin/users?role=boss", headers=headers).status_code == 422
    assert client.get("/api/v1/admin/users/99999", headers=headers).status_code == 404


def test_the_openapi_document_describes_the_admin_people_api(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert {"/admin/users", "/admin/users/{user_id}", "/admin/users/{user_id}/deactivate",
            "/admin/users/{user_id}/reactivate", "/admin/users/{user_id}/roles",
            "/admin/roles/{assignment_id}", "/admin/users/import"} <= set(document["paths"])
    assert "AdminRoleAssignmentCreate" in document["components"]["schemas"]


# ---------------------------------------------------------------- deactivation

def test_deactivation_with_open_tasks_needs_a_successor_or_an_explicit_end(app, client):
    with app.test_request_context():
        case_id = case_in("refinement").id  # only vu may act on it
        successor_id = _new_person("vu2", "Vera Efterträdare").id
        vu_id = user("vu").id
        admin_log_before = _count(AdminLogEntry)
    headers = api_headers(client, "admin")
    vu_headers = api_headers(client, "vu")
    url = f"/api/v1/admin/users/{vu_id}/deactivate"

    refused = client.post(url, headers=headers)
    assert refused.status_code == 409
    body = refused.get_json()
    assert [(t["case_id"], t["roles"], t["nobody_else"]) for t in body["tasks"]] == [
        (case_id, ["developer"], True)]
    assert "Välj en efterträdare" in body["error"]
    with app.app_context():
        assert user("vu").is_active_user and _count(AdminLogEntry) == admin_log_before

    done = client.post(url, headers=headers, json={"successor_id": successor_id})
    assert done.status_code == 200, done.get_json()
    body = done.get_json()
    assert body["without_anyone"] == [] and body["roles_transferred"] == 1
    assert body["user"]["is_active"] is False and body["user"]["roles"] == []

    with app.test_request_context():
        vu, successor = user("vu"), user("vu2")
        assert vu.role_assignments[0].valid_to == local_today() - timedelta(days=1)
        assert [(a.role, a.department.name, a.valid_from) for a in successor.roles] == [
            ("developer", SOF, local_today())]
        assert [c.id for c in cases.list_cases(successor, todo=True).items] == [case_id]
        assert _actions()[-3:] == ["role.transfer", "role.end", "user.deactivate"]
        entry = db.session.scalars(select(AdminLogEntry).filter_by(action="user.deactivate")).one()
        assert entry.after["successor"] == "vu2" and entry.after["open_tasks"] == [case_id]
        assert entry.after["tokens_revoked"] == 1

    # The deactivated person can neither log in nor use the token they had.
    assert client.get("/api/v1/me", headers=vu_headers).status_code == 401
    assert client.post("/api/v1/tokens", json={"username": "vu", "password": "demo"}
                       ).status_code == 401
    assert _login(client, "vu").status_code == 401

    assert client.post(f"/api/v1/admin/users/{vu_id}/reactivate", headers=headers
                       ).status_code == 200
    assert client.post(f"/api/v1/admin/users/{vu_id}/reactivate", headers=headers
                       ).status_code == 409
    assert client.get("/api/v1/me", headers=vu_headers).status_code == 401  # revoked stays so
    assert client.get("/api/v1/me", headers=api_headers(client, "vu")).status_code == 200
    with app.app_context():
        assert _actions()[-1] == "user.reactivate"


def test_deactivation_in_the_browser_flags_cases_nobody_else_can_act_on(app, client):
    with app.test_request_context():
        case_id = case_in("refinement").id
        vu_id = user("vu").id
    _login(client, "admin")
    page = client.get(f"/admin/people/{vu_id}/deactivate").get_data(as_text=True)
    assert f"/cases/{case_id}" in page and "Ingen annan" in page
    assert 'value="keep"' not in page  # with open tasks the roles cannot simply stay

    missing = client.post(f"/admin/people/{vu_id}/deactivate", data={"disposition": "transfer"})
    assert missing.status_code == 422 and "Välj vem som tar över" in missing.get_data(as_text=True)
    with app.app_context():
        assert user("vu").is_active_user

    ended = client.post(f"/admin/people/{vu_id}/deactivate", data={"disposition": "end"},
                        follow_redirects=True)
    text = ended.get_data(as_text=True)
    assert ended.status_code == 200 and "är inaktiverad" in text
    assert f"Ingen annan kan nu agera på ärende {case_id}" in text
    with app.test_request_context():
        vu = user("vu")
        assert not vu.is_active_user and vu.roles == []
        entry = db.session.scalars(select(AdminLogEntry).filter_by(action="user.deactivate")).one()
        assert entry.after["end_roles"] is True and entry.after["without_anyone"] == [case_id]


def test_deactivation_without_open_tasks_keeps_the_roles_for_a_return(app, client):
    with app.app_context():
        lars_id = user("lars").id
    _login(client, "admin")
    page = client.get(f"/admin/people/{lars_id}/deactivate").get_data(as_text=True)
    assert "inga öppna uppgifter" in page
    done = client.post(f"/admin/people/{lars_id}/deactivate", data={"disposition": "keep"})
    assert done.status_code == 302
    with app.app_context():
        lars = user("lars")
        assert not lars.is_active_user and [a.role for a in lars.roles] == ["staff"]
    assert client.post(f"/admin/people/{lars_id}/reactivate").status_code == 302
    client.post("/logout")
    assert _login(client, "lars").status_code == 302


def test_a_session_ends_when_the_account_is_deactivated(app, client):
    _login(client, "chef.lss")
    assert client.get("/todo").status_code == 200
    with app.test_request_context():
        admin_people.deactivate(user("admin"), user("chef.lss"), end_roles=True)
    response = client.get("/todo")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_admin_cannot_lock_themselves_out(ctx):
    admin = user("admin")
    with pytest.raises(PermissionDenied):
        admin_people.deactivate(admin, admin, end_roles=True)
    with pytest.raises(PermissionDenied):
        admin_people.remove_role(admin, admin.role_assignments[0])
    with pytest.raises(ValidationFailed):
        admin_people.deactivate(admin, user("vu"), successor_id=user("vu").id)
    assert user("vu").is_active_user and len(admin.roles) == 1


# ---------------------------------------------------------------- who may

@pytest.mark.parametrize("who", ["chef", "digital", "fchef", "department_admin"])
def test_only_region_admins_reach_people_pages_and_api(app, client, who):
    with app.app_context():
        target_id = user("medarbetare").id
        assignment_id = user("medarbetare").role_assignments[0].id
        if who == "department_admin":  # an admin role for one förvaltning is not enough
            person = _new_person("fadmin", "Förvaltningsadmin")
            person.role_assignments.append(RoleAssignment(role="admin",
                                                          department=_department()))
            db.session.commit()
            who, password = "fadmin", "hemligt-lösen"
        else:
            password = "demo"
        before = _count(AdminLogEntry), _count(RoleAssignment), _count(User)
    _login(client, who, password)
    for path in ["/admin/people/", f"/admin/people/{target_id}", "/admin/people/new",
                 f"/admin/people/{target_id}/deactivate", "/admin/people/import"]:
        assert client.get(path).status_code == 403, path
    for path in [f"/admin/people/{target_id}/roles", f"/admin/people/{target_id}/deactivate",
                 f"/admin/people/{target_id}/reactivate",
                 f"/admin/people/roles/{assignment_id}/delete", "/admin/people/new"]:
        assert client.post(path, data={"role-role": "admin", "role-scope": "region",
                                       "disposition": "end"}).status_code == 403, path
    headers = api_headers(client, who, password)
    for method, path, body in [
            ("get", "/api/v1/admin/users", None),
            ("post", "/api/v1/admin/users", {"username": "x", "display_name": "X"}),
            ("get", f"/api/v1/admin/users/{target_id}", None),
            ("patch", f"/api/v1/admin/users/{target_id}", {"display_name": "X"}),
            ("post", f"/api/v1/admin/users/{target_id}/deactivate", {"end_roles": True}),
            ("post", f"/api/v1/admin/users/{target_id}/reactivate", None),
            ("get", f"/api/v1/admin/users/{target_id}/roles", None),
            ("post", f"/api/v1/admin/users/{target_id}/roles", {"role": "admin"}),
            ("delete", f"/api/v1/admin/roles/{assignment_id}", None),
            ("post", "/api/v1/admin/users/import", {"csv": "username;display_name\nx;X\n"})]:
        response = getattr(client, method)(path, headers=headers, json=body)
        assert response.status_code == 403, (method, path)
    with app.app_context():
        assert (_count(AdminLogEntry), _count(RoleAssignment), _count(User)) == before


def test_without_a_token_the_admin_api_answers_401(client):
    assert client.get("/api/v1/admin/users").status_code == 401


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=6), inner,
                                                                 max_size=2), max_leaves=5)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.dictionaries(st.sampled_from([
    "username", "display_name", "email", "password", "role", "department_id", "unit_id",
    "valid_from", "valid_to", "successor_id", "end_roles", "csv"]), json_values, max_size=4)
    | json_values)
def test_no_input_to_the_admin_api_yields_a_server_error(app, client, body):
    headers = api_headers(client, "admin")
    with app.app_context():
        target = user("lars").id
    for method, path in [("post", "/api/v1/admin/users"),
                         ("patch", f"/api/v1/admin/users/{target}"),
                         ("post", f"/api/v1/admin/users/{target}/roles"),
                         ("post", f"/api/v1/admin/users/{target}/deactivate"),
                         ("post", "/api/v1/admin/users/import?dry_run=1")]:
        response = getattr(client, method)(path, headers=headers, json=body)
        assert response.status_code < 500, (path, body, response.get_json())
    with app.app_context():  # keep lars active for the next example
        lars = user("lars")
        if not lars.is_active_user:
            lars.is_active_user = True
            db.session.commit()
