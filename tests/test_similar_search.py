"""Duplicate hints ask the database's own text search (issue 14 item 1, migration 0021): no
worker keeps an index, so every new, changed, hidden or deleted case shows (or stops showing)
at once, on SQLite (FTS5 kept by triggers) and PostgreSQL (a generated tsvector column); and
the labelled precision stays at least what the per-worker TF-IDF index reached (77 % / 81 %)."""
from __future__ import annotations

from sqlalchemy import delete, insert, select, text

from helpers import drive, new_draft, unit, user
from workflow.cases import service as cases
from workflow.models import Case
from workflow.platform.extensions import db
from workflow.similar import service as similar

KEYS = {"title": "Digital nyckelhantering i hemtjänsten",
        "need": "Vi hämtar nycklar i ett nyckelskåp och köar vid skåpet varje morgon."}
CARS = {"title": "Bokning av hemtjänstbilar", "need": "Bilarna bokas på en whiteboard."}


def _submitted(**fields):
    return drive(new_draft(unit_id=unit().id, **fields), [("submit", "medarbetare", {})])


def _hint_ids(title: str, need: str) -> list[int]:
    return [h.id for h in similar.similar_cases(user("admin"), title, need, limit=10)]


def test_a_new_case_is_hinted_at_once(ctx):
    keys = _submitted(**KEYS)
    assert _hint_ids(**CARS) == []
    cars = _submitted(**CARS)
    assert _hint_ids(**CARS) == [cars.id]
    assert _hint_ids(**KEYS) == [keys.id]


def test_an_edited_title_and_need_are_hinted_at_once(ctx):
    case = _submitted(**KEYS)
    assert _hint_ids(**KEYS) == [case.id]
    cases.update_case(user("medarbetare"), case, dict(CARS))
    assert _hint_ids(**CARS) == [case.id]
    assert _hint_ids(**KEYS) == []


def test_a_draft_is_hinted_once_submitted_and_never_before(ctx):
    draft = new_draft(unit_id=unit().id, **KEYS)
    assert _hint_ids(**KEYS) == []
    cases.fire(draft, "submit", user("medarbetare"))
    assert _hint_ids(**KEYS) == [draft.id]
    cases.fire(draft, "take_up", user("chef"))  # a change of state keeps it found
    assert _hint_ids(**KEYS) == [draft.id]


def test_a_case_written_or_deleted_with_plain_sql_is_found_and_forgotten_at_once(ctx):
    """The database keeps its text index itself (triggers, a generated column), so writes
    that bypass the ORM, such as the benchmark's bulk inserts, are searched too."""
    known = _submitted(**KEYS)
    row = db.session.execute(select(Case.department_id, Case.unit_id, Case.process_name,
                                    Case.process_version).where(Case.id == known.id)).one()
    new_id = db.session.execute(insert(Case).values(
        title=CARS["title"], need=CARS["need"], effect="", origin="staff", state="submitted",
        version=1, **row._asdict()).returning(Case.id)).scalar_one()
    db.session.commit()
    assert _hint_ids(**CARS) == [new_id]
    db.session.execute(text("UPDATE cases SET title = :title, need = '' WHERE id = :id"),
                       {"title": "Språkstöd vid hembesök", "id": new_id})
    db.session.commit()
    assert _hint_ids(**CARS) == [] and _hint_ids("Språkstöd vid hembesök", "") == [new_id]
    db.session.execute(delete(Case).where(Case.id == new_id))
    db.session.commit()
    assert _hint_ids("Språkstöd vid hembesök", "") == []
    assert _hint_ids(**KEYS) == [known.id]


def test_no_worker_keeps_an_index(ctx):
    _submitted(**KEYS)
    assert _hint_ids(**KEYS)
    assert not [key for key in ctx.extensions if "similar" in key or "index" in key]
    for name in ("INDEX_CACHE_KEY", "region_index", "_built_index", "_BuiltIndex"):
        assert not hasattr(similar, name)


def test_the_query_asks_for_prefixes_of_the_swedish_stems():
    assert similar.query_prefixes("Nycklarna och nyckeln", "brukaren, brukaren") == [
        "nyckl", "nyck", "bruk"]
    assert similar.query_prefixes("och att som", "") == []


def test_precision_on_the_labelled_demo_is_at_least_the_old_index(demo_app):
    """seeds/similar_pairs.yaml on the full demo, on each database: the per-worker TF-IDF
    index reached 77 % (first hint) and 81 % (a match in the first three); see the README."""
    result = similar.measure_precision(demo_app)
    assert result["queries"] == 43
    assert result["precision_at_1"] >= 0.767 and result["hit_rate_at_3"] >= 0.813
    assert result["distinct_in_top_3"] <= 7


def test_only_the_newest_cases_sharing_a_word_are_ranked(ctx, monkeypatch):
    """The bound that keeps a hint's cost flat at 100 000 cases (SCAN_LIMIT): of the hintable
    cases sharing a word with the idea, only the newest are ranked by the database."""
    made = [_submitted(title=f"Nyckelskåp nummer {n}", need="Nycklar hämtas i skåpet.")
            for n in range(5)]
    region = user("admin").region_id
    monkeypatch.setattr(similar, "CANDIDATES", 10_000)
    every = [row[0] for row in similar._candidates(region, "Nyckelskåp", "", None)]
    assert {case.id for case in made} <= set(every)
    monkeypatch.setattr(similar, "SCAN_LIMIT", 3)
    newest = [row[0] for row in similar._candidates(region, "Nyckelskåp", "", None)]
    assert sorted(newest) == sorted(every)[-3:]
    assert sorted(newest) == [case.id for case in made[-3:]]
