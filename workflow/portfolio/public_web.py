"""The public transparency page: approved and closed cases with their realised benefits,
without personal data. Each region switches it on or off."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from workflow.cases.forms import ConfirmForm
from workflow.follow_up import service as follow_up
from workflow.models import Case, Department, Region, Unit
from workflow.organisation import admin as admin_organisation
from workflow.platform.extensions import db
from workflow.processes.registry import process_of
from workflow.states import features

bp = Blueprint("public", __name__)
SHOWN = features.PUBLIC_STATES


@bp.get("/public/<int:region_id>")
def index(region_id: int):
    region = db.session.get(Region, region_id)
    if region is None or not region.public_page:
        abort(404)
    query = (select(Case).join(Unit).join(Department)
             .where(Department.region_id == region.id, Case.state.in_(SHOWN))
             .order_by(Case.updated_at.desc()).options(follow_up.with_benefit_calculation()))
    found = db.session.scalars(query).all()
    rows = [(case, process_of(case), summary)
            for case, summary in zip(found, follow_up.realisations(found), strict=True)]
    return render_template("public.html", region=region, rows=rows)


@bp.post("/public/<int:region_id>/switch")
@login_required
def switch(region_id: int):
    """The region's administrator turns the public page on or off."""
    region = db.session.get(Region, region_id)
    if region is None:
        abort(404)
    if ConfirmForm().validate_on_submit():
        admin_organisation.set_public_page(current_user, region, not region.public_page)
        flash(_("Den offentliga sidan är påslagen.") if region.public_page
              else _("Den offentliga sidan är avstängd."), "success")
    return redirect(url_for("portfolio.index"))
