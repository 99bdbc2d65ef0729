"""CSV import of people and role assignments: every problem reported by line and column with
nothing written, and a good file imported twice without duplicates."""
from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from helpers import NORR, api_headers, unit, user
from workflow.models import AdminLogEntry, RoleAssignment, User
from workflow.people import user_import
from workflow.platform.extensions import db

HEADER = "username;display_name;email;role;department;unit;valid_from;valid_to"

BROKEN = "\n".join([
    HEADER,
    "nya.anna;Anna Ny;anna@example.se;chef;Socialförvaltningen;Hemtjänst Visby norr;;",  # 2 ok
    "nya.anna;Anna Annan;;staff;Socialförvaltningen;Hemtjänst Visby norr;;",
    "bo;Bo Bosson;inte-en-adress;boss;;;;",
    "cia;Cia C;cia@example.se;developer;Okänd förvaltning;;;",
    "dan;Dan D;;manager;Tekniska förvaltningen;Hemtjänst Visby norr;;",
    "eva2;Eva E;;developer;Socialförvaltningen;;2026-13-01;",
    "fia;Fia F;;council;Socialförvaltningen;;2027-02-01;2027-01-01",
    "nya.anna;Anna Ny;;Chef;Socialförvaltningen;Hemtjänst Visby norr;;",
    "Ogiltig Användare;Gus;;;;;;",
    "gus;;;;;;;",
    "hilda;Hilda H;;staff;;Okänd enhet;;",
    "ivar;Ivar I;;;Socialförvaltningen;;;",
    "jon;Jon J;;staff;;Hemtjänst Visby norr;;;extra",
    "nya.anna;Anna Ny;annan@example.se;developer;Socialförvaltningen;;;",
    "kim;Kim K;;developer;Socialförvaltningen;;2030-01-01;2030-06-30",
    "kim;Kim K;;developer;Socialförvaltningen;;2030-06-01;",
]) + "\n"

EXPECTED_PROBLEMS = [
    (3, "display_name"),  # another name for nya.anna than on line 2
    (4, "email"), (4, "role"),
    (5, "department"),
    (6, "unit"),  # Hemtjänst Visby norr is not in Tekniska förvaltningen
    (7, "valid_from"),
    (8, "valid_to"),  # from after to
    (9, "role"),  # the same as line 2 ("Chef" is the manager role)
    (10, "username"),
    (11, "display_name"),
    (12, "unit"),
    (13, "role"),  # a förvaltning but no role
    (14, None),  # too many fields
    (15, "email"),  # another address for nya.anna than on line 2
    (17, "valid_from"),  # overlaps line 16
]

# As Swedish Excel saves "CSV UTF-8": a byte order mark, semicolons, CRLF line ends.
GOOD = ("\ufeff" + "\r\n".join([
    HEADER,
    "ny.chef;Nina Chef;nina@example.se;manager;Socialförvaltningen;Hemtjänst Visby norr;;",
    "ny.chef;Nina Chef;;Medarbetare;;Hemtjänst Visby norr;;",
    "vikarie;Ville Vikarie;;developer;Socialförvaltningen;;2030-12-01;2030-12-31",
    "vikarie;Ville Vikarie;;Verksamhetsutvecklare;socialförvaltningen;;2031-06-01;2031-06-30",
    "region.digital;\"Rut; Region\";;digital_unit;;;;",
    "medarbetare;Anna Lindqvist;;staff;Socialförvaltningen;Hemtjänst Visby norr;;",
    ";;;;;;;",
]) + "\r\n").encode("utf-8")


def _counts() -> tuple[int, int, int]:
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (User, RoleAssignment, AdminLogEntry))


def _region_id() -> int:
    return user("admin").region_id


def _token(client) -> dict[str, str]:
    return api_headers(client, "admin")


def test_a_broken_file_reports_every_problem_and_writes_nothing(ctx):
    before = _counts()
    result = user_import.run_import(user("admin"), _region_id(), BROKEN.encode(), dry_run=False)
    assert not result.ok and not result.written
    assert [(p.line, p.column) for p in result.problems] == EXPECTED_PROBLEMS
    texts = {(p.line, p.column): p.text for p in result.problems}
    assert texts[(3, "display_name")] == ('Användaren nya.anna har namnet "Anna Ny" på rad 2.')
    assert texts[(4, "role")].startswith('Okänd roll "boss".')
    assert texts[(5, "department")] == 'Okänd förvaltning "Okänd förvaltning".'
    assert "hör inte till förvaltningen" in texts[(6, "unit")]
    assert texts[(9, "role")] == "Raden är en dubblett av rad 2."
    assert texts[(14, None)].startswith("Raden har 9 fält men rubrikraden 8.")
    assert _counts() == before
    assert user("nya.anna") is None


def test_a_good_file_imported_twice_creates_nothing_the_second_time(ctx):
    before = _counts()
    dry = user_import.run_import(user("admin"), _region_id(), GOOD, dry_run=True)
    assert dry.ok and not dry.written and _counts() == before
    assert (dry.users_created, dry.users_unchanged, dry.roles_created, dry.roles_unchanged) == (
        3, 1, 5, 1)

    first = user_import.run_import(user("admin"), _region_id(), GOOD, dry_run=False,
                                   source="personal.csv")
    assert first.ok and first.written, [p.text for p in first.problems]
    assert (first.created, first.users_updated, first.unchanged) == (8, 0, 2)
    assert first.summary().startswith("8 skapade, 0 ändrade, 2 oförändrade")
    nina, ville = user("ny.chef"), user("vikarie")
    assert (nina.display_name, nina.email, nina.is_active_user) == (
        "Nina Chef", "nina@example.se", True)
    assert sorted((a.role, a.unit_id) for a in nina.roles) == [
        ("manager", unit(NORR).id), ("staff", unit(NORR).id)]
    assert [(a.valid_from, a.valid_to) for a in ville.role_assignments] == [
        (date(2030, 12, 1), date(2030, 12, 31)), (date(2031, 6, 1), date(2031, 6, 30))]
    assert ville.roles == []  # a stand-in for later grants nothing today
    assert user("region.digital").display_name == "Rut; Region"
    after_first = _counts()
    assert after_first[:2] == (before[0] + 3, before[1] + 5)
    log = list(db.session.scalars(select(AdminLogEntry.action).order_by(AdminLogEntry.id)))
    assert log.count("user.create") == 3 and log.count("role.assign") == 5
    assert log[-1] == "user.import"

    second = user_import.run_import(user("admin"), _region_id(), GOOD, dry_run=False)
    assert second.ok and (second.created, second.users_updated, second.unchanged) == (0, 0, 10)
    assert _counts()[:2] == after_first[:2]


def test_a_changed_name_updates_the_person_and_overlaps_with_the_database_are_refused(ctx):
    changed = f"{HEADER}\nmedarbetare;Anna Lindqvist-Berg;anna.lb@example.se;;;;;\n"
    result = user_import.run_import(user("admin"), _region_id(), changed, dry_run=False)
    assert result.ok and (result.users_updated, result.created) == (1, 0)
    assert user("medarbetare").display_name == "Anna Lindqvist-Berg"
    entry = db.session.scalars(select(AdminLogEntry).filter_by(action="user.update")).one()
    assert entry.before == {"display_name": "Anna Lindqvist", "email": "anna.lindqvist@example.se"}

    overlapping = f"{HEADER}\nmedarbetare;Anna Lindqvist-Berg;;staff;;{NORR};2030-01-01;\n"
    before = _counts()
    refused = user_import.run_import(user("admin"), _region_id(), overlapping, dry_run=False)
    assert [(p.line, p.column) for p in refused.problems] == [(2, "valid_from")]
    assert "…–…" in refused.problems[0].text and _counts() == before


@pytest.mark.parametrize("data, message", [
    (b"", "Filen är tom."),
    ("username,display_name\nx,X\n".encode(), "semikolon"),
    (f"{HEADER}\nåsa;\xc5sa\n".encode("latin-1"), "UTF-8"),
    (b"username;namn;colour\nx;X;red\n", 'Okänd kolumn "colour"'),
    (b"display_name;role\nX;staff\n", 'Kolumnen "username" saknas'),
])
def test_files_of_the_wrong_shape_are_explained(ctx, data, message):
    result = user_import.run_import(user("admin"), _region_id(), data, dry_run=True)
    assert not result.ok and message in result.problems[0].text


def test_the_non_utf8_problem_names_its_line(ctx):
    data = (f"{HEADER}\nanna;Anna;;;;;;\n".encode() + "bo;Bo Åberg;;;;;;\n".encode("latin-1"))
    result = user_import.run_import(user("admin"), _region_id(), data, dry_run=True)
    assert [(p.line, p.column) for p in result.problems] == [(3, None)]


def test_swedish_headings_and_a_unit_without_its_forvaltning(ctx):
    data = ("Användarnamn;Namn;E-post;Roll;Förvaltning;Enhet;Från och med;Till och med\n"
            f"ulla;Ulla U;;Chef;;{NORR};2031-01-01;2031-01-31\n")
    result = user_import.run_import(user("admin"), _region_id(), data, dry_run=False)
    assert result.ok and result.roles_created == 1
    assignment = user("ulla").role_assignments[0]
    assert (assignment.role, assignment.unit_id, assignment.department_id) == (
        "manager", unit(NORR).id, None)


def test_the_command_line_import(app, tmp_path):
    path = tmp_path / "personal.csv"
    path.write_bytes(GOOD)
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["import-users", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Provkörning" in dry.output and "8 skapade" in dry.output
    with app.app_context():
        assert user("ny.chef") is None
    done = runner.invoke(args=["import-users", str(path)])
    assert done.exit_code == 0 and "8 skapade" in done.output
    again = runner.invoke(args=["import-users", str(path)])
    assert again.exit_code == 0 and "0 skapade, 0 ändrade, 10 oförändrade" in again.output
    with app.app_context():
        entry = db.session.scalars(select(AdminLogEntry).filter_by(action="user.create")).first()
        assert entry.actor_id is None and entry.actor_name == "kommandoraden"

    broken = tmp_path / "trasig.csv"
    broken.write_text(BROKEN, encoding="utf-8")
    failed = runner.invoke(args=["import-users", str(broken)])
    assert failed.exit_code != 0
    assert "Rad 4, kolumn role: Okänd roll" in failed.output
    assert "ingenting sparades" in failed.output


def test_the_api_import_with_csv_or_json_and_a_dry_run(app, client):
    headers = _token(client)
    with app.app_context():
        before = _counts()
    dry = client.post("/api/v1/admin/users/import?dry_run=1", data=GOOD,
                      headers={**headers, "Content-Type": "text/csv; charset=utf-8"})
    assert dry.status_code == 200 and dry.get_json()["dry_run"] is True
    assert dry.get_json()["written"] is False and dry.get_json()["created"] == 8
    broken = client.post("/api/v1/admin/users/import", headers=headers, json={"csv": BROKEN})
    assert broken.status_code == 422
    assert [(p["line"], p["column"]) for p in broken.get_json()["problems"]] == EXPECTED_PROBLEMS
    with app.app_context():
        assert _counts() == before
    done = client.post("/api/v1/admin/users/import", headers=headers,
                       json={"csv": GOOD.decode("utf-8")})
    assert done.status_code == 200 and done.get_json()["written"] is True
    assert done.get_json()["users"] == {"created": 3, "updated": 0, "unchanged": 1}
    again = client.post("/api/v1/admin/users/import", data=GOOD,
                        headers={**headers, "Content-Type": "text/csv"})
    assert again.get_json()["created"] == 0 and again.get_json()["unchanged"] == 10
    assert client.post("/api/v1/admin/users/import", headers=headers,
                       json={"file": "x"}).status_code == 422


def test_the_upload_page_dry_runs_and_imports(app, client):
    client.post("/login", data={"username": "admin", "password": "demo"})
    assert "CSV-fil" in client.get("/admin/people/import").get_data(as_text=True)
    broken = client.post("/admin/people/import", content_type="multipart/form-data", data={
        "file": (io.BytesIO(BROKEN.encode()), "trasig.csv"), "dry_run": "1"})
    page = broken.get_data(as_text=True)
    assert broken.status_code == 422 and "15 problem i filen. Ingenting sparades." in page
    assert "Okänd förvaltning &#34;Okänd förvaltning&#34;." in page
    dry = client.post("/admin/people/import", content_type="multipart/form-data", data={
        "file": (io.BytesIO(GOOD), "personal.csv"), "dry_run": "1"})
    assert dry.status_code == 200 and "Ingenting är sparat ännu" in dry.get_data(as_text=True)
    with app.app_context():
        assert user("ny.chef") is None
    done = client.post("/admin/people/import", content_type="multipart/form-data", data={
        "file": (io.BytesIO(GOOD), "personal.csv"), "submit": "1"})
    assert done.status_code == 200 and "Importen är klar." in done.get_data(as_text=True)
    with app.app_context():
        assert user("ny.chef") is not None
        entry = db.session.scalars(select(AdminLogEntry).filter_by(action="user.import")).one()
        assert entry.after["file"] == "personal.csv" and entry.after["users_created"] == 3
    missing = client.post("/admin/people/import", content_type="multipart/form-data",
                          data={"submit": "1"})
    assert missing.status_code == 422 and "Välj en fil." in missing.get_data(as_text=True)


def test_the_example_in_the_documentation_imports_cleanly(ctx):
    document = (Path(__file__).parents[1] / "docs" / "user-import.md").read_text("utf-8")
    example = document.split("```csv\n", 1)[1].split("```", 1)[0]
    result = user_import.run_import(user("admin"), _region_id(), example, dry_run=True)
    assert result.ok, [p.text for p in result.problems]
    assert (result.users_created, result.roles_created) == (4, 5)
