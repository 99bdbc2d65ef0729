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
    from workflow.admin import web as admin
    from workflow.cases import (
        api,
    )
    from workflow.cases import (
        merging_api as api_merging,
    )
    from workflow.cases import (
        merging_web as merging,
    )
    from workflow.cases import (
        web as cases,
    )
    from workflow.council import web as council
    from workflow.delegation import api as api_delegation
    from workflow.delegation import web as delegation
    from workflow.dossier import web as dossier
    from workflow.exports import web as exports
    from workflow.follow_up import web as follow_up
    from workflow.meetings import web as meetings
    from workflow.memo import web as memo
    from workflow.notifications import web as notifications
    from workflow.organisation import api as api_admin_organisation
    from workflow.organisation import web as admin_organisation
    from workflow.people import api as api_admin_people
    from workflow.people import auth_web as auth
    from workflow.people import web as admin_people
    from workflow.plan import web as plan
    from workflow.portfolio import public_web as public
    from workflow.portfolio import web as portfolio
    from workflow.processes import api as api_admin_processes
    from workflow.processes import web as admin_processes
    from workflow.similar import web as similar
    from workflow.views import errors, health
    from workflow.webhooks import api as api_admin_webhooks
    from workflow.webhooks import web as admin_webhooks

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
    # The API twins of the plan, comments, notifications, portfolio and exports
    # (docs/api.md).
    from workflow.cases import comments_api as api_comments
    from workflow.exports import api as api_exports
    from workflow.meetings import api as api_meetings
    from workflow.memo import api as api_memo
    from workflow.notifications import api as api_notifications
    from workflow.plan import api as api_plan
    from workflow.portfolio import api as api_portfolio
    from workflow.similar import api as api_similar
    for twin in (api_comments, api_plan, api_notifications, api_portfolio, api_exports,
                 api_meetings, api_memo, api_similar):
        app.register_blueprint(twin.bp)
    app.register_blueprint(admin_webhooks.bp)
    app.register_blueprint(api_admin_webhooks.bp)
    app.register_blueprint(health.bp)
    errors.register(app)
