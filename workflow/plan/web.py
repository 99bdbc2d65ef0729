"""The digitaliseringsplan page: goal areas and their actions with status, owner and linked
cases, the proposals parked in the plan, and the forms that keep the plan."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice

from workflow.cases.forms import ConfirmForm
from workflow.models import PLAN_STATUSES
from workflow.plan import service as plan
from workflow.platform.errors import ServiceError
from workflow.platform.forms import show_service_error

bp = Blueprint("plan", __name__)

REGION_WIDE = "region"


def _status_choices() -> list[SelectChoice]:
    return [SelectChoice(key, _l(plan.STATUS_LABELS[key])) for key in PLAN_STATUSES]


class GoalAreaForm(FlaskForm):
    # The service decides which förvaltningar the user may choose (403 or a field error).
    department_id = SelectField(_l("Gäller"), validate_choice=False)
    name = StringField(_l("Målområde"), description=_l("T.ex. \"Digitalt stöd för handläggning\"."))
    description = TextAreaField(_l("Beskrivning"))
    submit = SubmitField(_l("Lägg till målområdet"))


class GoalAreaEditForm(FlaskForm):
    name = StringField(_l("Målområdets namn"))
    description = TextAreaField(_l("Beskrivning"))
    submit = SubmitField(_l("Spara målområdet"))


class ActionForm(FlaskForm):
    name = StringField(_l("Insats"))
    owner = StringField(_l("Ansvarig"), description=_l("Namn och gärna roll eller enhet."))
    status = SelectField(_l("Status"), choices=_status_choices, default="not_done")
    submit = SubmitField(_l("Lägg till insatsen"))


class ActionEditForm(ActionForm):
    submit = SubmitField(_l("Spara insatsen"))


class LinkForm(FlaskForm):
    case_id = StringField(_l("Ärendenummer"), render_kw={"inputmode": "numeric"},
                          description=_l("Numret står överst på ärendets sida, t.ex. 12."))
    submit = SubmitField(_l("Koppla ärendet"))


@bp.before_request
@login_required
def require_login():
    """Every page here needs a logged-in user."""


@bp.get("/plan")
def index():
    return _render()


@bp.post("/plan/areas")
def create_area():
    form = GoalAreaForm(prefix="area")
    form.department_id.choices = _scope_choices(plan.area_scopes(current_user))
    if not form.validate_on_submit():
        return _render({"area": form}, status=422, open_key="area")
    scope = form.department_id.data
    try:
        area = plan.create_area(current_user, None if scope == REGION_WIDE else scope,
                                form.name.data, form.description.data)
    except ServiceError as error:
        return _failed(error, "area", form)
    flash(_("Målområdet är tillagt."), "success")
    return _back(f"omrade-{area.id}")


@bp.post("/plan/areas/<int:area_id>")
def update_area(area_id: int):
    area = plan.get_area(current_user, area_id)
    key = f"area-{area.id}"
    form = GoalAreaEditForm(prefix=f"area{area.id}")
    if not form.validate_on_submit():
        return _render({key: form}, status=422, open_key=key)
    try:
        plan.update_area(current_user, area, form.name.data, form.description.data)
    except ServiceError as error:
        return _failed(error, key, form)
    flash(_("Målområdet är sparat."), "success")
    return _back(f"omrade-{area.id}")


@bp.post("/plan/areas/<int:area_id>/actions")
def create_action(area_id: int):
    area = plan.get_area(current_user, area_id)
    key = f"new-action-{area.id}"
    form = ActionForm(prefix=f"newaction{area.id}")
    if not form.validate_on_submit():
        return _render({key: form}, status=422, open_key=key)
    try:
        action = plan.create_action(current_user, area, form.name.data, form.owner.data,
                                    form.status.data)
    except ServiceError as error:
        return _failed(error, key, form)
    flash(_("Insatsen är tillagd."), "success")
    return _back(f"insats-{action.id}")


@bp.post("/plan/actions/<int:action_id>")
def update_action(action_id: int):
    action = plan.get_action(current_user, action_id)
    key = f"action-{action.id}"
    form = ActionEditForm(prefix=f"action{action.id}")
    if not form.validate_on_submit():
        return _render({key: form}, status=422, open_key=key)
    try:
        plan.update_action(current_user, action, name=form.name.data, owner=form.owner.data,
                           status=form.status.data)
    except ServiceError as error:
        return _failed(error, key, form)
    flash(_("Insatsen är sparad."), "success")
    return _back(f"insats-{action.id}")


@bp.post("/plan/actions/<int:action_id>/cases")
def link_case(action_id: int):
    action = plan.get_action(current_user, action_id)
    key = f"link-{action.id}"
    form = LinkForm(prefix=f"link{action.id}")
    if not form.validate_on_submit():
        return _render({key: form}, status=422, open_key=key)
    try:
        case = plan.find_case(current_user, form.case_id.data)
        plan.link_case(current_user, action, case)
    except ServiceError as error:
        return _failed(error, key, form)
    flash(_("Ärende nr %(id)s är kopplat till insatsen.", id=case.id), "success")
    return _back(f"insats-{action.id}")


@bp.post("/plan/actions/<int:action_id>/cases/<int:case_id>/unlink")
def unlink_case(action_id: int, case_id: int):
    action = plan.get_action(current_user, action_id)
    if ConfirmForm().validate_on_submit():
        case = next((c for c in action.cases if c.id == case_id), None)
        if case is None:
            case = plan.find_case(current_user, case_id)
        plan.unlink_case(current_user, action, case)
        flash(_("Kopplingen till ärende nr %(id)s är borttagen.", id=case.id), "success")
    return _back(f"insats-{action.id}")


# ---------------------------------------------------------------- rendering

def _department_filter() -> str | None:
    return request.args.get("department_id") or None


def _back(anchor: str):
    return redirect(url_for("plan.index", department_id=_department_filter(), _anchor=anchor))


def _failed(error: ServiceError, key: str, form: FlaskForm):
    show_service_error(form, error)
    return _render({key: form}, status=error.status, error=error, open_key=key)


def _scope_choices(scopes) -> list[SelectChoice]:
    return [SelectChoice(REGION_WIDE, _("Hela regionen (regiongemensamt)")) if scope is None
            else SelectChoice(str(scope.id), scope.name) for scope in scopes]


def _forms(view: plan.PlanView, submitted: dict[str, FlaskForm]) -> dict[str, FlaskForm]:
    """One form per thing the user may change, each with its own prefix so that labels and
    ids stay unique on the page; a submitted form comes back with its values and errors."""
    forms: dict[str, FlaskForm] = {}
    if view.area_scopes:
        form = GoalAreaForm(prefix="area", formdata=None)
        if view.department is not None:
            form.department_id.data = str(view.department.id)
        forms["area"] = form
        form.department_id.choices = _scope_choices(view.area_scopes)
    for section in view.sections:
        for area_view in section.areas:
            area = area_view.area
            if area_view.editable:
                forms[f"area-{area.id}"] = GoalAreaEditForm(
                    prefix=f"area{area.id}", formdata=None, obj=area)
                forms[f"new-action-{area.id}"] = ActionForm(
                    prefix=f"newaction{area.id}", formdata=None)
            for item in area_view.actions:
                action = item.action
                if item.editable:
                    forms[f"action-{action.id}"] = ActionEditForm(
                        prefix=f"action{action.id}", formdata=None, obj=action)
                if item.linkable:
                    forms[f"link-{action.id}"] = LinkForm(prefix=f"link{action.id}",
                                                          formdata=None)
    for key, form in submitted.items():
        forms[key] = form
    return forms


def _render(submitted: dict[str, FlaskForm] | None = None, status: int = 200,
            error: ServiceError | None = None, open_key: str | None = None):
    view = plan.plan_for(current_user, _department_filter())
    return render_template(
        "plan.html", plan=view, forms=_forms(view, submitted or {}), error=error,
        open_key=open_key, status_labels=plan.STATUS_LABELS,
        confirm_form=ConfirmForm()), status
