"""The JSON API under /api/v1: the same services as the web pages, bearer-token auth."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify, request, url_for
from flask_babel import gettext as _

from workflow.calc.classification import review_overdue
from workflow.cases import access, merging, schemas
from workflow.cases import merging_api as api_merging
from workflow.cases import service as cases
from workflow.council import schemas as council_schemas
from workflow.council import service as scoring
from workflow.dossier import service as dossier
from workflow.follow_up import schemas as follow_up_schemas
from workflow.follow_up import service as follow_up
from workflow.meetings import schemas as meeting_schemas
from workflow.meetings import service as meetings
from workflow.models import Case, User, utcnow
from workflow.organisation import service as organisation
from workflow.people import accounts
from workflow.platform.api import authenticate, json_body
from workflow.platform.errors import ValidationFailed, translate
from workflow.platform.extensions import csrf
from workflow.platform.i18n import localized
from workflow.platform.validation import as_id
from workflow.processes.registry import current_process, process_of
from workflow.states.i18n import N_
from workflow.states.roles import ROLE_LABELS
from workflow.views.errors import api_error
from workflow.views.openapi import openapi_document

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
bp.before_request(authenticate)  # all but /tokens and /openapi.json need a bearer token

RECEIVED_LABEL = N_("Mottagen: registreras som ärende i natt")


def _user() -> User:
    return g.api_user


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())


@bp.post("/tokens")
def create_token():
    body = json_body(schemas.TokenRequest)
    missing = {k: N_("Fältet krävs.") for k in ("username", "password")
               if not isinstance(body.get(k), str) or not body.get(k)}
    if missing:
        raise ValidationFailed(missing)
    try:
        user = accounts.authenticate(body["username"], body["password"], request.remote_addr)
    except accounts.LoginLocked as error:
        response = api_error(429, error.text)
        response.headers["Retry-After"] = str(error.retry_after)
        return response
    if user is None:
        return api_error(401, _("Fel användarnamn eller lösenord."))
    return jsonify({"token": accounts.issue_token(user)}), 201


@bp.delete("/tokens/current")
def revoke_token():
    token = request.headers["Authorization"].partition(" ")[2].strip()
    accounts.revoke_token(token)
    return "", 204


@bp.get("/me")
def me():
    user = _user()
    return jsonify({
        "id": user.id, "username": user.username, "display_name": user.display_name,
        "language": user.language,
        "roles": [{"role": a.role, "label": _(ROLE_LABELS[a.role]),
                   "department_id": a.department_id, "unit_id": a.unit_id} for a in user.roles],
    })


@bp.get("/units")
def units():
    return jsonify({"items": [
        {"id": u.id, "name": u.name,
         "department": {"id": u.department.id, "name": u.department.name}}
        for u in organisation.units_in_region(_user())]})


@bp.get("/cases")
def list_cases():
    state = request.args.get("state") or None
    if state is not None and state not in current_process().definition.states:
        raise ValidationFailed({"state": N_("Okänt läge.")})
    unit_id = _positive_int_arg("unit_id")
    page = _positive_int_arg("page") or 1
    result = cases.list_cases(_user(), state=state, unit_id=unit_id, page=page)
    return jsonify({"items": [_case_summary(c) for c in result.items], "page": result.page,
                    "per_page": result.per_page, "total": result.total,
                    "total_exact": result.exact, "has_next": result.page < result.pages})


@bp.post("/cases")
def create_case():
    body = json_body(schemas.CaseCreate)
    anonymous = body.pop("anonymous", False)
    if not isinstance(anonymous, bool):
        raise ValidationFailed({"anonymous": N_("Ange true eller false.")})
    if anonymous:
        # Held until tonight's batch: there is no case (nor id) yet. The secret status link is
        # shown this once; it is the submitter's only way back.
        token = cases.submit_anonymously(_user(), body)
        status_url = url_for("notifications.status", token=token, _external=True)
        return jsonify({"state": "received", "state_label": _(RECEIVED_LABEL),
                        "status_url": status_url}), 202
    if "department_id" in body:
        raise ValidationFailed({"department_id": N_(
            "Förvaltningen anges bara för en anonym idé; en idé med namn hör till sin enhets "
            "förvaltning.")})
    case = cases.create_case(_user(), body)
    location = url_for("api.get_case", case_id=case.id)
    return jsonify(_case_detail(case)), 201, {"Location": location}


@bp.get("/cases/<int:case_id>")
def get_case(case_id: int):
    return jsonify(_case_detail(cases.get_case(_user(), case_id)))


@bp.patch("/cases/<int:case_id>")
def update_case(case_id: int):
    case = cases.get_case(_user(), case_id)
    body = json_body()
    version = body.pop("version", None) or request.headers.get("If-Match", "").strip('"') or None
    cases.update_case(_user(), case, body, expected_version=version)
    return jsonify(_case_detail(case))


@bp.post("/cases/<int:case_id>/events")
def fire_event(case_id: int):
    case = cases.get_case(_user(), case_id)
    body = json_body()
    event = body.pop("event", None)
    version = body.pop("version", None)
    state = case.state
    cases.fire(case, event, _user(), body, expected_version=version)
    if event == "merge" and case.state == state:
        # Consent-based merge: the target's owners must accept first (docs/process.md).
        return jsonify(api_merging.proposal_json(merging.pending_from(case))), 202
    if not access.can_view(_user(), case):
        return jsonify({"id": case.id, "state": case.state})
    return jsonify(_case_detail(case))


@bp.get("/cases/<int:case_id>/dossier")
def get_dossier(case_id: int):
    case = cases.get_case(_user(), case_id)
    return jsonify(_dossier_summary(dossier.view(case)))


@bp.get("/cases/<int:case_id>/dossier/<section>")
def get_dossier_section(case_id: int, section: str):
    case = cases.get_case(_user(), case_id)
    current = dossier.view(case)
    if section not in current.sections:
        return api_error(404, _("Den delen av beslutsunderlaget finns inte."))
    return jsonify(_section(current, section))


@bp.put("/cases/<int:case_id>/dossier/<section>")
def put_dossier_section(case_id: int, section: str):
    case = cases.get_case(_user(), case_id)
    if section not in dossier.SECTION_MODELS:
        return api_error(404, _("Den delen av beslutsunderlaget finns inte."))
    body = json_body()
    version = body.pop("version", None) or request.headers.get("If-Match", "").strip('"') or None
    saved = dossier.save_section(_user(), case, section, body, expected_version=version)
    return jsonify(_section(saved, section))


@bp.post("/cases/<int:case_id>/dossier/classification/sign-off")
def sign_off_classification(case_id: int):
    case = cases.get_case(_user(), case_id)
    return jsonify(_section(dossier.sign_off_classification(_user(), case), "classification"))


# ---------------------------------------------------------------- benefit follow-up

@bp.get("/cases/<int:case_id>/follow-up")
def get_follow_up(case_id: int):
    case = cases.get_case(_user(), case_id)
    return jsonify(_follow_up(case))


@bp.put("/cases/<int:case_id>/follow-up/<int:number>/<int:months>")
def put_follow_up_report(case_id: int, number: int, months: int):
    """The web form's report of one checkpoint (benefit ``number``, ``months`` after go-live),
    through the same service and rules."""
    case = cases.get_case(_user(), case_id)
    body = json_body(follow_up_schemas.FollowUpReport)
    follow_up.report(_user(), case, number, months, body)
    point = next(p for p in follow_up.checkpoints(case)
                 if (p.benefit_number, p.months) == (number, months))
    return jsonify(_checkpoint(point, follow_up.local_today()))


def _follow_up(case: Case) -> dict[str, Any]:
    today = follow_up.local_today()
    summary = follow_up.realisation(case)
    costs = follow_up.cost_comparison(case)
    return {
        "case_id": case.id, "state": case.state,
        "go_live_date": case.go_live_date.isoformat() if case.go_live_date else None,
        "can_report": follow_up.can_report(_user(), case),
        "checkpoints": [_checkpoint(p, today) for p in follow_up.checkpoints(case)],
        "summary": {
            "years": list(summary.years), "reported": summary.reported,
            "checkpoints": summary.checkpoints, "planned_sek": summary.planned_sek,
            "realised_sek": summary.realised_sek,
            "by_colour": {k: {"planned_sek": p, "realised_sek": r}
                          for k, (p, r) in summary.by_colour.items()},
            "by_category": {k: {"planned_sek": p, "realised_sek": r}
                            for k, (p, r) in summary.by_category.items()},
            "used": dict(summary.used)},
        "costs": {"planned_yearly_sek": list(costs.planned_yearly_sek),
                  "planned_total_sek": costs.planned_total_sek,
                  "actual_sek": costs.actual_sek, "difference_sek": costs.difference_sek},
    }


def _checkpoint(point, today) -> dict[str, Any]:
    report = point.report
    return {
        "benefit_number": point.benefit_number, "months": point.months,
        "description": point.description, "category": point.category, "colour": point.colour,
        "indicator": point.indicator, "baseline": point.baseline, "target": point.target,
        "due": point.due.isoformat() if point.due else None, "due_now": point.is_due(today),
        "year": point.year, "planned_sek": point.planned_sek,
        "report": None if report is None else {
            "actual_value": report.actual_value, "realised_sek": report.realised_sek,
            "used_as_intended": report.used_as_intended, "comment": report.comment,
            "reported_by": report.reported_by.display_name if report.reported_by else None,
            "reported_at": report.reported_at.isoformat() if report.reported_at else None},
    }


@bp.get("/objects")
def objects():
    today = utcnow().date()
    return jsonify({"items": [_object(o, today) for o in dossier.objects_for(_user())]})


def _object(row, today) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "kind": row.kind, "owner": row.owner,
            "administrator": row.administrator, "department_id": row.department_id,
            "levels": {"confidentiality": row.confidentiality, "integrity": row.integrity,
                       "availability": row.availability, "traceability": row.traceability},
            "personal_data": row.personal_data,
            "sensitive_personal_data": row.sensitive_personal_data,
            "sla_notes": row.sla_notes,
            "last_review": row.last_review.isoformat() if row.last_review else None,
            "review_overdue": review_overdue(row.last_review, today)}


def _failures(failures) -> list[dict[str, Any]]:
    return [{"code": f.code, "message": translate(f.message, f.params), "params": dict(f.params)}
            for f in failures]


def _translated(value: Any) -> Any:
    """A section result with every message in it (problems, warnings, hints, route_problem)
    translated and filled in like the top-level ones; ``code`` and ``params`` stay."""
    if isinstance(value, dict):
        if isinstance(value.get("code"), str) and isinstance(value.get("message"), str):
            return {**value, "message": translate(value["message"], value.get("params"))}
        return {key: _translated(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_translated(item) for item in value]
    return value


def _section(current, name: str) -> dict[str, Any]:
    section = current.sections[name]
    body = {
        "section": name, "version": current.version, "saved": section.saved,
        "passed": section.passed,
        "input": section.data.model_dump(mode="json") if section.saved else None,
        "result": _translated(section.result.to_dict()) if section.result is not None else None,
        "problems": _failures(section.problems if section.saved
                              else [dossier.SECTION_MISSING[name]]),
        "warnings": _failures(section.warnings),
    }
    if name == "benefit" and current.case.dossier is not None:
        body["replacement"] = current.case.dossier.replacement
    if name == "classification":
        body["signed_off"] = current.signed_off
        signer = current.signed_off_by
        body["signed_off_by"] = signer.display_name if signer else None
    return body


def _dossier_summary(current) -> dict[str, Any]:
    return {"version": current.version, "complete": current.complete,
            "total_cost_sek": current.total_cost_sek,
            "failures": _failures(current.failures),
            "sections": {name: _section(current, name) for name in current.sections}}


# ---------------------------------------------------------------- meetings and scores

@bp.get("/meetings")
def list_meetings():
    return jsonify({"items": [_meeting(m, brief=True) for m in meetings.meetings_for(_user())]})


@bp.post("/meetings")
def create_meeting():
    body = json_body(meeting_schemas.MeetingCreate)
    fields = dict(body)
    fields["starts_at"] = _datetime(body.get("starts_at"))
    meeting = meetings.create_meeting(_user(), fields)
    return jsonify(_meeting(meeting)), 201


@bp.get("/meetings/<int:meeting_id>")
def get_meeting(meeting_id: int):
    return jsonify(_meeting(meetings.get_meeting(_user(), meeting_id)))


@bp.post("/meetings/<int:meeting_id>/items")
def add_agenda_item(meeting_id: int):
    meeting = meetings.get_meeting(_user(), meeting_id)
    body = json_body(meeting_schemas.AgendaItemCreate)
    meetings.add_case(_user(), meeting, body.get("case_id"))
    return jsonify(_meeting(meeting)), 201


@bp.post("/meetings/<int:meeting_id>/items/<int:item_id>/decision")
def decide_agenda_item(meeting_id: int, item_id: int):
    meeting = meetings.get_meeting(_user(), meeting_id)
    body = json_body()
    event, note = body.pop("event", None), body.pop("note", "")
    if not isinstance(event, str) or not event:
        raise ValidationFailed({"event": N_("Ange en händelse.")})
    meetings.decide(_user(), meeting, item_id, event, body, note=note if note else "")
    return jsonify(_meeting(meeting))


@bp.post("/meetings/<int:meeting_id>/adjust")
def adjust_meeting(meeting_id: int):
    meeting = meetings.get_meeting(_user(), meeting_id)
    meetings.adjust(_user(), meeting)
    return jsonify(_meeting(meeting))


@bp.put("/cases/<int:case_id>/score")
def put_score(case_id: int):
    case = cases.get_case(_user(), case_id)
    body = json_body(council_schemas.ScoreRequest)
    scores = body.get("scores")
    if not isinstance(scores, dict):
        raise ValidationFailed({"scores": N_("Ange poängen som ett objekt: kriterium → 1-5.")})
    saved = scoring.save_score(_user(), case, scores, body.get("comment", ""))
    return jsonify({"case_id": case.id, "scores": saved.scores, "comment": saved.comment})


@bp.get("/council/<int:department_id>")
def council(department_id: int):
    department = next((d for d in organisation.departments_in_region(_user())
                       if d.id == department_id), None)
    if department is None:
        return api_error(404, _("Förvaltningen finns inte."))
    view = scoring.council_overview(_user(), department)
    return jsonify({"department_id": department.id,
                    "ranked": [r.to_dict() for r in view.ranked],
                    "capacity": view.capacity.to_dict()})


def _datetime(value: Any):
    from datetime import datetime
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def _meeting(meeting, brief: bool = False) -> dict[str, Any]:
    body = {"id": meeting.id, "kind": meeting.kind, "department_id": meeting.department_id,
            "unit_id": meeting.unit_id, "starts_at": meeting.starts_at.isoformat(),
            "place": meeting.place, "chair": meeting.chair.display_name,
            "locked": meeting.locked}
    if brief:
        return body
    visible = meetings.visible_items(_user(), meeting)
    return {**body,
            "attendees": [{"user_id": a.user_id, "name": a.user.display_name,
                           "present": a.present} for a in meeting.attendees],
            "items": [{"id": i.id, "case_id": i.case_id, "position": i.position,
                       "note": i.note, "decision": i.decision} if i.id in visible else
                      # a case the caller may not open: neither its id nor any text
                      {"id": i.id, "case_id": None, "position": i.position, "note": None,
                       "decision": i.decision, "restricted": True}
                      for i in meeting.items]}


def _positive_int_arg(name: str) -> int | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        return None
    value = as_id(raw)  # ASCII digits, 0 < value < 2**31 ("²".isdigit() is true)
    if value is None:
        raise ValidationFailed({name: N_("Ange ett positivt heltal.")})
    return value


def _case_summary(case: Case) -> dict[str, Any]:
    return {
        "id": case.id, "title": case.title,
        "state": case.state, "state_label": localized(process_of(case).state(case.state).label),
        "department_id": case.department_id, "unit_id": case.unit_id, "origin": case.origin,
        "updated_at": case.updated_at.isoformat(),
    }


def _case_detail(case: Case) -> dict[str, Any]:
    return {
        **_case_summary(case),
        "need": case.need, "effect": case.effect,
        "author": ({"id": case.author.id, "display_name": case.author.display_name}
                   if case.author else None),
        "cost_estimate_sek": case.cost_estimate_sek, "direction": case.direction,
        "priority": case.priority,
        "go_live_date": case.go_live_date.isoformat() if case.go_live_date else None,
        "merged_into": case.merged_into_id,
        "planned_go_live": case.planned_go_live.isoformat() if case.planned_go_live else None,
        "actual_cost_sek": case.actual_cost_sek,
        "diarienummer": case.diarienummer,
        "process": case.process_name, "definition_version": case.process_version,
        "version": case.version, "created_at": case.created_at.isoformat(),
        "available_events": [_event_description(e, case)
                             for e in cases.available_events(_user(), case)],
        "history": [{"event": h.event, "from": h.from_state, "to": h.to_state,
                     "actor": h.actor.display_name if h.actor else None,
                     "at": h.at.isoformat(), "comment": h.comment, "data": h.data}
                    for h in case.history],
    }


def _event_description(event, case: Case) -> dict[str, Any]:
    notice = cases.event_notice(case, event.name)
    return {"event": event.name, "label": localized(event.label),
            **({"notice": _(notice)} if notice else {}), "fields": [
        {"name": f.name, "label": localized(f.label), "type": f.type, "required": f.required,
         **({"choices": [{"value": c.value, "label": localized(c.label)} for c in f.choices]}
            if f.choices else {})}
        for f in event.fields]}
