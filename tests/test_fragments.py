"""Rendered pieces kept under the facts they show (issue 14, workflow/platform/fragments.py):
list rows, the process diagram, history entries and fresh forms of the case page. A page
served from kept pieces is the page rendered anew, for every reader, language and change;
a change shows at once; and a kept form carries the reader's own CSRF token."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select, update

from helpers import case_in, login, user
from workflow.cases import service as cases
from workflow.models import Case, Unit
from workflow.platform import fragments
from workflow.platform.extensions import db

TOKEN = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')
ANY_TOKEN = re.compile(r'name="(?:[\w-]+-)?csrf_token"(?: type="hidden")? value="([^"]+)"')


def store(app) -> fragments.Kept:
    return fragments.kept(app)


def pages_of(client, case_ids: list[int]) -> list[str]:
    paths = ["/cases", "/cases?state=council", "/todo", "/mine"] + [
        f"/cases/{i}" for i in case_ids]
    shown = []
    for path in paths:
        response = client.get(path)
        # The CSRF token is signed with the moment it was made: the same token, told apart.
        shown.append((path, response.status_code,
                      TOKEN.sub("csrf", response.get_data(as_text=True))))
    return shown


@pytest.mark.parametrize("language", ["sv", "en"])
def test_a_page_from_kept_pieces_is_the_page_rendered_anew(demo_app, monkeypatch, language):
    """For readers with different roles, every list and some case pages: rendered with
    nothing kept, then keeping (the first pages of a reader fill the store that later pages
    use), then again from what was kept: byte for byte the same pages. The pieces were kept
    (the store holds them) and a repeated view adds none."""
    keeping = fragments.Kept.get
    for username in ("fchef", "vu", "medarbetare", "admin"):
        client = login(demo_app.test_client(), username)
        client.post("/language", data={"lang": language})
        monkeypatch.setattr(fragments.Kept, "get", lambda self, key, make: make())
        anew = pages_of(client, list(range(1, 13)))
        monkeypatch.setattr(fragments.Kept, "get", keeping)
        store(demo_app).clear()
        first = pages_of(client, list(range(1, 13)))
        kept = len(store(demo_app))
        second = pages_of(client, list(range(1, 13)))
        assert kept > 0 and len(store(demo_app)) == kept, username
        for shown in (first, second):
            assert [s[:2] for s in shown] == [a[:2] for a in anew]
            for (path, _status, page), (_p, _s, fresh) in zip(shown, anew, strict=True):
                assert page == fresh, (username, path)


@pytest.mark.parametrize("change", ["title", "state", "unit"])
def test_a_change_to_a_case_or_its_unit_shows_in_the_list_at_once(demo_app, change):
    """Each fact of a row on its own (the time of the last change kept as it was): the
    list shows the new one at the next view."""
    client = login(demo_app.test_client(), "admin")
    with demo_app.test_request_context():
        listed = cases.list_cases(user("admin"), state="council").items[0]
    before = client.get("/cases?state=council").get_data(as_text=True)
    with demo_app.test_request_context():
        if change == "unit":
            unit = db.session.get(Unit, listed.unit_id)
            unit.name, shown = "Omdöpt enhet", "Omdöpt enhet"
        else:
            value = "Ny rubrik i listan" if change == "title" else "management"
            db.session.execute(update(Case).where(Case.id == listed.id).values(
                {change: value, "updated_at": Case.updated_at}))
            shown = value if change == "title" else 'state-management"'
        db.session.commit()
    row = re.compile(rf'<tr>\s*<td[^>]*>{listed.id}</td>.*?</tr>', re.S)
    assert shown not in row.search(before).group(0)
    after = client.get(f"/cases?state={'management' if change == 'state' else 'council'}")
    assert shown in row.search(after.get_data(as_text=True)).group(0)


def test_the_list_filters_show_a_renamed_unit_the_choice_and_the_query_at_once(demo_app):
    """The kept filters (``kept_case_filters``) follow the units as read for the request and
    what is chosen; the download links carry the query. A state or unit the filters do not
    offer keeps no piece of its own (a query cannot fill the store)."""
    client = login(demo_app.test_client(), "admin")

    def filters(path: str) -> str:
        page = client.get(path).get_data(as_text=True)
        start, links = page.index('class="filters"'), page.index('class="exports"')
        return page[start:page.index("</p>", links)]
    before = filters("/cases")
    with demo_app.test_request_context():
        unit = db.session.scalars(select(Unit).order_by(Unit.id)).first()
        unit.name, unit_id = "Omdöpt enhet i filtret", unit.id
        db.session.commit()
    assert "Omdöpt enhet i filtret" not in before
    assert "Omdöpt enhet i filtret" in filters("/cases")
    chosen = filters(f"/cases?state=council&unit_id={unit_id}")
    assert f'<option value="{unit_id}" selected>' in chosen
    assert '<option value="council" selected>' in chosen
    assert f"cases.csv?state=council&amp;unit_id={unit_id}" in chosen
    assert "selected" not in filters("/cases?page=2")
    kept = len(store(demo_app))
    for number in range(5):
        shown = filters(f"/cases?state=nonsense{number}&unit_id={10_000 + number}&x={number}")
        assert "selected" not in shown and f"x={number}" in shown
    assert len(store(demo_app)) == kept


def test_a_history_entry_shows_its_actors_name_as_it_is_now(app):
    with app.test_request_context():
        case_id = case_in("refinement").id
    client = login(app.test_client(), "vu")
    assert "Ansvarig Chef" not in client.get(f"/cases/{case_id}").get_data(as_text=True)
    with app.test_request_context():
        chef = user("chef")
        old_name, chef.display_name = chef.display_name, "Ansvarig Chef"
        db.session.commit()
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    timeline = page[page.index('class="timeline"'):page.index('id="kommentarer"')]
    assert "Ansvarig Chef" in timeline and old_name not in timeline


def test_a_kept_event_form_carries_the_version_of_the_case_now(app):
    with app.test_request_context():
        case = case_in("refinement")
        case_id, version = case.id, case.version
    client = login(app.test_client(), "vu")
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert f'name="request_support-version" type="hidden" value="{version}"' in page
    with app.test_request_context():
        cases.update_case(user("vu"), cases.get_case(user("vu"), case_id), {"need": "Mer."})
        now = cases.get_case(user("vu"), case_id).version
    assert now != version
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert f'name="request_support-version" type="hidden" value="{now}"' in page
    assert f'name="version" type="hidden" value="{now}"' in page  # Ändra uppgifter
    assert client.post(f"/cases/{case_id}/events/request_support", data={
        "request_support-version": now,
        "request_support-question": "Finns avtal?"}).status_code == 302


def test_kept_forms_carry_each_readers_own_csrf_token(make_demo_app):
    """Two people with their own sessions see the same case: the kept forms (rendered in the
    first one's request) carry each one's own token, and the second one's event goes
    through with it."""
    app = make_demo_app(WTF_CSRF_ENABLED=True)
    with app.test_request_context():
        case = case_in("council")
        case_id, version = case.id, case.version
    clients = []
    for _ in range(2):
        client = app.test_client()
        token = TOKEN.search(client.get("/login").get_data(as_text=True)).group(1)
        assert client.post("/login", data={"username": "rad", "password": "demo",
                                           "csrf_token": token}).status_code == 302
        clients.append(client)
    tokens = []
    for client in clients:
        page = client.get(f"/cases/{case_id}").get_data(as_text=True)
        on_page = set(ANY_TOKEN.findall(page))
        assert len(on_page) == 1
        forms = re.findall(rf'<form method="post" action="/cases/{case_id}/(?:events/\w+|comments)"'
                           r'.*?</form>', page, re.S)
        assert len(forms) >= 3  # prioritise, park, … and the comment
        assert all(ANY_TOKEN.findall(form) == list(on_page) for form in forms), forms
        tokens.append(next(iter(on_page)))
    assert tokens[0] != tokens[1]
    answer = clients[1].post(f"/cases/{case_id}/events/prioritise", data={
        "csrf_token": tokens[1], "prioritise-csrf_token": tokens[1],
        "prioritise-version": version, "prioritise-priority": "high"})
    assert answer.status_code == 302
