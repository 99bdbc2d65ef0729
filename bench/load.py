"""Measure (e): HTTP throughput of gunicorn (2 workers) with 50 concurrent clients on
loopback, for logged-in pages of the app against a trivial route (/healthz of the app when it
has one, else of the throwaway baseline app). The clients are threads with ``requests``."""
from __future__ import annotations

import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests

from .report import Line

CLIENTS = 50
RATIO_GOAL = 0.3  # pages per second against /healthz per second (issue 14 item 6)
WARM_UP = 5.0  # seconds of load before each measurement
WORKERS = 2
LOGIN_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class LoadResult:
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    first_error: str = ""

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latencies) * 1000 if self.latencies else 0.0

    @property
    def p95_ms(self) -> float:
        if len(self.latencies) < 2:
            return self.median_ms
        return statistics.quantiles(self.latencies, n=20, method="inclusive")[18] * 1000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A gunicorn started by the benchmark, stopped by its own process id."""

    def __init__(self, app: str, env: dict[str, str], workdir: Path, name: str):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = (workdir / f"gunicorn-{name}.log").open("w")
        self.process = subprocess.Popen(
            [GUNICORN, "-w", str(WORKERS), "-b", f"127.0.0.1:{self.port}", "--log-level",
             "warning", app], cwd=PROJECT_ROOT, env={**os.environ, **env},
            stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, path: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log.name}")
            try:
                if requests.get(self.base + path, timeout=10).status_code < 500:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within {timeout} s")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def login(base: str, username: str) -> dict[str, str]:
    """The session cookies of a logged-in user (the form's CSRF token included)."""
    with requests.Session() as session:
        page = session.get(f"{base}/login", timeout=30).text
        match = LOGIN_TOKEN.search(page)
        answer = session.post(f"{base}/login", timeout=30, allow_redirects=False, data={
            "username": username, "password": "demo", "csrf_token": match.group(1) if match
            else ""})
        if answer.status_code != 302:
            raise RuntimeError(f"could not log in as {username}: HTTP {answer.status_code}")
        return session.cookies.get_dict()


def hammer(base: str, paths: list[str], seconds: float, cookies: dict[str, str] | None = None,
           clients: int = CLIENTS) -> LoadResult:
    """``clients`` threads request ``paths`` in turn for ``seconds``; non-200 answers and
    exceptions are errors."""
    result = LoadResult()
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client(number: int) -> None:
        with requests.Session() as session:
            session.cookies.update(cookies or {})
            turn = number
            while time.perf_counter() < deadline:
                path = paths[turn % len(paths)]
                turn += 1
                start = time.perf_counter()
                try:
                    ok = session.get(base + path, timeout=60,
                                     allow_redirects=False).status_code == 200
                    problem = "" if ok else f"HTTP status on {path}"
                except requests.RequestException as exc:
                    ok, problem = False, f"{type(exc).__name__} on {path}"
                elapsed = time.perf_counter() - start
                with lock:
                    result.requests += 1
                    result.latencies.append(elapsed)
                    if not ok:
                        result.errors += 1
                        result.first_error = result.first_error or problem

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(client, range(clients)))
    result.seconds = time.perf_counter() - start
    return result


def measure_throughput(url: str, workdir: Path, paths: list[str], username: str,
                       seconds: float, app_has_healthz: bool) -> list[Line]:
    env = {"DATABASE_URL": url, "INSTANCE_PATH": str(workdir), "SECRET_KEY": "bench",
           "MAIL_BACKEND": "none"}
    ours = Server("workflow:create_app()", env, workdir, "ours")
    try:
        ours.wait_ready("/login")
        cookies = login(ours.base, username)
        # Warm up both workers (imports, templates, connections; no hint index is built).
        hammer(ours.base, paths, WARM_UP, cookies)
        pages = hammer(ours.base, paths, seconds, cookies)
        if app_has_healthz:
            hammer(ours.base, ["/healthz"], WARM_UP)
            trivial = hammer(ours.base, ["/healthz"], seconds)
            where = "the app's /healthz"
    finally:
        ours.stop()
    if not app_has_healthz:
        bare = Server("bench.baseline_app:create_app()",
                      {"BENCH_BASELINE_DATABASE_URL": url}, workdir, "baseline")
        try:
            bare.wait_ready("/healthz")
            hammer(bare.base, ["/healthz"], WARM_UP)
            trivial = hammer(bare.base, ["/healthz"], seconds)
            where = "/healthz of the throwaway app"
        finally:
            bare.stop()
    errors_ok = pages.errors == 0 and trivial.errors == 0
    ratio = pages.rate / trivial.rate if trivial.rate else 0.0
    note = (f"{CLIENTS} clients, {seconds:g} s, gunicorn -w {WORKERS}; pages: case list and "
            f"case pages as {username} (app defaults: 25 rows a page); errors ours "
            f"{pages.errors}/{pages.requests}, baseline {trivial.errors}/{trivial.requests}; "
            f"baseline = {where}; the goal: ratio >= {RATIO_GOAL:g} and no error")
    if pages.first_error or trivial.first_error:
        note += f"; first error: {pages.first_error or trivial.first_error}"
    if url.startswith("postgresql"):
        goal, met = f">= {RATIO_GOAL:g}, 0 err", errors_ok and ratio >= RATIO_GOAL
    else:  # issue 14's goal names gunicorn with PostgreSQL; no error is asked of any
        goal, met = "0 err", (None if errors_ok else False)
        note += "; the ratio's goal is for PostgreSQL, reported only on SQLite"
    return [Line(f"(e) HTTP throughput, gunicorn, {CLIENTS} clients", pages.rate, trivial.rate,
                 "req/s", ratio, goal, met, note),
            Line("(e) latency under that load, p95", pages.p95_ms, trivial.p95_ms, "ms",
                 pages.p95_ms / trivial.p95_ms if trivial.p95_ms else 0.0, "", None,
                 f"median ours {pages.median_ms:.0f} ms, baseline {trivial.median_ms:.0f} ms; "
                 "reported only (ratio = ours / baseline)")]
