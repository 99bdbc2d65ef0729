"""The council's prioritisation page: scores, weighted ranking and the capacity line."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import SelectField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from workflow.cases import service as cases
from workflow.council import service as scoring
from workflow.organisation import service as organisation
from workflow.platform.errors import NotFound, ServiceError
from workflow.platform.forms import show_service_error
from workflow.platform.validation import as_id

bp = Blueprint("council", __name__)


@bp.before_request
@login_required
def require_login():
    """Every page here needs a logged-in user."""


def score_form(case, data=None, formdata=None) -> FlaskForm:
    """A form with one 1-5 choice per configured criterion, built per request."""
    scale = [SelectChoice("", "—")] + [SelectChoice(str(n), str(n)) for n in range(1, 6)]
    fields = {c.id: SelectField(c.label_en if _is_english() else c.label_sv, choices=scale,
                                description=c.description_sv, validators=[Optional()])
              for c in scoring.config().criteria}
    fields["comment"] = TextAreaField(_l("Kommentar"), validators=[Optional(), Length(max=1000)])
    fields["submit"] = SubmitField(_l("Spara mina poäng"))
    form_class = type("ScoreForm", (FlaskForm,), fields)
    return form_class(formdata=formdata, data=data or {}, prefix=f"case{case.id}")


def _is_english() -> bool:
    from workflow.platform.i18n import language
    return language() == "en"


@bp.get("/council")
def overview():
    return _render(_department())


@bp.post("/council/cases/<int:case_id>/score")
def score(case_id: int):
    case = cases.get_case(current_user, case_id)
    form = score_form(case, formdata=request.form)
    department = case.department
    if not form.validate_on_submit():
        return _render(department, {case.id: form}, status=422)
    scores = {c.id: int(form[c.id].data) for c in scoring.config().criteria if form[c.id].data}
    try:
        scoring.save_score(current_user, case, scores, form.comment.data or "")
    except ServiceError as error:
        show_service_error(form, error, rename={"scores": "comment"})
        return _render(department, {case.id: form}, status=error.status, error=error)
    flash(_("Dina poäng är sparade."), "success")
    return redirect(url_for("council.overview", department_id=department.id,
                            _anchor=f"arende-{case.id}"))


def _department():
    departments = organisation.departments_in_region(current_user)
    wanted = as_id(request.args.get("department_id"))
    chosen = next((d for d in departments if d.id == wanted), None)
    if chosen is None:
        mine = [a.department_id for a in current_user.roles if a.role == "council"]
        chosen = next((d for d in departments if d.id in mine), departments[0] if departments
                      else None)
    if chosen is None:
        raise NotFound()
    return chosen


def _render(department, forms=None, status: int = 200, error=None):
    view = scoring.council_overview(current_user, department)
    score_forms = {}
    for case_id, case in view.cases.items():
        if scoring.can_score(current_user, case):
            mine = scoring.my_score(current_user, case)
            data = {k: str(v) for k, v in (mine.scores if mine else {}).items()}
            data["comment"] = mine.comment if mine else ""
            score_forms[case_id] = (forms or {}).get(case_id) or score_form(case, data)
    return render_template(
        "council.html", view=view, forms=score_forms, error=error,
        criteria=scoring.config().for_department(department.name).criteria,
        limits=scoring.capacity_for(department),
        departments=organisation.departments_in_region(current_user)), status
