"""Thin blueprints: parse the request, call a service, render the answer."""
from flask import Flask


def register_blueprints(app: Flask) -> None:
    from . import (
        admin,
        api,
        auth,
        cases,
        council,
        dossier,
        errors,
        exports,
        follow_up,
        meetings,
        memo,
        notifications,
        plan,
        portfolio,
        public,
        similar,
    )

    app.register_blueprint(auth.bp)
    app.register_blueprint(cases.bp)
    app.register_blueprint(dossier.bp)
    app.register_blueprint(notifications.bp)
    app.register_blueprint(meetings.bp)
    app.register_blueprint(council.bp)
    app.register_blueprint(plan.bp)
    app.register_blueprint(memo.bp)
    app.register_blueprint(portfolio.bp)
    app.register_blueprint(public.bp)
    app.register_blueprint(exports.bp)
    app.register_blueprint(similar.bp)
    app.register_blueprint(follow_up.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(admin.bp)
    errors.register(app)
