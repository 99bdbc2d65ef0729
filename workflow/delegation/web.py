"""The delegationsordning in the browser: the anmälan av delegationsbeslut (HTML, CSV, PDF) for
the nämnd secretary, each förvaltning's order for everyone in the region, and the
administrator's pages for editing the order and the year's prisbasbelopp (docs/delegation.md)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField

from workflow.admin.support import admin_only, section
from workflow.delegation import service as delegation
from workflow.exports import service as exports
from workflow.models import Department
from workflow.platform.errors import ServiceError, ValidationFailed
from workflow.platform.extensions import db
from workflow.platform.forms import show_service_error
from workflow.states import delegation as rules
from workflow.states.i18n import N_

bp = Blueprint("delegation", __name__)
section("delegation.admin_index", N_("Delegationsordning"),
        N_("Förvaltningarnas delegationsordningar, versionerade, och årets prisbasbelopp."), 25)

BLANK_ROWS = 3
CSV_TYPE = "text/csv; charset=utf-8"


@bp.before_request
@login_required
def require_login():
    """Every page here needs a logged-in user."""


# ---------------------------------------------------------------- anmälan av delegationsbeslut

def _anmalan_from_request() -> delegation.Anmalan:
    departments = delegation.departments_for(current_user)
    if not departments:
        abort(403)
    start, end = delegation.default_period()
    return delegation.anmalan(current_user,
                              request.args.get("department_id") or departments[0].id,
                              request.args.get("from") or start.isoformat(),
                              request.args.get("to") or end.isoformat())


@bp.get("/delegation/anmalan")
def anmalan():
    departments = delegation.departments_for(current_user)
    if not departments:
        abort(403)
    try:
        report = _anmalan_from_request()
    except ValidationFailed as error:
        return render_template("delegation/anmalan.html", report=None, error=error,
                               departments=departments, args=request.args,
                               deciders=rules.DECIDERS), 422
    return render_template("delegation/anmalan.html", report=report, error=None,
                           departments=departments, args=request.args, deciders=rules.DECIDERS)


@bp.get("/delegation/anmalan.csv")
def anmalan_csv():
    report = _anmalan_from_request()
    headers = [_("Ärende"), _("Diarienummer"), _("Rubrik"), _("Beslutsdatum"), _("Delegat"),
               _("Delegationspunkt"), _("Punktens rubrik"), _("Belopp (kr)"), _("Gräns (kr)")]
    rows = [(d.case_id, d.diarienummer, d.title, d.decided_on, d.delegate, d.point,
             _point_title(d.point, d.point_title), d.amount_sek, d.limit_sek)
            for d in report.decisions]
    response = Response(exports.to_csv(headers, rows), mimetype=CSV_TYPE)
    name = f"delegationsbeslut-{report.start.isoformat()}-{report.end.isoformat()}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/delegation/anmalan.pdf")
def anmalan_pdf():
    from workflow.platform.pdf import pdf_response
    report = _anmalan_from_request()
    html = render_template("delegation/anmalan_print.html", report=report,
                           deciders=rules.DECIDERS)
    return pdf_response(html, f"delegationsbeslut-{report.start.isoformat()}-"
                              f"{report.end.isoformat()}.pdf")


def _point_title(number: str, title: str) -> str:
    """The fallback point's title is a msgid; a real order's titles are the nämnd's words."""
    return _(title) if number == "–" and title else title


# ---------------------------------------------------------------- the order, for everyone

@bp.get("/delegation/<int:department_id>")
def order(department_id: int):
    department = db.session.get(Department, department_id)
    if department is None or department.region_id != current_user.region_id:
        abort(404)
    today = delegation.local_today()
    current = delegation.order_on(department, today)
    base = delegation.prisbasbelopp(today.year)
    return render_template("delegation/order.html", department=department, order=current,
                           points=delegation.points_of(current) if current else (),
                           prisbasbelopp=base, deciders=rules.DECIDERS,
                           conditions=rules.CONDITIONS,
                           fallback_limit=delegation.facts_for(department, today)
                           ["delegation_limit_sek"])


# ---------------------------------------------------------------- administration

class PriceBaseForm(FlaskForm):
    year = StringField(_l("År"))
    amount_sek = StringField(_l("Prisbasbelopp (kr)"))
    source = StringField(_l("Källa"), description=_l(
        "Var beloppet är publicerat, t.ex. regeringens förordning om prisbasbelopp för året."))
    submit = SubmitField(_l("Spara prisbasbeloppet"))


class OrderForm(FlaskForm):
    valid_from = StringField(_l("Gäller från (ÅÅÅÅ-MM-DD)"))
    adopted_by = StringField(_l("Antagen genom"), description=_l(
        "Nämndens beslut, t.ex. \"Socialnämnden 2026-01-28 § 12\"."))
    submit = SubmitField(_l("Spara som ny version"))


@bp.get("/admin/delegation/")
@admin_only
def admin_index():
    return _admin_index(PriceBaseForm())


def _admin_index(form: PriceBaseForm, status: int = 200):
    today = delegation.local_today()
    departments = delegation.region_departments(current_user)
    return render_template("admin/delegation.html", departments=departments,
                           current={d.id: delegation.order_on(d, today) for d in departments},
                           amounts=delegation.price_base_amounts(), form=form), status


@bp.post("/admin/delegation/prisbasbelopp")
@admin_only
def admin_prisbasbelopp():
    form = PriceBaseForm()
    if form.validate_on_submit():
        try:
            saved = delegation.set_prisbasbelopp(current_user, {
                "year": form.year.data, "amount_sek": form.amount_sek.data,
                "source": form.source.data})
        except ValidationFailed as error:
            show_service_error(form, error)
        else:
            flash(_("Prisbasbeloppet för %(year)s är sparat.", year=saved.year), "success")
            return redirect(url_for("delegation.admin_index"))
    return _admin_index(form, 422)


@bp.route("/admin/delegation/<int:department_id>", methods=["GET", "POST"])
@admin_only
def admin_department(department_id: int):
    department = db.session.get(Department, department_id)
    if department is None or department.region_id != current_user.region_id:
        abort(404)
    versions = delegation.orders(department)
    form = OrderForm()
    error: ServiceError | None = None
    if request.method == "POST":
        rows = _rows_from_form(request.form)
        if form.validate_on_submit():
            try:
                delegation.save_order(current_user, department, {
                    "valid_from": form.valid_from.data, "adopted_by": form.adopted_by.data,
                    "points": rows})
            except ServiceError as failure:
                error = failure
                if isinstance(failure, ValidationFailed):
                    show_service_error(form, failure)
            else:
                flash(_("Delegationsordningen är sparad som en ny version."), "success")
                return redirect(url_for("delegation.admin_department",
                                        department_id=department.id))
    else:
        latest = versions[0] if versions else None
        rows = [dict(point) for point in latest.points] if latest else []
        if latest is not None:
            form.adopted_by.data = latest.adopted_by
        form.valid_from.data = delegation.local_today().isoformat()
    shown = rows + [{} for _ in range(BLANK_ROWS)]
    return render_template("admin/delegation_department.html", department=department,
                           versions=versions, form=form, rows=shown, error=error,
                           row_errors=_row_errors(error), deciders=rules.DECIDERS,
                           conditions=rules.CONDITIONS), 422 if error else 200


def _rows_from_form(form: Any) -> list[dict[str, Any]]:
    rows = []
    for index in range(int(form.get("row_count", "0") or 0) if
                       str(form.get("row_count", "0")).isdigit() else 0):
        if index > delegation.MAX_POINTS + BLANK_ROWS:
            break
        prefix = f"points-{index}-"
        rows.append({"number": form.get(prefix + "number", "").strip(),
                     "title": form.get(prefix + "title", "").strip(),
                     "decider": form.get(prefix + "decider", ""),
                     "limit_sek": form.get(prefix + "limit_sek", "").replace(" ", "").strip(),
                     "limit_pbb": form.get(prefix + "limit_pbb", "").strip(),
                     "conditions": form.getlist(prefix + "conditions")})
    return rows


def _row_errors(error: ServiceError | None) -> dict[str, list[str]]:
    if not isinstance(error, ValidationFailed):
        return {}
    return {name: messages for name, messages in error.translated_field_errors.items()
            if name.startswith("points")}
