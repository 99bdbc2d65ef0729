"""Two people act on one case at the same moment: exactly one wins, nothing is half-written."""
from __future__ import annotations

import threading

from sqlalchemy import func, select

from helpers import case_in, user
from workflow.cases import service as cases
from workflow.models import Case, CaseEvent
from workflow.platform.errors import Conflict
from workflow.platform.extensions import db


def _race(app, case_id: int, attempts: list[tuple[str, str, dict]]) -> list[object]:
    barrier = threading.Barrier(len(attempts))
    results: list[object] = [None] * len(attempts)

    def attempt(index: int, event: str, username: str, data: dict) -> None:
        with app.app_context():  # its own session and database connection
            case = db.session.get(Case, case_id)
            actor = user(username)
            _ = case.unit.department  # everything loaded before the race starts
            barrier.wait(timeout=30)
            try:
                cases.fire(case, event, actor, data)
                results[index] = case.state
            except Conflict as error:
                results[index] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt, args=(i, *a)) for i, a in enumerate(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_conflicting_events_on_one_case(app):
    with app.app_context():
        ids = [case_in("submitted").id for _ in range(4)]
    for case_id in ids:
        results = _race(app, case_id, [("take_up", "chef", {}),
                                       ("withdraw", "medarbetare", {"comment": "Ångrar mig"})])
        winners = [r for r in results if isinstance(r, str)]
        losers = [r for r in results if isinstance(r, Conflict)]
        assert len(winners) == 1 and len(losers) == 1, results
        with app.app_context():
            case = db.session.get(Case, case_id)
            rows = db.session.scalars(select(CaseEvent.event).where(CaseEvent.case_id == case_id)
                                      .order_by(CaseEvent.id)).all()
            assert case.state == winners[0]
            assert rows[:2] == ["create", "submit"] and len(rows) == 3
            assert rows[2] == {"apt": "take_up", "withdrawn": "withdraw"}[case.state]
            assert case.version == 3


def test_same_event_twice_fires_once(app):
    with app.app_context():
        case_id = case_in("apt").id
    results = _race(app, case_id, [("forward", "chef", {"note": "A"}),
                                   ("forward", "chef", {"note": "B"})])
    assert sorted(map(type, results), key=str) == sorted([str, Conflict], key=str)
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(CaseEvent)
                                  .where(CaseEvent.case_id == case_id,
                                         CaseEvent.event == "forward"))
        assert count == 1
