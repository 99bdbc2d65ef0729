"""The tjänsteutlåtande of a case: the memo as a document, its edit form, and its PDF."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import HiddenField, SubmitField, TextAreaField
from wtforms.validators import Optional

from workflow.cases import service as cases
from workflow.memo import service as memo
from workflow.models import Case
from workflow.platform.errors import ServiceError
from workflow.platform.forms import show_service_error
from workflow.platform.pdf import pdf_response

bp = Blueprint("memo", __name__)


def _text(label, description=None) -> TextAreaField:
    # The service checks the length and says how long the text is; maxlength helps the browser.
    return TextAreaField(label, validators=[Optional()], description=description,
                         render_kw={"maxlength": memo.MAX_LENGTH, "rows": 6})


class MemoForm(FlaskForm):
    version = HiddenField()
    proposal = _text(_l("Förslag till beslut"), _l(
        "Det nämnden ska besluta, till exempel \"Socialnämnden beslutar att …\"."))
    summary = _text(_l("Sammanfattning av ärendet"), _l(
        "Några meningar om vad ärendet gäller och varför det kommer till nämnden."))
    background = _text(_l("Bakgrund"), _l("Behovet, hur idén kom till och vad som har gjorts."))
    assessment = _text(_l("Bedömning"), _l("Förvaltningens bedömning och skälen för förslaget."))
    child_impact = _text(_l("Konsekvenser för barn"), _l(
        "Hur påverkar beslutet barn (barnkonventionen)? Skriv varför, även om det inte "
        "påverkar barn."))
    submit = SubmitField(_l("Spara tjänsteutlåtandet"))


@bp.before_request
@login_required
def require_login():
    """Every page here needs a logged-in user."""


@bp.get("/cases/<int:case_id>/memo")
def show(case_id: int):
    return _render(cases.get_case(current_user, case_id))


@bp.post("/cases/<int:case_id>/memo")
def save(case_id: int):
    case = cases.get_case(current_user, case_id)
    form = MemoForm()
    if not form.validate_on_submit():
        return _render(case, form, status=422)
    fields = {name: form[name].data or "" for name in memo.FIELDS}
    try:
        memo.save_memo(current_user, case, fields, expected_version=form.version.data or None)
    except ServiceError as error:
        unplaced = show_service_error(form, error, fields=memo.FIELDS)
        return _render(case, form, status=error.status, error=error, unplaced=unplaced)
    flash(_("Tjänsteutlåtandet är sparat."), "success")
    return redirect(url_for("memo.show", case_id=case.id))


@bp.get("/cases/<int:case_id>/memo.pdf")
def pdf(case_id: int):
    case = cases.get_case(current_user, case_id)
    html = render_template("memo_print.html", document=memo.memo_document(case))
    return pdf_response(html, f"Tjänsteutlåtande ärende {case.id}.pdf")


def _render(case: Case, form: MemoForm | None = None, status: int = 200,
            error: ServiceError | None = None, unplaced: list[str] | None = None):
    stored = memo.memo_for(case)
    editable = memo.can_edit(current_user, case)
    if editable and form is None:
        form = MemoForm(data={**memo.texts_of(stored), "version": memo.version_of(stored)})
    return render_template(
        "memo.html", case=case, document=memo.memo_document(case), memo=stored,
        form=form if editable else None, editable=editable,
        editable_state=case.state in memo.EDITABLE_STATES, error=error,
        unplaced=unplaced or []), status
