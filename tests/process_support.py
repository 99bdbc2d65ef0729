"""For tests that start real processes (gunicorn, the scheduler): free ports and bounded waits."""
from __future__ import annotations

import socket
import time
from typing import Callable


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
