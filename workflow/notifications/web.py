"""Aviseringar (in-app notifications), email settings, following cases, and the secret
status page that lets an anonymous submitter follow their idea."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectMultipleField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget

from workflow.cases import service as cases
from workflow.cases.forms import ConfirmForm
from workflow.notifications import messages
from workflow.notifications import service as notifications
from workflow.processes.registry import process_of

bp = Blueprint("notifications", __name__)


class SettingsForm(FlaskForm):
    email_enabled = BooleanField(_l("Skicka e-post till mig"))
    email_mode = RadioField(_l("När"), choices=[
        SelectChoice("immediate", _l("Direkt när något händer")),
        SelectChoice("digest", _l("Samlat i veckosammanfattningen"))])
    email_kinds = SelectMultipleField(_l("Vad jag vill få e-post om"),
                                      widget=ListWidget(prefix_label=False),
                                      option_widget=CheckboxInput())
    submit = SubmitField(_l("Spara inställningarna"))


@bp.get("/notifications")
@login_required
def index():
    # Subject and body in the reader's language, whatever language created them.
    return render_template("notifications.html", form=ConfirmForm(), items=[
        messages.Shown.of(n) for n in notifications.recent(current_user)])


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def read(notification_id: int):
    if ConfirmForm().validate_on_submit():
        notifications.mark_read(current_user, notification_id)
    return redirect(request.form.get("next") if _is_local(request.form.get("next"))
                    else url_for("notifications.index"))


@bp.post("/notifications/read-all")
@login_required
def read_all():
    if ConfirmForm().validate_on_submit():
        count = notifications.mark_read(current_user)
        flash(ngettext("%(num)s avisering markerad som läst.",
                       "%(num)s aviseringar markerade som lästa.", count), "success")
    return redirect(url_for("notifications.index"))


@bp.route("/settings/notifications", methods=["GET", "POST"])
@login_required
def settings():
    current = notifications.settings_for(current_user)
    form = SettingsForm(obj=current if request.method == "GET" else None)
    form.email_kinds.choices = [SelectChoice(kind, _(label))
                                for kind, label in notifications.KINDS.items()]
    if request.method == "GET":
        form.email_kinds.data = current.email_kinds or list(notifications.KINDS)
    if form.validate_on_submit():
        notifications.save_settings(current_user, email_enabled=form.email_enabled.data,
                                    email_mode=form.email_mode.data,
                                    email_kinds=form.email_kinds.data or [])
        flash(_("Inställningarna är sparade."), "success")
        return redirect(url_for("notifications.settings"))
    return render_template("notification_settings.html", form=form,
                           has_email=bool(current_user.email)), 422 if form.errors else 200


@bp.post("/cases/<int:case_id>/follow")
@login_required
def follow(case_id: int):
    case = cases.get_case(current_user, case_id)
    if ConfirmForm().validate_on_submit():
        wanted = request.form.get("follow") == "1"
        notifications.follow(current_user, case, wanted)
        flash(_("Du följer ärendet.") if wanted else _("Du följer inte längre ärendet."),
              "success")
    return redirect(url_for("cases.detail", case_id=case.id))


@bp.get("/status/<token>")
def status(token: str):
    case = notifications.case_for_status_token(token)
    if case is None and notifications.is_held_submission(token):
        return render_template("status_received.html")
    if case is None:
        abort(404)
    return render_template("status.html", case=case, process=process_of(case))


def _is_local(target: str | None) -> bool:
    return bool(target) and target.startswith("/") and not target.startswith("//")
