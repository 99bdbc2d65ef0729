"""Process administration: the active version per förvaltning, loading a new version from a
file (validation, preview, confirmation), other app instances picking it up, the admin log,
the API and the command line."""
from __future__ import annotations

import html
import io
import logging
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text
from test_process_diff import raw_v1, raw_v2

from helpers import TO_APT, api_headers, case_in, drive, new_draft, statements_run, user
from workflow.cases import service as cases
from workflow.models import AdminLogEntry, Region, StoredProcessDefinition
from workflow.ops.scheduling import bind_app, execute_job
from workflow.platform.extensions import db
from workflow.processes import admin as process_admin
from workflow.processes.registry import current_process, registry

V2 = yaml.safe_dump(raw_v2(), allow_unicode=True, sort_keys=False)


@pytest.fixture
def make_app(make_app, tmp_path_factory):
    """These tests load a second version on top of the first: the apps here read a folder that
    holds only standard-v1.yaml (the shipped folder has its own version 2)."""
    from workflow.platform.settings import CONFIG_DIR
    folder = tmp_path_factory.mktemp("processes")
    (folder / "standard-v1.yaml").write_bytes(
        (CONFIG_DIR / "processes" / "standard-v1.yaml").read_bytes())

    def factory(**overrides):
        return make_app(**{"PROCESS_DIR": folder, **overrides})
    return factory


def broken(**changes) -> str:
    raw = raw_v2()
    raw.update(changes)
    return yaml.safe_dump(raw, allow_unicode=True, sort_keys=False)


def with_unknown_guard(version: int = 2) -> str:
    raw = raw_v2()
    raw["version"] = version
    next(e for e in raw["events"] if e["name"] == "park")["guards"] = ["moon_is_full"]
    return yaml.safe_dump(raw, allow_unicode=True, sort_keys=False)


def stored_count() -> int:
    return db.session.scalar(select(func.count(StoredProcessDefinition.id)))


def load_entries() -> list[AdminLogEntry]:
    return list(db.session.scalars(select(AdminLogEntry).where(
        AdminLogEntry.action == "process.load").order_by(AdminLogEntry.id)))


def login(client, username: str) -> None:
    client.post("/login", data={"username": username, "password": "demo"})


def upload(client, content: str | bytes, filename: str = "standard-v2.yaml"):
    data = content.encode() if isinstance(content, str) else content
    return client.post("/admin/processes/new", data={"file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def hidden(page: str, name: str) -> str:
    """The value of a hidden input, unescaped (the confirmation form carries the file)."""
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', page)
    if match is None:
        match = re.search(rf'<input[^>]*value="([^"]*)"[^>]*name="{name}"', page)
    assert match, f"no hidden field {name}"
    return html.unescape(match.group(1))


@pytest.fixture
def api(app):
    client = app.test_client()

    client.token = lambda username: api_headers(client, username)
    return client


# ------------------------------------------------------------------------------ pages

def test_the_overview_shows_each_förvaltning_and_the_versions_with_their_cases(app, client):
    with app.app_context():
        case_in("apt")
        region = db.session.scalar(select(Region))
        overview = process_admin.overview(region.id)
        assert [(v.process.version, v.latest, v.usage.total, v.usage.running)
                for v in overview.versions] == [(1, True, 1, 1)]
        social = next(d for d in overview.departments
                      if d.department.name == "Socialförvaltningen")
        assert social.current.version == 1 and social.running == {("standard", 1): 1}
        assert len(overview.departments) == 6
    login(client, "admin")
    page = client.get("/admin/processes/").get_data(as_text=True)
    assert "Utbildningsförvaltningen" in page and "Socialförvaltningen" in page
    assert "En process gäller för hela regionen" in page
    assert "/admin/processes/standard/1" in page
    assert "/admin/processes/" in client.get("/admin/").get_data(as_text=True)


def test_the_detail_page_shows_the_diagram_states_and_events(app, client):
    login(client, "admin")
    response = client.get("/admin/processes/standard/1")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<figure class="diagram"' in page and "<svg" in page
    assert "I digitaliseringsrådet" in page and "<code>council</code>" in page
    assert "Ledamot i digitaliseringsrådet" in page  # who must act, by role label
    assert "Besluta (inom delegation)" in page and "within_delegation" in page
    assert "Alla roller utom medarbetare (standard)" in page
    assert client.get("/admin/processes/standard/9").status_code == 404
    assert client.get("/admin/processes/other/1").status_code == 404


@pytest.mark.parametrize("username", ["medarbetare", "chef", "fchef", "digital"])
def test_only_region_admins_reach_the_pages(app, client, username):
    login(client, username)
    assert client.get("/admin/processes/").status_code == 403
    assert client.get("/admin/processes/standard/1").status_code == 403
    assert client.get("/admin/processes/new").status_code == 403
    assert upload(client, V2).status_code == 403
    assert client.post("/admin/processes/confirm",
                       data={"source": V2, "filename": "x.yaml"}).status_code == 403
    with app.app_context():
        assert stored_count() == 0


def test_the_forms_need_their_csrf_token(make_demo_app):
    app = make_demo_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"username": "admin", "password": "demo", "csrf_token": token})
    assert upload(client, V2).status_code == 400
    page = client.get("/admin/processes/new").get_data(as_text=True)
    token = hidden(page, "csrf_token")
    response = client.post("/admin/processes/new", content_type="multipart/form-data", data={
        "file": (io.BytesIO(V2.encode()), "standard-v2.yaml"), "csrf_token": token})
    assert response.status_code == 200
    preview = response.get_data(as_text=True)
    fields = {name: hidden(preview, name) for name in ("source", "filename", "base_version")}
    assert client.post("/admin/processes/confirm", data=fields).status_code == 400
    with app.app_context():
        assert stored_count() == 0
    confirmed = client.post("/admin/processes/confirm",
                            data={**fields, "csrf_token": hidden(preview, "csrf_token")})
    assert confirmed.status_code == 302
    with app.app_context():
        assert stored_count() == 1


def test_a_broken_file_shows_every_error_with_file_entry_and_fix_and_stores_nothing(app, client):
    login(client, "admin")
    response = upload(client, with_unknown_guard(version=1), "min-process.yaml")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "min-process.yaml" in page
    assert "event &#39;park&#39;.guards" in page and "unknown guard &#39;moon_is_full&#39;" in page
    assert "Use one of:" in page  # the validator's fix, as it reports it
    # The taken version number is reported beside the validator's error.
    assert "version 1 av standard finns redan" in page and "version: 2" in page
    assert 'enctype="multipart/form-data"' in page and 'for="file"' in page
    with app.app_context():
        assert stored_count() == 0 and load_entries() == []
        assert current_process().version == 1


@pytest.mark.parametrize("content, expected", [
    ("name: [", "cannot be parsed"),
    (b"\xff\xfe\x00nonsense", "är inte text i UTF-8"),
    ("   ", "är tom"),
    (broken(version=1), "version 1 av standard finns redan"),
    (broken(name="annan"), "processen heter annan"),
])
def test_other_refusals(app, client, content, expected):
    login(client, "admin")
    response = upload(client, content)
    assert response.status_code == 422
    assert expected in response.get_data(as_text=True)
    with app.app_context():
        assert stored_count() == 0


def test_a_missing_file_is_an_error_next_to_the_field(app, client):
    login(client, "admin")
    response = client.post("/admin/processes/new", data={}, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="file-error"' in page and "Välj en fil." in page


def test_preview_then_confirm_makes_the_new_version_the_latest(app, client):
    with app.app_context():
        running = case_in("apt")
        running_id = running.id
    login(client, "admin")
    response = upload(client, V2)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Förhandsgranska standard version 2" in page
    assert "quick_win" in page and "resolved_locally" in page  # a state added and one removed
    assert "Snabb vinst" in page and "Löst i verksamheten" in page
    assert "Måltid (dagar)" in page and "45" in page and "30" in page
    assert "Förvaltningschef/ledningsgrupp" in page  # park's roles after, by label
    assert "comment_given" in page
    with app.app_context():
        assert stored_count() == 0  # a preview stores nothing

    response = client.post("/admin/processes/confirm", data={
        "source": hidden(page, "source"), "filename": hidden(page, "filename"),
        "base_version": hidden(page, "base_version")})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/processes/standard/2")
    detail = client.get("/admin/processes/standard/2").get_data(as_text=True)
    assert "Version 2 av standard är inläst" in detail and "Snabb vinst" in detail

    with app.app_context():
        row = db.session.scalar(select(StoredProcessDefinition))
        assert (row.name, row.version, row.filename) == ("standard", 2, "standard-v2.yaml")
        assert row.source == V2 and row.loaded_by_id == user("admin").id
        assert current_process().version == 2
        # New cases start on version 2 and can take its new way out of APT.
        fresh = drive(new_draft(), TO_APT)
        assert fresh.process_version == 2
        cases.fire(fresh, "quick_win", user("chef"), {})
        assert fresh.state == "quick_win"
        # The running case keeps version 1 and can still fire an event version 2 removed.
        old = db.session.get(type(fresh), running_id)
        assert old.process_version == 1
        cases.fire(old, "resolve_locally", user("chef"), {"resolution": "Nytt schema."})
        assert old.state == "resolved_locally" and old.process_version == 1
        # Lists judge each case by its own version: a state that version 2 removed still shows.
        listed = cases.list_cases(user("chef"), state="resolved_locally").items
        assert [c.id for c in listed] == [running_id]
        assert running_id in [c.id for c in cases.list_cases(old.author, mine=True).items]
    overview = client.get("/admin/processes/").get_data(as_text=True)
    assert "version 2" in overview and "Inläst" in overview


def test_the_admin_log_records_the_loaded_version_with_its_changes(app):
    with app.app_context():
        process_admin.load(user("admin"), V2, "standard-v2.yaml")
        [entry] = load_entries()
        assert entry.actor_name == user("admin").display_name
        assert entry.target_type == "process_definitions"
        assert entry.target_label == "standard version 2"
        assert entry.after == {
            "name": "standard", "version": 2, "filename": "standard-v2.yaml",
            "compared_with": 1, "states_added": "quick_win",
            "states_removed": "resolved_locally", "states_changed": "council",
            "events_added": "quick_win", "events_removed": "resolve_locally",
            "events_changed": "park, reactivate"}


def test_a_stale_preview_is_refused(app, client):
    login(client, "admin")
    page = upload(client, V2).get_data(as_text=True)
    with app.app_context():
        v3 = raw_v2()
        v3["version"] = 3
        process_admin.load(user("admin"), yaml.safe_dump(v3), "standard-v3.yaml")
    response = client.post("/admin/processes/confirm", data={
        "source": hidden(page, "source"), "filename": "standard-v2.yaml",
        "base_version": hidden(page, "base_version")})
    assert response.status_code == 422  # version 2 is no longer higher than the latest
    assert "inte högre än den senaste versionen 3" in response.get_data(as_text=True)
    v4 = raw_v2()
    v4["version"] = 4
    response = client.post("/admin/processes/confirm", data={
        "source": yaml.safe_dump(v4), "filename": "standard-v4.yaml", "base_version": "1"})
    assert response.status_code == 409
    assert "En annan version har lästs in" in response.get_data(as_text=True)
    with app.app_context():
        assert [r.version for r in db.session.scalars(select(StoredProcessDefinition))] == [3]


def test_another_app_instance_and_the_scheduler_see_the_new_version_without_restart(
        app, make_app):
    other = make_app()
    with other.app_context():
        assert current_process().version == 1
    with app.app_context():
        process_admin.load(user("admin"), V2, "standard-v2.yaml")
    with other.app_context():
        assert current_process().version == 2
        machine = registry().get("standard", 2)
        assert new_draft().process_version == 2
    with other.app_context():  # the next request finds nothing new: the same machine
        assert registry().get("standard", 2) is machine

    scheduler = make_app()
    assert ("standard", 2) not in {p.definition.key for p in
                                   scheduler.extensions["workflow.processes"].all()}
    bind_app(scheduler)
    try:
        execute_job("overdue_scan")  # a job reads the registry in its own app context
    finally:
        bind_app(None)
    assert ("standard", 2) in {p.definition.key for p in
                               scheduler.extensions["workflow.processes"].all()}


def test_a_logged_in_request_of_another_instance_checks_for_new_versions_with_the_user(
        app, make_app):
    """Issue 14: the user loader reads the newest stored version's id with the person, so the
    check costs no statement of its own, and another instance's next page still uses a
    version loaded meanwhile."""
    other = make_app()
    client = other.test_client()
    login(client, "medarbetare")
    assert client.get("/cases").status_code == 200  # the table has been read: folded from now
    with app.app_context():
        process_admin.load(user("admin"), V2, "standard-v2.yaml")
    with other.app_context():
        engine = db.engine
    assert client.get("/cases").status_code == 200
    with other.app_context():
        assert current_process().version == 2
    with statements_run(engine) as statements:
        assert client.get("/cases").status_code == 200
    newest = [s for s in statements if "max(process_definitions.id)" in s]
    assert len(newest) == 1 and newest[0].startswith("SELECT users.id")


def test_a_stored_version_can_neither_be_changed_nor_deleted(app):
    with app.app_context():
        process_admin.load(user("admin"), V2, "standard-v2.yaml")
    for statement in ("UPDATE process_definitions SET version = 7",
                      "DELETE FROM process_definitions"):
        with app.app_context():
            with pytest.raises(Exception, match="never changed"):
                db.session.execute(text(statement))
                db.session.commit()
            db.session.rollback()
    with app.app_context():
        assert db.session.scalar(select(StoredProcessDefinition.version)) == 2


def test_an_unusable_stored_row_is_logged_and_skipped(app, make_app, caplog, monkeypatch):
    # Alembic's fileConfig (the migrations in the fixtures) disables loggers that existed.
    monkeypatch.setattr(logging.getLogger("workflow.processes"), "disabled", False)
    with app.app_context():
        db.session.add(StoredProcessDefinition(name="standard", version=5, source="name: [",
                                               filename="trasig.yaml"))
        db.session.commit()
    other = make_app()
    with caplog.at_level(logging.ERROR, logger="workflow.processes"):
        with other.app_context():
            assert current_process().version == 1
    assert "process_definitions #1 (trasig.yaml)" in caplog.text


# ------------------------------------------------------------------------------ API

def test_the_api_lists_versions_and_usage_and_shows_a_definition(app, api):
    with app.app_context():
        case_in("submitted")
    headers = api.token("admin")
    body = api.get("/api/v1/admin/processes", headers=headers).get_json()
    assert body["current"] == {"name": "standard", "version": 1}
    assert body["versions"] == [{
        "name": "standard", "version": 1, "latest": True, "origin": "file",
        "filename": "standard-v1.yaml", "loaded_at": None, "loaded_by": None,
        "cases": {"total": 1, "running": 1},
        "label": {"sv": "Standardprocessen: idé till beslut",
                  "en": "Standard process: idea to decision"}}]
    assert {d["name"] for d in body["departments"]} >= {"Socialförvaltningen"}
    assert all(d["version"] == 1 for d in body["departments"])

    definition = api.get("/api/v1/admin/processes/standard/1", headers=headers).get_json()
    council = next(s for s in definition["states"] if s["name"] == "council")
    assert council["target_days"] == 45 and council["waiting_for"] == ["council"]
    ret = next(e for e in definition["events"] if e["name"] == "return")
    assert ret["roles.political"] == ["registrar"] and ret["guards"] == ["comment_given"]
    assert api.get("/api/v1/admin/processes/standard/3", headers=headers).status_code == 404


def test_the_api_previews_refuses_and_loads(app, api):
    headers = {**api.token("admin"), "Content-Type": "application/yaml"}
    response = api.post("/api/v1/admin/processes/preview?filename=ny.yaml",
                        data=with_unknown_guard(), headers=headers)
    body = response.get_json()
    assert response.status_code == 422
    assert body["problems"] == [{
        "file": "ny.yaml", "entry": "event 'park'.guards",
        "problem": "unknown guard 'moon_is_full'", "fix": body["problems"][0]["fix"]}]
    assert body["problems"][0]["fix"].startswith("Use one of:") and body["reasons"]

    preview = api.post("/api/v1/admin/processes/preview", data=V2, headers=headers).get_json()
    assert preview["base_version"] == 1 and preview["diff"]["states"]["added"] == ["quick_win"]
    assert preview["diff"]["events"]["removed"] == ["resolve_locally"]
    with app.app_context():
        assert stored_count() == 0

    refused = api.post("/api/v1/admin/processes?base_version=7", data=V2, headers=headers)
    assert refused.status_code == 409
    for odd in ("²", "١", "x", "99999999999999"):  # "²".isdigit() is true, int("²") fails
        malformed = api.post(f"/api/v1/admin/processes?base_version={odd}", data=V2,
                             headers=headers)
        assert malformed.status_code == 422, odd
        assert "versionsnummer" in malformed.get_json()["fields"]["base_version"][0]
    loaded = api.post("/api/v1/admin/processes?filename=v2.yaml&base_version=1", data=V2,
                      headers=headers)
    assert loaded.status_code == 201
    assert loaded.headers["Location"].endswith("/api/v1/admin/processes/standard/2")
    assert loaded.get_json()["origin"] == "database"
    with app.app_context():
        assert loaded.get_json()["loaded_by"] == user("admin").display_name
    again = api.post("/api/v1/admin/processes", data=V2, headers=headers)
    assert again.status_code == 422 and again.get_json()["problems"][0]["entry"] == "version"
    with app.app_context():
        assert stored_count() == 1 and len(load_entries()) == 1


@pytest.mark.parametrize("username", ["medarbetare", "fchef", "digital"])
def test_the_api_is_for_region_admins_only(app, api, username):
    headers = api.token(username)
    assert api.get("/api/v1/admin/processes", headers=headers).status_code == 403
    assert api.get("/api/v1/admin/processes/standard/1", headers=headers).status_code == 403
    assert api.post("/api/v1/admin/processes/preview", data=V2,
                    headers=headers).status_code == 403
    assert api.post("/api/v1/admin/processes", data=V2, headers=headers).status_code == 403
    assert api.get("/api/v1/admin/processes").status_code == 401
    with app.app_context():
        assert stored_count() == 0


def _paths(value, prefix=()):
    yield prefix
    items = value.items() if isinstance(value, dict) else (
        enumerate(value) if isinstance(value, list) else ())
    for key, inner in items:
        yield from _paths(inner, prefix + (key,))


PATHS_IN_V2 = [path for path in _paths(raw_v2()) if path]
ODD_VALUES = st.none() | st.booleans() | st.integers(-2, 400) | st.floats(allow_nan=False) \
    | st.text(max_size=6) | st.lists(st.text(max_size=4) | st.integers(), max_size=2) \
    | st.dictionaries(st.sampled_from(["sv", "en", "value", "x"]), st.text(max_size=4) | st.none(),
                      max_size=2)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(PATHS_IN_V2), value=ODD_VALUES)
def test_a_mangled_file_is_refused_or_accepted_never_a_server_error(app, path, value):
    raw = raw_v2()
    parent = raw
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    with app.test_request_context():
        try:
            process_admin.preview(yaml.safe_dump(raw, allow_unicode=True), "fuzz.yaml")
        except process_admin.DefinitionRejected as rejected:
            assert rejected.problems and all(p.source == "fuzz.yaml" for p in rejected.problems)


def test_the_openapi_document_describes_the_endpoints(app, api):
    document = api.get("/api/v1/openapi.json").get_json()
    assert set(document["paths"]["/admin/processes"]) == {"get", "post"}
    assert "post" in document["paths"]["/admin/processes/preview"]
    assert "get" in document["paths"]["/admin/processes/{name}/{version}"]
    assert "ProcessRejected" in document["components"]["schemas"]


# ------------------------------------------------------------------------------ command line

def test_the_command_line_loads_a_version_and_dry_run_stores_nothing(app, tmp_path: Path):
    path = tmp_path / "standard-v2.yaml"
    path.write_text(V2, encoding="utf-8")
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["load-process", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "states_added: quick_win" in dry.output and "ingenting sparades" in dry.output
    with app.app_context():
        assert stored_count() == 0
    result = runner.invoke(args=["load-process", str(path)])
    assert result.exit_code == 0, result.output
    assert "standard version 2 är inläst" in result.output
    with app.app_context():
        [entry] = load_entries()
        assert entry.actor_id is None and entry.actor_name == "kommandoraden"
        assert current_process().version == 2


def test_the_command_line_reports_a_broken_file(app, tmp_path: Path):
    path = tmp_path / "trasig.yaml"
    path.write_text(with_unknown_guard(), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["load-process", str(path)])
    assert result.exit_code != 0
    assert "trasig.yaml: event 'park'.guards: unknown guard 'moon_is_full'" in result.output
    with app.app_context():
        assert stored_count() == 0


def test_the_unchanged_standard_file_differs_only_in_its_number(app):
    raw = raw_v1()
    raw["version"] = 2
    with app.app_context():
        candidate = process_admin.preview(yaml.safe_dump(raw, allow_unicode=True), "kopia.yaml")
        assert candidate.diff.empty and candidate.base_version == 1
