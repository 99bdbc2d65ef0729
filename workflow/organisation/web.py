"""Administration of the organisation: förvaltningar and units as a tree, each förvaltning's
forums and settings, closing and reopening. Region administrators only."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice

from workflow.admin.support import require_admin, section
from workflow.cases.forms import ConfirmForm
from workflow.models import Department, Unit
from workflow.organisation import admin as organisation
from workflow.platform.errors import ServiceError, ValidationFailed
from workflow.platform.forms import show_service_error
from workflow.portfolio import service as portfolio
from workflow.states.i18n import N_

bp = Blueprint("admin_organisation", __name__, url_prefix="/admin/organisation")
require_admin(bp)
section("admin_organisation.index", N_("Organisation"),
        N_("Förvaltningar och enheter: skapa, byt namn, flytta, stäng och öppna igen. "
           "Förvaltningarnas forum och egna inställningar."), 10)

PEOPLE_URL = "/admin/people?department_id={id}"
# Where each setting's default comes from, shown next to the field.
DEFAULT_SOURCES = {
    "delegation_limit_sek": "config/settings.toml",
    "yearly_budget_sek": "config/prioritisation.toml",
    "yearly_hours": "config/prioritisation.toml",
    "hourly_cost_sek": N_("nyttokalkylens standardvärde"),
    "discount_rate_percent": N_("nyttokalkylens standardvärde"),
    "target_balance": "config/portfolio.toml",
}
SETTING_INPUTS = ("delegation_limit_sek", "yearly_budget_sek", "yearly_hours",
                  "hourly_cost_sek", "discount_rate_percent")


class DepartmentCreateForm(FlaskForm):
    name = StringField(_l("Förvaltningens namn"))
    submit = SubmitField(_l("Skapa förvaltningen"))


class UnitCreateForm(FlaskForm):
    name = StringField(_l("Enhetens namn"))
    department_id = SelectField(_l("Förvaltning"), validate_choice=False)
    submit = SubmitField(_l("Skapa enheten"))


class RegionForm(FlaskForm):
    """The region's diarienummer format (docs/decisions.md)."""
    diarienummer_pattern = StringField(_l("Diarienummer: mönster (reguljärt uttryck)"),
                                       render_kw={"maxlength": 200, "autocomplete": "off"})
    diarienummer_example = StringField(_l("Diarienummer: exempel"),
                                       render_kw={"maxlength": 60, "autocomplete": "off"})
    submit = SubmitField(_l("Spara regionens inställningar"))


class DepartmentForm(FlaskForm):
    name = StringField(_l("Namn"), description=_l(
        "Konfigurationsfilerna anger förvaltningarnas värden efter namn. Byter du namn gäller "
        "filernas standardvärden, om du inte anger egna värden nedan."))
    committee_name = StringField(_l("Nämnd"),
                                 description=_l("Nämnden som fattar beslut om större "
                                                "investeringar."))
    council_name = StringField(_l("Digitaliseringsrådets namn"),
                               description=_l("Till exempel Kvalitet- och utvecklingsrådet. "
                                              "Tomt = Digitaliseringsrådet."))
    management_group_name = StringField(_l("Ledningsgruppens namn"),
                                        description=_l("Tomt = Ledningsgruppen."))
    delegation_limit_sek = StringField(_l("Förvaltningschefens delegationsgräns (kr)"),
                                       description=_l(
        "Gäller bara så länge förvaltningen saknar en delegationsordning (Administration → "
        "Delegationsordning); finns en, beslutar dess punkter."))
    yearly_budget_sek = StringField(_l("Årlig utvecklingsbudget (kr)"))
    yearly_hours = StringField(_l("Årliga utvecklingstimmar"))
    hourly_cost_sek = StringField(_l("Timkostnad för egen personal i nyttokalkylen (kr)"))
    discount_rate_percent = StringField(_l("Kalkylränta i nyttokalkylen (%)"))
    efficiency_internal = StringField(_l("Effektivisering, intern nytta (%)"))
    efficiency_external = StringField(_l("Effektivisering, nytta för medborgare/brukare (%)"))
    innovation_internal = StringField(_l("Innovation, intern nytta (%)"))
    innovation_external = StringField(_l("Innovation, nytta för medborgare/brukare (%)"))
    submit = SubmitField(_l("Spara förvaltningen"))


class MaturityForm(FlaskForm):
    level = SelectField(_l("Nivå på KPMG:s skala"), validate_choice=False)
    assessed_on = StringField(_l("Bedömd den"), description=_l("Datum som ÅÅÅÅ-MM-DD."),
                              render_kw={"autocomplete": "off"})
    source = StringField(_l("Källa"), description=_l(
        "Till exempel KPMG:s granskning eller förvaltningens egen bedömning. Högst 300 tecken."),
        render_kw={"maxlength": 300})
    submit = SubmitField(_l("Lägg till bedömningen"))


class DimiosForm(FlaskForm):
    measured_on = StringField(_l("Mätt den"), description=_l("Datum som ÅÅÅÅ-MM-DD."),
                              render_kw={"autocomplete": "off"})
    score = StringField(_l("Poäng"), description=_l("Från 1 till 5, med högst två decimaler."),
                        render_kw={"inputmode": "decimal"})
    respondents = StringField(_l("Antal svarande"), render_kw={"inputmode": "numeric"})
    submit = SubmitField(_l("Lägg till mätningen"))


class UnitForm(FlaskForm):
    name = StringField(_l("Namn"))
    department_id = SelectField(
        _l("Förvaltning"), validate_choice=False,
        description=_l("Välj en annan förvaltning för att flytta enheten dit. Ärendena, "
                       "historiken och rollerna i enheten följer med."))
    submit = SubmitField(_l("Spara enheten"))


# ---------------------------------------------------------------- the tree

@bp.get("/")
def index():
    return _render_index(DepartmentCreateForm(prefix="department"), _unit_create_form())


@bp.post("/region")
def region():
    """The region's own settings: the diarienummer's format and example."""
    form = RegionForm(prefix="region")
    if not form.validate_on_submit():
        return _render_index(DepartmentCreateForm(prefix="department"), _unit_create_form(),
                             status=400, region_form=form)
    try:
        organisation.update_region(current_user, current_user.region, {
            "diarienummer_pattern": form.diarienummer_pattern.data,
            "diarienummer_example": form.diarienummer_example.data})
    except ServiceError as error:
        show_service_error(form, error)
        return _render_index(DepartmentCreateForm(prefix="department"), _unit_create_form(),
                             status=error.status, error=error, region_form=form)
    flash(_("Regionens inställningar är sparade."), "success")
    return redirect(url_for(".index", _anchor="region"))


@bp.post("/departments")
def create_department():
    form = DepartmentCreateForm(prefix="department")
    if not form.validate_on_submit():
        return _render_index(form, _unit_create_form(), status=400)
    try:
        department = organisation.create_department(current_user, {"name": form.name.data})
    except ServiceError as error:
        show_service_error(form, error)
        return _render_index(form, _unit_create_form(), status=error.status, error=error)
    flash(_("Förvaltningen %(name)s är skapad.", name=department.name), "success")
    return redirect(url_for(".department", department_id=department.id))


@bp.post("/units")
def create_unit():
    form = _unit_create_form()
    if not form.validate_on_submit():
        return _render_index(DepartmentCreateForm(prefix="department"), form, status=400)
    try:
        unit = organisation.create_unit(current_user, {"name": form.name.data,
                                                       "department_id": form.department_id.data})
    except ServiceError as error:
        show_service_error(form, error)
        return _render_index(DepartmentCreateForm(prefix="department"), form,
                             status=error.status, error=error)
    flash(_("Enheten %(name)s är skapad i %(department)s.", name=unit.name,
            department=unit.department.name), "success")
    return redirect(url_for(".index", _anchor=f"forvaltning-{unit.department_id}"))


def _unit_create_form() -> UnitCreateForm:
    form = UnitCreateForm(prefix="unit")
    form.department_id.choices = [SelectChoice("", "—")] + [
        SelectChoice(str(row.department.id), row.department.name)
        for row in organisation.organisation_tree(current_user.region_id)
        if not row.department.is_closed]
    return form


def _render_index(department_form: DepartmentCreateForm, unit_form: UnitCreateForm,
                  status: int = 200, error: ServiceError | None = None,
                  region_form: RegionForm | None = None):
    if region_form is None:
        region_form = RegionForm(prefix="region", formdata=None)
        for key, value in organisation.region_settings(current_user.region).items():
            region_form[key].data = value or ""
    defaults = organisation.region_defaults()
    for key, value in defaults.items():
        region_form[key].render_kw = {**(region_form[key].render_kw or {}),
                                      "placeholder": _("standard: %(value)s", value=value)}
    region_form.diarienummer_pattern.description = _(
        "Varje diarienummer som registreras måste följa mönstret, t.ex. %(default)s. Tomt = "
        "standard (config/settings.toml).", default=defaults["diarienummer_pattern"])
    region_form.diarienummer_example.description = _(
        "Visas i formulären och felmeddelandena. Måste följa mönstret. Tomt = standard "
        "%(default)s.", default=defaults["diarienummer_example"])
    return render_template("admin/organisation.html",
                           tree=organisation.organisation_tree(current_user.region_id),
                           department_form=department_form, unit_form=unit_form,
                           region_form=region_form, error=error), status


# ---------------------------------------------------------------- a förvaltning

@bp.route("/departments/<int:department_id>", methods=["GET", "POST"])
def department(department_id: int):
    department = organisation.get_department(current_user, department_id)
    form = DepartmentForm()
    if not form.is_submitted():
        _fill_department_form(form, department)
    elif form.validate_on_submit():
        try:
            organisation.update_department(current_user, department, _department_fields(form))
        except ServiceError as error:
            show_service_error(form, error)
            return _render_department(department, form, error.status, error)
        flash(_("Ändringarna är sparade."), "success")
        return redirect(url_for(".department", department_id=department.id))
    else:
        return _render_department(department, form, 400)
    return _render_department(department, form)


@bp.route("/departments/<int:department_id>/close", methods=["GET", "POST"])
def close_department(department_id: int):
    department = organisation.get_department(current_user, department_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _render_close(department, organisation.open_cases_in_department(department),
                             form)
    try:
        open_cases = organisation.close_department(current_user, department)
    except ServiceError as error:
        flash(error.text, "error")
    else:
        flash(_("%(name)s är stängd, med sina enheter. %(n)s öppna ärenden finns kvar och syns "
                "som förut.", name=department.name, n=open_cases), "success")
    return redirect(url_for(".department", department_id=department.id))


@bp.post("/departments/<int:department_id>/reopen")
def reopen_department(department_id: int):
    department = organisation.get_department(current_user, department_id)
    if ConfirmForm().validate_on_submit():
        try:
            organisation.reopen_department(current_user, department)
        except ServiceError as error:
            flash(error.text, "error")
        else:
            flash(_("%(name)s är öppen igen, med de enheter som stängdes samtidigt.",
                    name=department.name), "success")
    return redirect(url_for(".department", department_id=department.id))


@bp.post("/departments/<int:department_id>/maturity")
def add_maturity(department_id: int):
    department = organisation.get_department(current_user, department_id)
    form = _maturity_form()
    if not form.validate_on_submit():
        return _render_filled(department, maturity_form=form, status=400)
    try:
        organisation.add_maturity(current_user, department, {
            "level": form.level.data, "assessed_on": form.assessed_on.data,
            "source": form.source.data})
    except ServiceError as error:
        show_service_error(form, error)
        return _render_filled(department, maturity_form=form, status=error.status, error=error)
    flash(_("Bedömningen av den digitala mognaden är sparad."), "success")
    return redirect(url_for(".department", department_id=department.id, _anchor="mognad"))


@bp.post("/departments/<int:department_id>/maturity/<int:assessment_id>/delete")
def delete_maturity(department_id: int, assessment_id: int):
    department = organisation.get_department(current_user, department_id)
    assessment = organisation.get_maturity(current_user, department, assessment_id)
    if ConfirmForm().validate_on_submit():
        try:
            organisation.delete_maturity(current_user, assessment)
        except ServiceError as error:
            flash(error.text, "error")
        else:
            flash(_("Bedömningen är borttagen."), "success")
    return redirect(url_for(".department", department_id=department.id, _anchor="mognad"))


@bp.post("/departments/<int:department_id>/dimios")
def add_dimios_round(department_id: int):
    department = organisation.get_department(current_user, department_id)
    form = DimiosForm(prefix="dimios")
    if not form.validate_on_submit():
        return _render_filled(department, dimios_form=form, status=400)
    try:
        organisation.add_dimios_round(current_user, department, {
            "measured_on": form.measured_on.data, "score": form.score.data,
            "respondents": form.respondents.data})
    except ServiceError as error:
        show_service_error(form, error)
        return _render_filled(department, dimios_form=form, status=error.status, error=error)
    flash(_("DiMiOS-mätningen är sparad."), "success")
    return redirect(url_for(".department", department_id=department.id, _anchor="dimios"))


@bp.post("/departments/<int:department_id>/dimios/<int:round_id>/delete")
def delete_dimios_round(department_id: int, round_id: int):
    department = organisation.get_department(current_user, department_id)
    measurement = organisation.get_dimios_round(current_user, department, round_id)
    if ConfirmForm().validate_on_submit():
        try:
            organisation.delete_dimios_round(current_user, measurement)
        except ServiceError as error:
            flash(error.text, "error")
        else:
            flash(_("Mätningen är borttagen."), "success")
    return redirect(url_for(".department", department_id=department.id, _anchor="dimios"))


def _maturity_form() -> MaturityForm:
    form = MaturityForm(prefix="maturity")
    form.level.choices = [SelectChoice("", "—")] + [
        SelectChoice(str(level), f"{level} – {_(label)}")
        for level, label in portfolio.MATURITY.items()]
    return form


def _render_filled(department: Department, status: int = 200,
                   error: ServiceError | None = None, **forms: FlaskForm):
    """The förvaltning's page after a refused maturity or DiMiOS form: the settings form
    filled from the database, the refused form with its errors."""
    form = DepartmentForm(formdata=None)
    _fill_department_form(form, department)
    return _render_department(department, form, status, error, **forms)


def _fill_department_form(form: DepartmentForm, department: Department) -> None:
    form.name.data = department.name
    for key in organisation.FORUM_FIELDS:
        form[key].data = getattr(department, key) or ""
    own = organisation.settings_of(department)
    for key in SETTING_INPUTS:
        form[key].data = "" if own[key] is None else str(own[key])
    balance = own["target_balance"] or {}
    for key in organisation.QUADRANTS:
        form[key].data = "" if key not in balance else str(balance[key])


def _department_fields(form: DepartmentForm) -> dict[str, Any]:
    fields = {key: form[key].data for key in ("name", *organisation.FORUM_FIELDS,
                                              *SETTING_INPUTS)}
    fields["target_balance"] = {key: form[key].data for key in organisation.QUADRANTS}
    return fields


def _describe_defaults(form: DepartmentForm, department: Department) -> None:
    """Each setting shows the default that applies when it is left empty."""
    defaults = organisation.file_defaults(department)
    for key in SETTING_INPUTS:
        text = format_decimal(defaults[key])
        form[key].render_kw = {"placeholder": _("standard: %(value)s", value=text),
                               "inputmode": "decimal" if key == "discount_rate_percent"
                               else "numeric"}
        form[key].description = _("Tomt = standard %(value)s (%(source)s).", value=text,
                                   source=_(DEFAULT_SOURCES[key]))
    for key in organisation.QUADRANTS:
        text = format_decimal(defaults["target_balance"][key])
        form[key].render_kw = {"placeholder": _("standard: %(value)s", value=text),
                               "inputmode": "numeric"}


def _render_department(department: Department, form: DepartmentForm, status: int = 200,
                       error: ServiceError | None = None,
                       maturity_form: MaturityForm | None = None,
                       dimios_form: DimiosForm | None = None):
    _describe_defaults(form, department)
    balance_errors = (error.translated_field_errors.get("target_balance", [])
                      if isinstance(error, ValidationFailed) else [])
    return render_template(
        "admin/department.html", department=department, form=form, error=error,
        balance_errors=balance_errors, quadrants=organisation.QUADRANTS,
        open_cases=organisation.open_cases_in_department(department),
        effective=organisation.effective_settings(department),
        members=organisation.forum_members(department),
        people_url=PEOPLE_URL.format(id=department.id), confirm_form=ConfirmForm(),
        maturity_form=maturity_form or _maturity_form(),
        dimios_form=dimios_form or DimiosForm(prefix="dimios"),
        assessments=organisation.maturity_assessments(department),
        dimios_rounds=organisation.dimios_rounds(department),
        levels=portfolio.MATURITY), status


# ---------------------------------------------------------------- a unit

@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
def unit(unit_id: int):
    unit = organisation.get_unit(current_user, unit_id)
    form = _unit_form(unit)
    if not form.is_submitted():
        form.name.data, form.department_id.data = unit.name, str(unit.department_id)
    elif form.validate_on_submit():
        try:
            organisation.update_unit(current_user, unit, {
                "name": form.name.data, "department_id": form.department_id.data})
        except ServiceError as error:
            show_service_error(form, error)
            return _render_unit(unit, form, error.status, error)
        flash(_("Ändringarna är sparade."), "success")
        return redirect(url_for(".unit", unit_id=unit.id))
    else:
        return _render_unit(unit, form, 400)
    return _render_unit(unit, form)


@bp.route("/units/<int:unit_id>/close", methods=["GET", "POST"])
def close_unit(unit_id: int):
    unit = organisation.get_unit(current_user, unit_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _render_close(unit, organisation.open_cases_in_unit(unit), form)
    try:
        open_cases = organisation.close_unit(current_user, unit)
    except ServiceError as error:
        flash(error.text, "error")
    else:
        flash(_("%(name)s är stängd. %(n)s öppna ärenden finns kvar och syns som förut.",
                name=unit.name, n=open_cases), "success")
    return redirect(url_for(".unit", unit_id=unit.id))


@bp.post("/units/<int:unit_id>/reopen")
def reopen_unit(unit_id: int):
    unit = organisation.get_unit(current_user, unit_id)
    if ConfirmForm().validate_on_submit():
        try:
            organisation.reopen_unit(current_user, unit)
        except ServiceError as error:
            flash(error.text, "error")
        else:
            flash(_("%(name)s är öppen igen.", name=unit.name), "success")
    return redirect(url_for(".unit", unit_id=unit.id))


def _unit_form(unit: Unit) -> UnitForm:
    form = UnitForm()
    form.department_id.choices = [
        SelectChoice(str(row.department.id), row.department.name)
        for row in organisation.organisation_tree(current_user.region_id)
        if not row.department.is_closed or row.department.id == unit.department_id]
    return form


def _render_unit(unit: Unit, form: UnitForm, status: int = 200,
                 error: ServiceError | None = None):
    return render_template("admin/unit.html", unit=unit, form=form, error=error,
                           open_cases=organisation.open_cases_in_unit(unit),
                           confirm_form=ConfirmForm()), status


# ---------------------------------------------------------------- shared

def _render_close(target: Department | Unit, open_cases: int, form: ConfirmForm):
    return render_template("admin/organisation_close.html", target=target,
                           is_department=isinstance(target, Department),
                           open_cases=open_cases, form=form)
