"""A person in Debian's Chromium: log in, submit an idea, find it in Mina idéer."""
from __future__ import annotations

import pytest

from browser_support import chromium_page, live_server

pytestmark = pytest.mark.browser


def test_staff_submits_an_idea_and_finds_it_in_mina_ideer(app):
    title = "Digitala nyckelskåp i hemtjänsten"
    with live_server(app) as url, chromium_page() as page:
        page.goto(f"{url}/login")
        page.get_by_label("Användarnamn").fill("medarbetare")
        page.get_by_label("Lösenord").fill("demo")
        page.get_by_role("button", name="Logga in").click()
        page.get_by_role("link", name="Ny idé").first.click()
        page.get_by_label("Rubrik").fill(title)
        page.get_by_label("Behov").fill("Vi lägger en timme per pass på att hämta nycklar.")
        page.get_by_label("Förväntad effekt").fill("Mer tid hos brukarna.")
        page.get_by_role("button", name="Skicka in").click()
        assert page.get_by_role("heading", name=title).is_visible()
        page.get_by_role("link", name="Mina idéer").click()
        row = page.get_by_role("row").filter(has_text=title)
        assert row.count() == 1
        assert "Inlämnad" in row.inner_text()
        assert "väntar på att din chef tar upp den på APT" in row.inner_text()


def test_keyboard_only_submission(app):
    with live_server(app) as url, chromium_page() as page:
        page.goto(f"{url}/login")
        page.keyboard.press("Tab")  # skip link first
        assert page.evaluate("document.activeElement.className") == "skip-link"
        page.get_by_label("Användarnamn").focus()
        page.keyboard.type("medarbetare")
        page.keyboard.press("Tab")
        page.keyboard.type("demo")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{url}/ideas/mine")
        page.goto(f"{url}/ideas/new")
        page.get_by_label("Rubrik").focus()
        page.keyboard.type("Idé skriven med tangentbordet")
        page.keyboard.press("Tab")
        page.keyboard.type("Behovet beskrivet utan mus.")
        page.get_by_role("button", name="Skicka in").focus()
        page.keyboard.press("Enter")
        page.wait_for_url(f"{url}/cases/*")
        assert page.get_by_role("heading", name="Idé skriven med tangentbordet").is_visible()
