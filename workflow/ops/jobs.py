"""The scheduler's jobs. Each works out from the database what is due at ``now`` and is
idempotent: every notification it creates has a unique key, so a second run sends nothing
new, and a run after downtime catches up with everything that fell due meanwhile."""
from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

from flask import current_app
from sqlalchemy import func, or_, select

from workflow.cases import access
from workflow.cases.service import list_cases, register_anonymous_submission
from workflow.models import (
    AnonymousSubmission,
    Case,
    CaseEvent,
    Dossier,
    Notification,
    RoleAssignment,
    User,
    local_today,
)
from workflow.notifications import service as notifications
from workflow.notifications.messages import message
from workflow.platform.errors import ServiceError
from workflow.platform.extensions import db
from workflow.platform.uow import in_unit_of_work, record
from workflow.processes.registry import process_of
from workflow.similar import service as similar
from workflow.states import features
from workflow.states.i18n import N_

log = logging.getLogger("workflow.jobs")


@dataclass(frozen=True)
class JobSpec:
    name: str
    run: Callable[[datetime], int]  # returns how many things it did (created, sent, worked out)
    every_minutes: int


def run_job(name: str, now: datetime) -> int:
    """Run one job in the current app context; the caller supplies the clock."""
    return SCHEDULE[name].run(now)


# ---------------------------------------------------------------- (a) overdue cases

@in_unit_of_work
def overdue_scan(now: datetime) -> int:
    """Remind whoever may act on a case past its state's target time; escalate later."""
    rules, created = notifications.rules(), 0
    for case, entered_at in _cases_with_entry_time(list(notifications.states_with_targets())):
        state = process_of(case).state(case.state)
        if not state.target_days or now < entered_at + timedelta(days=state.target_days):
            continue
        waited = (now - entered_at).days
        stamp = entered_at.strftime("%Y%m%dT%H%M%S")
        if rules.reminders:
            created += _alert(case, "reminder", state.waiting_for, f"reminder:{case.id}:{stamp}",
                              message(N_("Ärende %(case)s väntar på dig"), case=case.id),
                              [case.title, "", message(
                                  N_("Ärendet har varit i läget %(state)s i %(days)s dagar; "
                                     "målet är %(target)s dagar."),
                                  state=state.label, days=waited, target=state.target_days)],
                              now, waited)
        escalation = rules.escalation.get(case.state)
        if escalation and now >= entered_at + timedelta(days=state.target_days
                                                        + escalation.after_days):
            created += _alert(case, "escalation", escalation.to_roles,
                              f"escalation:{case.id}:{stamp}",
                              message(N_("Ärende %(case)s har väntat för länge"), case=case.id),
                              [case.title, "", message(
                                  N_("Ärendet har varit i läget %(state)s i %(days)s dagar, "
                                     "långt över målet %(target)s dagar. Se till att någon tar "
                                     "hand om det."),
                                  state=state.label, days=waited, target=state.target_days)],
                              now, waited)
    return created


def _cases_with_entry_time(states: list[str]) -> list[tuple[Case, datetime]]:
    """Each case in ``states`` with the moment it entered its current state."""
    entered = (select(CaseEvent.case_id, func.max(CaseEvent.at).label("entered_at"))
               .join(Case, Case.id == CaseEvent.case_id)
               .where(CaseEvent.to_state == Case.state,
                      or_(CaseEvent.from_state.is_(None),
                          CaseEvent.from_state != CaseEvent.to_state))
               .group_by(CaseEvent.case_id).subquery())
    query = (select(Case, entered.c.entered_at).join(entered, entered.c.case_id == Case.id)
             .where(Case.state.in_(states)).order_by(Case.id))
    return [(case, _aware(at)) for case, at in db.session.execute(query)]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _alert(case: Case, kind: str, roles, key: str, subject: dict, body: list, now: datetime,
           waited: int) -> int:
    people = access.users_acting_on(case, roles)
    sent = [p for p in people
            if notifications.notify(p, kind, f"{key}:{p.id}", subject, body, case=case, now=now)]
    if sent:
        record(case, kind, case.state, case.state, None, now,
               data={"to_ids": [p.id for p in sent], "days": waited})  # ids: names can be erased
    return len(sent)


# ---------------------------------------------------------------- (b) benefit checkpoints

@in_unit_of_work
def benefit_checkpoints(now: datetime) -> int:
    """At each checkpoint after go-live, ask for the benefit to be followed up."""
    today = notifications.local_time(now).date()
    query = (select(Case, Dossier).join(Dossier, Dossier.case_id == Case.id)
             .where(Case.state == features.FOLLOW_UP, Case.go_live_date.is_not(None),
                    Dossier.benefit.is_not(None)))
    created = 0
    for case, dossier in db.session.execute(query):
        people = access.users_acting_on(case, ("developer",))
        for number, benefit in enumerate(dossier.benefit.get("benefits", []), start=1):
            for checkpoint in benefit.get("checkpoints", []):
                months = checkpoint["months_after_go_live"]
                if today < notifications.add_months(case.go_live_date, months):
                    continue
                body = [case.title, "",
                        message(N_("Nytta %(number)s: %(description)s"), number=number,
                                description=benefit.get("description", "")),
                        message(N_("Indikator: %(indicator)s; nuläge %(baseline)s; mål efter "
                                   "%(months)s månader: %(target)s."),
                                indicator=benefit.get("indicator") or "—",
                                baseline=benefit.get("baseline") or "—", months=months,
                                target=checkpoint.get("target") or "—"),
                        message(N_("Ansvarig för uppföljningen: %(owner)s."),
                                owner=benefit.get("follow_up_owner") or "—")]
                for person in people:
                    created += notifications.notify(
                        person, "follow_up", f"checkpoint:{case.id}:{number}:{months}:{person.id}",
                        message(N_("Följ upp nyttan i ärende %(case)s (%(months)s månader efter "
                                   "driftstart)"), case=case.id, months=months),
                        body, case=case, now=now) is not None
    return created


# ---------------------------------------------------------------- (c) annual review

@in_unit_of_work
def annual_review(now: datetime) -> int:
    """Objects whose classification and risk analysis are due for their yearly review."""
    created = 0
    roles = notifications.rules().review_roles
    for obj in notifications.objects_due_for_review(now):
        region_id = obj.department.region_id if obj.department else None
        people = (access.users_holding(roles, region_id=region_id,
                                       department_id=obj.department_id)
                  if region_id else _holders_anywhere(roles))
        reviewed = obj.last_review.isoformat() if obj.last_review else "aldrig"  # in the key
        for person in people:
            created += notifications.notify(
                person, "review", f"review:{obj.id}:{reviewed}:{person.id}",
                message(N_("Dags för årlig översyn: %(name)s"), name=obj.name),
                [message(N_("Klassning och riskanalys för %(name)s ses över en gång om året. "
                            "Senaste översyn: %(reviewed)s. Objektägare: %(owner)s."),
                         name=obj.name, owner=obj.owner or "—",
                         reviewed=obj.last_review.isoformat() if obj.last_review
                         else message(N_("aldrig")))], now=now) is not None
    return created


def _holders_anywhere(roles) -> list[User]:
    query = (select(User).join(RoleAssignment).where(RoleAssignment.role.in_(list(roles)),
                                                    RoleAssignment.valid_on(local_today()),
                                                    User.is_active_user.is_(True)).distinct())
    return list(db.session.scalars(query))


# ---------------------------------------------------------------- (d) weekly digest

@in_unit_of_work
def weekly_digest(now: datetime) -> int:
    """Once a week, from the configured moment on, each person's Att göra in one message."""
    moment = notifications.digest_moment(now)
    if notifications.local_time(now) < moment:
        return 0
    year, week, _ = moment.isocalendar()
    created = 0
    for person in db.session.scalars(select(User).where(User.is_active_user.is_(True))):
        todo = list_cases(person, todo=True, per_page=50, exact=True)
        waiting = _digest_notifications(person)
        if not todo.total and not waiting:
            continue
        lines = [message(N_("%(count)s ärenden väntar på dig."), count=todo.total)]
        lines += [message(N_("- Ärende %(case)s: %(title)s"), case=c.id, title=c.title)
                  for c in todo.items]
        created += notifications.notify(
            person, "digest", f"digest:{person.id}:{year}-W{week:02d}",
            message(N_("Veckosammanfattning: %(count)s ärenden väntar på dig"),
                    count=todo.total), lines, now=now) is not None
    return created


def _digest_notifications(person: User) -> list[Notification]:
    query = select(Notification).where(Notification.user_id == person.id,
                                       Notification.email_mode == "digest",
                                       Notification.emailed_at.is_(None))
    return list(db.session.scalars(query))


# ---------------------------------------------------------------- sending email

def deliver_email(now: datetime) -> int:
    """Send the emails that are due; each is marked sent at once, so nothing goes twice.

    A temporary failure (server away) stops this run and leaves the rest for the next one;
    a permanent one (no or refused address) marks that message done and goes on."""
    from workflow.notifications import mail
    query = (select(Notification).where(Notification.email_mode == "immediate",
                                        Notification.emailed_at.is_(None))
             .order_by(Notification.id).limit(200))
    sent = 0
    for notification in list(db.session.scalars(query)):
        person = notification.user
        bundled = _digest_notifications(person) if notification.kind == "digest" else []
        try:
            if person.email:
                mail.send(person.email, *_render(mail, notification, bundled))
                sent += 1
        except mail.MailError as error:
            log.warning("email %s to user %s failed: %s", notification.id, person.id, error)
            if error.temporary:
                db.session.rollback()
                break
        for row in [notification, *bundled]:
            row.emailed_at = now
        db.session.commit()
    return sent


def _render(mail, notification: Notification, bundled: list[Notification]):
    """In the recipient's stored language (the one they last picked), else the app's own."""
    locale = _language_of(notification.user)
    if notification.kind == "digest":
        todo = list_cases(notification.user, todo=True, per_page=50).items
        return mail.render_digest(notification.user, bundled, todo, locale=locale)
    return mail.render_notification(notification, locale=locale)


def _language_of(person: User) -> str | None:
    return person.language if person.language in current_app.config["LANGUAGES"] else None


def deliver_webhooks(now: datetime) -> int:
    """POST the due webhook deliveries, signed; a failure is retried with back-off
    (workflow/webhooks/service.py, docs/webhooks.md). Returns how many were delivered."""
    from workflow.webhooks import service as webhooks
    return webhooks.deliver_due(now)


def meeting_reminders(now: datetime) -> int:
    """Before each meeting, its attendees get the agenda (once)."""
    from workflow.meetings import service as meetings
    return meetings.remind_attendees(now)


# ---------------------------------------------------------------- anonymous ideas

# The one time of night (local) at which the day's anonymous ideas become cases.
ANONYMOUS_BATCH_HOUR = 2


def register_anonymous_ideas(now: datetime, rng: random.Random | None = None) -> int:
    """From the batch hour on, turn every anonymous idea held from an earlier day into a case,
    in random order, so that neither the case ids nor any timestamp tell when within its day
    an idea was sent. Ideas sent today wait for the next night: each batch is a whole day."""
    local = notifications.local_time(now)
    if local.hour < ANONYMOUS_BATCH_HOUR:
        return 0
    today = now.astimezone(timezone.utc).date()
    held = list(db.session.scalars(select(AnonymousSubmission)
                                   .where(AnonymousSubmission.submitted_on < today)
                                   .order_by(AnonymousSubmission.submitted_on,
                                             AnonymousSubmission.token_hash)))
    shuffle = (rng or random.SystemRandom()).shuffle
    created = 0
    for day in sorted({submission.submitted_on for submission in held}):
        batch = [submission for submission in held if submission.submitted_on == day]
        shuffle(batch)
        for submission in batch:
            try:
                with db.session.begin_nested():
                    register_anonymous_submission(submission)
                created += 1
            except ServiceError:  # e.g. a process changed since: kept, and said without content
                log.warning("an anonymous idea could not be registered as a case; it is kept")
    db.session.commit()
    return created


# ---------------------------------------------------------------- stored duplicate hints

# Cases a run works out at most (about 15 ms each at 10 000 cases): a bulk import of 100 000
# cases is done within a day of runs, and no run holds the scheduler for long.
HINTS_PER_RUN = 500


def similar_hints(now: datetime) -> int:
    """Work out the stored duplicate hints of the cases that have none, newest first (cases
    loaded in bulk, or whose text changed past the app): their hints then also show on the
    older cases' pages (docs/similar-ideas.md). A case page does it at its first view too."""
    return similar.refresh_missing(most=HINTS_PER_RUN)


SCHEDULE: dict[str, JobSpec] = {job.name: job for job in (
    JobSpec("register_anonymous_ideas", register_anonymous_ideas, every_minutes=60),
    JobSpec("deliver_email", deliver_email, every_minutes=1),
    JobSpec("deliver_webhooks", deliver_webhooks, every_minutes=1),
    JobSpec("overdue_scan", overdue_scan, every_minutes=60),
    JobSpec("benefit_checkpoints", benefit_checkpoints, every_minutes=6 * 60),
    JobSpec("annual_review", annual_review, every_minutes=24 * 60),
    JobSpec("weekly_digest", weekly_digest, every_minutes=60),
    JobSpec("meeting_reminders", meeting_reminders, every_minutes=60),
    JobSpec("similar_hints", similar_hints, every_minutes=10),
)}
