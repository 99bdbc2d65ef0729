"""Consent-based merge on the case page: accept, decline or withdraw a merge proposal
(cases/merging.py, docs/process.md)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import SubmitField, TextAreaField
from wtforms.validators import Length

from workflow.cases import access, merging
from workflow.models import TEXT_MAX
from workflow.platform.errors import NotFound, ServiceError, ValidationFailed

bp = Blueprint("merging", __name__)


class DeclineForm(FlaskForm):
    reason = TextAreaField(_l("Varför avböjer du sammanslagningen?"),
                           validators=[Length(max=TEXT_MAX)])
    submit = SubmitField(_l("Avböj sammanslagningen"))


@bp.before_request
@login_required
def require_login():
    """Every action here needs a logged-in user."""


@bp.post("/merge-proposals/<int:proposal_id>/accept")
def accept(proposal_id: int):
    proposal = merging.get_proposal(current_user, proposal_id)  # CSRF: CSRFProtect, app-wide
    target = proposal.target
    try:
        merging.accept(current_user, proposal)
    except NotFound:
        raise
    except ServiceError as error:
        return _refused(_back(proposal), error)
    flash(_("Sammanslagningen är godkänd: ärende %(case)s drivs vidare i ärende %(target)s.",
            case=proposal.case_id, target=target.id), "success")
    return redirect(url_for("cases.detail", case_id=target.id))


@bp.post("/merge-proposals/<int:proposal_id>/decline")
def decline(proposal_id: int):
    proposal = merging.get_proposal(current_user, proposal_id)
    target = proposal.target
    form = DeclineForm(prefix=f"decline-{proposal.id}")  # the service checks the reason
    try:
        merging.decline(current_user, proposal, form.reason.data or "")
    except NotFound:
        raise
    except ServiceError as error:
        return _refused(_back(proposal), error)
    flash(_("Sammanslagningen är avböjd. Den som föreslog den får veta varför."), "success")
    return redirect(url_for("cases.detail", case_id=target.id))


@bp.post("/merge-proposals/<int:proposal_id>/withdraw")
def withdraw(proposal_id: int):
    proposal = merging.get_proposal(current_user, proposal_id)
    case_id = proposal.case_id
    try:
        merging.withdraw(current_user, proposal)
    except NotFound:
        raise
    except ServiceError as error:
        return _refused(case_id, error)
    flash(_("Förslaget om sammanslagning är tillbakadraget."), "success")
    return redirect(url_for("cases.detail", case_id=case_id))


def _back(proposal) -> int:
    """The case page to return to: the target's, if the user may see it."""
    if access.can_view(current_user, proposal.target):
        return proposal.target_id
    return proposal.case_id


def _refused(case_id: int, error: ServiceError | str):
    """Say why on the case page (the proposal's case the user came from)."""
    if isinstance(error, ValidationFailed):
        text = " ".join(m for messages in error.translated_field_errors.values()
                        for m in messages)
    elif isinstance(error, ServiceError):
        text = " ".join([error.text, *error.reasons])
    else:
        text = error
    flash(text, "error")
    return redirect(url_for("cases.detail", case_id=case_id))


def page_context(case) -> dict:
    """What the case page needs to show the merge proposals (templates/_merge_proposals.html)."""
    view = merging.page_view(current_user, case)
    return {"merge_view": view,
            "decline_forms": {p.id: DeclineForm(prefix=f"decline-{p.id}", formdata=None)
                              for p, _visible in view.incoming},
            "can_view_case": lambda other: access.can_view(current_user, other)}
