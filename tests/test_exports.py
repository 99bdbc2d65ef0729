"""CSV and XLSX exports: contents, role scoping, anonymity, filters and Swedish headers."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from helpers import IDEA, NORR, PROCUREMENT, case_in, drive, new_draft, unit, user
from workflow.cases import access
from workflow.cases import service as cases
from workflow.dossier import service as dossier
from workflow.exports import service as exports
from workflow.models import Case
from workflow.platform.errors import ValidationFailed
from workflow.platform.extensions import db

SODER = "Hemtjänst Visby söder"
IFO = "Individ- och familjeomsorg"
HEMSE = "Vårdcentral Hemse"  # Hälso- och sjukvårdsförvaltningen
STOCKHOLM = ZoneInfo("Europe/Stockholm")
PATHS = ("/exports/cases.csv", "/exports/cases.xlsx", "/exports/dossiers.csv")

CASE_HEADERS = [
    "Nr", "Rubrik", "Läge", "Förvaltning", "Enhet", "Ursprung", "Inlämnad av", "Skapad",
    "Senast ändrad", "Kostnadsuppskattning (kr)", "Inriktning", "Prioritering", "Planerat år",
    "Driftstart", "Diarienummer",
]
DOSSIER_HEADERS = [
    "Nr", "Rubrik", "Läge", "Förvaltning", "Enhet", "Nyttokalkyl", "Kalkylperiod (år)",
    "Total kostnad över kalkylperioden (kr)", "Nettonuvärde (kr)", "Återbetalningsår",
    "Nytta per kostnadskrona", "Finansiell nytta (kr)", "Omfördelning (kr)",
    "Föreslagen upphandlingsväg", "Vald upphandlingsväg", "Uppskattat kontraktsvärde (kr)",
    "Högsta klassningsnivå", "Personuppgifter", "Känsliga personuppgifter",
    "Säkerhetsgodkännande", "Komplett",
]


# ---------------------------------------------------------------- helpers

def login(client, username):
    client.post("/logout")
    response = client.post("/login", data={"username": username, "password": "demo"})
    assert response.status_code == 302
    return client


def read_csv(response) -> list[dict[str, str]]:
    """Check the file's form (BOM, `;`, attachment) and return its rows by header."""
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/csv"
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    reader = csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=";")
    lines = list(reader)
    return [dict(zip(lines[0], line, strict=True)) for line in lines[1:]]


def csv_lines(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"), newline=""),
                           delimiter=";"))


def read_xlsx(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == exports_xlsx_type()
    return load_workbook(io.BytesIO(response.get_data()))


def exports_xlsx_type() -> str:
    return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def sheet_rows(sheet) -> list[dict[str, object]]:
    lines = list(sheet.iter_rows(values_only=True))
    return [dict(zip(lines[0], line, strict=True)) for line in lines[1:]]


def ids(rows) -> set[int]:
    return {int(row["Nr"]) for row in rows}


def all_cells(client) -> list[str]:
    """Every cell of every export the logged-in user can download, as text."""
    cells: list[str] = []
    for path in ("/exports/cases.csv", "/exports/dossiers.csv"):
        response = client.get(path)
        assert response.status_code == 200
        cells += [cell for line in csv_lines(response) for cell in line]
    workbook = read_xlsx(client.get("/exports/cases.xlsx"))
    for sheet in workbook.worksheets:
        cells += [str(value) for line in sheet.iter_rows(values_only=True)
                  for value in line if value is not None]
    return cells


def make_case(author: str, unit_name: str = NORR, *, submit: bool = True,
              when: datetime | None = None, **fields) -> int:
    case = cases.create_case(user(author), {**IDEA, "unit_id": unit(unit_name).id, **fields},
                             submit=submit, now=when)
    return case.id


# ---------------------------------------------------------------- access and form

def test_exports_require_login(client):
    for path in PATHS:
        response = client.get(path)
        assert response.status_code == 302 and response.location.startswith("/login")


def test_downloads_are_attachments_named_with_the_date(app, client):
    login(client, "vu")
    with app.app_context():
        today = exports.today_local().isoformat()
    expected = {"/exports/cases.csv": f"arenden-{today}.csv",
                "/exports/cases.xlsx": f"arenden-{today}.xlsx",
                "/exports/dossiers.csv": f"beslutsunderlag-{today}.csv"}
    for path, name in expected.items():
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["Content-Disposition"] == f'attachment; filename="{name}"'
        assert "no-store" in response.headers["Cache-Control"]


# ---------------------------------------------------------------- contents

def test_case_csv_contents(app, client):
    with app.app_context():
        case = case_in("management")  # priority high, cost 240 000, direction given
        # the registry's number (docs/decisions.md), set by the management
        cases.update_case(user("fchef"), case, {"diarienummer": "SON 2026/77"})
        case_id, created = case.id, case.created_at
        draft_id = new_draft().id
    login(client, "vu")
    rows = read_csv(client.get("/exports/cases.csv"))
    assert ids(rows) == {case_id}  # the draft is only the author's
    row = rows[0]
    assert row == {
        "Nr": str(case_id), "Rubrik": IDEA["title"], "Läge": "För beslut i förvaltningsledningen",
        "Förvaltning": "Socialförvaltningen", "Enhet": NORR, "Ursprung": "Medarbetaridé",
        "Inlämnad av": "Anna Lindqvist",
        "Skapad": created.astimezone(STOCKHOLM).date().isoformat(),
        "Senast ändrad": row["Senast ändrad"], "Kostnadsuppskattning (kr)": "240000",
        "Inriktning": "Effektivisering, Intern nytta", "Prioritering": "Hög",
        "Planerat år": "", "Driftstart": "", "Diarienummer": "SON 2026/77",
    }
    assert datetime.fromisoformat(row["Senast ändrad"])  # ISO, YYYY-MM-DD HH:MM
    login(client, "medarbetare")
    assert ids(read_csv(client.get("/exports/cases.csv"))) == {case_id, draft_id}


def test_case_xlsx_contents(app, client):
    with app.app_context():
        case_id = case_in("follow_up").id  # go-live date 2025-06-01
        refined_id = case_in("refinement").id  # no dossier
    login(client, "vu")
    workbook = read_xlsx(client.get("/exports/cases.xlsx"))
    assert workbook.sheetnames == ["Ärenden", "Beslutsunderlag"]
    for sheet in workbook.worksheets:
        assert sheet.freeze_panes == "A2"
        assert all(cell.font.b for cell in sheet[1])
        assert all(sheet.column_dimensions[c.column_letter].width for c in sheet[1])
    sheet = workbook["Ärenden"]
    assert [c.value for c in sheet[1]] == CASE_HEADERS
    rows = {row["Nr"]: row for row in sheet_rows(sheet)}
    assert set(rows) == {case_id, refined_id}
    row = rows[case_id]
    assert row["Läge"] == "Nyttouppföljning" and row["Inlämnad av"] == "Anna Lindqvist"
    assert row["Kostnadsuppskattning (kr)"] == 240_000
    assert isinstance(row["Skapad"], datetime) and isinstance(row["Senast ändrad"], datetime)
    assert row["Driftstart"] == datetime(2025, 6, 1)
    assert rows[refined_id]["Kostnadsuppskattning (kr)"] is None
    cells = {c.column_letter: c for c in sheet[2]}
    assert cells["J"].number_format == "#,##0" and cells["H"].number_format == "yyyy-mm-dd"
    assert cells["N"].is_date and cells["H"].is_date
    dossiers = workbook["Beslutsunderlag"]
    assert [c.value for c in dossiers[1]] == DOSSIER_HEADERS
    assert {row["Nr"] for row in sheet_rows(dossiers)} == {case_id}


def test_dossier_csv_contents(app, client):
    with app.app_context():
        case = case_in("management")
        expected = dossier.view(case).sections["benefit"].result
        complete_id = case.id
        partial = case_in("refinement")
        dossier.save_section(user("vu"), partial, "procurement",
                             {**PROCUREMENT, "estimated_value_sek": 900_000,
                              "chosen_route": "advertised_procedure"})
        partial_id = partial.id
        case_in("submitted")  # no dossier, so no row
    login(client, "vu")
    rows = {int(row["Nr"]): row for row in read_csv(client.get("/exports/dossiers.csv"))}
    assert set(rows) == {complete_id, partial_id}
    row = rows[complete_id]
    assert expected.total_cost_sek == 285_000
    assert row["Nyttokalkyl"] == "ifylld" and row["Kalkylperiod (år)"] == "3"
    assert row["Total kostnad över kalkylperioden (kr)"] == "285000"
    assert row["Nettonuvärde (kr)"] == str(expected.npv_sek)
    assert row["Återbetalningsår"] == str(expected.payback_year)
    assert row["Nytta per kostnadskrona"] == str(expected.benefit_cost_ratio).replace(".", ",")
    assert "," in row["Nytta per kostnadskrona"]
    assert row["Finansiell nytta (kr)"] == "0"
    assert row["Omfördelning (kr)"] == str(expected.reallocation_sek) == "400000"
    assert row["Föreslagen upphandlingsväg"] == row["Vald upphandlingsväg"] == "Direktupphandling"
    assert row["Uppskattat kontraktsvärde (kr)"] == "240000"
    assert row["Högsta klassningsnivå"] == "2"
    assert row["Personuppgifter"] == "ja" and row["Känsliga personuppgifter"] == "nej"
    assert row["Säkerhetsgodkännande"] == "krävs inte"
    assert row["Komplett"] == "ja"
    other = rows[partial_id]
    assert other["Nyttokalkyl"] == "saknas" and other["Nettonuvärde (kr)"] == ""
    assert other["Vald upphandlingsväg"] == "Annonserad upphandling under EU:s tröskelvärde"
    assert other["Uppskattat kontraktsvärde (kr)"] == "900000"
    assert other["Högsta klassningsnivå"] == "" and other["Komplett"] == "nej"


def test_sign_off_column(app, client):
    with app.app_context():
        case = case_in("refinement")
        high = {"information": "Journaluppgifter", "personal_data": True,
                "sensitive_personal_data": True,
                "levels": {"confidentiality": 3, "integrity": 2, "availability": 2,
                           "traceability": 2},
                "risk_analysis": "Gjord", "risk_analysis_date": "2026-10-01",
                "risk_of_not_developing": "Fortsatt manuellt."}
        dossier.save_section(user("vu"), case, "classification", high)
        case_id = case.id
    login(client, "vu")
    row = read_csv(client.get("/exports/dossiers.csv"))[0]
    assert (row["Högsta klassningsnivå"], row["Säkerhetsgodkännande"]) == ("3", "nej")
    assert row["Känsliga personuppgifter"] == "ja"
    with app.app_context():
        dossier.sign_off_classification(user("infosak"), db.session.get(Case, case_id))
    row = read_csv(client.get("/exports/dossiers.csv"))[0]
    assert row["Säkerhetsgodkännande"] == "ja"


def test_headers_are_swedish_in_either_interface_language(app, client):
    with app.app_context():
        case_in("management")
    login(client, "vu")
    client.post("/language", data={"lang": "en"})
    assert csv_lines(client.get("/exports/cases.csv"))[0] == CASE_HEADERS
    assert csv_lines(client.get("/exports/dossiers.csv"))[0] == DOSSIER_HEADERS
    workbook = read_xlsx(client.get("/exports/cases.xlsx"))
    assert [c.value for c in workbook["Ärenden"][1]] == CASE_HEADERS
    assert [c.value for c in workbook["Beslutsunderlag"][1]] == DOSSIER_HEADERS
    row = read_csv(client.get("/exports/cases.csv"))[0]
    assert row["Läge"] == "För beslut i förvaltningsledningen" and row["Prioritering"] == "Hög"


def test_text_that_looks_like_a_formula_stays_text(app, client):
    title = '=HYPERLINK("http://evil.example","klicka")'
    with app.app_context():
        make_case("medarbetare", title=title)
    login(client, "chef")
    assert read_csv(client.get("/exports/cases.csv"))[0]["Rubrik"] == "'" + title
    sheet = read_xlsx(client.get("/exports/cases.xlsx"))["Ärenden"]
    cell = sheet.cell(row=2, column=2)
    assert cell.value == title and cell.data_type == "s"


# ---------------------------------------------------------------- who sees what

@pytest.fixture
def spread(app):
    """Cases by several people in two units, drafts among them."""
    with app.app_context():
        made = {
            "own_draft": make_case("medarbetare", submit=False),
            "own_submitted": make_case("medarbetare"),
            "chef_submitted": make_case("chef"),  # chef is also staff in Visby norr
            "soder_draft": make_case("lars", SODER, submit=False),
            "soder_submitted": make_case("lars", SODER),
        }
        council = case_in("council")
        made["own_council"] = council.id
    return made


def _export_ids(client, username) -> tuple[set[int], set[int], set[int], set[int]]:
    login(client, username)
    workbook = read_xlsx(client.get("/exports/cases.xlsx"))
    return (ids(read_csv(client.get("/exports/cases.csv"))),
            ids(read_csv(client.get("/exports/dossiers.csv"))),
            {row["Nr"] for row in sheet_rows(workbook["Ärenden"])},
            {row["Nr"] for row in sheet_rows(workbook["Beslutsunderlag"])})


def test_staff_sees_only_own_cases(client, spread):
    case_ids, dossier_ids, sheet_ids, sheet_dossier_ids = _export_ids(client, "medarbetare")
    own = {spread["own_draft"], spread["own_submitted"], spread["own_council"]}
    assert case_ids == sheet_ids == own
    assert dossier_ids == sheet_dossier_ids == {spread["own_council"]}
    lars_ids = _export_ids(client, "lars")[0]
    assert lars_ids == {spread["soder_draft"], spread["soder_submitted"]}


def test_drafts_stay_with_their_author(client, spread):
    drafts = {spread["own_draft"], spread["soder_draft"]}
    for username in ("chef.soder", "chef", "vu", "fchef", "admin", "sara"):
        case_ids, _dossiers, sheet_ids, _sheet = _export_ids(client, username)
        assert not (case_ids | sheet_ids) & drafts, username
    # chef.soder is the manager of the unit the söder draft was written in, and still
    # does not see it; he sees the submitted one.
    assert _export_ids(client, "chef.soder")[0] == {spread["soder_submitted"]}


def test_chef_sees_the_units_cases(client, spread):
    case_ids, dossier_ids, sheet_ids, _sheet = _export_ids(client, "chef")
    expected = {spread["own_submitted"], spread["chef_submitted"], spread["own_council"]}
    assert case_ids == sheet_ids == expected
    assert dossier_ids == {spread["own_council"]}


def test_service_uses_the_same_rule_as_the_case_page(app, spread):
    with app.app_context():
        every_case = db.session.query(Case).all()
        for username in ("medarbetare", "chef", "lars", "chef.soder", "vu", "fchef", "admin",
                         "digital", "upphandlare"):
            viewer = user(username)
            _headers, rows = exports.case_rows(viewer, {})
            visible = {c.id for c in every_case if access.can_view(viewer, c)}
            assert {row[0] for row in rows} == visible, username


# ---------------------------------------------------------------- anonymity

SENDER = ("sara", "Sara Eriksson", "sara.eriksson@example.se")


def test_anonymous_sender_never_appears(app, client):
    with app.app_context():
        anonymous = cases.create_case(user("sara"), {**IDEA, "unit_id": unit(IFO).id},
                                      anonymous=True)
        cases.fire(anonymous, "route", user("fchef"), {})
        drive(anonymous, [("edit", "vu", {"cost_estimate_sek": 80_000}),
                          ("dossier", "vu", ("procurement", PROCUREMENT))])
        anonymous_id = anonymous.id
        named_id = make_case("medarbetare", title="En idé med namn")
    for viewer in ("fchef", "admin", "vu"):
        login(client, viewer)
        rows = {int(r["Nr"]): r for r in read_csv(client.get("/exports/cases.csv"))}
        assert rows[anonymous_id]["Inlämnad av"] == "Anonym"
        assert rows[anonymous_id]["Ursprung"] == "Direktkanal till ledningen"
        if named_id in rows:
            assert rows[named_id]["Inlämnad av"] == "Anna Lindqvist"
        workbook = read_xlsx(client.get("/exports/cases.xlsx"))
        sheet = {r["Nr"]: r for r in sheet_rows(workbook["Ärenden"])}
        assert sheet[anonymous_id]["Inlämnad av"] == "Anonym"
        assert anonymous_id in ids(read_csv(client.get("/exports/dossiers.csv")))
        for cell in all_cells(client):
            for trace in SENDER:
                assert trace.lower() not in cell.lower(), (viewer, cell)


def test_case_without_author_is_anonym_whatever_else_is_known():
    class Stub:
        author_id = None
        author = object()  # even a stray relationship is not shown
    assert exports.submitted_by(Stub()) == "Anonym"


# ---------------------------------------------------------------- filters

@pytest.fixture
def dated(app):
    """Submitted cases created on known days (Stockholm time), in two förvaltningar."""
    with app.app_context():
        made = {
            "march1": make_case("medarbetare", when=datetime(2026, 3, 1, 9, tzinfo=timezone.utc)),
            # 23:30 UTC on 1 March is 00:30 on 2 March in Stockholm.
            "march2": make_case("lars", SODER,
                                when=datetime(2026, 3, 1, 23, 30, tzinfo=timezone.utc)),
            "april": make_case("medarbetare", HEMSE,
                               when=datetime(2026, 4, 15, 12, tzinfo=timezone.utc)),
        }
        made["direct"] = cases.create_case(user("sara"), {**IDEA, "unit_id": unit(IFO).id},
                                           anonymous=True,
                                           now=datetime(2026, 5, 5, 8, tzinfo=timezone.utc)).id
        at_apt = db.session.get(Case, make_case(
            "medarbetare", when=datetime(2026, 6, 10, 8, tzinfo=timezone.utc)))
        cases.fire(at_apt, "take_up", user("chef"), {},
                   now=datetime(2026, 6, 11, 8, tzinfo=timezone.utc))
        made["apt"] = at_apt.id
        made["norr"], made["soder"] = unit().id, unit(SODER).id
        made["hemse_department"] = unit(HEMSE).department_id
        made["social"] = unit().department_id
    return made


def _admin_ids(client, query: str) -> set[int]:
    return ids(read_csv(client.get(f"/exports/cases.csv?{query}")))


def test_filters(client, dated):
    login(client, "admin")
    everything = {dated[k] for k in ("march1", "march2", "april", "direct", "apt")}
    assert _admin_ids(client, "") == everything
    assert _admin_ids(client, "state=apt") == {dated["apt"]}
    assert _admin_ids(client, "state=submitted") == {dated["march1"], dated["march2"],
                                                     dated["april"]}
    assert _admin_ids(client, f"unit_id={dated['soder']}") == {dated["march2"]}
    assert _admin_ids(client, f"department_id={dated['hemse_department']}") == {dated["april"]}
    assert dated["april"] not in _admin_ids(client, f"department_id={dated['social']}")
    assert _admin_ids(client, "origin=direct_channel") == {dated["direct"]}
    assert dated["direct"] not in _admin_ids(client, "origin=staff_idea")
    assert _admin_ids(client, "from=2026-03-01&to=2026-03-01") == {dated["march1"]}
    assert _admin_ids(client, "from=2026-03-02&to=2026-03-02") == {dated["march2"]}
    assert _admin_ids(client, "from=2026-03-01&to=2026-04-30") == {
        dated["march1"], dated["march2"], dated["april"]}
    assert _admin_ids(client, "to=2026-02-28") == set()
    assert _admin_ids(client, "from=2026-04-01&to=2026-03-01") == set()  # reversed: nothing
    assert _admin_ids(client, f"state=submitted&unit_id={dated['norr']}") == {dated["march1"]}
    # The form on /cases sends empty values for "Alla": they are ignored.
    assert _admin_ids(client, "state=&unit_id=&origin=&from=&to=") == everything


def test_filters_apply_to_the_dossier_exports(app, client):
    with app.app_context():
        in_management = case_in("management").id
        refining = case_in("refinement")
        dossier.save_section(user("vu"), refining, "procurement", PROCUREMENT)
        refining_id = refining.id
    login(client, "vu")
    rows = read_csv(client.get("/exports/dossiers.csv?state=management"))
    assert ids(rows) == {in_management}
    workbook = read_xlsx(client.get("/exports/cases.xlsx?state=refinement"))
    assert {r["Nr"] for r in sheet_rows(workbook["Ärenden"])} == {refining_id}
    assert {r["Nr"] for r in sheet_rows(workbook["Beslutsunderlag"])} == {refining_id}


@pytest.mark.parametrize("query, message", [
    ("state=nope", "Okänt läge."),
    ("unit_id=abc", "Välj en enhet som finns."),
    ("unit_id=999999", "Välj en enhet som finns."),
    ("department_id=-1", "Välj en förvaltning som finns."),
    ("department_id=²", "Välj en förvaltning som finns."),
    ("origin=rumour", "Välj ett av ursprungen."),
    ("from=2026-13-01", "Ange ett datum som ÅÅÅÅ-MM-DD."),
    ("to=20260301", "Ange ett datum som ÅÅÅÅ-MM-DD."),
])
def test_bad_filters_answer_422_naming_the_argument(client, query, message):
    login(client, "admin")
    for path in PATHS:
        response = client.get(f"{path}?{query}")
        page = response.get_data(as_text=True)
        assert response.status_code == 422 and response.mimetype == "text/html"
        assert message in page and query.split("=")[0] in page


def test_service_accepts_filters_as_a_mapping(app, dated):
    with app.app_context():
        viewer = user("admin")
        _h, rows = exports.case_rows(viewer, {"from": "2026-03-02", "to": "2026-03-02"})
        assert [row[0] for row in rows] == [dated["march2"]]
        _h, rows = exports.case_rows(viewer, exports.Filters(origin="direct_channel"))
        assert [row[6] for row in rows] == ["Anonym"]
        with pytest.raises(ValidationFailed) as error:
            exports.case_rows(viewer, {"state": "nope", "from": "igår"})
        assert set(error.value.field_errors) == {"state", "from"}


# ---------------------------------------------------------------- the file writers

def test_to_csv_form():
    content = exports.to_csv(["Nr", "Belopp (kr)", "Kvot", "Dag", "Tid", "Text", "Tom"],
                             [[7, 1_250_000, Decimal("1.40"), date(2026, 3, 1),
                               datetime(2026, 3, 1, 14, 5), "a;b \"c\"", None]])
    assert content.startswith(b"\xef\xbb\xbf")
    text = content.decode("utf-8-sig")
    assert text == ('Nr;Belopp (kr);Kvot;Dag;Tid;Text;Tom\r\n'
                    '7;1250000;1,40;2026-03-01;2026-03-01 14:05;"a;b ""c""";\r\n')


def test_to_xlsx_form():
    content = exports.to_xlsx([
        ("Ett", ["Nr", "Belopp (kr)", "Kvot", "Dag"],
         [[1, 1_250_000, Decimal("1.40"), date(2026, 3, 1)]]),
        ("Två", ["Nr"], []),
    ])
    workbook = load_workbook(io.BytesIO(content))
    assert workbook.sheetnames == ["Ett", "Två"]
    sheet = workbook["Ett"]
    number, kronor, ratio, day = sheet[2]
    assert number.value == 1 and number.number_format == "General"
    assert kronor.value == 1_250_000 and kronor.number_format == "#,##0"
    assert ratio.value == pytest.approx(1.4) and ratio.data_type == "n"
    assert day.is_date and day.value == datetime(2026, 3, 1)
    assert sheet.column_dimensions["B"].width >= len("Belopp (kr)")
    assert workbook["Två"].max_row == 1 and workbook["Två"].freeze_panes == "A2"


def test_control_characters_are_stripped_at_input_and_from_old_data_in_exports(app, client):
    """A title with a control character once broke the XLSX export for everyone (issue 12)."""
    from sqlalchemy import update
    with app.app_context():
        clean = cases.create_case(user("medarbetare"), {
            **IDEA, "title": "Nyckel\x00skåp\x07\nny", "need": "rad 1\r\nrad\x0b 2\tslut",
            "unit_id": unit().id})
        assert (clean.title, clean.need) == ("Nyckelskåp ny", "rad 1\r\nrad 2\tslut")
        old = make_case("medarbetare")
        db.session.execute(update(Case).where(Case.id == old)
                           .values(title="Gammal\x01rubrik\x1f", need="Behov\x0c"))
        db.session.commit()
    login(client, "chef")
    rows = sheet_rows(read_xlsx(client.get("/exports/cases.xlsx")).worksheets[0])
    assert "Gammalrubrik" in {row["Rubrik"] for row in rows}
    response = client.get("/exports/cases.csv")
    assert response.status_code == 200 and "Gammalrubrik" in response.get_data(as_text=True)
    assert "\x01" not in response.get_data(as_text=True)
