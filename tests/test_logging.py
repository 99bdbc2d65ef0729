"""Request ids and structured logs: one JSON object per line from the app (in-process and
under gunicorn) and the scheduler, and nothing about the anonymous submission paths, no query
strings, passwords, tokens or idea texts anywhere."""
from __future__ import annotations

import io
import json
import logging
import os
import re
import runpy
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests
from process_support import development_server, free_port, wait_for

from helpers import IDEA, unit
from workflow import create_app
from workflow.ops.seeding import seed_demo
from workflow.platform.extensions import db
from workflow.platform.logging_setup import (
    ACCESS_LOG_FORMAT,
    WITHHELD_MESSAGE,
    JsonFormatter,
    PrivacyFilter,
    request_log,
)
from workflow.platform.settings import PROJECT_ROOT

BIN = Path(sys.executable).parent
HEX_ID = re.compile(r"[0-9a-f]{32}\Z")
SECRET_TITLE = "Hemlig idé om nattpatrullen"


# --- request ids -----------------------------------------------------------------------------


def test_request_id_is_echoed_or_generated(client):
    given = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.2"})
    assert given.headers["X-Request-ID"] == "lb-7f3a.2"
    first, second = client.get("/login"), client.get("/login")
    assert HEX_ID.match(first.headers["X-Request-ID"])
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


@pytest.mark.parametrize("unsafe", ["x" * 129, "two words", "a\u00e5b", "<script>"])
def test_unsafe_request_id_is_replaced(client, unsafe):
    response = client.get("/login", headers={"X-Request-ID": unsafe})
    assert HEX_ID.match(response.headers["X-Request-ID"])


# --- JSON lines in-process -------------------------------------------------------------------


@pytest.fixture
def json_lines(monkeypatch) -> Callable[[], list[dict]]:
    """The app's log records as the JSON handler writes them. (Alembic's fileConfig in the
    migration fixtures disables loggers that exist already, so they are enabled here.)"""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(PrivacyFilter())
    parent = logging.getLogger("workflow")
    for logger in (parent, request_log):
        monkeypatch.setattr(logger, "disabled", False)
    monkeypatch.setattr(request_log, "level", logging.INFO)
    parent.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    parent.removeHandler(handler)


def _log_in(client, username: str = "medarbetare") -> None:
    response = client.post("/login", data={"username": username, "password": "demo"})
    assert response.status_code == 302


def test_request_lines_carry_the_request_and_the_user(client, json_lines):
    _log_in(client)
    response = client.get("/ideas/mine?q=Hemligtext", headers={"X-Request-ID": "probe-1"})
    assert response.status_code == 200
    lines = json_lines()
    [mine] = [line for line in lines if line.get("request_id") == "probe-1"]
    assert mine["logger"] == "workflow.request" and mine["level"] == "INFO"
    assert (mine["method"], mine["path"], mine["status"]) == ("GET", "/ideas/mine", 200)
    assert isinstance(mine["duration_ms"], float) and isinstance(mine["user_id"], int)
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00\Z", mine["time"])
    [login] = [line for line in lines if line.get("path") == "/login"]
    assert login["method"] == "POST" and login["status"] == 302
    text = json.dumps(lines)
    assert "Hemligtext" not in text and "demo" not in text


def test_anonymous_submission_and_status_link_leave_no_trace(app, client, json_lines):
    _log_in(client)
    with app.app_context():
        unit_id = unit().id
    response = client.post("/ideas/new", data={**IDEA, "title": SECRET_TITLE, "unit_id": unit_id,
                                               "anonymous_place": f"unit:{unit_id}", "anonymous": "y",
                                               "submit": "1"})
    assert response.status_code == 200
    token = re.search(r"/status/([A-Za-z0-9_-]+)", response.get_data(as_text=True)).group(1)
    assert client.get(f"/ideas/similar?title={SECRET_TITLE}").status_code == 200
    assert client.get(f"/status/{token}").status_code == 200
    lines = json_lines()
    assert [line["path"] for line in lines if line["logger"] == "workflow.request"] == [
        "/login", "/status/…"]
    text = json.dumps(lines, ensure_ascii=False)
    assert token not in text and SECRET_TITLE not in text and "/ideas" not in text
    # The visit is not tied to whoever is logged in in that browser (it used to carry user_id).
    [status_line] = [line for line in lines if line["path"] == "/status/…"]
    assert "user_id" not in status_line


def _record(name: str, level: int, message: str, args=None, exc_info=None) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, message, args, exc_info)


def test_an_error_on_a_submission_path_keeps_only_that_something_failed(app):
    try:
        raise ValueError(f"INSERT ... {SECRET_TITLE}")
    except ValueError:
        failure = sys.exc_info()
    with app.test_request_context("/ideas/new", method="POST"):
        warning = _record("workflow", logging.WARNING, "slow form")
        error = _record("workflow", logging.ERROR, "Exception on /ideas/new [POST]",
                        exc_info=failure)
        assert PrivacyFilter().filter(warning) is False
        assert PrivacyFilter().filter(error) is True
        line = json.loads(JsonFormatter().format(error))
    assert line["message"] == WITHHELD_MESSAGE and line["level"] == "ERROR"
    assert not {"path", "method", "request_id", "exception"} & set(line)
    with app.test_request_context("/cases/3", method="POST"):
        error = _record("workflow", logging.ERROR, "Exception on /cases/3 [POST]",
                        exc_info=failure)
        assert PrivacyFilter().filter(error) is True
        line = json.loads(JsonFormatter().format(error))
    assert line["path"] == "/cases/3" and "ValueError" in line["exception"]


@pytest.mark.parametrize("path, shown", [("/api/v1/cases", None), ("/ideas/similar", None),
                                         ("/api/v1/cases/12/events", None),
                                         ("/status/s3cr3t-token", "/status/…"),
                                         ("/ideas/mine", "/ideas/mine")])
def test_gunicorn_access_lines(path, shown):
    atoms = {"h": "203.0.113.9", "m": "GET", "U": path, "H": "HTTP/1.1", "s": "200",
             "B": 10, "M": 3, "{x-request-id}o": "r1"}
    record = _record("gunicorn.access", logging.INFO, ACCESS_LOG_FORMAT, (atoms,))
    kept = PrivacyFilter().filter(record)
    assert kept is (shown is not None)
    if kept:
        assert record.getMessage() == f'203.0.113.9 "GET {shown} HTTP/1.1" 200 10 3ms rid=r1'


STATUS_TOKEN = "Zq3-s3cr3t_t0ken"


def test_development_server_and_flask_logs_hide_status_tokens(make_app, monkeypatch):
    """werkzeug's access line and the app's error line ("unhandled error on GET <path>"), as
    ``flask run`` writes them in the default text mode. (Failed before: both carried the
    token.)"""
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    def broken(token):
        raise RuntimeError("the status page failed")

    app.add_url_rule("/status/<token>/test-failure", "test_status_failure", broken)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    loggers = [logging.getLogger("werkzeug"), app.logger]
    for logger in loggers:
        monkeypatch.setattr(logger, "disabled", False)  # Alembic's fileConfig disables them
        monkeypatch.setattr(logger, "level", logging.INFO)
        logger.addHandler(handler)
    try:
        with development_server(app) as base:
            assert requests.get(f"{base}/status/{STATUS_TOKEN}").status_code == 404
            assert requests.get(f"{base}/status/{STATUS_TOKEN}/test-failure").status_code == 500
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
    text = re.sub(r"\x1b\[[0-9;]*m", "", stream.getvalue())  # werkzeug's colours
    assert '"GET /status/… HTTP/1.1" 404' in text and "error on GET /status/…" in text
    assert STATUS_TOKEN not in text


def test_gunicorn_logger_class_hides_status_tokens_in_every_atom(tmp_path, monkeypatch):
    """config/gunicorn.conf.py's logger class with its access-log format, and with a format
    that prints every atom that could hold the path, on a synthetic request from the status
    page (percent-encoded, with a Referer). (Failed before: there was no logger class.)"""
    settings = runpy.run_path(str(PROJECT_ROOT / "config" / "gunicorn.conf.py"))
    from gunicorn.config import Config
    path, referer = f"/status/{STATUS_TOKEN}", f"https://ideer.example.se/status/{STATUS_TOKEN}"
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": f"/%73tatus/{STATUS_TOKEN}",
               "PATH_INFO": path, "QUERY_STRING": "", "SERVER_PROTOCOL": "HTTP/1.1",
               "REMOTE_ADDR": "203.0.113.9", "HTTP_REFERER": referer}
    request = SimpleNamespace(headers=[("REFERER", referer)])
    response = SimpleNamespace(status="200 OK", sent=512, headers=[("X-Request-ID", "r1")])
    everything = '"%(r)s" %(U)s "%(f)s" %({referer}i)s %({raw_uri}e)s %({http_referer}e)s'
    lines = []
    for number, log_format in enumerate([settings["access_log_format"], everything]):
        config, log_file = Config(), tmp_path / f"access{number}.log"
        config.set("accesslog", str(log_file))
        config.set("access_log_format", log_format)
        logger = settings["logger_class"](config)
        monkeypatch.setattr(logger.access_log, "disabled", False)
        try:
            logger.access(response, request, environ, timedelta(milliseconds=3))
        finally:
            for log in (logger.access_log, logger.error_log):
                for log_handler in list(log.handlers):
                    log_handler.close()
                    log.removeHandler(log_handler)
        lines.append(log_file.read_text().strip())
    assert lines[0] == '203.0.113.9 "GET /status/… HTTP/1.1" 200 512 3ms rid=r1'
    assert lines[1] == ('"GET /status/… HTTP/1.1" /status/… "https://ideer.example.se/status/…" '
                        "https://ideer.example.se/status/… /status/… "
                        "https://ideer.example.se/status/…")


def test_unknown_log_format_stops_start_up(database_uri):
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        create_app({"SQLALCHEMY_DATABASE_URI": database_uri, "LOG_FORMAT": "xml"})


# --- real processes --------------------------------------------------------------------------


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def seeded_sqlite(sqlite_template, tmp_path) -> str:
    path = tmp_path / "served.sqlite3"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "MAIL_BACKEND": "none"})
    with app.app_context():
        seed_demo(with_cases=False)
        db.engine.dispose()
    return url


def _environment(tmp_path: Path, database_url: str, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if key not in {"LOG_FORMAT", "LOG_LEVEL", "TRUSTED_PROXIES", "WEB_CONCURRENCY"}}
    env.update(DATABASE_URL=database_url, INSTANCE_PATH=str(tmp_path), SECRET_KEY="test",
               MAIL_BACKEND="none", PYTHONUNBUFFERED="1", **extra)
    return env


def _exercise(base: str) -> dict[str, str]:
    """Requests that must be logged (or not): returns what must never show up."""
    session = requests.Session()
    assert session.get(f"{base}/login?next=/secret-query",
                       headers={"X-Request-ID": "probe-1"}).status_code == 200
    token = session.post(f"{base}/api/v1/tokens",
                         json={"username": "medarbetare", "password": "demo"}).json()["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    me = session.get(f"{base}/api/v1/me", headers=bearer)
    assert me.status_code == 200
    unit_id = session.get(f"{base}/api/v1/units", headers=bearer).json()["items"][0]["id"]
    sent = session.post(f"{base}/api/v1/cases", headers=bearer, json={
        **IDEA, "title": SECRET_TITLE, "unit_id": unit_id, "anonymous": True})
    assert sent.status_code == 202, sent.text  # held until the nightly batch
    status_url = sent.json()["status_url"]
    assert session.get(f"{base}{status_url[status_url.index('/status/'):]}").status_code == 200
    assert session.get(f"{base}/ideas/similar", params={"title": SECRET_TITLE}).status_code in (
        200, 302)
    return {"api token": token, "status token": status_url.rsplit("/", 1)[1],
            "idea text": SECRET_TITLE, "password": '"demo"', "query": "secret-query",
            "submission path": "/api/v1/cases", "similar path": "/ideas/similar",
            "user id": str(me.json()["id"])}


@dataclass
class Served:
    """A gunicorn started with config/gunicorn.conf.py; ``stop`` before reading its logs, so
    that every line is written."""

    process: subprocess.Popen
    base: str
    out: Path
    err: Path

    def stop(self) -> None:
        _stop(self.process)


@pytest.fixture
def serve(tmp_path, seeded_sqlite):
    """Start gunicorn (one worker) in the given log format, answering /healthz."""
    started: list[Served] = []

    def start(log_format: str) -> Served:
        port = free_port()
        out, err = tmp_path / f"{log_format}.out", tmp_path / f"{log_format}.err"
        env = _environment(tmp_path, seeded_sqlite, LOG_FORMAT=log_format, PORT=str(port),
                           WEB_CONCURRENCY="1")
        with out.open("wb") as stdout, err.open("wb") as stderr:
            process = subprocess.Popen(
                [str(BIN / "gunicorn"), "--config", "config/gunicorn.conf.py"],
                cwd=PROJECT_ROOT, env=env, stdout=stdout, stderr=stderr)
        served = Served(process, f"http://127.0.0.1:{port}", out, err)
        started.append(served)

        def healthy() -> bool:
            assert process.poll() is None, err.read_text()
            try:
                return requests.get(f"{served.base}/healthz", timeout=5).status_code == 200
            except (requests.ConnectionError, requests.Timeout):  # not accepting yet / booting
                return False

        wait_for(healthy, 60, "gunicorn to answer /healthz")
        return served

    yield start
    for served in started:
        served.stop()


def test_gunicorn_json_logs(serve):
    served = serve("json")
    secrets = _exercise(served.base)
    served.stop()
    assert served.out.read_text() == ""  # no text access log beside the JSON lines
    text = served.err.read_text()
    lines = [json.loads(line) for line in text.splitlines()]
    assert {"gunicorn.error", "workflow.request"} <= {line["logger"] for line in lines}
    requests_logged = [line for line in lines if line["logger"] == "workflow.request"]
    [probe] = [line for line in requests_logged if line.get("request_id") == "probe-1"]
    assert (probe["method"], probe["path"], probe["status"]) == ("GET", "/login", 200)
    [me] = [line for line in requests_logged if line["path"] == "/api/v1/me"]
    assert str(me["user_id"]) == secrets.pop("user id")
    assert "/status/…" in {line["path"] for line in requests_logged}
    for what, secret in secrets.items():
        assert secret not in text, what


def test_gunicorn_text_access_log(serve):
    served = serve("text")
    secrets = _exercise(served.base)
    # Production settings: neither the server's version nor the schema revision for strangers.
    health = requests.get(f"{served.base}/healthz")
    assert health.headers["Server"] == "gunicorn"
    assert sorted(health.json()) == ["database", "migrations", "status"]
    served.stop()
    access, errors = served.out.read_text(), served.err.read_text()
    assert re.search(r'"GET /login HTTP/1.1" 200 \d+ \d+ms rid=probe-1$', access, re.M), access
    assert '"GET /status/… HTTP/1.1" 200' in access
    assert "[INFO] gunicorn.error: Booting worker" in errors
    del secrets["user id"]
    for what, secret in secrets.items():
        assert secret not in access + errors, what


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_gunicorn_config_keeps_the_app_out_of_the_master(log_format):
    """Workers forked after a reload (SIGHUP) import the app afresh only if the master never
    imported it."""
    code = ("import logging.config, runpy, sys; "
            "settings = runpy.run_path('config/gunicorn.conf.py'); "
            "logging.config.dictConfig(settings['logconfig_dict']); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'workflow'))")
    env = {**os.environ, "LOG_FORMAT": log_format}
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, env=env,
                            capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_scheduler_json_logs(seeded_sqlite, tmp_path):
    err = tmp_path / "scheduler.err"
    env = _environment(tmp_path, seeded_sqlite, LOG_FORMAT="json",
                       PYTHONPATH=str(PROJECT_ROOT / "tests"),
                       SCHEDULER_TEST_RUNS=str(tmp_path / "runs"))
    command = [str(BIN / "flask"), "--app", "scheduler_support:create_app", "scheduler",
               "--poll-seconds", "0.5", "--lease-seconds", "2"]
    with err.open("wb") as stderr:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env,
                                   stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        wait_for(lambda: '"event": "job_ran"' in err.read_text(), 60, "the scheduler's job")
    finally:
        _stop(process)
    lines = [json.loads(line) for line in err.read_text().splitlines()]
    events = [line.get("event") for line in lines if line["logger"] == "workflow.scheduler"]
    assert events[:2] == ["started", "became_leader"] and events[-1] == "stopped"
    [ran] = [line for line in lines if line.get("event") == "job_ran"][:1]
    assert ran["job"] == "test-record-run" and ran["level"] == "INFO"
