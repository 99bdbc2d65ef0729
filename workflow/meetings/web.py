"""Meetings in the browser: plan one, hold it item by item, adjust and print the minutes."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from workflow.cases import service as cases
from workflow.cases.forms import ConfirmForm
from workflow.meetings import service as meetings
from workflow.models import MEETING_KINDS
from workflow.organisation import service as organisation
from workflow.platform.errors import ServiceError
from workflow.platform.forms import show_service_error
from workflow.platform.i18n import localized
from workflow.processes.registry import process_of
from workflow.states import features
from workflow.states.i18n import N_

bp = Blueprint("meetings", __name__)


@bp.context_processor
def _forum_names() -> dict:
    return {"forum_name": meetings.forum_name}


class MeetingForm(FlaskForm):
    kind = SelectField(_l("Typ av möte"), validators=[DataRequired()])
    department_id = SelectField(_l("Förvaltning"), validators=[DataRequired()])
    unit_id = SelectField(_l("Enhet (för APT)"), validators=[Optional()], validate_choice=False)
    starts_at = DateTimeLocalField(_l("Datum och tid"), validators=[DataRequired()])
    place = StringField(_l("Plats"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("Skapa mötet med föreslagen dagordning"))


class DecisionForm(FlaskForm):
    event = SelectField(_l("Beslut"), validators=[DataRequired()], validate_choice=False)
    note = TextAreaField(_l("Anteckning, motivering eller kommentar"),
                         validators=[Optional(), Length(max=5000)])
    priority = SelectField(_l("Prioritering (vid prioritering)"), validators=[Optional()],
                           validate_choice=False)
    planned_year = IntegerField(_l("Planerat år (vid parkering i planen)"),
                                validators=[Optional(), NumberRange(min=2000, max=2100)])
    target_case = IntegerField(_l("Ärendenummer (vid sammanslagning)"),
                               validators=[Optional(), NumberRange(min=1)])
    # The registry's number, when the case is lifted to the nämnd (docs/decisions.md).
    diarienummer = StringField(_l("Diarienummer (när ärendet lyfts till nämnden)"),
                               validators=[Optional(), Length(max=60)])
    submit = SubmitField(_l("Fatta beslut"))


class AttendanceForm(FlaskForm):
    present = SelectMultipleField(_l("Närvarande"), coerce=int, validators=[Optional()],
                                  widget=ListWidget(prefix_label=False),
                                  option_widget=CheckboxInput())
    submit = SubmitField(_l("Spara närvaro"))


class AddCaseForm(FlaskForm):
    case_id = IntegerField(_l("Ärendenummer"), validators=[DataRequired(), NumberRange(min=1)])
    submit = SubmitField(_l("Lägg till på dagordningen"))


@bp.before_request
@login_required
def require_login():
    """Every page here needs a logged-in user."""


@bp.get("/meetings")
def index():
    return _render_index(_meeting_form())


@bp.post("/meetings")
def create():
    form = _meeting_form()
    if not form.validate_on_submit():
        return _render_index(form, 422)
    starts_at = form.starts_at.data.replace(tzinfo=_zone())
    try:
        meeting = meetings.create_meeting(current_user, {
            "kind": form.kind.data, "department_id": form.department_id.data,
            "unit_id": form.unit_id.data, "starts_at": starts_at, "place": form.place.data})
    except ServiceError as error:
        show_service_error(form, error)
        return _render_index(form, error.status, error)
    flash(_("Mötet är skapat med de ärenden som väntar på forumet."), "success")
    return redirect(url_for("meetings.show", meeting_id=meeting.id))


@bp.get("/meetings/<int:meeting_id>")
def show(meeting_id: int):
    return _render_meeting(meetings.get_meeting(current_user, meeting_id))


@bp.post("/meetings/<int:meeting_id>/attendance")
def attendance(meeting_id: int):
    meeting = meetings.get_meeting(current_user, meeting_id)
    form = _attendance_form(meeting)
    if form.validate_on_submit():
        return _act(meeting, lambda: meetings.set_attendance(current_user, meeting,
                                                              set(form.present.data or [])),
                    N_("Närvaron är sparad."))
    return _render_meeting(meeting, status=422)


@bp.post("/meetings/<int:meeting_id>/items")
def add_item(meeting_id: int):
    meeting = meetings.get_meeting(current_user, meeting_id)
    form = AddCaseForm()
    if not form.validate_on_submit():
        return _render_meeting(meeting, status=422, add_form=form)
    return _act(meeting, lambda: meetings.add_case(current_user, meeting, form.case_id.data),
                N_("Ärendet är tillagt på dagordningen."), add_form=form)


@bp.post("/meetings/<int:meeting_id>/items/<int:item_id>/move")
def move(meeting_id: int, item_id: int):
    meeting = meetings.get_meeting(current_user, meeting_id)
    if ConfirmForm().validate_on_submit():
        step = -1 if request.form.get("direction") == "up" else 1
        return _act(meeting, lambda: meetings.move_item(current_user, meeting, item_id, step),
                    None)
    return redirect(url_for("meetings.show", meeting_id=meeting.id))


@bp.post("/meetings/<int:meeting_id>/items/<int:item_id>/decision")
def decide(meeting_id: int, item_id: int):
    meeting = meetings.get_meeting(current_user, meeting_id)
    item = next((i for i in meeting.items if i.id == item_id), None)
    if item is None:
        return _render_meeting(meeting, status=404)
    form = DecisionForm(prefix=f"item{item.id}")
    if not form.validate_on_submit():
        return _render_meeting(meeting, status=422, decision_forms={item.id: form})
    data = _event_data(item.case, form)
    try:
        meetings.decide(current_user, meeting, item.id, form.event.data, data,
                        note=form.note.data or "")
    except ServiceError as error:
        refused = {item.id: meetings.refusal_reasons(error)}
        return _render_meeting(meeting, status=error.status, decision_forms={item.id: form},
                               refused=refused)
    flash(_("Beslutet är fattat och registrerat i ärendet."), "success")
    return redirect(url_for("meetings.show", meeting_id=meeting.id, _anchor=f"punkt-{item.id}"))


@bp.post("/meetings/<int:meeting_id>/adjust")
def adjust(meeting_id: int):
    meeting = meetings.get_meeting(current_user, meeting_id)
    if ConfirmForm().validate_on_submit():
        return _act(meeting, lambda: meetings.adjust(current_user, meeting),
                    N_("Protokollet är justerat och låst."))
    return redirect(url_for("meetings.show", meeting_id=meeting.id))


@bp.get("/meetings/<int:meeting_id>/minutes")
def minutes(meeting_id: int):
    meeting = meetings.get_meeting(current_user, meeting_id)
    return render_template("minutes.html", meeting=meeting, **_minutes_context(meeting))


@bp.get("/meetings/<int:meeting_id>/minutes.pdf")
def minutes_pdf(meeting_id: int):
    from workflow.platform.pdf import pdf_response
    meeting = meetings.get_meeting(current_user, meeting_id)
    html = render_template("minutes.html", meeting=meeting, standalone=True,
                           **_minutes_context(meeting))
    return pdf_response(html, f"protokoll-{meeting.id}.pdf")


# ---------------------------------------------------------------- helpers

def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def _meeting_form(formdata=None) -> MeetingForm:
    form = MeetingForm()
    form.kind.choices = [SelectChoice(k, _(meetings.KIND_LABELS[k])) for k in MEETING_KINDS]
    departments = organisation.departments_in_region(current_user, include_closed=False)
    form.department_id.choices = [SelectChoice(str(d.id), d.name) for d in departments]
    form.unit_id.choices = [SelectChoice("", "—")] + [
        SelectChoice(str(u.id), u.name, optgroup=d.name) for d in departments
        for u in organisation.open_units(d)]
    return form


def _render_index(form: MeetingForm, status: int = 200, error: ServiceError | None = None):
    return render_template("meetings.html", meetings=meetings.meetings_for(current_user),
                           form=form, error=error, kinds=meetings.KIND_LABELS), status


def _attendance_form(meeting) -> AttendanceForm:
    form = AttendanceForm()
    form.present.choices = [SelectChoice(a.user_id, a.user.display_name)
                            for a in meeting.attendees]
    if request.method == "GET" or not form.is_submitted():
        form.present.data = [a.user_id for a in meeting.attendees if a.present]
    return form


def _decision_form(item) -> DecisionForm:
    form = DecisionForm(prefix=f"item{item.id}", formdata=None)
    form.diarienummer.data = item.case.diarienummer or ""
    _decision_choices(item, form)
    return form


def _decision_choices(item, form: DecisionForm) -> None:
    events = cases.available_events(current_user, item.case)
    form.event.choices = [SelectChoice(e.name, localized(e.label)) for e in events]
    priority = process_of(item.case).definition.events.get(features.MEETING_PRIORITY_EVENT)
    choices = next((f.choices for f in priority.fields if f.name == "priority"), ()) \
        if priority else ()
    form.priority.choices = [SelectChoice("", "—")] + [
        SelectChoice(c.value, localized(c.label)) for c in choices]


def _event_data(case, form: DecisionForm) -> dict:
    """The chosen event's fields from the meeting's single decision form."""
    spec = process_of(case).definition.events.get(form.event.data)
    if spec is None:
        return {}
    extra = {"priority": form.priority.data or None, "planned_year": form.planned_year.data,
             "target_case": form.target_case.data, "diarienummer": form.diarienummer.data or None}
    data = {}
    for field in spec.fields:
        if field.type == "text" and (field.required or field.name == "comment"):
            data.setdefault(field.name, form.note.data or None)
        elif field.name in extra:
            data[field.name] = extra[field.name]
    return data


def _act(meeting, action, message, **render):
    try:
        action()
    except ServiceError as error:
        if render.get("add_form") is not None:  # e.g. a case that is not the forum's
            show_service_error(render["add_form"], error)
        return _render_meeting(meeting, status=error.status, error=error, **render)
    if message:
        flash(_(message), "success")
    return redirect(url_for("meetings.show", meeting_id=meeting.id))


def _render_meeting(meeting, status: int = 200, error: ServiceError | None = None,
                    decision_forms=None, refused=None, add_form=None):
    forms = {}
    for item in meeting.items:  # no choices for a case the user may not open
        form = (decision_forms or {}).get(item.id) or _decision_form(item)
        _decision_choices(item, form)
        forms[item.id] = form
    return render_template(
        "meeting.html", meeting=meeting, can_lead=meetings.can_lead(current_user, meeting),
        forms=forms, refused=refused or {}, error=error, add_form=add_form or AddCaseForm(),
        visible=meetings.visible_items(current_user, meeting),
        attendance_form=_attendance_form(meeting), confirm_form=ConfirmForm(),
        kinds=meetings.KIND_LABELS), status


def _minutes_context(meeting) -> dict:
    return {"kinds": meetings.KIND_LABELS,
            "visible": meetings.visible_items(current_user, meeting),
            "decided": [i for i in meeting.items if i.decision],
            "undecided": [i for i in meeting.items if not i.decision]}
