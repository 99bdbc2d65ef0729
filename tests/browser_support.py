"""A live server in a thread and Debian's Chromium through Playwright, for browser tests."""
from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Iterator

from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
# The browser asks for Swedish, as the region's staff's browsers do; English is chosen in the
# header (the app also follows an English browser: test_web's login-message test).
LOCALE = "sv-SE"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@contextmanager
def live_server(app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@contextmanager
def chromium_page(width: int = 1280, height: int = 900) -> Iterator[object]:
    with chromium() as browser:
        yield browser.new_page(viewport={"width": width, "height": height}, locale=LOCALE)


@contextmanager
def chromium() -> Iterator[object]:
    """Debian's Chromium; open pages (e.g. one per screen width) with ``new_page``."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
