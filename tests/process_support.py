"""For tests that start real servers (gunicorn, the scheduler, the development server): free
ports and bounded waits."""
from __future__ import annotations

import socket
import time
from contextlib import contextmanager
from typing import Callable, Iterator


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition: Callable[[], bool], seconds: float, what: str,
             interval: float = 0.1) -> None:
    """Poll ``condition`` until it holds; fail after ``seconds`` naming ``what``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise AssertionError(f"gave up waiting for {what} after {seconds} s")


@contextmanager
def development_server(app) -> Iterator[str]:
    """werkzeug's development server (what ``flask run`` starts) for ``app`` in a thread, on a
    free port; yields its base URL."""
    from browser_support import live_server
    with live_server(app) as base:
        yield base
