"""Menus per role (issue 15): staff see what staff use; other items for those who act there."""
from __future__ import annotations

import re

import pytest

from helpers import login

ALL = {"Ny idé", "Mina idéer", "Att göra", "Ärenden", "Digitaliseringsplan", "Möten",
       "Prioritering", "Förvaltningsobjekt"}


def menu(client) -> set[str]:
    page = client.get("/ideas/mine").get_data(as_text=True)
    nav = page[page.index('aria-label="Huvudmeny"'):page.index("</nav>")]
    return set(re.findall(r">([^<>]+)</a>", nav)) & ALL


@pytest.mark.parametrize("username, hidden", [
    ("medarbetare", {"Digitaliseringsplan", "Möten", "Prioritering", "Förvaltningsobjekt"}),
    ("chef", {"Digitaliseringsplan", "Prioritering", "Förvaltningsobjekt"}),
    ("vu", set()),
    ("rad", {"Förvaltningsobjekt"}),
    ("fchef", set()),
    ("infosak", {"Digitaliseringsplan", "Möten", "Prioritering"}),
])
def test_each_role_sees_its_own_menu(app, username, hidden):
    client = app.test_client()
    login(client, username)
    assert menu(client) == ALL - hidden


def test_a_hidden_item_is_only_hidden_not_a_new_rule(app):
    """The menu is not access control: the pages keep their own rules."""
    client = app.test_client()
    login(client, "medarbetare")
    assert client.get("/plan").status_code == 200


def test_an_english_browser_is_greeted_in_english_until_a_language_is_chosen(app):
    client = app.test_client()
    english = {"Accept-Language": "en-US,en;q=0.9"}
    page = client.get("/cases", headers=english, follow_redirects=True).get_data(as_text=True)
    assert "Log in to continue." in page and "Logga in för att fortsätta." not in page
    # No preference, or Swedish first: Swedish.
    assert "Logga in" in client.get("/login").get_data(as_text=True)
    swedish = {"Accept-Language": "sv-SE,sv;q=0.9,en;q=0.8"}
    assert "Logga in" in client.get("/login", headers=swedish).get_data(as_text=True)
    # The header's choice wins over the browser.
    client.post("/language", data={"lang": "sv", "next": "/login"})
    assert "Logga in" in client.get("/login", headers=english).get_data(as_text=True)
