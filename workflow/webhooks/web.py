"""Administration › Webhooks: register a URL and a secret per förvaltning, deactivate, and
see the latest deliveries. Region administrators only (docs/webhooks.md)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice

from workflow.admin.support import require_admin, section
from workflow.cases.forms import ConfirmForm
from workflow.platform.errors import ValidationFailed
from workflow.platform.forms import show_service_error
from workflow.states.i18n import N_
from workflow.webhooks import service as webhooks
from workflow.webhooks.service import SECRET_MAX, SECRET_MIN, URL_MAX

bp = Blueprint("admin_webhooks", __name__, url_prefix="/admin/webhooks")
require_admin(bp)
section("admin_webhooks.index", N_("Webhooks"),
        N_("Skicka förvaltningens ärendehändelser, signerade, till andra system: adress, "
           "hemlighet och de senaste leveranserna."), 50)

DELIVERY_STATUS = {"pending": N_("Väntar"), "delivered": N_("Levererad"),
                   "failed": N_("Misslyckad")}


class WebhookForm(FlaskForm):
    department_id = SelectField(_l("Förvaltning"), validate_choice=False)
    url = StringField(_l("Adress (URL)"), description=_l(
        "Måste börja med https://. http:// går bara till 127.0.0.1 eller localhost."),
        render_kw={"maxlength": URL_MAX, "autocomplete": "off", "inputmode": "url"})
    secret = StringField(_l("Hemlighet (frivillig)"), description=_l(
        "%(min)s–%(max)s tecken. Lämna tomt så skapas en. Den visas bara en gång.",
        min=SECRET_MIN, max=SECRET_MAX),
        render_kw={"maxlength": SECRET_MAX, "autocomplete": "off"})
    submit = SubmitField(_l("Registrera webhooken"))


def _form() -> WebhookForm:
    form = WebhookForm()
    departments = [d for d in current_user.region.departments if not d.is_closed] \
        if current_user.region is not None else []
    form.department_id.choices = [SelectChoice(str(d.id), d.name) for d in departments]
    return form


@bp.get("/")
def index():
    return _index(_form())


def _index(form: WebhookForm, status: int = 200, created=None, secret: str | None = None):
    response = render_template("admin/webhooks.html", form=form,
                               hooks=webhooks.webhooks_of(current_user.region_id),
                               created=created, secret=secret)
    return response, status, ({"Cache-Control": "no-store"} if secret else {})


@bp.post("/")
def create():
    form = _form()
    if form.validate_on_submit():
        try:
            hook, secret = webhooks.register(current_user, {
                "department_id": form.department_id.data, "url": form.url.data,
                "secret": form.secret.data or None})
        except ValidationFailed as error:
            show_service_error(form, error)
        else:
            # No redirect: the secret is shown on this answer only, never stored in a flash.
            return _index(_form(), 200, created=hook, secret=secret)
    return _index(form, 422)


@bp.get("/<int:webhook_id>")
def webhook(webhook_id: int):
    hook = webhooks.get_webhook(current_user, webhook_id)
    return render_template("admin/webhook.html", hook=hook, form=ConfirmForm(),
                           deliveries=webhooks.deliveries(hook), statuses=DELIVERY_STATUS)


@bp.post("/<int:webhook_id>/deactivate")
def deactivate(webhook_id: int):
    hook = webhooks.get_webhook(current_user, webhook_id)
    if ConfirmForm().validate_on_submit():
        webhooks.deactivate(current_user, hook)
        flash(_("Webhooken är inaktiverad. Inga fler händelser skickas dit."), "success")
    return redirect(url_for("admin_webhooks.webhook", webhook_id=hook.id))
