"""Lists run statements built once per person's rule and kind of filter (issue 14,
cases/service.py ``_list_statements``): the state, the unit and the page are bound when run,
and a statement never carries one person's cases to another."""
from __future__ import annotations

import pytest

from factories import person
from helpers import case_in, unit
from workflow.cases import service as cases
from workflow.models import RoleAssignment
from workflow.platform.extensions import db


def test_a_built_list_serves_each_filter_page_and_person_with_their_own_cases(ctx, app):
    ours = [case_in("council") for _ in range(3)] + [case_in("refinement")]
    norr = person("lista_norr", roles=[("manager", unit())])
    soder = person("lista_soder", roles=[("manager", unit("Hemtjänst Visby söder"))])
    app.config["PAGE_SIZE"] = 2

    def ids(page) -> list[int]:
        return [case.id for case in page.items]

    newest_first = sorted(ours[:3], key=lambda c: (c.updated_at, c.id), reverse=True)
    first = cases.list_cases(norr, state="council")
    second = cases.list_cases(norr, state="council", page=2)
    assert (first.total, ids(first), ids(second)) == (
        3, [c.id for c in newest_first[:2]], [newest_first[2].id])
    assert ids(cases.list_cases(norr, state="refinement")) == [ours[3].id]
    beyond = cases.list_cases(norr, state="council", page=5)  # no row to carry the count
    assert (beyond.items, beyond.total) == ([], 3)
    assert cases.list_cases(norr, state="rejected").total == 0
    assert cases.list_cases(norr, state="council", unit_id=unit().id).total == 3
    assert cases.list_cases(norr, state="council",
                            unit_id=unit("Hemtjänst Visby söder").id).total == 0
    # The same kind of role elsewhere: the same shape of statement, none of the cases.
    assert cases.list_cases(soder, state="council").total == 0
    assert cases.list_cases(soder).total == 0
    # A role gained counts at once, as a stand-in's ends (tests/test_admin_people.py).
    soder.role_assignments.append(RoleAssignment(role="manager", unit=unit()))
    db.session.commit()
    assert ids(cases.list_cases(soder, state="council", page=2)) == [newest_first[2].id]
    # Mina idéer: the author's own, whoever asked before.
    author = ours[0].author
    assert {c.id for c in cases.list_cases(author, mine=True, per_page=10).items} >= {
        c.id for c in ours}
    assert cases.list_cases(norr, mine=True).total == 0


@pytest.mark.parametrize("todo", [True, False], ids=["att-gora", "arenden"])
def test_lists_read_in_parts_are_the_plain_rule_page_by_page(demo_app, monkeypatch, todo):
    """Att göra and the unfiltered case list read each part of a person's rule (a state in a
    scope, or their own cases) newest first and take the page from the union
    (access.ordered_parts): page by page they list exactly what the whole rule's condition
    lists in that order, for every demo person and for one whose roles overlap (the same
    cases through two assignments count once). A page ending beyond READ_IN_PARTS_UP_TO rows
    is read from the whole rule; here that bound is lowered so both ways are compared."""
    from sqlalchemy import func, select

    from helpers import all_users
    from workflow.cases import access
    from workflow.models import Case

    monkeypatch.setattr(cases, "READ_IN_PARTS_UP_TO", 6)
    rule_of = access.todo_rule if todo else access.visibility_rule
    with demo_app.test_request_context():
        # The same role for the förvaltning and for one of its units: two parts per state.
        overlapping = person("dubbel", roles=[("management", unit().department),
                                              ("management", unit())])
        checked = 0
        for reader in [*all_users(), overlapping]:
            plain = (select(Case.id).where(access.condition_of(rule_of(reader)))
                     .order_by(Case.updated_at.desc(), Case.id.desc()))
            expected = list(db.session.scalars(plain))
            total = db.session.scalar(select(func.count()).select_from(plain.subquery()))
            assert len(expected) == total
            for per_page in (1, 3, 50):
                listed: list[int] = []
                for page in range(1, total // per_page + 2):
                    shown = cases.list_cases(reader, todo=todo, page=page, per_page=per_page)
                    assert shown.total == total, reader.username
                    listed += [case.id for case in shown.items]
                assert listed == expected, (reader.username, per_page)
            # In one state (and in one unit of it): the parts of that state, counted as
            # terms no case matches twice (cases/service.py _disjoint_count).
            for state in ("council", "submitted", "apt", "management", "draft"):
                for unit_id in (None, unit().id):
                    narrowed = plain.where(Case.state == state)
                    if unit_id is not None:
                        narrowed = narrowed.where(Case.unit_id == unit_id)
                    wanted = list(db.session.scalars(narrowed))
                    shown = cases.list_cases(reader, todo=todo, state=state, unit_id=unit_id,
                                             per_page=100)
                    assert (shown.total, [c.id for c in shown.items]) == (
                        len(wanted), wanted), (reader.username, state, unit_id)
            parts = access.ordered_parts(rule_of(reader)) or ()
            checked += len(parts) > 1 and total > 3
        assert checked >= 3  # people whose list has cases and more than one part
        in_unit = [c for c in cases.list_cases(overlapping, todo=todo, per_page=100).items
                   if c.unit_id == unit().id]
        assert in_unit  # cases that both of its parts read, listed once (above)


def test_a_region_wide_reader_sees_their_own_region_only(ctx):
    """A region-wide role reaches the cases of its region's förvaltningar (access.InRegion:
    on PostgreSQL ``= ANY (ARRAY(SELECT …))``, elsewhere ``IN (SELECT …)``), read by the same
    built statement for each region with the region bound, in lists and in the funnel."""
    from workflow.cases import access
    from workflow.models import Case, Department, Region, Unit, User
    from workflow.portfolio import service as portfolio

    ours = case_in("council")
    gotland = person("region_gotland", roles=[("management", None)])
    other = Region(name="Region Östergötland")
    place = Department(region=other, name="Vård och omsorg")
    ward = Unit(department=place, name="Hemtjänst Linköping")
    theirs_author = User(username="linkoping", display_name="Linköping", region=other)
    db.session.add_all([other, place, ward, theirs_author])
    db.session.flush()
    reader = User(username="region_ostergotland", display_name="Östergötland", region=other)
    db.session.add(reader)
    db.session.add(RoleAssignment(user=reader, role="management"))
    theirs = Case(title="Östgötsk idé", department=place, unit=ward, author=theirs_author,
                  origin="staff", state="council", process_name=ours.process_name,
                  process_version=ours.process_version)
    db.session.add(theirs)
    db.session.commit()

    def listed(user) -> set[int]:
        return {c.id for c in cases.list_cases(user, state="council", per_page=500).items}

    def council_count(user) -> int:
        return dict(portfolio.funnel(user, portfolio.Filters()))["council"]

    assert ours.id in listed(gotland) and theirs.id not in listed(gotland)
    assert listed(reader) == {theirs.id}
    assert council_count(reader) == 1
    assert council_count(gotland) == cases.list_cases(gotland, state="council").total >= 1
    assert cases.list_cases(reader).total == 1 and access.can_view(reader, theirs)
    assert not access.can_view(gotland, theirs) and not access.can_view(reader, ours)


def test_lists_count_up_to_the_limit_past_the_page_and_say_more_than_beyond_it(demo_app):
    """A list counts its cases up to LIST_COUNT_LIMIT past the page (docs/lists.md): below
    it exactly; beyond it the page says how far it counted and that more follow, and the
    pages' next links still reach every case once. Every demo person, each list, with the
    limit lowered to 4 and three cases a page (each count runs over several of a rule's
    terms, one after the other)."""
    from sqlalchemy import func, select

    from helpers import all_users
    from workflow.cases import access
    from workflow.models import Case

    demo_app.config["LIST_COUNT_LIMIT"] = 4
    capped = 0
    with demo_app.test_request_context():
        for reader in all_users():
            for todo, rule_of in ((False, access.visibility_rule), (True, access.todo_rule)):
                plain = (select(Case.id).where(access.condition_of(rule_of(reader)))
                         .order_by(Case.updated_at.desc(), Case.id.desc()))
                expected = list(db.session.scalars(plain))
                listed: list[int] = []
                number = 1
                while True:
                    shown = cases.list_cases(reader, todo=todo, page=number, per_page=3)
                    counted_to = 4 * -(-(number * 3) // 4)  # whole blocks of 4 past the page
                    assert (shown.total, shown.exact) == (
                        min(len(expected), counted_to), len(expected) <= counted_to), (
                        reader.username, todo, number)
                    assert shown.exact or shown.pages > number  # a next page, never a guess
                    listed += [case.id for case in shown.items]
                    capped += not shown.exact
                    if number >= shown.pages:
                        break
                    number += 1
                assert listed == expected, (reader.username, todo)
                exact = cases.list_cases(reader, todo=todo, per_page=3, exact=True)
                assert (exact.total, exact.exact) == (len(expected), True)
                count = db.session.scalar(select(func.count()).select_from(plain.subquery()))
                assert count == len(expected)
        mine = cases.list_cases(case_in("council").author, mine=True, per_page=3)
        assert (mine.total, mine.exact) == (4, False)  # the demo's medarbetare wrote more
    assert capped > 10


def test_a_list_beyond_the_limit_says_more_than_in_swedish_and_english_and_in_the_api(
        demo_app):
    from helpers import api_headers, login

    demo_app.config.update(LIST_COUNT_LIMIT=4, PAGE_SIZE=3)
    client = demo_app.test_client()
    login(client, "fchef")
    first = client.get("/cases").get_data(as_text=True)
    assert "(fler än 4 st)" in first and "Sida 1 av minst 2" in first
    assert 'rel="next"' in first and 'rel="prev"' not in first
    second = client.get("/cases?page=2").get_data(as_text=True)
    # The page ends at the 6th case: counted to the end of the next block of 4.
    assert "(fler än 8 st)" in second and "Sida 2 av minst 3" in second
    english = client.get("/cases", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "(more than 4)" in english and "Page 1 of at least 2" in english
    answer = client.get("/api/v1/cases", headers=api_headers(client, "fchef")).get_json()
    assert (answer["total"], answer["total_exact"], answer["has_next"]) == (4, False, True)
    narrowed = client.get("/api/v1/cases?state=political",
                          headers=api_headers(client, "fchef")).get_json()
    assert narrowed["total_exact"] is True and narrowed["total"] == len(narrowed["items"])
    assert narrowed["has_next"] is (narrowed["total"] > 3)
