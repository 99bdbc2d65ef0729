"""WCAG 2.1 AA in practice: axe-core (run through Playwright in Debian's Chromium) finds no
serious or critical violation on any page, in Swedish and in English.

The pages are taken from the application's URL map, so a new page is checked without being
listed here: every GET page without parameters, plus the pages of one case, one meeting and the
public page with real ids from the demo data."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import select

from browser_support import CHROMIUM, CHROMIUM_ARGS, LOCALE, live_server
from workflow.models import Case, Meeting, Region
from workflow.ops.seeding import seed_demo
from workflow.platform.extensions import db

pytestmark = pytest.mark.browser

# Not HTML pages: downloads, and the status page needs a secret token.
SKIPPED_ENDPOINTS = {"static", "notifications.status", "auth.login"}
SKIPPED_SUFFIXES = (".csv", ".xlsx", ".pdf", ".json")
SERIOUS = {"serious", "critical"}
# Who looks at the pages: the förvaltningschef the staff pages, the portfolio, council and
# meetings; the region administrator the admin pages.
VIEWERS = ("fchef", "admin")


def _parameterless_pages(app) -> list[str]:
    pages = []
    for rule in app.url_map.iter_rules():
        if ("GET" not in rule.methods or rule.arguments or rule.endpoint in SKIPPED_ENDPOINTS
                or rule.rule.startswith("/api/") or rule.rule.endswith(SKIPPED_SUFFIXES)):
            continue
        pages.append(rule.rule)
    return sorted(pages)


def _pages_with_ids(app) -> list[str]:
    with app.app_context():
        case = db.session.scalar(select(Case).where(Case.state == "follow_up").limit(1)) or \
            db.session.scalar(select(Case).where(Case.state == "council").limit(1))
        meeting = db.session.scalar(select(Meeting).limit(1))
        region = db.session.scalar(select(Region).limit(1))
        pages = [f"/cases/{case.id}", f"/cases/{case.id}/dossier",
                 f"/cases/{case.id}/follow-up", f"/cases/{case.id}/memo",
                 f"/public/{region.id}", f"/delegation/{case.unit.department_id}",
                 f"/admin/delegation/{case.unit.department_id}"]
        if meeting is not None:
            pages += [f"/meetings/{meeting.id}", f"/meetings/{meeting.id}/minutes"]
        return pages


@contextmanager
def _browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _log_in(page, url: str, username: str) -> None:
    page.goto(f"{url}/login")
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord").fill("demo")
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url(lambda address: "/login" not in address)


def _violations(axe: Axe, page) -> list[str]:
    result = axe.run(page, options={"runOnly": {"type": "tag", "values": [
        "wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}, "resultTypes": ["violations"]})
    return [f"{v['id']} ({v['impact']}): {v['help']} – "
            + "; ".join(node["target"][0] if isinstance(node["target"][0], str)
                        else str(node["target"]) for node in v["nodes"][:3])
            for v in result.response["violations"] if v["impact"] in SERIOUS]


@pytest.mark.parametrize("database_uri", ["sqlite"], indirect=True)
def test_no_serious_axe_violations_on_any_page_in_swedish_or_english(make_app):
    app = make_app()
    with app.app_context():
        seed_demo()
    pages = _parameterless_pages(app) + _pages_with_ids(app)
    assert "/portfolio" in pages and "/ideas/new" in pages  # the URL map was really read
    axe = Axe()
    found: dict[str, list[str]] = {}
    with live_server(app) as url, _browser() as browser:
        anonymous = browser.new_context(bypass_csp=True, locale=LOCALE).new_page()
        anonymous.goto(f"{url}/login")
        found["sv anonym /login"] = _violations(axe, anonymous)
        for username in VIEWERS:
            context = browser.new_context(bypass_csp=True, locale=LOCALE, viewport={"width": 1280, "height": 900})
            page = context.new_page()
            _log_in(page, url, username)
            for language in ("sv", "en"):
                if language == "en":
                    page.get_by_role("button", name="English").click()
                    page.wait_for_load_state()
                _check_pages(axe, page, url, username, pages, language, found)
            context.close()
    checked = len(found)
    problems = {page: v for page, v in found.items() if v}
    assert checked > 1.5 * len(pages), f"only {checked} pages could be opened"
    assert not problems, "\n".join(f"{page}: {v}" for page, v in problems.items())


def _check_pages(axe: Axe, page, url: str, username: str, pages: list[str], label: str,
                 found: dict[str, list[str]], reflow: bool = False) -> None:
    """axe on each of ``pages`` that ``username`` checks, into ``found`` under ``label``;
    with ``reflow`` also whether the page itself scrolls sideways (WCAG 1.4.10)."""
    for path in pages:
        if (username == "admin") != path.startswith("/admin"):
            continue  # fchef checks the shared pages, admin the admin pages
        response = page.goto(f"{url}{path}")
        if response.status in (403, 404):
            continue  # not this viewer's page; another viewer checks it
        if not response.headers.get("content-type", "").startswith("text/html"):
            continue  # JSON such as /healthz
        found[f"{label} {username} {path}"] = _violations(axe, page) + (
            _sideways(page) if reflow else [])


def _sideways(page) -> list[str]:
    width = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    return [f"reflow: the page is {width[0]} px wide at {width[1]} px"] if width[0] > width[1] \
        else []


PHONE = {"width": 390, "height": 844}


@pytest.mark.parametrize("database_uri", ["sqlite"], indirect=True)
def test_no_serious_axe_violations_on_any_page_at_a_phones_width(make_app):
    """The same pages at 390 px, in Swedish: tables, charts and diagrams that scroll sideways
    must be reachable by keyboard, and no page may scroll sideways itself (one language keeps
    it quick; English is checked at 1280 px)."""
    app = make_app()
    with app.app_context():
        seed_demo()
    pages = _parameterless_pages(app) + _pages_with_ids(app)
    axe = Axe()
    found: dict[str, list[str]] = {}
    with live_server(app) as url, _browser() as browser:
        anonymous = browser.new_context(bypass_csp=True, locale=LOCALE, viewport=PHONE,
                                        is_mobile=True, has_touch=True).new_page()
        anonymous.goto(f"{url}/login")
        found["390 sv anonym /login"] = _violations(axe, anonymous)
        for username in VIEWERS:
            context = browser.new_context(bypass_csp=True, locale=LOCALE, viewport=PHONE,
                                          is_mobile=True, has_touch=True)
            page = context.new_page()
            _log_in(page, url, username)
            assert page.locator("html").get_attribute("lang") == "sv"
            _check_pages(axe, page, url, username, pages, "390 sv", found, reflow=True)
            context.close()
    problems = {page: v for page, v in found.items() if v}
    assert len(found) > 0.75 * len(pages), f"only {len(found)} pages could be opened"
    assert not problems, "\n".join(f"{page}: {v}" for page, v in problems.items())
