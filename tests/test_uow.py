"""The unit of work (workflow/platform/uow.py): nested units join the outer one, only the
outermost commits, notifications are added in one batch before that commit."""
from __future__ import annotations

import pytest
from sqlalchemy import String, bindparam, cast, event, func, insert, literal, select
from sqlalchemy.orm.exc import StaleDataError

from helpers import case_in, new_draft, statements_run, user
from workflow.cases import service as cases
from workflow.models import Case, CaseEvent, Notification, utcnow
from workflow.notifications import service as notifications
from workflow.notifications.messages import message
from workflow.platform.audit import Follow
from workflow.platform.errors import Conflict
from workflow.platform.extensions import db
from workflow.platform.uow import PartialWork, current, record, record_transition, unit_of_work


def _count(model, **where) -> int:
    query = select(func.count()).select_from(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return db.session.scalar(query)


@pytest.fixture
def commits(ctx):
    """The database's COMMITs (not savepoints) from here on."""
    seen: list[int] = []

    def count(_connection) -> None:
        seen.append(1)

    event.listen(db.engine, "commit", count)
    yield seen
    event.remove(db.engine, "commit", count)


def test_a_nested_unit_joins_the_outer_one_and_only_the_outermost_commits(ctx, commits):
    case = new_draft()
    commits.clear()
    with unit_of_work() as outer:
        with unit_of_work() as inner:
            assert inner is outer is current()
            record(case, "note", case.state, case.state, user("medarbetare"), utcnow())
        assert commits == []
        case.title = "Ny titel"
    assert commits == [1] and current() is None
    db.session.expire_all()
    assert db.session.get(Case, case.id).title == "Ny titel"
    assert _count(CaseEvent, case_id=case.id, event="note") == 1


def test_an_error_in_a_nested_unit_rolls_back_the_whole_unit(ctx):
    case = new_draft()
    with pytest.raises(ValueError):
        with unit_of_work():
            record(case, "note", case.state, case.state, None, utcnow())
            with unit_of_work():
                case.title = "Halvfärdig"
                raise ValueError("inner")
    db.session.expire_all()
    assert db.session.get(Case, case.id).title != "Halvfärdig"
    assert _count(CaseEvent, case_id=case.id, event="note") == 0


def test_a_caught_error_of_a_nested_unit_still_commits_nothing(ctx):
    case = new_draft()
    with pytest.raises(PartialWork):
        with unit_of_work():
            case.title = "Halvfärdig"
            try:
                with unit_of_work():
                    raise ValueError("inner")
            except ValueError:
                pass
    db.session.expire_all()
    assert db.session.get(Case, case.id).title != "Halvfärdig"


def test_a_lost_race_becomes_conflict(ctx):
    with pytest.raises(Conflict):
        with unit_of_work():
            raise StaleDataError("the row changed meanwhile")
    assert current() is None


FOLLOWERS = ("rad", "vu", "chef")


def _followed_draft() -> Case:
    case = new_draft()
    for name in FOLLOWERS:
        notifications.follow(user(name), case)
    return case


def _tell(case: Case, names) -> None:
    """Notify each of ``names`` about ``case`` (as a job or a service does, within a unit)."""
    for name in names:
        notifications.notify(user(name), "followed", f"test:{case.id}:{name}",
                             message("Testmeddelande"), ["Rad"], case=case)


def test_notifications_are_collected_and_added_together_before_the_commit(ctx):
    case = _followed_draft()
    inserts: list[int] = []

    def count_inserts(_conn, _cursor, statement, parameters, _context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO NOTIFICATIONS"):
            inserts.append(len(parameters) if executemany else 1)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count_inserts)
    try:
        with unit_of_work() as work:
            _tell(case, FOLLOWERS)
            assert len(work.notifications) == len(FOLLOWERS)
            assert _count(Notification, case_id=case.id) == 0  # not written yet
    finally:
        event.remove(engine, "before_cursor_execute", count_inserts)
    assert _count(Notification, case_id=case.id) == len(FOLLOWERS)
    assert sum(inserts) == len(FOLLOWERS) and len(inserts) < len(FOLLOWERS)


def test_a_key_written_elsewhere_meanwhile_skips_only_that_notification(ctx):
    case = _followed_draft()
    first = user(FOLLOWERS[0])
    with unit_of_work():
        _tell(case, FOLLOWERS)
        # another process, after the keys were checked and before this unit's commit
        db.session.execute(Notification.__table__.insert().values(
            key=f"test:{case.id}:{FOLLOWERS[0]}", user_id=first.id, case_id=case.id,
            kind="status", subject="elsewhere", body="elsewhere", created_at=utcnow()))
    rows = list(db.session.scalars(select(Notification).where(Notification.case_id == case.id)
                                   .where(Notification.key.like("test:%"))))
    assert len(rows) == len(FOLLOWERS)
    assert [r.subject for r in rows if r.user_id == first.id] == ["elsewhere"]


def test_firing_an_event_commits_its_history_and_notifications_once(ctx, commits):
    case = new_draft()
    notifications.follow(user("rad"), case)
    commits.clear()
    cases.fire(case, "submit", user("medarbetare"))
    assert commits == [1]
    assert _count(Notification, user_id=user("rad").id, case_id=case.id) == 1


def test_a_transition_is_one_statement_on_postgresql(ctx):
    """Issue 14: on PostgreSQL the case's UPDATE, the history row's INSERT (which reads the
    newest hash itself) and the notifications (whom to tell, read by the same statement) are
    one statement; SQLite (no round trips) runs the three one by one, with no separate reads
    of the newest hash or of whom to tell. Either way the submitter and the follower are
    told, the actor is not, and the new row links to the one before."""
    case = case_in("submitted")
    notifications.follow(user("rad"), case)
    notifications.follow(user("chef"), case)
    db.session.commit()
    with statements_run(db.engine) as statements:
        cases.fire(case, "take_up", user("chef"))
    writes = [s for s in statements if s.startswith(("INSERT", "UPDATE", "WITH"))]
    separate_reads = [s for s in statements if s.startswith("SELECT")
                      and ("FROM case_history" in s or "notification_settings" in s)]
    assert separate_reads == []
    if db.engine.dialect.name == "postgresql":
        assert len(writes) == 1
        assert all(part in writes[0] for part in (
            "UPDATE cases", "INSERT INTO case_history", "INSERT INTO notifications",
            "notification_settings"))
    else:
        assert [w.split(" (")[0].split(" SET")[0] for w in writes] == [
            "UPDATE cases", "INSERT INTO case_history", "INSERT INTO notifications"]
        assert "notification_settings" in writes[2]
    told = set(db.session.scalars(select(Notification.user_id)
                                  .where(Notification.case_id == case.id)))
    assert told == {case.author_id, user("rad").id}
    rows = list(db.session.execute(select(CaseEvent.id, CaseEvent.prev_hash, CaseEvent.hash)
                                   .where(CaseEvent.case_id == case.id)
                                   .order_by(CaseEvent.id)))
    assert rows[-1].prev_hash == rows[-2].hash
    keys = set(db.session.scalars(select(Notification.key)
                                  .where(Notification.case_id == case.id)))
    assert keys == {f"event:{rows[-1].id}:user:{case.author_id}",
                    f"event:{rows[-1].id}:user:{user('rad').id}"}


def _told_by_follow(appended):
    """A follow for the test below: a notification to the person ``told`` names."""
    return (insert(Notification)
            .from_select(["key", "user_id", "case_id", "kind", "subject", "body", "created_at"],
                         select(literal("test:") + cast(appended.c.appended_id, String),
                                bindparam("told"), bindparam("case_id"), literal("status"),
                                literal("Test"), literal(""), bindparam("at"))
                         .select_from(appended))
            .returning(Notification.id))


def test_what_a_transition_writes_with_its_row(ctx):
    """``record_transition``'s ``follow``, given the database's name: written with the row,
    in its statement on PostgreSQL; not asked for, nothing more is written. A parameter with
    two values is refused, and on PostgreSQL one named as a column of cases (which
    SQLAlchemy would add to the UPDATE in the same statement)."""
    case = case_in("submitted")
    postgresql = db.engine.dialect.name == "postgresql"
    asked: list[str] = []

    def transition(state: str, follow: bool = True, **params):
        def followed(entry, dialect):
            asked.append(dialect)
            return Follow(_told_by_follow, params) if follow else None
        with unit_of_work():
            return record_transition(case, {"state": state, "updated_at": utcnow()}, "test",
                                     case.state, user("chef"), utcnow(), follow=followed)

    entry, followed = transition("apt", told=user("rad").id)
    assert followed is True and entry.id and entry.hash
    assert asked == [db.engine.dialect.name]
    assert _count(Notification, key=f"test:{entry.id}", user_id=user("rad").id) == 1
    entry, followed = transition("refinement", follow=False)
    assert followed is False and entry.id
    assert _count(Notification, key=f"test:{entry.id}") == 0
    with pytest.raises(ValueError, match="two values"):
        transition("council", told=user("rad").id, case_id=case.id + 1)
    if postgresql:
        with pytest.raises(ValueError, match="author_id"):
            transition("council", told=user("rad").id, author_id=user("rad").id)
    db.session.expire_all()
    assert db.session.get(Case, case.id).state == "refinement"
    assert db.session.get(Case, case.id).author_id == user("medarbetare").id
