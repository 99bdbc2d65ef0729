"""The tjänsteutlåtande (decision memo): who may write it, validation, history, optimistic
locking, the memo page with the dossier-derived sections, and its PDF, on both databases."""
from __future__ import annotations

import copy
import io
import re
import sys
from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import text as sql

from helpers import BENEFIT, case_in, drive, login, new_draft, user
from workflow.dossier import service as dossier
from workflow.memo import service as memo
from workflow.models import DecisionMemo
from workflow.platform.errors import Conflict, PermissionDenied, ValidationFailed
from workflow.platform.extensions import db
from workflow.platform.pdf import PdfUnavailable, html_to_pdf, pdf_response, safe_filename

HEADINGS = ["Förslag till beslut", "Sammanfattning av ärendet", "Bakgrund", "Bedömning",
            "Ekonomiska konsekvenser", "Informationssäkerhet", "Upphandling",
            "Konsekvenser för barn"]
PROPOSAL = "Socialnämnden beslutar att införa digitala nyckelskåp i hemtjänsten."
# helpers.BENEFIT: 150 000 + 3 × 30 000 + 100 h × 450 kr = 285 000 kr over three years.
TOTAL_COST = "285 000 kr"


def flat(value: str) -> str:
    """Whitespace (no-break spaces, line breaks) as single spaces, to compare texts."""
    return " ".join(value.split())


def page_text(response) -> str:
    return flat(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def save(case, who="vu", **fields):
    return memo.save_memo(user(who), case, fields)


def pending_case(app) -> int:
    """A case waiting for the management's decision, its memo not yet written (a case goes
    to the nämnd only with the memo's förslag till beslut: docs/decisions.md)."""
    with app.app_context():
        return case_in("management").id


def pdf_text(data: bytes) -> str:
    return flat(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))


# ---------------------------------------------------------------- who may write it

@pytest.mark.parametrize("state", ["management", "political"])
@pytest.mark.parametrize("who", ["vu", "fchef"])
def test_developer_and_management_write_the_memo_while_the_decision_is_pending(ctx, state, who):
    case = case_in(state)
    # before the nämnd the memo already holds its förslag till beslut (docs/decisions.md)
    earlier = memo.version_of(memo.memo_for(case))
    assert earlier == (1 if state == "political" else 0)
    assert memo.can_edit(user(who), case)
    text = f"{PROPOSAL} ({who})"
    stored = save(case, who, proposal=text)
    assert memo.memo_for(case) is stored
    assert stored.proposal == text and stored.updated_by.username == who
    assert stored.version == earlier + 1 and stored.summary == ""


@pytest.mark.parametrize("who", ["rad", "namnd", "infosak", "chef", "medarbetare"])
def test_other_roles_may_read_but_not_write_the_memo(ctx, who):
    case = case_in("political")
    written = memo.texts_of(memo.memo_for(case))  # the proposal the nämnd decides on
    assert not memo.can_edit(user(who), case)
    with pytest.raises(PermissionDenied):
        save(case, who, proposal="Ett annat förslag", summary="Ändrat.")
    db.session.expire_all()
    assert memo.texts_of(memo.memo_for(case)) == written
    assert memo.version_of(memo.memo_for(case)) == 1


@pytest.mark.parametrize("state", ["council", "approved"])
def test_nobody_writes_the_memo_before_management_or_after_the_decision(ctx, state):
    case = case_in(state)
    for who in ("vu", "fchef"):
        assert not memo.can_edit(user(who), case)
        with pytest.raises(PermissionDenied):
            save(case, who, proposal=PROPOSAL)


def test_the_web_form_is_offered_to_writers_only_and_others_are_refused(app):
    case_id = pending_case(app)
    writer = login(app.test_client(), "fchef")
    page = writer.get(f"/cases/{case_id}/memo").get_data(as_text=True)
    assert 'id="proposal"' in page and f'action="/cases/{case_id}/memo"' in page
    assert '<label for="child_impact">Konsekvenser för barn</label>' in page

    reader = login(app.test_client(), "rad")
    response = reader.get(f"/cases/{case_id}/memo")
    assert response.status_code == 200
    assert 'id="proposal"' not in response.get_data(as_text=True)
    response = reader.post(f"/cases/{case_id}/memo", data={"proposal": PROPOSAL, "version": "0"})
    assert response.status_code == 403
    assert "Du får inte ändra tjänsteutlåtandet" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(DecisionMemo, case_id) is None


def test_staff_without_access_to_the_case_get_404(app):
    case_id = pending_case(app)
    client = login(app.test_client(), "lars")  # staff in another unit
    assert client.get(f"/cases/{case_id}/memo").status_code == 404
    assert client.get(f"/cases/{case_id}/memo.pdf").status_code == 404
    assert client.post(f"/cases/{case_id}/memo", data={"proposal": "x"}).status_code == 404
    assert client.get("/cases/99999/memo").status_code == 404


def test_the_memo_form_refuses_a_post_without_csrf_token(make_demo_app):
    app = make_demo_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        case_id = case_in("management").id
    client = app.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      client.get("/login").get_data(as_text=True)).group(1)
    assert client.post("/login", data={"username": "vu", "password": "demo",
                                       "csrf_token": token}).status_code == 302
    data = {"version": "0", "proposal": PROPOSAL}
    assert client.post(f"/cases/{case_id}/memo", data=data).status_code == 400
    assert client.post(f"/cases/{case_id}/memo",
                       data={**data, "csrf_token": "forged"}).status_code == 400
    page = client.get(f"/cases/{case_id}/memo").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post(f"/cases/{case_id}/memo",
                       data={**data, "csrf_token": token}).status_code == 302


def test_memo_pages_need_a_login(app):
    case_id = pending_case(app)
    response = app.test_client().get(f"/cases/{case_id}/memo.pdf")
    assert response.status_code == 302 and "/login" in response.location


# ---------------------------------------------------------------- validation and history

@pytest.mark.parametrize("fields, path", [
    ({"proposal": 123}, "proposal"),
    ({"summary": ["en", "lista"]}, "summary"),
    ({"assessment": {"text": "x"}}, "assessment"),
    ({"background": "x" * (memo.MAX_LENGTH + 1)}, "background"),
    ({"child_impact": True}, "child_impact"),
    ({"decision": "x"}, "decision"),
])
def test_bad_input_is_refused_and_the_memo_is_unchanged(ctx, fields, path):
    case = case_in("management")
    save(case, proposal=PROPOSAL, summary="Kort sammanfattning.")
    history = len(case.history)
    with pytest.raises(ValidationFailed) as info:
        save(case, **{"proposal": "Ett annat förslag", **fields})
    assert path in info.value.field_errors
    db.session.expire_all()
    stored = memo.memo_for(case)
    assert (stored.proposal, stored.summary, stored.version) == (PROPOSAL, "Kort sammanfattning.", 1)
    assert len(case.history) == history


def test_a_text_of_exactly_the_limit_is_accepted_and_line_breaks_are_kept(ctx):
    case = case_in("management")
    stored = save(case, background="x" * memo.MAX_LENGTH, summary="Rad ett\r\nRad två\r\n")
    assert len(stored.background) == memo.MAX_LENGTH and stored.summary == "Rad ett\nRad två"


def test_too_long_text_in_the_form_is_shown_beside_its_field(app):
    case_id = pending_case(app)
    client = login(app.test_client(), "vu")
    response = client.post(f"/cases/{case_id}/memo",
                           data={"version": "0", "proposal": PROPOSAL,
                                 "assessment": "å" * (memo.MAX_LENGTH + 5)})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert re.search(r'<p class="error-text" id="assessment-error">Texten är 10\xa0005 tecken lång. '
                     r'Korta den till högst 10\xa0000 tecken.', page)
    assert 'aria-invalid="true"' in page and PROPOSAL in page  # what was typed stays
    with app.app_context():
        assert db.session.get(DecisionMemo, case_id) is None


def test_every_change_lands_in_the_history_with_before_and_after(ctx):
    case = case_in("management")
    save(case, proposal=PROPOSAL, summary="Första versionen.")
    entry = case.history[-1]
    assert (entry.event, entry.actor.username) == ("memo_changed", "vu")
    assert entry.from_state == entry.to_state == "management"
    assert entry.data["changes"] == {
        "proposal": {"before": "", "after": PROPOSAL},
        "summary": {"before": "", "after": "Första versionen."}}

    save(case, "fchef", proposal=PROPOSAL, summary="Andra versionen.", background="Bakgrund.")
    entry = case.history[-1]
    assert entry.actor.username == "fchef"
    assert entry.data["changes"] == {
        "summary": {"before": "Första versionen.", "after": "Andra versionen."},
        "background": {"before": "", "after": "Bakgrund."}}
    assert memo.memo_for(case).version == 2

    count = len(case.history)
    save(case, proposal=PROPOSAL)  # nothing changed: nothing written
    assert len(case.history) == count and memo.memo_for(case).version == 2


# ---------------------------------------------------------------- optimistic locking

def test_a_stale_version_is_a_conflict_and_nothing_is_written(ctx):
    case = case_in("management")
    memo.save_memo(user("vu"), case, {"proposal": PROPOSAL}, expected_version=0)
    with pytest.raises(Conflict) as info:  # a second writer who also saw no memo
        memo.save_memo(user("fchef"), case, {"proposal": "Annat"}, expected_version=0)
    assert info.value.status == 409
    memo.save_memo(user("fchef"), case, {"summary": "Ny."}, expected_version=1)
    db.session.expire_all()
    stored = memo.memo_for(case)
    assert (stored.proposal, stored.summary, stored.version) == (PROPOSAL, "Ny.", 2)
    with pytest.raises(ValidationFailed):
        memo.save_memo(user("vu"), case, {"summary": "x"}, expected_version="två")


def test_a_concurrent_update_between_read_and_write_is_a_conflict(ctx):
    case = case_in("management")
    stored = save(case, proposal=PROPOSAL)
    assert stored.version == 1  # loaded by this session
    with db.engine.connect() as other:  # another writer saves the memo meanwhile
        other.execute(sql("UPDATE decision_memos SET version = version + 1, summary = 'Annan' "
                          "WHERE case_id = :id"), {"id": case.id})
        other.commit()
    with pytest.raises(Conflict):
        save(case, proposal="Ett eget förslag")
    db.session.expire_all()
    assert (memo.memo_for(case).proposal, memo.memo_for(case).summary) == (PROPOSAL, "Annan")


def test_a_stale_form_gets_409_with_the_message(app):
    case_id = pending_case(app)
    client = login(app.test_client(), "vu")
    assert client.post(f"/cases/{case_id}/memo",
                       data={"version": "0", "proposal": PROPOSAL}).status_code == 302
    response = client.post(f"/cases/{case_id}/memo", data={"version": "0", "proposal": "Annat"})
    assert response.status_code == 409
    assert "Ärendet har ändrats av någon annan" in response.get_data(as_text=True)
    assert PROPOSAL in client.get(f"/cases/{case_id}/memo").get_data(as_text=True)


# ---------------------------------------------------------------- the document

def test_the_document_has_the_header_and_the_dossier_sections_in_swedish(ctx):
    case = case_in("political")  # registered as SON 2026/123 when lifted to the nämnd
    save(case, "fchef", proposal=PROPOSAL, summary="Nyckelskåpen ersätts av digitala lås.")
    document = memo.memo_document(case, date(2026, 11, 23))
    assert [s.heading for s in document.sections] == HEADINGS
    assert (document.department, document.committee) == ("Socialförvaltningen", "Socialnämnden")
    assert document.reference == "SON 2026/123"  # the diarienummer (docs/decisions.md)
    assert document.date == "23 november 2026" and document.author == "Karin Gustafsson"
    assert document.section("proposal").text == PROPOSAL
    assert document.incomplete == () and document.total_cost_sek == 285_000

    economy = document.section("economy")
    assert flat(economy.value("Total kostnad")) == TOTAL_COST
    assert economy.rows[0].label == "Total kostnad under kalkylperioden (3\xa0år)"
    assert flat(economy.value("Nytta i pengar")) == "400 000 kr"
    assert flat(economy.value("varav finansiell")) == "0 kr"
    assert flat(economy.value("varav omfördelning")) == "400 000 kr"
    assert flat(economy.value("Nettonytta")) == "115 000 kr"
    # (-125 000) / 1.03 + 120 000 / 1.03² + 120 000 / 1.03³ = 101 569.28
    assert flat(economy.value("Nettonuvärde (kalkylränta 3\xa0%)")) == "101 569 kr"
    assert economy.value("Återbetalningsår") == "År 3"
    assert any("omfördelning" in p for p in economy.paragraphs)

    security = document.section("security")
    assert security.value("Konfidentialitet") == "2 – Betydande"
    assert security.value("Spårbarhet") == "1 – Måttlig"
    assert security.value("Personuppgifter") == "Ja"
    assert security.value("Informationssäkerhetssamordnarens") == "Krävs inte (högsta nivå är 2)"

    purchase = document.section("procurement")
    assert flat(purchase.value("Uppskattat kontraktsvärde")) == "240 000 kr"
    assert purchase.value("Föreslagen väg") == purchase.value("Vald väg") == "Direktupphandling"
    assert flat(purchase.value("Direktupphandlingsgräns")) == "700 000 kr"
    assert flat(purchase.value("Dokumentationsplikt från")) == "100 000 kr"
    assert "euro" in purchase.value("EU:s tröskelvärde")
    assert any("1 november 2026" in p for p in purchase.paragraphs)


def test_a_benefit_calculation_that_does_not_apply_gives_its_reason(ctx):
    case = case_in("refinement")
    reason = "Ersätter nyckelskåpen som finns i dag, lika för lika."
    dossier.save_section(user("vu"), case, "benefit", {
        **copy.deepcopy(BENEFIT), "not_applicable_reason": reason, "replacement": True})
    document = memo.memo_document(case, date(2026, 11, 23))
    economy = document.section("economy")
    assert economy.paragraphs == (f"En nyttokalkyl är inte tillämplig i ärendet: {reason}",)
    assert all(not row.label.startswith("Nettonuvärde") for row in economy.rows)
    assert document.total_cost_sek is None


def test_a_missing_dossier_is_said_in_each_section(ctx):
    case = drive(new_draft(), [("submit", "medarbetare", {})])
    document = memo.memo_document(case, date(2026, 11, 23))
    assert document.section("economy").paragraphs == ("Nyttokalkyl saknas i beslutsunderlaget.",)
    assert document.section("security").paragraphs == (
        "Informationsklassning saknas i beslutsunderlaget.",)
    assert document.section("procurement").paragraphs == (
        "Upphandlingskontroll saknas i beslutsunderlaget.",)
    assert "Nyttokalkyl saknas." in document.incomplete
    assert document.author == "" and document.version == 0


def test_the_memo_page_shows_the_sections_in_order_with_swedish_amounts(app):
    case_id = pending_case(app)
    client = login(app.test_client(), "vu")
    client.post(f"/cases/{case_id}/memo", data={"version": "0", "proposal": PROPOSAL,
                                                 "child_impact": "Inga barn berörs direkt."})
    response = client.get(f"/cases/{case_id}/memo")
    assert response.status_code == 200
    page = page_text(response)
    positions = [page.index(heading) for heading in HEADINGS]
    assert positions == sorted(positions)
    assert f"Total kostnad under kalkylperioden (3 år) {TOTAL_COST}" in page
    assert "Nettonytta (nytta minus kostnad) 115 000 kr" in page
    assert "Socialnämnden" in page and f"Ärende nr {case_id}" in page
    assert "Diarienummer ej tilldelat" in page  # said plainly until the registry gives one
    assert "Handläggare Sofia Karlsson" in page and "Inga barn berörs direkt." in page
    assert f'href="/cases/{case_id}/memo.pdf"' in response.get_data(as_text=True)


def test_the_document_stays_swedish_when_the_reader_chose_english(app):
    case_id = pending_case(app)
    client = login(app.test_client(), "rad")
    client.post("/language", data={"lang": "en"})
    page = page_text(client.get(f"/cases/{case_id}/memo"))
    assert "Ekonomiska konsekvenser" in page and TOTAL_COST in page
    assert "Datum" in page and re.search(r"\d{1,2} (januari|februari|mars|april|maj|juni|juli|"
                                         r"augusti|september|oktober|november|december) \d{4}",
                                         page)


# ---------------------------------------------------------------- the PDF

def test_the_pdf_holds_the_headings_the_proposal_and_the_total_cost(app):
    case_id = pending_case(app)
    client = login(app.test_client(), "vu")
    client.post(f"/cases/{case_id}/memo", data={"version": "0", "proposal": PROPOSAL})
    response = client.get(f"/cases/{case_id}/memo.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")
    assert response.headers["Content-Disposition"] == \
        f'attachment; filename="Tjansteutlatande-arende-{case_id}.pdf"'
    content = pdf_text(response.data)
    for heading in ["Tjänsteutlåtande", *HEADINGS]:
        assert heading in content, heading
    assert PROPOSAL in content and TOTAL_COST in content
    assert "Socialnämnden" in content and "Sida 1 av" in content
    assert "Diarienummer ej tilldelat" in content
    reader = PdfReader(io.BytesIO(response.data))
    assert reader.metadata.title == "Tjänsteutlåtande: Digital nyckelhantering i hemtjänsten"
    box = reader.pages[0].mediabox  # A4: 210 × 297 mm in points
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)


def test_the_pdf_is_503_when_weasyprint_cannot_be_loaded(app, monkeypatch):
    case_id = pending_case(app)
    client = login(app.test_client(), "vu")
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import fails as without WeasyPrint
    response = client.get(f"/cases/{case_id}/memo.pdf")
    assert response.status_code == 503
    assert "PDF kan inte skapas" in response.get_data(as_text=True)
    assert client.get(f"/cases/{case_id}/memo").status_code == 200  # the page still works
    with pytest.raises(PdfUnavailable):
        html_to_pdf("<p>x</p>")


def test_pdf_helpers_name_files_safely_and_number_pages(ctx):
    assert safe_filename("Tjänsteutlåtande ärende 7.pdf") == "Tjansteutlatande-arende-7.pdf"
    assert safe_filename('../"Protokoll"; rm -rf.PDF') == "Protokoll-rm-rf.pdf"
    assert safe_filename("åäö") == "aao.pdf" and safe_filename("§§") == "dokument.pdf"
    html = "<html lang='sv'><body>" + "<p>Rad</p>" * 200 + "</body></html>"
    response = pdf_response(html, "Protokoll nämnd.pdf")
    assert response.headers["Content-Disposition"] == 'attachment; filename="Protokoll-namnd.pdf"'
    reader = PdfReader(io.BytesIO(response.get_data()))
    pages = len(reader.pages)
    assert pages > 1
    assert f"Sida {pages} av {pages}" in flat(reader.pages[-1].extract_text())


def test_pdf_rendering_loads_only_data_urls_and_the_apps_static_files(ctx, tmp_path, caplog):
    secret = tmp_path / "secret.css"
    secret.write_text("body { color: red }")
    html = (f"<link rel='stylesheet' href='{secret.as_uri()}'>"
            "<link rel='stylesheet' href='/static/style.css'>"
            "<link rel='stylesheet' href='/static/../../pyproject.toml'>"
            "<img src='http://example.invalid/x.png'><p>Hej</p>")
    with caplog.at_level("WARNING"):
        assert "Hej" in pdf_text(html_to_pdf(html, base_url="http://localhost/"))
    refused = caplog.text
    assert secret.as_uri() in refused and "example.invalid" in refused
    assert "pyproject.toml" in refused and "style.css" not in refused
