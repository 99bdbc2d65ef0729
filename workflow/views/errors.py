"""Error pages for the web and JSON errors for the API, both translated."""
from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from workflow.platform.errors import ServiceError, ValidationFailed
from workflow.states.i18n import N_

MESSAGES = {
    400: N_("Felaktig begäran."),
    401: N_("Du behöver logga in."),
    403: N_("Du har inte behörighet till detta."),
    404: N_("Sidan eller ärendet finns inte, eller så har du inte behörighet att se det."),
    405: N_("Metoden är inte tillåten här."),
    409: N_("Konflikt med ärendets nuvarande läge."),
    413: N_("Begäran är för stor."),
    415: N_("Skicka JSON med Content-Type: application/json."),
    422: N_("Uppgifterna innehåller fel."),
    500: N_("Ett oväntat fel uppstod. Ingenting sparades; försök igen eller kontakta supporten."),
}


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def api_error(status: int, message: str, **extra):
    response = jsonify({"error": message, **extra})
    response.status_code = status
    return response


def service_error_response(error: ServiceError):
    extra = {"reasons": error.reasons}
    if isinstance(error, ValidationFailed):
        extra["fields"] = error.translated_field_errors
    return api_error(error.status, error.text, **extra)


def register(app: Flask) -> None:
    from workflow.platform import input_guard
    input_guard.init_app(app)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        message = _("Formuläret har gått ut eller saknar säkerhetstoken. Ladda om sidan och "
                    "försök igen.")
        return render_template("error.html", status=400, message=message), 400

    @app.errorhandler(ServiceError)
    def service_error(error: ServiceError):
        if _wants_json():
            return service_error_response(error)
        return render_template("error.html", status=error.status, message=error.text,
                               reasons=error.reasons), error.status

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        status = error.code or 500
        message = _(MESSAGES.get(status, MESSAGES[400]))
        if _wants_json():
            return api_error(status, message)
        return render_template("error.html", status=status, message=message), status

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        from workflow.platform.extensions import db
        db.session.rollback()
        message = _(MESSAGES[500])
        if _wants_json():
            return api_error(500, message)
        return render_template("error.html", status=500, message=message), 500
