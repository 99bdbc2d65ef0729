"""Logging for operations: a request id on every request and, with ``LOG_FORMAT=json``, one
JSON object per line from the web app, the scheduler and gunicorn (config/gunicorn.conf.py).

What never reaches a log line: request bodies and query strings (passwords, tokens, idea
texts), SQL parameters (``hide_parameters`` in JSON mode), the secret token of a status link
(``/status/…`` is logged as such, in any message of any logger that passes a filter here, in
werkzeug's and gunicorn's access lines, and a status-link visit is not tied to the user who
may be logged in), and anything at all about the anonymous submission paths
(``UNLOGGED_PATHS``): their requests are not logged, and an error while handling one is kept
only as "an error happened", without path, message or traceback.

The default (``LOG_FORMAT=text``) stays human-readable and leaves logging as it was, except
for the ``X-Request-ID`` response header.

This module imports nothing from the ``workflow`` package at import time: gunicorn's master
process loads it from its file, so that the master never imports the app.
"""
from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import datetime, timezone
from typing import Any

from flask import Flask, Response, g, has_request_context, request
from sqlalchemy import inspect
from sqlalchemy.exc import NoInspectionAvailable

LOG_FORMATS = ("text", "json")
REQUEST_ID_HEADER = "X-Request-ID"
# A client's (or proxy's) request id is kept only if it is short and harmless to log.
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}\Z")
# The path segment after these prefixes is a secret (the anonymous submitter's status link).
SECRET_PATH_PREFIXES = ("/status/",)
REDACTED = "…"
# Such a path anywhere in a text (a message, a request line, a Referer header).
_SECRET_IN_TEXT = re.compile(
    "(" + "|".join(re.escape(prefix) for prefix in SECRET_PATH_PREFIXES) + r")[^\s?#&\"']+")
QUIET_PATHS = ("/healthz",)  # polled every few seconds: logged at DEBUG only
WITHHELD_MESSAGE = "error while handling an anonymous submission request (details withheld)"

request_log = logging.getLogger("workflow.request")

# The standard text line of the root logger, in gunicorn and elsewhere.
TEXT_FORMAT = "%(asctime)s [%(process)d] [%(levelname)s] %(name)s: %(message)s"
# gunicorn's access log in text mode: the path without its query string, the request id.
ACCESS_LOG_FORMAT = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms rid=%({x-request-id}o)s'
# werkzeug's development-server access line; in JSON mode the app's own request line
# replaces it (it carries the query string, which may hold idea texts).
_WERKZEUG_ACCESS_LINE = re.compile(r'"[A-Z]+ \S+ HTTP/[0-9.]+" ')


def unlogged_paths() -> tuple[str, ...]:
    # Imported when first needed, and absolutely: gunicorn's master loads this file as a
    # module of its own, without the app (see config/gunicorn.conf.py).
    from workflow import UNLOGGED_PATHS
    return UNLOGGED_PATHS


def is_unlogged(path: str) -> bool:
    """True for the anonymous submission endpoints and anything below them."""
    return any(path == prefix or path.startswith(prefix + "/") for prefix in unlogged_paths())


def loggable_path(path: str) -> str:
    """The path with secret segments replaced, e.g. ``/status/…``."""
    for prefix in SECRET_PATH_PREFIXES:
        if path.startswith(prefix) and len(path) > len(prefix):
            return prefix + REDACTED
    return path


def redact_secrets(text: str) -> str:
    """``text`` with every status-link token replaced, e.g. ``GET /status/… HTTP/1.1``."""
    if not any(prefix in text for prefix in SECRET_PATH_PREFIXES):
        return text
    return _SECRET_IN_TEXT.sub(lambda match: match.group(1) + REDACTED, text)


def redact_access_atoms(atoms: dict[str, Any]) -> dict[str, Any]:
    """gunicorn's access-log atoms without status-link tokens, whatever the format uses:
    path, request line, Referer, request and response headers, environ."""
    redacted = {key: redact_secrets(value) if isinstance(value, str) else value
                for key, value in atoms.items()}
    path = atoms.get("U")
    if isinstance(path, str) and loggable_path(path) != path:
        # The raw URI may spell the path differently (percent-encoded): replace it whole.
        shown = loggable_path(path)
        redacted["r"] = f"{atoms.get('m', '-')} {shown} {atoms.get('H', '-')}"
        redacted["{raw_uri}e"] = shown
    return redacted


# --- the app: request id and request lines ---------------------------------------------------


def configure_logging(app: Flask) -> None:
    """Call before ``db.init_app`` (JSON mode hides SQL parameters from engine errors)."""
    log_format = str(app.config.get("LOG_FORMAT") or "text").lower()
    if log_format not in LOG_FORMATS:
        raise ValueError(f"LOG_FORMAT={log_format!r}: use one of {', '.join(LOG_FORMATS)}")
    app.config["LOG_FORMAT"] = log_format
    if log_format == "json":
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options.setdefault("hide_parameters", True)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
        install_json_root_handler(app.config.get("LOG_LEVEL") or "INFO")
    app.before_request(_start_request)
    app.after_request(_finish_request)
    # In text mode nothing else filters the development server's access lines nor Flask's
    # "Exception on /status/<token> [GET]".
    for name in ("werkzeug", app.logger.name):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecretPaths) for f in logger.filters):
            logger.addFilter(RedactSecretPaths())


def install_json_root_handler(level: str | int = "INFO") -> None:
    """JSON lines on stderr for the whole process, unless logging is already configured
    (gunicorn configures it from its config file, pytest captures it)."""
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(PrivacyFilter())
    handler.addFilter(DropWerkzeugAccessLines())
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)


def _start_request() -> None:
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def _finish_request(response: Response) -> Response:
    request_id = g.get("request_id") or uuid.uuid4().hex
    response.headers[REQUEST_ID_HEADER] = request_id
    path = request.path
    if is_unlogged(path):
        return response
    level = logging.DEBUG if path in QUIET_PATHS else logging.INFO
    if request_log.isEnabledFor(level):
        started = g.get("request_started")
        duration_ms = round((time.perf_counter() - started) * 1000, 1) if started else None
        request_log.log(level, "%s %s %s", request.method, loggable_path(path),
                        response.status_code,
                        extra={"status": response.status_code, "duration_ms": duration_ms})
    return response


def current_user_id() -> int | None:
    """The signed-in user's id, if the request already loaded the user (web session or API
    token). Never triggers a query: the formatter may run anywhere."""
    for candidate in (g.get("api_user"), g.get("_login_user")):
        if candidate is None:
            continue
        try:
            identity = inspect(candidate).identity
        except NoInspectionAvailable:  # flask-login's anonymous user
            continue
        if identity:
            return identity[0]
    return None


def request_fields() -> dict[str, Any]:
    if not has_request_context():
        return {}
    path = loggable_path(request.path)
    fields: dict[str, Any] = {"request_id": g.get("request_id"), "method": request.method,
                              "path": path}
    user_id = current_user_id() if path == request.path else None  # no user on /status/…
    if user_id is not None:
        fields["user_id"] = user_id
    return fields


# --- formatting and filtering ----------------------------------------------------------------


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, and where
    known request_id, method, path, user_id, status, duration_ms; the scheduler's ``event``
    and its fields; ``exception`` with the traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc)
            .isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if not getattr(record, "withheld", False):
            entry.update(request_fields())
        for key in ("status", "duration_ms", "event"):
            value = getattr(record, key, None)
            if value is not None:
                entry[key] = value
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update({key: value for key, value in fields.items() if key not in entry})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def _record_path(record: logging.LogRecord) -> str | None:
    """The path a record is about: gunicorn's access atoms, or the request being handled."""
    if record.name == "gunicorn.access" and isinstance(record.args, dict):
        return record.args.get("U")
    if has_request_context():
        return request.path
    return None


class PrivacyFilter(logging.Filter):
    """Drops every record about an anonymous submission path (an error is kept, stripped of
    everything but its level and logger) and hides status-link tokens in access lines and
    in every message."""

    def filter(self, record: logging.LogRecord) -> bool:
        path = _record_path(record)
        if path is not None and is_unlogged(path):
            if record.levelno < logging.ERROR or record.name == "gunicorn.access":
                return False
            _withhold(record)
            return True
        if record.name == "gunicorn.access" and isinstance(record.args, dict):
            record.args.update(redact_access_atoms(record.args))
        _redact_message(record)
        return True


class RedactSecretPaths(logging.Filter):
    """Replaces status-link tokens in a record's message (werkzeug's access line, Flask's
    "Exception on /status/<token> [GET]", gunicorn's "Error handling request /status/…")."""

    def filter(self, record: logging.LogRecord) -> bool:
        _redact_message(record)
        return True


def _redact_message(record: logging.LogRecord) -> None:
    if isinstance(record.args, dict):  # gunicorn's access atoms: see redact_access_atoms
        return
    try:
        message = record.getMessage()
    except (TypeError, ValueError):  # a broken format: logging reports it itself
        return
    redacted = redact_secrets(message)
    if redacted != message:
        record.msg, record.args = redacted, None


def _withhold(record: logging.LogRecord) -> None:
    record.msg, record.args = WITHHELD_MESSAGE, None
    record.exc_info, record.exc_text, record.stack_info = None, None, None
    record.withheld = True


class DropWerkzeugAccessLines(logging.Filter):
    """In JSON mode the app logs each request itself; werkzeug's line would repeat it with
    the query string."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.name == "werkzeug"
                    and _WERKZEUG_ACCESS_LINE.search(record.getMessage()) is not None)


# --- gunicorn --------------------------------------------------------------------------------


def gunicorn_logconfig(log_format: str, level: str = "INFO") -> dict[str, Any]:
    """gunicorn's ``logconfig_dict``: the root logger (the app), gunicorn's error log and, in
    text mode, its access log; JSON mode leaves the access log to the app's request lines."""
    json_mode = log_format == "json"
    formatter = "json" if json_mode else "text"
    filters = ["privacy"]
    handlers: dict[str, Any] = {
        "stderr": {"class": "logging.StreamHandler", "formatter": formatter,
                   "filters": filters, "stream": "ext://sys.stderr"},
        "access": {"class": "logging.StreamHandler", "formatter": "access",
                   "filters": filters, "stream": "ext://sys.stdout"},
        "null": {"class": "logging.NullHandler"},
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"privacy": {"()": f"{__name__}.PrivacyFilter"}},
        "formatters": {
            "json": {"()": f"{__name__}.JsonFormatter"},
            "text": {"format": TEXT_FORMAT},
            "access": {"format": "%(message)s"},
        },
        "handlers": handlers,
        "root": {"level": level.upper(), "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {"level": level.upper(), "handlers": ["stderr"],
                               "propagate": False},
            "gunicorn.access": {"level": "INFO", "propagate": False,
                                "handlers": ["null" if json_mode else "access"]},
            # In text mode gunicorn's access log already has a line per request.
            "workflow.request": {"level": "INFO" if json_mode else "WARNING"},
        },
    }
