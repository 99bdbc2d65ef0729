"""The web pages around cases: Ny idé, Mina idéer, Att göra, the case list and the case page."""
from __future__ import annotations

from functools import partial

from flask import (
    Blueprint,
    abort,
    flash,
    get_template_attribute,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from wtforms.fields.choices import SelectChoice

from workflow.cases import access
from workflow.cases import service as cases
from workflow.cases.forms import (
    CaseEditForm,
    CommentForm,
    DiarienummerForm,
    IdeaForm,
    event_form_class,
    grouped_choices,
    plain_choices,
)
from workflow.follow_up import service as follow_up
from workflow.notifications import service as notifications
from workflow.organisation import service as organisation
from workflow.platform import fragments
from workflow.platform.errors import ServiceError, ValidationFailed
from workflow.platform.forms import show_service_error
from workflow.platform.i18n import language, localized
from workflow.platform.validation import as_id
from workflow.processes.registry import current_process, process_of
from workflow.similar import service as similar
from workflow.states.diagram import layout
from workflow.states.i18n import N_
from workflow.states.vocabulary import ORIGINS

bp = Blueprint("cases", __name__)


@bp.before_request
@login_required
def require_login():
    """Every page here needs a logged-in user."""


@bp.get("/")
def home():
    todo = cases.list_cases(current_user, todo=True, per_page=1)
    return redirect(url_for("cases.todo" if todo.total else "cases.mine"))


@bp.route("/ideas/new", methods=["GET", "POST"])
def new_idea():
    form = IdeaForm()
    form.unit_id.choices = grouped_choices(organisation.unit_choices(current_user))
    form.anonymous_place.choices = anonymous_place_choices(current_user)
    form.origin.choices = plain_choices([(key, _(ORIGINS[key]))
                                         for key in organisation.origins_for(current_user)])
    if request.method == "GET":
        form.unit_id.data = organisation.home_unit_id(current_user)
    if form.is_submitted() and form.check_similar.data:
        hints = similar.similar_cases(current_user, form.title.data or "", form.need.data or "")
        return _render_new_idea(form, 200, similar_items=hints)
    if not form.validate_on_submit():
        return _render_new_idea(form, 422 if form.errors else 200)
    fields = {"title": form.title.data, "need": form.need.data, "effect": form.effect.data,
              "unit_id": form.unit_id.data}
    if form.anonymous.data:
        return _send_anonymously(form, fields)
    if len(form.origin.choices) > 1:
        fields["origin"] = form.origin.data
    try:
        case = cases.create_case(current_user, fields, submit=bool(form.submit.data))
    except ServiceError as error:
        show_service_error(form, error)
        return _render_new_idea(form, error.status, error)
    flash(_("Idén är inskickad.") if form.submit.data else _("Utkastet är sparat."), "success")
    return redirect(url_for("cases.detail", case_id=case.id))


def anonymous_place_choices(user) -> list[SelectChoice]:
    """Per förvaltning: the whole förvaltning first (recommended), then its open units."""
    choices = [SelectChoice("", _("Välj förvaltning"))]
    units = organisation.unit_choices(user)
    for department in organisation.departments_in_region(user, include_closed=False):
        choices.append(SelectChoice(f"department:{department.id}",
                                    _("Hela %(name)s (rekommenderas)", name=department.name),
                                    optgroup=department.name))
        choices += [SelectChoice(f"unit:{unit_id}", label, optgroup=department.name)
                    for unit_id, label in units.get(department.name, [])]
    return choices


def _anonymous_place(raw: str | None) -> dict[str, str]:
    """The anonymous part's choice as the service's ``department_id`` or ``unit_id``."""
    kind, _sep, number = (raw or "").partition(":")
    if kind == "department" and number:
        return {"department_id": number}
    if kind == "unit" and number:
        return {"unit_id": number}
    return {}


def _send_anonymously(form: IdeaForm, fields: dict):
    """An anonymous idea is stored with the förvaltning, or the unit the sender chose, in the
    anonymous part of the form (never the preselected own unit), and held until tonight's
    batch."""
    place = _anonymous_place(form.anonymous_place.data)
    if not place:
        error = ValidationFailed({"anonymous_place": N_(
            "Välj vilken förvaltning idén gäller. Inget är förvalt när du skickar anonymt.")})
        show_service_error(form, error)
        return _render_new_idea(form, error.status, error)
    fields = {name: value for name, value in fields.items() if name != "unit_id"}
    try:
        token = cases.submit_anonymously(current_user, {**fields, **place})
    except ServiceError as error:
        show_service_error(form, error, rename={"unit_id": "anonymous_place",
                                                "department_id": "anonymous_place"})
        return _render_new_idea(form, error.status, error)
    status_url = url_for("notifications.status", token=token, _external=True)
    return render_template("anonymous_sent.html", status_url=status_url)


def _render_new_idea(form: IdeaForm, status: int, error: ServiceError | None = None,
                     similar_items=None):
    return render_template("new_idea.html", form=form, error=error,
                           similar_items=similar_items), status


@bp.get("/ideas/mine")
def mine():
    page = cases.list_cases(current_user, mine=True, page=_page_number())
    # The nämnd's decision, where it was the latest step, in plain words (docs/decisions.md).
    decisions = cases.committee_decisions_last([case.id for case in page.items])
    return render_template("mine.html", page=page, decisions=decisions)


@bp.get("/todo")
def todo():
    page = cases.list_cases(current_user, todo=True, page=_page_number())
    return render_template("todo.html", page=page)


@bp.get("/cases")
def index():
    state = request.args.get("state") or None
    unit_id = as_id(request.args.get("unit_id"))
    page = cases.list_cases(current_user, state=state, unit_id=unit_id, page=_page_number())
    return render_template("cases.html", page=page, process=current_process(), state=state,
                           unit_id=unit_id,
                           units=organisation.unit_choices(current_user, include_closed=True))


@bp.get("/cases/<int:case_id>")
def detail(case_id: int):
    return _render_case(cases.get_case(current_user, case_id, for_page=True))


@bp.post("/cases/<int:case_id>/edit")
def edit(case_id: int):
    case = cases.get_case(current_user, case_id)
    form = CaseEditForm()
    if not form.validate_on_submit():
        return _render_case(case, status=422, edit_form=form)
    fields = {
        "title": form.title.data, "need": form.need.data, "effect": form.effect.data,
        "cost_estimate_sek": form.cost_estimate_sek.data,
        "direction": ({"focus": form.direction_focus.data, "reach": form.direction_reach.data}
                      if form.direction_focus.data and form.direction_reach.data else None),
        "planned_go_live": form.planned_go_live.data, "actual_cost_sek": form.actual_cost_sek.data,
    }
    try:
        cases.update_case(current_user, case, fields, expected_version=form.version.data or None)
    except ServiceError as error:
        show_service_error(form, error)
        return _render_case(case, status=error.status, edit_form=form, error=error)
    flash(_("Ändringarna är sparade."), "success")
    return redirect(url_for("cases.detail", case_id=case.id))


@bp.post("/cases/<int:case_id>/diarienummer")
def diarienummer(case_id: int):
    """Set or correct the case's diarienummer (docs/decisions.md)."""
    case = cases.get_case(current_user, case_id)
    form = DiarienummerForm(prefix="registry")
    if not form.validate_on_submit():
        return _render_case(case, status=422, diarienummer_form=form)
    try:
        cases.update_case(current_user, case, {"diarienummer": form.diarienummer.data or ""},
                          expected_version=form.version.data or None)
    except ServiceError as error:
        show_service_error(form, error)
        return _render_case(case, status=error.status, diarienummer_form=form, error=error)
    flash(_("Diarienumret är sparat."), "success")
    return redirect(url_for("cases.detail", case_id=case.id))


@bp.post("/cases/<int:case_id>/events/<event>")
def fire(case_id: int, event: str):
    case = cases.get_case(current_user, case_id)
    spec = process_of(case).definition.events.get(event)
    if spec is None:
        abort(404)
    form = _event_form(case, spec, from_request=True)
    if not form.validate_on_submit():
        return _render_case(case, status=422, event_forms={event: form})
    data = {f.name: form[f.name].data for f in spec.fields}
    try:
        cases.fire(case, event, current_user, data, expected_version=form.version.data or None)
    except ServiceError as error:
        show_service_error(form, error)
        return _render_case(case, status=error.status, event_forms={event: form}, error=error)
    flash(_("Klart: %(event)s.", event=localized(spec.label)), "success")
    if access.can_view(current_user, case):
        return redirect(url_for("cases.detail", case_id=case.id))
    return redirect(url_for("cases.todo"))


@bp.post("/cases/<int:case_id>/comments")
def comment(case_id: int):
    case = cases.get_case(current_user, case_id)
    form = CommentForm()
    if not form.validate_on_submit():
        return _render_case(case, status=422, comment_form=form)
    cases.add_comment(current_user, case, form.body.data)
    flash(_("Kommentaren är sparad."), "success")
    return redirect(url_for("cases.detail", case_id=case.id, _anchor="kommentarer"))


# Date fields that may not lie after today (the go-live has happened, docs/follow-up.md):
# the date input offers no later day.
# The nämnd's meeting likewise has taken place (docs/decisions.md).
NOT_AFTER_TODAY = ("go_live_date", "meeting_date")


def _event_form(case, spec, from_request: bool = False):
    process = process_of(case)
    form_class = event_form_class(process.definition.key, spec, language())
    form = form_class(prefix=spec.name, formdata=None if not from_request else request.form)
    for name in NOT_AFTER_TODAY:
        if name in form:
            form[name].render_kw = {"max": follow_up.local_today().isoformat()}
    if not from_request:
        form.version.data = case.version
        # Closing records the efterkalkyl: offer what is already recorded on the case.
        if "actual_cost_sek" in form and case.actual_cost_sek is not None:
            form.actual_cost_sek.data = str(case.actual_cost_sek)
        if "diarienummer" in form and case.diarienummer:
            form.diarienummer.data = case.diarienummer
    _describe_decision_fields(case, form)
    return form


def _describe_decision_fields(case, form) -> None:
    """The nämnd's decision fields say what the rules ask for (docs/decisions.md): the
    region's diarienummer format, a paragraph as in the minutes, a meeting that has been."""
    if "diarienummer" in form:
        form.diarienummer.description = _("Som i diariet, t.ex. %(example)s.",
                                          example=cases.diarienummer_rule(case)[1])
    if "decision_reference" in form:
        form.decision_reference.description = _("Paragrafen i protokollet, t.ex. § 123.")
    if "meeting_date" in form:
        form.meeting_date.description = _("Dagen då nämnden sammanträdde, i dag eller "
                                          "tidigare.")


def _render_case(case, status: int = 200, edit_form=None, event_forms=None, comment_form=None,
                 error: ServiceError | None = None, diarienummer_form=None):
    process = process_of(case)
    events = cases.available_events(current_user, case)
    reader = fragments.reader()
    if edit_form is not None:
        edit_panel = get_template_attribute("_macros.html", "edit_panel")(case, edit_form)
    elif access.can_edit(current_user, case):
        edit_panel = _kept_form("edit_panel", case, reader, (
            case.version, case.state, case.title, case.need, case.effect,
            case.cost_estimate_sek, case.direction_focus, case.direction_reach,
            case.planned_go_live, case.actual_cost_sek), lambda: CaseEditForm(
                formdata=None, obj=case, version=case.version,
                direction_focus=case.direction_focus or "",
                direction_reach=case.direction_reach or ""))
    else:
        edit_panel = None
    comment_panel = (
        get_template_attribute("_macros.html", "comment_panel")(case, comment_form)
        if comment_form is not None else
        _kept_form("comment_panel", case, reader, (), lambda: CommentForm(formdata=None)))
    if diarienummer_form is not None:
        diarienummer_form.diarienummer.description = _(
            "Som i diariet, t.ex. %(example)s.", example=cases.diarienummer_rule(case)[1])
        diarienummer_panel = get_template_attribute("_macros.html", "diarienummer_panel")(
            case, diarienummer_form)
    elif cases.can_set_diarienummer(current_user, case):
        example = cases.diarienummer_rule(case)[1]

        def fresh_diarienummer_form() -> DiarienummerForm:
            form = DiarienummerForm(prefix="registry", formdata=None, version=case.version,
                                    diarienummer=case.diarienummer or "")
            form.diarienummer.description = _("Som i diariet, t.ex. %(example)s.",
                                              example=example)
            return form
        diarienummer_panel = _kept_form("diarienummer_panel", case, reader, (
            case.version, case.diarienummer, example), fresh_diarienummer_form)
    else:
        diarienummer_panel = None
    from workflow.cases.merging_web import page_context  # consent-based merge (docs/process.md)
    return render_template(
        "case.html", case=case, process=process, events=events,
        event_panel=partial(_event_panel, case, event_forms or {}, reader),
        edit_panel=edit_panel, comment_panel=comment_panel,
        **page_context(case),
        cost_comparison=(follow_up.cost_comparison(case) if case.actual_cost_sek is not None
                         else None),
        diarienummer_panel=diarienummer_panel,
        latest_decision=cases.latest_committee_decision(case),
        diagram=layout(process.definition), error=error,
        following=notifications.is_following(current_user, case),
        similar=similar.similar_to_case(current_user, case)), status


def _kept_form(macro: str, case, reader: fragments.Reader, facts: tuple, make_form) -> Markup:
    """A fresh form of the case page (``macro`` in templates/_macros.html), kept by the case,
    the language, the URL prefix and ``facts``: everything else it shows."""
    return fragments.kept_with_csrf(
        (macro, case.id, reader.locale, reader.script_root, *facts),
        lambda: get_template_attribute("_macros.html", macro)(case, make_form()))


def _event_panel(case, sent_back: dict, reader: fragments.Reader, spec) -> Markup:
    """An event's panel: the form as sent back with its errors (open), or a fresh one, kept
    by everything it shows (workflow/platform/fragments.py)."""
    macro = get_template_attribute("_macros.html", "event_panel")
    notice = cases.event_notice(case, spec.name)
    if spec.name in sent_back:
        return macro(case, spec, sent_back[spec.name], notice, True)
    names = {f.name for f in spec.fields}
    facts = (process_of(case), spec.name, reader.locale, reader.script_root, case.id,
             case.version, notice,
             case.actual_cost_sek if "actual_cost_sek" in names else None,
             case.diarienummer if "diarienummer" in names else None,
             cases.diarienummer_rule(case)[1] if "diarienummer" in names else None,
             follow_up.local_today() if names & set(NOT_AFTER_TODAY) else None)
    return fragments.kept_with_csrf(
        ("event panel", *facts), lambda: macro(case, spec, _event_form(case, spec), notice))


def _page_number() -> int:
    return max(1, request.args.get("page", 1, type=int) or 1)
