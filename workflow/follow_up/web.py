"""The Uppföljning tab: benefit checkpoints after go-live and the realisation summary."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, NumberRange, Optional

from workflow.calc import benefit
from workflow.cases import service as cases
from workflow.follow_up import service as follow_up
from workflow.platform.errors import ServiceError
from workflow.platform.forms import show_service_error

bp = Blueprint("follow_up", __name__)


class ReportForm(FlaskForm):
    actual_value = StringField(_l("Indikatorns faktiska värde"), validators=[Length(max=200)])
    realised_sek = IntegerField(_l("Realiserad nytta (kr per år)"),
                                validators=[Optional(), NumberRange(min=0, max=10**12)])
    used_as_intended = RadioField(_l("Används lösningen som det var tänkt?"),
                                  choices=[SelectChoice(k, _l(v))
                                           for k, v in follow_up.USE.items()],
                                  validators=[Optional()], validate_choice=False)
    comment = TextAreaField(_l("Kommentar"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Spara uppföljningen"))


def _prefix(point) -> str:
    return f"b{point.benefit_number}m{point.months}"


@bp.get("/cases/<int:case_id>/follow-up")
@login_required
def show(case_id: int):
    return _render(cases.get_case(current_user, case_id))


@bp.post("/cases/<int:case_id>/follow-up/<int:number>/<int:months>")
@login_required
def report(case_id: int, number: int, months: int):
    case = cases.get_case(current_user, case_id)
    form = ReportForm(prefix=f"b{number}m{months}")
    if not form.validate_on_submit():
        return _render(case, {(number, months): form}, 422)
    try:
        follow_up.report(current_user, case, number, months, {
            "actual_value": form.actual_value.data, "realised_sek": form.realised_sek.data,
            "used_as_intended": form.used_as_intended.data, "comment": form.comment.data})
    except ServiceError as error:
        show_service_error(form, error)
        return _render(case, {(number, months): form}, error.status, error)
    flash(_("Uppföljningen är sparad."), "success")
    return redirect(url_for("follow_up.show", case_id=case.id, _anchor=f"b{number}m{months}"))


def _render(case, submitted=None, status: int = 200, error=None):
    points = follow_up.checkpoints(case)
    editable = follow_up.can_report(current_user, case)
    today = follow_up.local_today()
    forms = {}
    if editable:
        for point in points:  # a checkpoint is reported from its due day (docs/follow-up.md)
            key = (point.benefit_number, point.months)
            if point.is_due(today) or key in (submitted or {}):
                forms[key] = (submitted or {}).get(key) or ReportForm(
                    prefix=_prefix(point), formdata=None, obj=point.report)
    return render_template("follow_up.html", case=case, points=points, forms=forms,
                           summary=follow_up.realisation(case), error=error,
                           costs=follow_up.cost_comparison(case), editable=editable,
                           use_labels=follow_up.USE, colours=benefit.COLOURS,
                           categories=benefit.CATEGORIES), status
