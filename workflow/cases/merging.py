"""Consent-based merge (issue 12 item 6, docs/process.md).

Firing ``merge`` into a case the actor does not own stores a :class:`MergeProposal` instead of
merging: the proposing case keeps its state and gets a ``merge_proposed`` history row, nothing
is written into the target, and the target's owners are notified. One of them accepts (the
real ``merge`` then fires through :func:`cases.fire`, the one place where a case changes state)
or declines with a reason; the proposer, or anyone who may merge the case, may withdraw it.
On acceptance the merged idea's submitter and followers become followers of the target, so
they keep their support.

The *owners* of a case are those who may fire one of the events of its current state: they
hold one of the roles the state's events allow (the submitter's own events, such as
withdrawing, do not make them an owner). An actor who owns the target merges at once: the
consent is their own.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Mapping

from sqlalchemy import bindparam, false, or_, select
from sqlalchemy.exc import IntegrityError

from workflow.cases import access
from workflow.cases import service as cases
from workflow.models import TEXT_MAX, Case, CaseFollower, MergeProposal, User, utcnow
from workflow.notifications import service as notifications
from workflow.notifications.messages import message
from workflow.platform.errors import (
    Conflict,
    InvalidState,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from workflow.platform.extensions import db
from workflow.platform.uow import record, unit_of_work
from workflow.platform.validation import as_id, clean_text
from workflow.processes.registry import process_of
from workflow.states import Failure
from workflow.states.features import MERGE
from workflow.states.i18n import N_
from workflow.states.roles import AUTHOR

PROPOSAL_NOT_FOUND = N_("Förslaget finns inte, eller så har du inte behörighet att se det.")


# ---------------------------------------------------------------- who owns a case

def owner_roles(case: Case) -> set[str]:
    """The roles that may fire one of the events of the case's current state (not the
    submitter's own role); a final state has none."""
    process = process_of(case)
    return {role for spec in process.definition.events.values() if case.state in spec.sources
            for role in spec.roles_in(case.state)} - {AUTHOR}


def is_owner(user: User, case: Case) -> bool:
    return bool(access.roles_for(user, case) & owner_roles(case))


def owners(case: Case) -> list[User]:
    roles = owner_roles(case)
    return access.users_acting_on(case, roles) if roles else []


def may_merge(user: User, case: Case) -> bool:
    """Whether ``user`` holds a role that may fire ``merge`` on the case in its state."""
    spec = process_of(case).definition.events.get(MERGE)
    return (spec is not None and case.state in spec.sources
            and bool(access.roles_for(user, case) & set(spec.roles_in(case.state))))


# ---------------------------------------------------------------- proposing

def propose_unless_owner(case: Case, actor: User, data: Mapping[str, Any], *, now: datetime,
                         also: Callable[[], None] | None = None) -> MergeProposal | None:
    """Called by :func:`cases.fire` for ``merge``. Checks everything the merge would check
    (roles, state, every guard: the same errors as firing it); if ``actor`` owns the target,
    returns None and the merge fires at once. Otherwise stores a pending proposal, records
    ``merge_proposed`` on ``case`` only, notifies the target's owners and returns it."""
    values = cases.checked_event(case, MERGE, actor, data, now)
    target = db.session.get(Case, values["target_case"], options=cases.CASE_LOADS)
    if is_owner(actor, target):
        return None
    if pending_from(case) is not None:
        raise Conflict(message=N_("Ärendet har redan ett förslag om sammanslagning som väntar "
                                  "på svar. Dra tillbaka det först."))
    comment = values.get("comment") or ""
    try:
        with unit_of_work():
            proposal = MergeProposal(case=case, target=target, proposed_by=actor,
                                     comment=comment, status="pending", created_at=now)
            db.session.add(proposal)
            db.session.flush()
            record(case, "merge_proposed", case.state, case.state, actor, now,
                   comment=comment or None,
                   data={"target": target.id, "proposal": proposal.id})
            _tell_owners(proposal, now)
            if also is not None:
                also()
    except IntegrityError:  # another proposal for the case a moment ago
        raise Conflict() from None
    return proposal


# ---------------------------------------------------------------- reading

def pending_from(case: Case) -> MergeProposal | None:
    return db.session.scalar(select(MergeProposal).where(
        MergeProposal.case_id == case.id, MergeProposal.status == "pending"))


def can_see(user: User, proposal: MergeProposal) -> bool:
    """Who sees the proposing case, and the target's owners who see the target."""
    return (access.can_view(user, proposal.case)
            or (access.can_view(user, proposal.target) and is_owner(user, proposal.target)))


def get_proposal(user: User, proposal_id: Any) -> MergeProposal:
    """The proposal, if ``user`` may see it; otherwise :class:`NotFound` (no hint it exists)."""
    wanted = as_id(proposal_id)
    proposal = db.session.get(MergeProposal, wanted) if wanted is not None else None
    if proposal is None or not can_see(user, proposal):
        raise NotFound(message=PROPOSAL_NOT_FOUND)
    return proposal


def for_case(user: User, case: Case) -> list[MergeProposal]:
    """Every proposal to merge ``case`` away (for whoever sees it) and every proposal to merge
    another case into it that ``user`` may see, newest first."""
    rows = db.session.scalars(select(MergeProposal).where(
        or_(MergeProposal.case_id == case.id, MergeProposal.target_id == case.id))
        .order_by(MergeProposal.id.desc()))
    return [p for p in rows if can_see(user, p)]


@dataclass
class PageView:
    """What the case page shows: the case's own pending proposal, and the pending proposals
    into it that the viewer, an owner, may answer (with whether they may see the proposer)."""

    outgoing: MergeProposal | None = None
    can_withdraw: bool = False
    incoming: list[tuple[MergeProposal, bool]] = field(default_factory=list)


def page_view(user: User, case: Case) -> PageView:
    """The case's pending proposal, and for its owners the pending proposals into it, read in
    one query; none when the case's row says there are none (``has_pending_proposals``, read
    with the case for its page)."""
    if case.__dict__.get("has_pending_proposals") is False:
        return PageView()
    owner = is_owner(user, case)
    rows = list(db.session.scalars(_PENDING[owner], {"case_id": case.id}))
    view = PageView(outgoing=next((p for p in rows if p.case_id == case.id), None))
    if view.outgoing is not None:
        view.can_withdraw = may_withdraw(user, view.outgoing)
    if owner:
        view.incoming = [(p, access.can_view(user, p.case)) for p in rows
                         if p.target_id == case.id]
    return view


# The case's pending proposal, and (for an owner, True) the pending proposals into it: built
# once (issue 14: building the statement cost more than running it, on every case page).
_PENDING = {owner: select(MergeProposal).where(
    (MergeProposal.case_id == bindparam("case_id"))
    | ((MergeProposal.target_id == bindparam("case_id")) if owner else false()),
    MergeProposal.status == "pending").order_by(MergeProposal.id) for owner in (False, True)}


def may_withdraw(user: User, proposal: MergeProposal) -> bool:
    return access.can_view(user, proposal.case) and (
        proposal.proposed_by_id == user.id or may_merge(user, proposal.case))


# ---------------------------------------------------------------- answering

def accept(actor: User, proposal: MergeProposal, *, now: datetime | None = None) -> Case:
    """One of the target's owners accepts: ``merge`` fires on the proposing case through
    :func:`cases.fire`, as the proposer (whose role is checked again), with who proposed and
    who accepted on both history rows; the merged idea's submitter and followers follow the
    target. Everything is checked again, and refused with a reason if it no longer holds."""
    now = now or utcnow()
    if not can_see(actor, proposal):
        raise NotFound(message=PROPOSAL_NOT_FOUND)
    _require_pending(proposal)
    _still_valid(proposal)  # a closed target has no owners left: say why instead
    _require_answerable(actor, proposal)
    case, target = proposal.case, proposal.target
    consent = {"proposal": proposal.id, "proposed_by": proposal.proposed_by_id,
               "accepted_by": actor.id}

    def conclude() -> None:
        proposal.status, proposal.decided_by, proposal.decided_at = "accepted", actor, now
        _copy_supporters(case, target, now)
        _tell(proposal.proposed_by, f"merge:{proposal.id}:accepted", target,
              message(N_("Ärende %(case)s: sammanslagningen är godkänd"), case=target.id),
              [message(N_("%(name)s godkände att ärende %(case)s slås samman med ärende "
                          "%(target)s: %(title)s. Idén drivs vidare där."),
                       name=actor.display_name, case=case.id, target=target.id,
                       title=target.title)], now, skip=actor)

    data = {"target_case": target.id}
    if proposal.comment:
        data["comment"] = proposal.comment
    # A concurrent answer changed the proposal's version: Conflict, and nothing is written.
    cases.fire(case, MERGE, proposal.proposed_by, data, now=now, also=conclude, consent=consent)
    return target


def decline(actor: User, proposal: MergeProposal, reason: Any, *,
            now: datetime | None = None) -> MergeProposal:
    """One of the target's owners declines, with a reason the proposer is told."""
    now = now or utcnow()
    _require_answerable(actor, proposal)
    if not isinstance(reason, str) or not clean_text(reason).strip():
        raise ValidationFailed({"reason": N_("Skriv varför sammanslagningen avböjs.")})
    reason = clean_text(reason).strip()
    if len(reason) > TEXT_MAX:
        raise ValidationFailed({"reason": N_("Texten är för lång.")})
    case, target = proposal.case, proposal.target
    with unit_of_work():
        proposal.status, proposal.decided_by, proposal.decided_at = "declined", actor, now
        proposal.reason = reason
        record(case, "merge_declined", case.state, case.state, actor, now, comment=reason,
               data={"target": target.id, "proposal": proposal.id})
        _tell(proposal.proposed_by, f"merge:{proposal.id}:declined", case,
              message(N_("Ärende %(case)s: sammanslagningen avböjdes"), case=case.id),
              [message(N_("%(name)s avböjde att ärende %(case)s slås samman med ärende "
                          "%(target)s."), name=actor.display_name, case=case.id,
                       target=target.id),
               "", message(N_("Motivering: %(text)s"), text=reason)], now, skip=actor)
    return proposal


def withdraw(actor: User, proposal: MergeProposal, *, now: datetime | None = None
             ) -> MergeProposal:
    """The proposer, or anyone who may merge the proposing case, withdraws the proposal."""
    now = now or utcnow()
    if not can_see(actor, proposal):
        raise NotFound(message=PROPOSAL_NOT_FOUND)
    _require_pending(proposal)
    if not may_withdraw(actor, proposal):
        raise PermissionDenied(message=N_("Bara den som föreslog sammanslagningen, eller den "
                                          "som får slå samman ärendet, kan dra tillbaka "
                                          "förslaget."))
    case, target = proposal.case, proposal.target
    with unit_of_work():
        proposal.status, proposal.decided_by, proposal.decided_at = "withdrawn", actor, now
        record(case, "merge_withdrawn", case.state, case.state, actor, now,
               data={"target": target.id, "proposal": proposal.id})
        withdrawn = N_("Ärende %(case)s: förslaget om sammanslagning är tillbakadraget")
        for owner in owners(target):
            _tell(owner, f"merge:{proposal.id}:withdrawn", target,
                  message(withdrawn, case=target.id),
                  [message(N_("%(name)s drog tillbaka förslaget att slå samman ett ärende med "
                              "ärende %(target)s. Ni behöver inte göra något."),
                           name=actor.display_name, target=target.id)], now, skip=actor)
        _tell(proposal.proposed_by, f"merge:{proposal.id}:withdrawn", case,
              message(withdrawn, case=case.id),
              [message(N_("%(name)s drog tillbaka förslaget att slå samman ärende %(case)s "
                          "med ärende %(target)s."), name=actor.display_name, case=case.id,
                       target=target.id)], now, skip=actor)
    return proposal


# ---------------------------------------------------------------- helpers

def _require_pending(proposal: MergeProposal) -> None:
    if not proposal.pending:
        raise InvalidState(message=N_("Förslaget är redan besvarat eller tillbakadraget."))


def _require_answerable(actor: User, proposal: MergeProposal) -> None:
    if not can_see(actor, proposal):
        raise NotFound(message=PROPOSAL_NOT_FOUND)
    _require_pending(proposal)
    if not (access.can_view(actor, proposal.target) and is_owner(actor, proposal.target)):
        raise PermissionDenied(message=N_("Bara det mottagande ärendets ansvariga kan godkänna "
                                          "eller avböja sammanslagningen."))


def _still_valid(proposal: MergeProposal) -> None:
    """What must still hold when the proposal is accepted, each refused with its reason."""
    case, target = proposal.case, proposal.target
    failures = []
    merge = process_of(case).definition.events.get(MERGE)
    if merge is None or case.state not in merge.sources:
        failures.append(Failure("source_moved", N_(
            "Ärende %(id)s har gått vidare och kan inte längre slås samman."), {"id": case.id}))
    elif not may_merge(proposal.proposed_by, case):
        failures.append(Failure("proposer_lost_role", N_(
            "Den som föreslog sammanslagningen får inte längre slå samman ärende %(id)s."),
            {"id": case.id}))
    if process_of(target).state(target.state).final:
        failures.append(Failure("target_closed", N_(
            "Ärende %(id)s är avslutat och kan inte ta emot fler idéer."), {"id": target.id}))
    if case.department_id != target.department_id:
        failures.append(Failure("other_department", N_(
            "Ärendena hör inte längre till samma förvaltning.")))
    if failures:
        raise InvalidState(failures, message=N_("Sammanslagningen kan inte genomföras."))


def _copy_supporters(case: Case, target: Case, now: datetime) -> None:
    """The merged idea's submitter (none for an anonymous idea) and followers follow the
    target, unless they already do."""
    people = set(db.session.scalars(select(CaseFollower.user_id)
                                    .where(CaseFollower.case_id == case.id)))
    if case.author_id is not None:
        people.add(case.author_id)
    already = set(db.session.scalars(select(CaseFollower.user_id)
                                     .where(CaseFollower.case_id == target.id)))
    for user_id in sorted(people - already):
        db.session.add(CaseFollower(case_id=target.id, user_id=user_id, created_at=now))


def _tell_owners(proposal: MergeProposal, now: datetime) -> None:
    case, target = proposal.case, proposal.target
    subject = message(N_("Ärende %(case)s: förslag om sammanslagning"), case=target.id)
    for owner in owners(target):
        # The proposing case's title only for those who may see that case.
        about = (message(N_("ärende %(case)s: %(title)s"), case=case.id, title=case.title)
                 if access.can_view(owner, case) else message(N_("ärende %(case)s"), case=case.id))
        lines = [message(N_("%(name)s föreslår att %(about)s slås samman med ärende "
                            "%(target)s: %(title)s."), name=proposal.proposed_by.display_name,
                         about=about, target=target.id, title=target.title),
                 "", message(N_("Godkänn eller avböj förslaget på ärendets sida."))]
        if proposal.comment:
            lines += ["", message(N_("Kommentar: %(text)s"), text=proposal.comment)]
        _tell(owner, f"merge:{proposal.id}:proposed", target, subject, lines, now,
              skip=proposal.proposed_by)


def _tell(user: User | None, key: str, case: Case, subject: dict[str, Any], body: list[Any],
          now: datetime, skip: User | None = None) -> None:
    if user is None or (skip is not None and user.id == skip.id) or not user.is_active_user:
        return
    notifications.notify(user, "reminder", f"{key}:user:{user.id}", subject, body, case=case,
                         now=now)
