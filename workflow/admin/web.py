"""Administration: the start page linking every section, and the admin log."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, render_template, request
from flask_login import current_user
from sqlalchemy import select

from workflow.admin import log as admin_log
from workflow.admin.support import SECTIONS, require_admin, section
from workflow.models import User
from workflow.platform.extensions import db
from workflow.platform.validation import as_id
from workflow.states.i18n import N_

bp = Blueprint("admin", __name__, url_prefix="/admin")
require_admin(bp)
section("admin.log", N_("Adminlogg"),
        N_("Varje administrativ ändring: vem, när, vad, före och efter."), 90)


@bp.get("/")
def index():
    return render_template("admin/index.html", sections=SECTIONS)


@bp.get("/log")
def log():
    filters = admin_log.LogFilter(
        action=request.args.get("action") or None,
        actor_id=as_id(request.args.get("actor_id")),
        since=_date_arg("since"), until=_date_arg("until"),
        text=(request.args.get("q") or "").strip() or None)
    page = admin_log.entries(current_user.region_id, filters, request.args.get("page", 1, int))
    actors = db.session.scalars(select(User).where(User.region_id == current_user.region_id)
                                .order_by(User.display_name))
    return render_template("admin/log.html", page=page, filters=filters,
                           actions=admin_log.actions(current_user.region_id), actors=list(actors))


def _date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name) or "")
    except ValueError:
        return None
