"""Process administration pages: the version each förvaltning's new cases start on, each
version's diagram, states and events, and loading a new version (upload, preview, confirm)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SubmitField
from wtforms.validators import DataRequired, Optional, Regexp

from workflow.admin.support import require_admin, section
from workflow.platform.errors import ServiceError
from workflow.processes import admin as process_admin
from workflow.processes.registry import current_process
from workflow.states.diagram import layout
from workflow.states.i18n import N_

bp = Blueprint("admin_processes", __name__, url_prefix="/admin/processes")
require_admin(bp)
section("admin_processes.index", N_("Processer"),
        N_("Vilken processversion förvaltningarnas nya ärenden följer, och inläsning av en ny "
           "version."), 40)

# What each changed attribute is called in the preview (keys of workflow.states.diff).
CHANGE_LABELS = {
    "label": N_("Benämning"), "plain": N_("Text för inlämnaren"), "initial": N_("Startläge"),
    "target_days": N_("Måltid (dagar)"), "waiting_for": N_("Väntar på"),
    "editors": N_("Får ändra ärendet"), "dossier_editors": N_("Får ändra beslutsunderlaget"),
    "visible_to": N_("Ser ärendet"), "final": N_("Slutläge"), "from": N_("Från"),
    "to": N_("Till"), "roles": N_("Roller"), "guards": N_("Villkor"), "fields": N_("Fält"),
}
ROLE_ATTRIBUTES = {"waiting_for", "editors", "dossier_editors", "visible_to", "roles"}


class UploadForm(FlaskForm):
    file = FileField(_l("Processfil (YAML)"), validators=[FileRequired(_l("Välj en fil."))],
                     render_kw={"accept": ".yaml,.yml,application/yaml,text/yaml"},
                     description=_l("Samma format som filerna i config/processes/, med ett högre "
                                    "versionsnummer än den senaste versionen."))
    submit = SubmitField(_l("Förhandsgranska ändringarna"))


class ConfirmLoadForm(FlaskForm):
    """Carries the previewed file back unchanged; the service validates it again."""

    source = HiddenField(validators=[DataRequired()])
    filename = HiddenField()
    base_version = HiddenField(validators=[Optional(), Regexp(r"^\d+$")])
    submit = SubmitField(_l("Läs in den nya versionen"))


@bp.get("/")
def index():
    return render_template("admin/processes.html",
                           overview=process_admin.overview(current_user.region_id))


@bp.get("/<name>/<int:version>")
def detail(name: str, version: int):
    info = process_admin.version_info(current_user.region_id, name, version)
    return render_template("admin/process_detail.html", info=info,
                           definition=info.process.definition,
                           diagram=layout(info.process.definition))


@bp.get("/new")
def upload():
    return _render_upload(UploadForm())


@bp.post("/new")
def preview():
    form = UploadForm()
    if not form.validate_on_submit():
        return _render_upload(form, status=422)
    upload = form.file.data
    try:
        candidate = process_admin.preview(upload.read(), upload.filename or "")
    except ServiceError as error:
        return _render_upload(form, error=error, status=error.status)
    confirm = ConfirmLoadForm(formdata=None, source=candidate.source_text,
                              filename=candidate.filename,
                              base_version="" if candidate.base is None
                              else str(candidate.base_version))
    return _render_preview(candidate, confirm)


@bp.post("/confirm")
def confirm():
    form = ConfirmLoadForm()
    if not form.validate_on_submit():
        missing = ServiceError(message=N_("Förhandsgranskningen kom inte med. Ladda upp filen "
                                          "igen; ingenting sparades."))
        return _render_upload(UploadForm(formdata=None), error=missing, status=422)
    base = int(form.base_version.data) if form.base_version.data else None
    try:
        row = process_admin.load(current_user, form.source.data, form.filename.data or "",
                                 base_version=base)
    except ServiceError as error:
        return _render_upload(UploadForm(formdata=None), error=error, status=error.status)
    flash(_("Version %(version)s av %(name)s är inläst. Nya ärenden följer den; pågående "
            "ärenden behåller sin version.", version=row.version, name=row.name), "success")
    return redirect(url_for(".detail", name=row.name, version=row.version))


def _render_upload(form: UploadForm, error: ServiceError | None = None, status: int = 200):
    return render_template("admin/process_upload.html", form=form, error=error,
                           current=current_process()), status


def _render_preview(candidate: process_admin.Candidate, form: ConfirmLoadForm):
    return render_template("admin/process_preview.html", candidate=candidate, form=form,
                           diff=candidate.diff, change_labels=CHANGE_LABELS,
                           role_attributes=ROLE_ATTRIBUTES)
