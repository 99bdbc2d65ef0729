"""What the server tells callers who have not logged in about itself.

In production settings (neither DEBUG nor TESTING) nobody learns software versions or the
schema revision: ``/healthz`` leaves out ``revision`` and ``head``, and the development
server's ``Server`` header (``Werkzeug/3.x Python/3.y``, added by the server itself, so that
no ``after_request`` can remove it) is blanked. ``EXPOSE_SERVER_DETAILS=1`` or ``0`` decides
explicitly. gunicorn, the production server (docs/deploy.md), says only ``Server: gunicorn``.
"""
from __future__ import annotations

from flask import Flask

_YES = {"1", "true", "yes", "on"}


def exposes_server_details(app: Flask) -> bool:
    """Whether answers may name versions and the schema revision: in development and tests,
    unless ``EXPOSE_SERVER_DETAILS`` says otherwise."""
    setting = app.config.get("EXPOSE_SERVER_DETAILS")
    if setting is None or setting == "":
        return bool(app.debug or app.testing)
    if isinstance(setting, str):
        return setting.strip().lower() in _YES
    return bool(setting)


def hide_dev_server_banner() -> None:
    """Blank the development server's ``Server`` header (and its ``SERVER_SOFTWARE``) for
    every server in this process; werkzeug builds it from these two attributes."""
    from werkzeug.serving import WSGIRequestHandler

    WSGIRequestHandler.server_version = ""  # werkzeug's is a property: "Werkzeug/<version>"
    WSGIRequestHandler.sys_version = ""  # the standard library's: "Python/<version>"
