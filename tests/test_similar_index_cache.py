"""The duplicate-hint index is kept between requests (building it takes seconds at 10 000
cases, see bench/README.md) but must never be stale: every new hintable case and every
changed title or need shows at once; a change that leaves the texts alone reuses it."""
from __future__ import annotations

from helpers import drive, new_draft, unit, user
from workflow.cases import service as cases
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


def test_a_change_of_state_keeps_the_built_index(ctx):
    case = _submitted(**KEYS)
    before = similar.region_index(user("admin").region_id)
    assert similar.region_index(user("admin").region_id) is before
    cases.fire(case, "take_up", user("chef"))
    assert similar.region_index(user("admin").region_id) is before
    assert _hint_ids(**KEYS) == [case.id]


def test_a_case_that_becomes_hintable_rebuilds_the_index(ctx):
    draft = new_draft(unit_id=unit().id, **KEYS)
    before = similar.region_index(user("admin").region_id)
    assert draft.id not in before.ids
    cases.fire(draft, "submit", user("medarbetare"))
    assert draft.id in similar.region_index(user("admin").region_id).ids
