"""Settings: defaults from config/settings.toml, deployment values from the environment."""
from __future__ import annotations

import os
import secrets
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson

from workflow.states.i18n import N_

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CONFIG_DIR = PROJECT_ROOT / "config"


def load_settings(instance_path: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    defaults = tomllib.loads((CONFIG_DIR / "settings.toml").read_text(encoding="utf-8"))
    app, api, organisation = defaults["app"], defaults["api"], defaults["organisation"]
    login = defaults["login"]
    settings: dict[str, Any] = {
        "SQLALCHEMY_DATABASE_URI": database_url(instance_path),
        # A database error's text must not carry an idea's text into the log, in any log format.
        # JSON columns (dossiers, process definitions) parsed by orjson: a region's follow-up
        # reads thousands of benefit calculations (issue 14: a third of the portfolio's
        # benefits line on SQLite was the standard library's parser).
        "SQLALCHEMY_ENGINE_OPTIONS": {"hide_parameters": True, "json_deserializer": orjson.loads},
        "SECRET_KEY": os.environ.get("SECRET_KEY") or _instance_secret(instance_path),
        "PROCESS_DIR": CONFIG_DIR / "processes",
        "PROCESS_NAME": app["process"],
        "PROCUREMENT_THRESHOLDS": CONFIG_DIR / "procurement.toml",
        "NOTIFICATION_RULES": CONFIG_DIR / "notifications.toml",
        "PRIORITISATION_CONFIG": CONFIG_DIR / "prioritisation.toml",
        "PORTFOLIO_CONFIG": CONFIG_DIR / "portfolio.toml",
        "BABEL_DEFAULT_LOCALE": app["default_locale"],
        "BABEL_DEFAULT_TIMEZONE": app["timezone"],
        "BABEL_TRANSLATION_DIRECTORIES": str(PROJECT_ROOT / "workflow" / "translations"),
        "LANGUAGES": tuple(app["languages"]),
        "PAGE_SIZE": int(app["page_size"]),
        "LIST_COUNT_LIMIT": int(app["list_count_limit"]),
        "API_TOKEN_LIFETIME_DAYS": int(api["token_lifetime_days"]),
        "DEFAULT_DELEGATION_LIMIT_SEK": int(organisation["default_delegation_limit_sek"]),
        "PRISBASBELOPP_FILE": CONFIG_DIR / "prisbasbelopp.toml",
        "DIARIENUMMER_PATTERN": defaults["decisions"]["diarienummer_pattern"],
        "DIARIENUMMER_EXAMPLE": defaults["decisions"]["diarienummer_example"],
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "") == "1",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=float(login["session_lifetime_hours"])),
        # Lockout after failed password logins (workflow/people/login_guard.py).
        "LOGIN_MAX_FAILURES": int(login["max_failures"]),
        "LOGIN_WINDOW_MINUTES": int(login["window_minutes"]),
        "LOGIN_LOCK_MINUTES": int(login["lock_minutes"]),
        "LOGIN_IP_MAX_FAILURES": int(login["ip_max_failures"]),
        "LOGIN_LOCK_MAX_MINUTES": int(login["lock_max_minutes"]),
        "LOGIN_ACCOUNT_MAX_FAILURES": int(login["account_max_failures"]),
        # Single sign-on with OpenID Connect (workflow/people/sso.py, docs/sso.md): off without an
        # issuer. LOCAL_LOGIN=0 switches passwords off (web and API).
        "LOCAL_LOGIN": os.environ.get("LOCAL_LOGIN", "1") != "0",
        "OIDC_ISSUER": os.environ.get("OIDC_ISSUER", ""),
        "OIDC_CLIENT_ID": os.environ.get("OIDC_CLIENT_ID", ""),
        "OIDC_CLIENT_SECRET": os.environ.get("OIDC_CLIENT_SECRET", ""),
        "OIDC_SCOPES": os.environ.get("OIDC_SCOPES", "openid email profile"),
        "OIDC_USER_CLAIM": os.environ.get("OIDC_USER_CLAIM", "email"),
        "OIDC_MATCH": os.environ.get("OIDC_MATCH", "email"),
        "OIDC_PROVIDER_NAME": os.environ.get("OIDC_PROVIDER_NAME",
                                             N_("Logga in med organisationens konto")),
        "OIDC_REDIRECT_URI": os.environ.get("OIDC_REDIRECT_URI", ""),
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "JSON_SORT_KEYS": False,
        # Email (workflow/notifications/mail.py): "outbox" writes .eml files to instance/outbox
        # for demos.
        "MAIL_BACKEND": os.environ.get("MAIL_BACKEND", "outbox"),
        "SMTP_HOST": os.environ.get("SMTP_HOST", "localhost"),
        "SMTP_PORT": int(os.environ.get("SMTP_PORT") or 0) or None,
        "SMTP_STARTTLS": os.environ.get("SMTP_STARTTLS", "") == "1",
        "SMTP_SSL": os.environ.get("SMTP_SSL", "") == "1",
        "SMTP_USERNAME": os.environ.get("SMTP_USERNAME", ""),
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD", ""),
        "SMTP_TIMEOUT": float(os.environ.get("SMTP_TIMEOUT", "10")),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "Idéflödet <idefloedet@localhost>"),
        "APP_BASE_URL": os.environ.get("APP_BASE_URL", "http://127.0.0.1:5000"),
        # Operations (docs/deploy.md): proxies in front whose X-Forwarded-* headers count,
        # and the log format (text or json, workflow/platform/logging_setup.py).
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES") or 0),
        "LOG_FORMAT": os.environ.get("LOG_FORMAT", "text"),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO"),
        # Versions and the schema revision for callers who have not logged in (Server header,
        # /healthz): unset shows them only with DEBUG or TESTING (workflow/server_details.py).
        "EXPOSE_SERVER_DETAILS": os.environ.get("EXPOSE_SERVER_DETAILS"),
    }
    replica = os.environ.get("PORTFOLIO_DATABASE_URL")
    if replica:  # the portfolio's reads from a read replica (platform/replica.py)
        settings["SQLALCHEMY_BINDS"] = {"portfolio_replica": normalised_url(replica)}
    settings.update(overrides or {})
    if _pooled(str(settings["SQLALCHEMY_DATABASE_URI"])):
        # A worker takes the connection it gave back last, not the one idle longest (issue
        # 14): its statements and pages are the warm ones. psycopg prepares a statement on
        # its fifth run on a connection and PostgreSQL may keep a generic plan after five
        # more; taken in turns, every idle connection of the pool had to get there on its
        # own. SQLite keeps a page cache for each connection, which another connection's
        # write empties: taken in turns, each connection met the others' writes.
        settings["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_use_lifo": True,
                                                 **settings["SQLALCHEMY_ENGINE_OPTIONS"]}
    if os.environ.get("DATABASE_PREPARED_STATEMENTS", "1") == "0" and str(
            settings["SQLALCHEMY_DATABASE_URI"]).startswith("postgresql"):
        # Behind a pooler that hands each transaction another server session (PgBouncer in
        # transaction mode before 1.21): psycopg prepares no statement (docs/deploy.md).
        settings["SQLALCHEMY_ENGINE_OPTIONS"] = {**settings["SQLALCHEMY_ENGINE_OPTIONS"],
                                                 "connect_args": {"prepare_threshold": None}}
    return settings


def _pooled(url: str) -> bool:
    """Whether the engine keeps a pool of connections (an SQLite database in memory has one
    connection, and no pool to order)."""
    if url.startswith("postgresql"):
        return True
    return url.startswith("sqlite:///") and url != "sqlite:///" and ":memory:" not in url \
        and "mode=memory" not in url


def database_url(instance_path: Path) -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{instance_path / 'workflow.sqlite3'}"
    return normalised_url(url)


def normalised_url(url: str) -> str:
    """``postgres://`` and ``postgresql://`` as SQLAlchemy's psycopg 3 URL."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _instance_secret(instance_path: Path) -> str:
    """A random key kept in instance/ so that sessions survive restarts of a local install."""
    path = instance_path / "secret_key"
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()
