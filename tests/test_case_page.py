"""A readable case page (issue 15): what happens next on top, the history collapsed into a
timeline where each save is one entry with a before/after table, and no Python value on it."""
from __future__ import annotations

import re

import pytest

from helpers import case_in, login, user
from workflow.cases import service as cases
from workflow.models import DecisionMemo
from workflow.platform.extensions import db

RAW = re.compile(r"\bTrue\b|\bFalse\b|\bNone\b|\{('|&#39;)|\[('|&#39;)|Decimal\(|datetime\.")


def visible_text(page: str) -> str:
    return re.sub(r"<[^>]+>", " ", page)


@pytest.mark.parametrize("username", ["fchef", "vu", "admin"])
def test_every_demo_case_page_shows_no_python_value(demo_app, username):
    client = demo_app.test_client()
    login(client, username)
    shown = 0
    for case_id in range(1, 33):
        response = client.get(f"/cases/{case_id}")
        if response.status_code != 200:
            continue
        shown += 1
        text = visible_text(response.get_data(as_text=True))
        assert not RAW.search(text), (case_id, RAW.search(text).group(0),
                                      text[max(RAW.search(text).start() - 80, 0):][:160])
    assert shown >= 5


def test_the_case_page_says_what_happens_next_and_folds_the_history(demo_app):
    client = demo_app.test_client()
    login(client, "fchef")
    page = client.get("/cases/7").get_data(as_text=True)
    summary = page[page.index('class="case-summary"'):page.index("</section>")]
    assert "Väntar på" in summary and "Nästa steg" in summary and "Sedan" in summary
    history = page[page.index('class="panel history"'):]
    assert history.startswith('class="panel history">')  # closed: no "open"
    assert "Visa historiken (" in history
    # each save of the dossier is one entry that expands to a before/after table
    assert re.search(r"\d+ fält ändrades", history)
    assert '<table class="data changes-table">' in history


def test_comments_merged_ideas_and_the_memo_tab_show_when_there_are_some(app, client):
    """The case page asks for comments and merged ideas only when the case's row says it has
    some, and shows the memo tab by the row as well (cases/service.py get_case, issue 14):
    with them, each shows; without, none does."""
    with app.app_context():
        bare, full, merged = case_in("council"), case_in("council"), case_in("council")
        cases.add_comment(user("vu"), full, "En kommentar som ska synas.")
        merged.merged_into_id = full.id  # as a merge leaves it (the history aside)
        db.session.add(DecisionMemo(case_id=full.id, proposal="Förslag"))
        db.session.commit()
        bare_id, full_id, merged_id = bare.id, full.id, merged.id
    login(client, "fchef")
    page = client.get(f"/cases/{full_id}").get_data(as_text=True)
    assert "En kommentar som ska synas." in page and "Inga kommentarer ännu." not in page
    assert "Sammanslagna idéer som drivs vidare här:" in page
    assert f'href="/cases/{merged_id}"' in page
    assert f'href="/cases/{full_id}/memo"' in page  # the tab, although council is no memo state
    page = client.get(f"/cases/{bare_id}").get_data(as_text=True)
    assert "Inga kommentarer ännu." in page
    assert "Sammanslagna idéer" not in page and f'href="/cases/{bare_id}/memo"' not in page
