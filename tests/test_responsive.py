"""Every role's main pages at a phone's 390 px and a desktop's 1280 px (issue 15): no sideways
scrolling of the page (a wide table may scroll inside its own region), no Python value shown,
and the case page of demo case 7 within about three screens with the history folded."""
from __future__ import annotations

import re

import pytest

from browser_support import LOCALE, chromium, live_server

pytestmark = pytest.mark.browser

RAW = re.compile(r"\bTrue\b|\bFalse\b|\bNone\b|\{'|\['|Decimal\(")
JOURNEYS = {
    "medarbetare": ["/ideas/new", "/ideas/mine", "/todo", "/cases", "/cases/1", "/notifications"],
    "chef": ["/todo", "/cases", "/cases/3", "/meetings"],
    "vu": ["/todo", "/cases/7", "/cases/7/dossier", "/plan"],
    "rad": ["/todo", "/council", "/meetings"],
    "fchef": ["/todo", "/cases/7", "/portfolio", "/delegation/anmalan"],
    "namnd": ["/todo", "/cases", "/delegation/anmalan"],
}
WIDTHS = (390, 1280)


def test_every_role_main_pages_fit_phone_and_desktop_and_the_case_page_is_short(demo_app):
    problems = []
    with live_server(demo_app) as url, chromium() as browser:
        for username, paths in JOURNEYS.items():
            for width in WIDTHS:
                page = browser.new_page(viewport={"width": width, "height": 900}, locale=LOCALE)
                page.goto(f"{url}/login")
                page.fill("#username", username)
                page.fill("#password", "demo")
                page.click("#submit")
                for path in paths:
                    response = page.goto(url + path)
                    if response.status != 200:
                        problems.append((username, width, path, response.status))
                        continue
                    scroll = page.evaluate("document.documentElement.scrollWidth")
                    if scroll > width:
                        problems.append((username, width, path, f"{scroll} px wide"))
                    text = page.inner_text("main")
                    raw = RAW.search(text)
                    if raw:
                        problems.append((username, width, path, text[max(raw.start() - 60, 0):]
                                         [:120]))
                if username == "fchef" and width == 1280:
                    # demo case 7 (a full dossier) within about three screens, history folded
                    page.goto(f"{url}/cases/7")
                    folded = page.evaluate("document.documentElement.scrollHeight")
                    assert folded <= 3 * 900
                    page.click("details.history > summary")
                    assert page.evaluate("document.documentElement.scrollHeight") > folded
                page.close()
    assert problems == []
