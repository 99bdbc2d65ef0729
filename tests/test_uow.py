"""The unit of work (workflow/platform/uow.py): nested units join the outer one, only the
outermost commits, notifications are added in one batch before that commit."""
from __future__ import annotations

import pytest
from sqlalchemy import bindparam, event, func, select
from sqlalchemy.orm.exc import StaleDataError

from helpers import case_in, new_draft, statements_run, user
from workflow.cases import service as cases
from workflow.models import Case, CaseEvent, Notification, User, utcnow
from workflow.notifications import service as notifications
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
            cases.fire(case, "submit", user("medarbetare"))  # joins this unit
            assert len(work.notifications) == len(FOLLOWERS)
            assert _count(Notification, case_id=case.id) == 0  # not written yet
    finally:
        event.remove(engine, "before_cursor_execute", count_inserts)
    assert _count(Notification, case_id=case.id) == len(FOLLOWERS)
    assert sum(inserts) == len(FOLLOWERS) and len(inserts) < len(FOLLOWERS)


def test_a_key_written_elsewhere_meanwhile_skips_only_that_notification(ctx):
    case = _followed_draft()
    first = user(FOLLOWERS[0])

    def written_elsewhere() -> None:  # another process, after the key was checked
        entry = db.session.scalar(select(CaseEvent).where(CaseEvent.case_id == case.id)
                                  .order_by(CaseEvent.id.desc()).limit(1))
        db.session.execute(Notification.__table__.insert().values(
            key=f"event:{entry.id}:user:{first.id}", user_id=first.id, case_id=case.id,
            kind="status", subject="elsewhere", body="elsewhere", created_at=utcnow()))

    cases.fire(case, "submit", user("medarbetare"), also=written_elsewhere)
    rows = list(db.session.scalars(select(Notification).where(Notification.case_id == case.id)))
    assert len(rows) == len(FOLLOWERS)
    assert [r.subject for r in rows if r.user_id == first.id] == ["elsewhere"]


def test_firing_an_event_commits_its_history_and_notifications_once(ctx, commits):
    case = new_draft()
    notifications.follow(user("rad"), case)
    commits.clear()
    cases.fire(case, "submit", user("medarbetare"))
    assert commits == [1]
    assert _count(Notification, user_id=user("rad").id, case_id=case.id) == 1


def test_a_transition_writes_its_row_with_its_hash_and_reads_whom_to_tell_in_one_statement(
        ctx):
    """Issue 14: on PostgreSQL the history row's INSERT also reads the newest hash and the
    people to notify; SQLite (no round trips) asks for them on their own. Either way the
    submitter and the follower are told, and the new row links to the one before."""
    case = case_in("submitted")
    notifications.follow(user("rad"), case)
    db.session.commit()
    with statements_run(db.engine) as statements:
        cases.fire(case, "take_up", user("chef"))
    history_inserts = [s for s in statements if "INSERT INTO case_history" in s]
    separate_reads = [s for s in statements if s.startswith("SELECT")
                      and ("FROM case_history" in s or "notification_settings" in s)]
    assert len(history_inserts) == 1
    if db.engine.dialect.name == "postgresql":
        assert separate_reads == []
        assert "notification_settings" in history_inserts[0]
    else:
        assert len(separate_reads) == 2
    told = set(db.session.scalars(select(Notification.user_id)
                                  .where(Notification.case_id == case.id)))
    assert told == {case.author_id, user("rad").id}
    rows = list(db.session.execute(select(CaseEvent.prev_hash, CaseEvent.hash)
                                   .where(CaseEvent.case_id == case.id)
                                   .order_by(CaseEvent.id)))
    assert rows[-1].prev_hash == rows[-2].hash


def test_the_rows_read_with_a_history_row(ctx):
    """``record_transition``'s ``read_with``: its rows, none when it finds none (PostgreSQL's
    outer join gives one empty row then), and a parameter that contradicts the row refused."""
    case = case_in("submitted")
    people = (select(User.id).where(User.id.in_([bindparam("first"), bindparam("second")]))
              .order_by(User.id))

    def transition(state: str, read_with):
        with unit_of_work():
            return record_transition(case, {"state": state, "updated_at": utcnow()}, "test",
                                     case.state, user("chef"), utcnow(), read_with=read_with)

    entry, rows = transition("apt", (people, {"first": user("rad").id,
                                              "second": user("chef").id}))
    assert [row.id for row in rows] == sorted([user("rad").id, user("chef").id])
    assert entry.id and entry.hash
    entry, rows = transition("refinement", (people, {"first": -1, "second": -2}))
    assert rows == [] and entry.id
    with pytest.raises(ValueError):
        transition("council", (people.where(User.id != bindparam("case_id")),
                               {"first": 1, "second": 2, "case_id": case.id + 1}))
    db.session.expire_all()
    assert db.session.get(Case, case.id).state == "refinement"
