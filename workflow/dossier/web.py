"""The Beslutsunderlag tab: the three dossier sections, their computed results, and the
printable one-page decision summary."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from workflow.calc import benefit, classification, procurement
from workflow.cases import service as cases
from workflow.cases.forms import ConfirmForm
from workflow.dossier import forms
from workflow.dossier import service as dossier
from workflow.models import utcnow
from workflow.platform.errors import ServiceError, ValidationFailed
from workflow.processes.registry import process_of
from workflow.states.i18n import N_

bp = Blueprint("dossier", __name__)

SAVED = {"benefit": N_("Nyttokalkylen är sparad."),
         "procurement": N_("Upphandlingskontrollen är sparad."),
         "classification": N_("Klassningen är sparad.")}
ANCHORS = {"benefit": "nyttokalkyl", "procurement": "upphandling",
           "classification": "klassning"}


@bp.before_request
@login_required
def require_login():
    """Every page here needs a logged-in user."""


@bp.get("/cases/<int:case_id>/dossier")
def show(case_id: int):
    return _render(cases.get_case(current_user, case_id))


@bp.get("/objects")
def objects():
    today = utcnow().date()
    rows = [(o, classification.review_overdue(o.last_review, today))
            for o in dossier.objects_for(current_user)]
    return render_template("objects.html", rows=rows, axes=classification.AXES)


@bp.get("/cases/<int:case_id>/dossier/print")
def print_summary(case_id: int):
    case = cases.get_case(current_user, case_id)
    return render_template("dossier_print.html", case=case, process=process_of(case),
                           dossier=dossier.view(case), benefit_labels=benefit,
                           route_label=_route_label)


@bp.post("/cases/<int:case_id>/dossier/benefit")
def save_benefit(case_id: int):
    case = cases.get_case(current_user, case_id)
    current = case.dossier
    form = forms.benefit_form(current.benefit if current else None,
                              current.replacement if current else False, formdata=_formdata())
    if form.add_benefit.data:
        forms.add_benefit_entry(form)
        return _render(case, {"benefit": form}, open_section="benefit")
    if not form.validate_on_submit():
        return _render(case, {"benefit": form}, status=422, open_section="benefit")
    document, index = forms.benefit_document(form, dossier.benefit_defaults(case.department))
    return _save(case, "benefit", form, document, index)


@bp.post("/cases/<int:case_id>/dossier/procurement")
def save_procurement(case_id: int):
    case = cases.get_case(current_user, case_id)
    form = forms.procurement_form(None, formdata=_formdata())
    if not form.validate_on_submit():
        return _render(case, {"procurement": form}, status=422, open_section="procurement")
    return _save(case, "procurement", form, forms.procurement_document(form))


@bp.post("/cases/<int:case_id>/dossier/classification")
def save_classification(case_id: int):
    case = cases.get_case(current_user, case_id)
    form = forms.classification_form(None, dossier.objects_for(current_user),
                                     formdata=_formdata())
    if not form.validate_on_submit():
        return _render(case, {"classification": form}, status=422,
                       open_section="classification")
    return _save(case, "classification", form, forms.classification_document(form))


@bp.post("/cases/<int:case_id>/dossier/sign-off")
def sign_off(case_id: int):
    case = cases.get_case(current_user, case_id)
    if ConfirmForm().validate_on_submit():
        dossier.sign_off_classification(current_user, case)
        flash(_("Klassningen är godkänd."), "success")
    return redirect(url_for("dossier.show", case_id=case.id, _anchor="klassning"))


def _save(case, section: str, form, document, benefit_index=None):
    try:
        dossier.save_section(current_user, case, section, document,
                             expected_version=form.version.data or None)
    except ServiceError as error:
        unplaced = []
        if isinstance(error, ValidationFailed):
            unplaced = forms.attach_errors(form, error.translated_field_errors, benefit_index)
        return _render(case, {section: form}, status=error.status, error=error,
                       unplaced=unplaced, open_section=section)
    flash(_(SAVED[section]), "success")
    return redirect(url_for("dossier.show", case_id=case.id, _anchor=ANCHORS[section]))


def _formdata():
    return request.form


def _render(case, submitted=None, status: int = 200, error: ServiceError | None = None,
            unplaced=None, open_section: str | None = None):
    current = dossier.view(case)
    stored = case.dossier
    editable = dossier.can_edit(current_user, case)
    submitted = submitted or {}
    objects = dossier.objects_for(current_user)
    section_forms = {
        "benefit": submitted.get("benefit") or forms.benefit_form(
            (stored.benefit if stored else None)
            or dossier.benefit_defaults(case.department),
            stored.replacement if stored else False),
        "procurement": submitted.get("procurement") or forms.procurement_form(
            stored.procurement if stored else None),
        "classification": submitted.get("classification") or forms.classification_form(
            stored.classification if stored else None, objects),
    }
    for form in section_forms.values():
        if form.version.data in (None, ""):
            form.version.data = current.version
    return render_template(
        "dossier.html", case=case, process=process_of(case), dossier=current,
        forms=section_forms, editable=editable, error=error, unplaced=unplaced or [],
        objects={o.id: o for o in objects}, open_section=open_section,
        can_sign_off=dossier.can_sign_off(current_user, case),
        confirm_form=ConfirmForm(), axes=classification.AXES, route_label=_route_label,
        benefit_conventions=benefit.CONVENTIONS), status


def _route_label(route: str | None) -> str:
    return _(procurement.ROUTES[route]) if route in procurement.ROUTES else ""
