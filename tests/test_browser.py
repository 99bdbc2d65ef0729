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


def _tab_to(page, label: str, limit: int = 80) -> None:
    """Press Tab until the focused element is the one labelled ``label`` (as a user would)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate("""() => {
            const el = document.activeElement;
            const byFor = el.id && document.querySelector(`label[for="${el.id}"]`);
            return (byFor && byFor.textContent || el.getAttribute('aria-label')
                    || el.value || el.textContent || '').trim();
        }""")
        if focused.startswith(label):
            return
    raise AssertionError(f"{label!r} cannot be reached with Tab")


def test_keyboard_only_submission(app):
    """No mouse and no programmatic focus: Tab, typing and Enter only."""
    with live_server(app) as url, chromium_page() as page:
        page.goto(f"{url}/login")
        page.keyboard.press("Tab")  # skip link first
        assert page.evaluate("document.activeElement.className") == "skip-link"
        _tab_to(page, "Användarnamn")
        page.keyboard.type("medarbetare")
        page.keyboard.press("Tab")
        page.keyboard.type("demo")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{url}/ideas/mine")
        _tab_to(page, "Ny idé")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{url}/ideas/new")
        _tab_to(page, "Rubrik")
        page.keyboard.type("Idé skriven med tangentbordet")
        page.keyboard.press("Tab")
        page.keyboard.type("Behovet beskrivet utan mus.")
        _tab_to(page, "Skicka in")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{url}/cases/*")
        assert page.get_by_role("heading", name="Idé skriven med tangentbordet").is_visible()
