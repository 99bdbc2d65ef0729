"""Thin blueprints: parse the request, call a service, render the answer."""
from flask import Flask
from werkzeug.routing import IntegerConverter


class DatabaseIdConverter(IntegerConverter):
    """``<int:…>`` in every route: at most nine digits, which every id column holds. A longer
    number matches no route (a 404 like any unknown id) instead of overflowing in the
    database driver (a 500). A limit in the pattern rather than ``max``: werkzeug answers a
    failed ``max`` with 405 for the other methods of the same path."""

    regex = r"\d{1,9}"


def register_blueprints(app: Flask) -> None:
    app.url_map.converters["int"] = DatabaseIdConverter  # before any route is added
    from . import (
        admin,
        admin_organisation,
        admin_people,
        admin_processes,
        api,
        api_admin_organisation,
        api_admin_people,
        api_admin_processes,
        api_delegation,
        api_merging,
        auth,
        cases,
        council,
        delegation,
        dossier,
        errors,
        exports,
        follow_up,
        health,
        meetings,
        memo,
        merging,
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
    app.register_blueprint(delegation.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(admin_organisation.bp)
    app.register_blueprint(api_admin_organisation.bp)
    app.register_blueprint(admin_people.bp)
    app.register_blueprint(api_admin_people.bp)
    app.register_blueprint(admin_processes.bp)
    app.register_blueprint(api_admin_processes.bp)
    app.register_blueprint(api_delegation.bp)
    app.register_blueprint(api_delegation.admin_bp)
    app.register_blueprint(merging.bp)
    app.register_blueprint(api_merging.bp)
    app.register_blueprint(health.bp)
    errors.register(app)
