"""The case page's hints are stored (issue 14, migration 0025): worked out when a case is
written, read in one query, forgotten by a trigger when the text changes however it was
written, and worked out at the first view of a case that has none. On SQLite and PostgreSQL.
"""
from __future__ import annotations

import logging

from sqlalchemy import insert, select, text
from sqlalchemy.exc import OperationalError

from helpers import drive, login, new_draft, unit, user
from workflow.cases import service as cases
from workflow.models import Case, CaseHint, CaseHintRun, utcnow
from workflow.ops import jobs
from workflow.platform.extensions import db
from workflow.similar import service as similar

KEYS = {"title": "Digital nyckelhantering i hemtjänsten",
        "need": "Vi hämtar nycklar i ett nyckelskåp och köar vid skåpet varje morgon."}
KEYS_AGAIN = {"title": "Digitala nycklar i hemtjänsten",
              "need": "Personalen köar vid nyckelskåpet varje morgon för att hämta nycklar."}
CARS = {"title": "Bokning av hemtjänstbilar", "need": "Bilarna bokas på en whiteboard."}


def _submitted(**fields) -> Case:
    return drive(new_draft(unit_id=unit().id, **fields), [("submit", "medarbetare", {})])


def _rows(case_id: int) -> set[tuple[int, int]]:
    """The stored pairs naming the case, either way."""
    return {(row.case_id, row.similar_id) for row in db.session.scalars(
        select(CaseHint).where((CaseHint.case_id == case_id)
                               | (CaseHint.similar_id == case_id)))}


def _has_run(case_id: int) -> bool:
    return db.session.get(CaseHintRun, case_id) is not None


def _page_hints(case: Case) -> list[int]:
    return [hint.id for hint in similar.similar_to_case(user("admin"), case, limit=10)]


def test_a_new_idea_is_stored_and_shows_on_the_older_cases_page(ctx):
    old = _submitted(**KEYS)
    assert _has_run(old.id) and _rows(old.id) == set()  # worked out at creation: none yet
    new = _submitted(**KEYS_AGAIN)
    assert (new.id, old.id) in _rows(new.id)  # the new one's own hints name the old one
    assert similar.stored_ranking(old.id, user("admin").region_id) == [
        (new.id, db.session.get(CaseHint, (new.id, old.id)).score)]
    assert _page_hints(old) == [new.id] and _page_hints(new) == [old.id]


def test_the_case_page_shows_the_stored_hints_without_asking_the_text_index(app, client,
                                                                            monkeypatch):
    with app.app_context():
        old, new = _submitted(**KEYS).id, _submitted(**KEYS_AGAIN).id
    asked = []
    real = similar.ranked_ids
    monkeypatch.setattr(similar, "ranked_ids", lambda *a, **k: asked.append(a) or real(*a, **k))
    login(client, "medarbetare")
    html = client.get(f"/cases/{old}").get_data(as_text=True)
    hints = html.split('id="similar-heading"', 1)[1]
    assert f'href="/cases/{new}"' in hints and f'href="/cases/{old}"' not in hints
    assert asked == []


def test_an_edit_forgets_the_old_text_both_ways_and_stores_the_new(ctx):
    keys, cars = _submitted(**KEYS), _submitted(**CARS)
    other = _submitted(**KEYS_AGAIN)
    assert (other.id, keys.id) in _rows(keys.id)
    cases.update_case(user("medarbetare"), keys, {"title": "Bokning av bilar",
                                                  "need": "Bilarna bokas på en whiteboard."})
    assert _has_run(keys.id)
    assert _rows(keys.id) == {(keys.id, cars.id)}  # the key case's row is gone, the cars found
    assert _page_hints(other) == [] and _page_hints(keys) == [cars.id]
    assert _page_hints(cars) == [keys.id]


def test_an_edit_of_other_fields_keeps_the_hints(ctx):
    old, new = _submitted(**KEYS), _submitted(**KEYS_AGAIN)
    before = _rows(old.id)
    cases.update_case(user("medarbetare"), new, {"effect": "Mindre köande."})
    assert _rows(old.id) == before and _has_run(new.id)


def test_a_text_changed_with_plain_sql_is_forgotten_and_worked_out_at_the_next_view(ctx):
    old, new = _submitted(**KEYS), _submitted(**KEYS_AGAIN)
    db.session.execute(text("UPDATE cases SET state = 'council' WHERE id = :id"),
                       {"id": new.id})  # not the text: the trigger leaves the hints
    db.session.commit()
    assert _has_run(new.id) and (new.id, old.id) in _rows(old.id)
    db.session.execute(text("UPDATE cases SET title = :title, need = :need WHERE id = :id"),
                       {**CARS, "id": new.id})
    db.session.commit()
    assert not _has_run(new.id) and _rows(new.id) == set() and _rows(old.id) == set()
    assert _page_hints(old) == []
    db.session.expire_all()
    assert _page_hints(new) == [] and _has_run(new.id)  # worked out at this view: no match


def test_a_bulk_loaded_case_gets_its_hints_at_its_first_view_and_from_the_command(app, ctx):
    known = _submitted(**KEYS)
    place = db.session.execute(select(Case.department_id, Case.unit_id, Case.process_name,
                                      Case.process_version).where(Case.id == known.id)).one()
    loaded = [db.session.execute(insert(Case).values(
        **fields, effect="", origin="staff", state="submitted", version=1,
        **place._asdict()).returning(Case.id)).scalar_one() for fields in (KEYS_AGAIN, CARS)]
    db.session.commit()
    assert not any(_has_run(i) for i in loaded)
    assert similar.stored_ranking(loaded[0], user("admin").region_id) is None
    assert _page_hints(db.session.get(Case, loaded[0])) == [known.id]
    assert _has_run(loaded[0]) and not _has_run(loaded[1])
    result = app.test_cli_runner().invoke(args=["similar-refresh"])
    assert result.exit_code == 0, result.output
    assert "1" in result.output and _has_run(loaded[1])
    assert app.test_cli_runner().invoke(args=["similar-refresh"]).output.startswith("0 ")


def test_what_is_shown_is_decided_when_the_page_is_read(ctx):
    """A stored pair names a case; whether it is shown follows its state now."""
    old, new = _submitted(**KEYS), _submitted(**KEYS_AGAIN)
    db.session.execute(text("UPDATE cases SET state = 'draft' WHERE id = :id"), {"id": new.id})
    db.session.commit()
    assert (new.id, old.id) in _rows(old.id)
    assert _page_hints(old) == []  # a draft is never a hint, stored or not


def test_titles_for_everyone_need_and_link_only_for_who_may_open_the_case(ctx):
    mine = _submitted(**KEYS)
    theirs = drive(new_draft("lars", unit_id=unit("Hemtjänst Visby söder").id, **KEYS_AGAIN),
                   [("submit", "lars", {})])
    hints = {h.id: h for h in similar.similar_to_case(user("medarbetare"), mine)}
    assert hints[theirs.id].visible is False and hints[theirs.id].need is None
    assert hints[theirs.id].title == KEYS_AGAIN["title"] and hints[theirs.id].unit is None
    assert similar.similar_to_case(user("vu"), mine)[0].need.startswith("Personalen köar")


def test_a_failed_write_at_the_first_view_shows_the_text_indexs_hints(ctx, monkeypatch,
                                                                       caplog):
    known = _submitted(**KEYS)
    other = _submitted(**KEYS_AGAIN)
    db.session.execute(text("DELETE FROM case_hint_runs WHERE case_id = :id"), {"id": other.id})
    db.session.commit()

    def refused(case):
        raise OperationalError("INSERT INTO case_hints", {}, Exception("read-only"))
    monkeypatch.setattr(similar, "refresh_hints", refused)
    # Alembic's fileConfig (the migrations in the fixtures) disables loggers that existed.
    monkeypatch.setattr(logging.getLogger("workflow.similar"), "disabled", False)
    assert not _has_run(other.id)
    with caplog.at_level(logging.WARNING, logger="workflow.similar"):
        assert _page_hints(other) == [known.id]
    assert "could not store the hints" in caplog.text and not _has_run(other.id)


def test_the_scheduler_works_out_missing_hints_newest_first_a_bounded_number_a_run(
        ctx, monkeypatch):
    known = _submitted(**KEYS)
    place = db.session.execute(select(Case.department_id, Case.unit_id, Case.process_name,
                                      Case.process_version).where(Case.id == known.id)).one()
    loaded = [db.session.execute(insert(Case).values(
        title=f"{KEYS_AGAIN['title']} {n}", need=KEYS_AGAIN["need"], effect="", origin="staff",
        state="submitted", version=1, **place._asdict()).returning(Case.id)).scalar_one()
        for n in range(3)]
    db.session.commit()
    monkeypatch.setattr(jobs, "HINTS_PER_RUN", 2)
    assert jobs.run_job("similar_hints", utcnow()) == 2
    assert [_has_run(i) for i in loaded] == [False, True, True]
    assert (loaded[2], known.id) in _rows(known.id)  # the old case's page shows them now
    assert jobs.run_job("similar_hints", utcnow()) == 1
    assert jobs.run_job("similar_hints", utcnow()) == 0 and _has_run(loaded[0])
    assert jobs.SCHEDULE["similar_hints"].every_minutes == 10
