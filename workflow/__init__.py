"""Idéflödet: from an employee's idea to a documented investment decision."""
from __future__ import annotations

import logging
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import Flask, g, has_request_context, request, session
from flask_babel import lazy_gettext
from flask_login import current_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload, undefer
from werkzeug.middleware.proxy_fix import ProxyFix

from workflow.calc.prioritisation import load_config as load_prioritisation
from workflow.calc.procurement import load_thresholds
from workflow.council.service import CONFIG_KEY as PRIORITISATION_KEY
from workflow.dossier.service import THRESHOLDS_KEY
from workflow.notifications.service import RULES_KEY, load_rules
from workflow.platform import audit, read_only, sqlite_functions
from workflow.platform.extensions import babel, csrf, db, login_manager
from workflow.platform.logging_setup import configure_logging, is_unlogged, loggable_path
from workflow.platform.server_details import exposes_server_details, hide_dev_server_banner
from workflow.platform.settings import PROJECT_ROOT, load_settings
from workflow.portfolio.service import TARGETS_KEY, load_targets
from workflow.processes.registry import (
    EXTENSION_KEY,
    FEATURES_KEY,
    configured_features,
    require_features,
)
from workflow.states import ProcessRegistry

# Requests whose access-log line could be matched against an anonymous idea's arrival.
UNLOGGED_PATHS = ("/ideas/new", "/ideas/similar", "/api/v1/cases")


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    instance_path = Path(os.environ.get("INSTANCE_PATH", PROJECT_ROOT / "instance"))
    app = Flask(__name__, instance_path=str(instance_path),
                template_folder=str(PROJECT_ROOT / "templates"))
    app.config.update(load_settings(instance_path, overrides))
    configure_logging(app)  # before the database: JSON logs hide SQL parameters
    if app.config.get("TRUSTED_PROXIES"):  # X-Forwarded-* from that many proxies in front
        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops,
                                x_port=hops)

    # A broken process definition stops start-up here, naming the file and the entry.
    app.extensions[EXTENSION_KEY] = ProcessRegistry.from_directory(Path(app.config["PROCESS_DIR"]))
    app.extensions[THRESHOLDS_KEY] = load_thresholds(Path(app.config["PROCUREMENT_THRESHOLDS"]))
    app.extensions[PRIORITISATION_KEY] = load_prioritisation(
        Path(app.config["PRIORITISATION_CONFIG"]))
    app.extensions[TARGETS_KEY] = load_targets(Path(app.config["PORTFOLIO_CONFIG"]))
    app.extensions[RULES_KEY] = load_rules(
        Path(app.config["NOTIFICATION_RULES"]),
        {s for p in app.extensions[EXTENSION_KEY].all() for s in p.definition.states})
    # So does a definition that would switch a feature off (workflow/states/features.py).
    require_features(app.extensions[EXTENSION_KEY], app.extensions[RULES_KEY])
    app.extensions[FEATURES_KEY] = configured_features(app.extensions[RULES_KEY])

    sqlite_functions.init_app()  # what SQLite's statements call in Python (before connecting)
    db.init_app(app)
    read_only.init_app(app)  # a request that only read commits: psycopg keeps its prepared plans
    audit.install()  # the case history's hash chain
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    _init_login(app)
    from workflow.people import sso
    sso.init_app(app)

    from workflow.ops import cli, migrations
    migrations.init_app(app)  # `flask db`: Alembic only when it runs (ops/migrations.py)
    from workflow.platform import templating
    from workflow.views import register_blueprints
    register_blueprints(app)
    templating.init_app(app)
    cli.init_app(app)
    _quiet_submission_logs()
    app.after_request(_security_headers)
    if not exposes_server_details(app):
        hide_dev_server_banner()
    return app


def _select_locale() -> str:
    from flask import current_app
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # the CLI and the scheduler speak Swedish
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if request.path.startswith("/api/"):
        return request.accept_languages.best_match(languages) or languages[0]
    chosen = session.get("lang")
    if chosen in languages:  # the language the person picked in the header
        return chosen
    # Until then the browser's preference, so an English browser is greeted in English;
    # Swedish when the browser names neither.
    return (request.accept_languages.best_match(languages)
            or current_app.config["BABEL_DEFAULT_LOCALE"])


@lru_cache(maxsize=2)
def user_statement(with_newest_process: bool = False):
    """The logged-in user with their roles and unread count, built once (issue 14: building
    the loader options cost a tenth of a small page). ``with_newest_process``: also the
    newest stored process version's id, the registry's check of this request
    (workflow/processes/registry.py ``note_newest``), as the row's second column."""
    from workflow.models import User
    from workflow.processes.store import NEWEST
    return (select(User, *([NEWEST] if with_newest_process else []))
            .where(User.id == bindparam("id"))
            .options(joinedload(User.role_assignments), undefer(User.unread_notifications)))


def _init_login(app: Flask) -> None:
    from workflow.models import User
    from workflow.people import accounts
    from workflow.processes import registry

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = lazy_gettext("Logga in för att fortsätta.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        if not (user_id.isascii() and user_id.isdigit()):
            return None
        # Every logged-in page reads the roles (menu, access checks): load them in the same
        # statement as the user, and the registry's check for new process versions with them.
        newest = registry.newest_wanted()
        row = db.session.execute(user_statement(newest), {"id": int(user_id)}).unique() \
            .one_or_none()
        if newest and row is not None:
            registry.note_newest(row[1])
        user = row[0] if row is not None else None
        # A session ends on the server when its user logs out anywhere or gets a new password:
        # a (copied) cookie of an older session generation is refused.
        if user is None or not accounts.session_is_current(
                user, session.get(accounts.SESSION_GENERATION_KEY)):
            return None
        return user


class _DropSubmissionAccessLog(logging.Filter):
    """Anonymous ideas must leave no trace: drop access-log lines for submission endpoints."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not any(f" {path}" in message for path in UNLOGGED_PATHS)


def _quiet_submission_logs() -> None:
    logger = logging.getLogger("werkzeug")
    if not any(isinstance(f, _DropSubmissionAccessLog) for f in logger.filters):
        logger.addFilter(_DropSubmissionAccessLog())


# The app uses none of these browser features; nothing it serves may ask for them.
PERMISSIONS_POLICY = ("accelerometer=(), autoplay=(), camera=(), display-capture=(), "
                      "geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
                      "midi=(), payment=(), publickey-credentials-get=(), usb=()")


def _security_headers(response):
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if has_request_context() and loggable_path(request.path) != request.path:
        # A status link's token must not travel on in a Referer (to the static files, whose
        # requests a proxy's access log may record with their Referer).
        response.headers["Referrer-Policy"] = "no-referrer"
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if has_request_context() and request.is_secure:
        # Only over TLS (behind a proxy: TRUSTED_PROXIES makes X-Forwarded-Proto count), so
        # that a plain-HTTP development server never pins browsers to HTTPS.
        response.headers.setdefault("Strict-Transport-Security",
                                    "max-age=31536000; includeSubDomains")
    if (has_request_context() and request.endpoint != "static" and _private_answer()
            and "no-store" not in response.headers.get("Cache-Control", "")):
        response.headers["Cache-Control"] = "no-store"  # static files keep their caching
    return response


def _private_answer() -> bool:
    """Whether an answer may carry personal data or a status link, and so must not be kept
    by the browser or any cache: every answer to a logged-in user (web session or API token),
    on a status-link page, and from the anonymous submission endpoints (the confirmation that
    shows the status link once)."""
    path = request.path
    if loggable_path(path) != path or is_unlogged(path) or g.get("api_user") is not None:
        return True
    return bool(getattr(current_user, "is_authenticated", False))
