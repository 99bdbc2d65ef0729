"""gunicorn settings for Idéflödet: ``make serve``, deploy/systemd/idefloedet-web.service.

    gunicorn --config config/gunicorn.conf.py

Every value comes from the environment (docs/deploy.md lists them): HOST and PORT
(127.0.0.1:8000), WEB_CONCURRENCY workers (4), GUNICORN_THREADS per worker (1),
GUNICORN_TIMEOUT seconds per request (60), FORWARDED_ALLOW_IPS (127.0.0.1,::1: the proxies
whose X-Forwarded-Proto gunicorn believes), LOG_FORMAT (text or json), LOG_LEVEL (info).

The access log never shows query strings (``/ideas/similar?title=…`` carries idea texts) nor
the anonymous submission paths (workflow.UNLOGGED_PATHS), nor status-link tokens (the logger
class below takes them out of every access-log atom, whatever access_log_format says); with
LOG_FORMAT=json the app's own request lines (with request id and user id) replace it.
Responses say ``Server: gunicorn``, without a version (gunicorn sends no more than that).
"""
from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

from gunicorn.glogging import Logger

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _logging_setup() -> ModuleType:
    """workflow/platform/logging_setup.py as a module of its own. Importing it as
    ``workflow.platform.logging_setup`` would import the whole app into the master process,
    and the workers that a reload (SIGHUP) forks would then run the old code."""
    name = "idefloedet_gunicorn_logging"
    spec = importlib.util.spec_from_file_location(
        name, PROJECT_ROOT / "workflow" / "platform" / "logging_setup.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # logging's dictConfig finds the formatter classes by name
    spec.loader.exec_module(module)
    return module


_logging = _logging_setup()


class RedactingLogger(Logger):
    """gunicorn's logger, with status-link tokens replaced (``/status/…``) in the path, the
    request line, the Referer and every header or environ atom of each access-log line."""

    def atoms(self, resp, req, environ, request_time):
        return _logging.redact_access_atoms(super().atoms(resp, req, environ, request_time))



def _address(host: str, port: str) -> str:
    if ":" in host and not host.startswith("["):  # an IPv6 address
        host = f"[{host}]"
    return f"{host}:{port}"


wsgi_app = "workflow:create_app()"
chdir = str(PROJECT_ROOT)
proc_name = "idefloedet"
bind = [_address(os.environ.get("HOST") or "127.0.0.1", os.environ.get("PORT") or "8000")]

workers = int(os.environ.get("WEB_CONCURRENCY") or 4)
threads = int(os.environ.get("GUNICORN_THREADS") or 1)
# PDF exports (WeasyPrint) are the slowest requests; the proxy's timeout should be longer.
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 60)
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, so that a slow leak cannot grow without bound.
max_requests = 2000
max_requests_jitter = 200
# Heartbeat files in memory: a slow or full disk must not get healthy workers killed.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# Behind nginx on the same host; with TRUSTED_PROXIES the app itself applies X-Forwarded-*.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS") or "127.0.0.1,::1"

_log_format = (os.environ.get("LOG_FORMAT") or "text").lower()
loglevel = (os.environ.get("LOG_LEVEL") or "info").lower()
errorlog = "-"
accesslog = None if _log_format == "json" else "-"
logger_class = RedactingLogger
access_log_format = _logging.ACCESS_LOG_FORMAT
logconfig_dict = _logging.gunicorn_logconfig(_log_format, loglevel)

# gunicorn's control socket (gunicornc) is not used; several instances on one host would share
# its default path.
control_socket_disable = True
