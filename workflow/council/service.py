"""The council's transparent prioritisation: members score the proposals before it on the
förvaltning's criteria, and the tool ranks them and shows what fits the year's capacity.
The arithmetic is in workflow/calc/prioritisation.py; this module brings the facts."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, Mapping

from flask import current_app
from sqlalchemy import select

from workflow.calc import prioritisation
from workflow.cases import access
from workflow.dossier import service as dossier
from workflow.models import Case, Department, Score, User, utcnow
from workflow.platform.errors import PermissionDenied, ValidationFailed
from workflow.platform.extensions import db
from workflow.platform.uow import unit_of_work
from workflow.states import features
from workflow.states.i18n import N_

CONFIG_KEY = "workflow.calc.prioritisation"
SCORED_STATE = features.SCORED_STATE
MAX_COMMENT = 1000


def config() -> prioritisation.PrioritisationConfig:
    return current_app.extensions[CONFIG_KEY]


def file_capacity(department: Department) -> prioritisation.Capacity:
    """The yearly budget and hours config/prioritisation.toml gives the förvaltning."""
    return config().capacity_for(department.name)


def capacity_for(department: Department) -> prioritisation.Capacity:
    """The förvaltning's own budget and hours where the administrator set them, else the
    file's."""
    default = file_capacity(department)
    return prioritisation.Capacity(
        yearly_budget_sek=(department.yearly_budget_sek if department.yearly_budget_sek
                           is not None else default.yearly_budget_sek),
        yearly_hours=(department.yearly_hours if department.yearly_hours is not None
                      else default.yearly_hours))


def config_for(department: Department) -> prioritisation.PrioritisationConfig:
    """The file's configuration with the förvaltning's own weights and capacity."""
    own = config().for_department(department.name)
    if department.yearly_budget_sek is None and department.yearly_hours is None:
        return own
    capacities = {**own.department_capacity, department.name: capacity_for(department)}
    return replace(own, department_capacity=capacities)


def can_score(user: User, case: Case) -> bool:
    return case.state == SCORED_STATE and "council" in access.roles_for(user, case)


def save_score(actor: User, case: Case, scores: Mapping[str, Any], comment: Any = "",
               now: datetime | None = None) -> Score:
    """A council member's scores of one proposal; scoring again replaces their scores."""
    if not can_score(actor, case):
        raise PermissionDenied(message=N_("Bara ledamöter i digitaliseringsrådet kan poängsätta "
                                          "förslag som ligger hos rådet."))
    if not isinstance(comment, str) or len(comment) > MAX_COMMENT:
        raise ValidationFailed({"comment": N_("Texten är för lång.")})
    try:
        valid = prioritisation.validate_scores(config(), scores)
    except prioritisation.ScoreError as error:
        messages = [(f.message, f.params) for f in error.failures]
        raise ValidationFailed({"scores": messages}) from None
    with unit_of_work():
        score = db.session.scalar(select(Score).where(Score.case_id == case.id,
                                                      Score.user_id == actor.id))
        if score is None:
            score = Score(case=case, user=actor)
            db.session.add(score)
        score.scores, score.comment, score.updated_at = valid, comment.strip(), now or utcnow()
    return score


def my_score(user: User, case: Case) -> Score | None:
    return db.session.scalar(select(Score).where(Score.case_id == case.id,
                                                 Score.user_id == user.id))


@dataclass
class Overview:
    department: Department
    ranked: list[prioritisation.Ranked]
    capacity: prioritisation.CapacityResult
    cases: dict[int, Case]


def council_overview(user: User, department: Department) -> Overview:
    """The proposals before the council in one förvaltning, ranked, with the capacity line."""
    query = select(Case).where(Case.state == SCORED_STATE, Case.department_id == department.id)
    visible = [c for c in db.session.scalars(query.order_by(Case.id)) if access.can_view(user, c)]
    proposals = [_proposal(case) for case in visible]
    own = config_for(department)
    ranked = prioritisation.evaluate(own, proposals)
    capacity = prioritisation.capacity(own, department.name, ranked)
    return Overview(department=department, ranked=ranked, capacity=capacity,
                    cases={c.id: c for c in visible})


def _proposal(case: Case) -> prioritisation.Proposal:
    scores = db.session.scalars(select(Score).where(Score.case_id == case.id).order_by(Score.id))
    members = [prioritisation.MemberScore(member=s.user.display_name, scores=s.scores)
               for s in scores]
    cost, hours = _cost_and_hours(case)
    return prioritisation.Proposal(case_id=case.id, title=case.title,
                                   mandatory=case.origin == "mandatory", cost_sek=cost,
                                   hours=hours, member_scores=members)


def _cost_and_hours(case: Case) -> tuple[int | None, int | None]:
    """The dossier's total cost and own hours over its horizon, else the early estimate."""
    view = dossier.view(case)
    section = view.sections["benefit"]
    if view.total_cost_sek is None:
        return case.cost_estimate_sek, None
    hours = sum((Decimal(str(c.internal_hours)) for c in section.data.costs), Decimal(0))
    return view.total_cost_sek, int(hours)
