"""The portfolio's figures in the JSON API: the numbers each chart of the portfolio page draws
(portfolio/web.py), from the same service calls under the same query parameters, for those
who may read the portfolio (docs/portfolio.md)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify, request
from flask_babel import gettext as _

from workflow.organisation import service as organisation
from workflow.platform.api import authenticate
from workflow.platform.errors import PermissionDenied, ValidationFailed
from workflow.platform.extensions import csrf
from workflow.platform.i18n import localized
from workflow.portfolio import schemas
from workflow.portfolio import service as portfolio
from workflow.processes.registry import current_process
from workflow.states.i18n import N_
from workflow.states.vocabulary import DIRECTION_FOCUS, DIRECTION_REACH, ORIGINS
from workflow.views.openapi import error_responses, json_content, openapi_fragment, ref

bp = Blueprint("api_portfolio", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
bp.before_request(authenticate)

# The page's query parameters and what a value that does not parse is told (the page leaves
# such a value out; the API refuses it, so an answer never silently covers something else).
FILTER_MESSAGES = {
    "department_id": N_("Välj en förvaltning som finns."),
    "unit_id": N_("Ange ett positivt heltal."),
    "state": N_("Okänt läge."),
    "origin": N_("Välj ett av ursprungen."),
    "focus": N_("Välj ett av alternativen."),
    "reach": N_("Välj ett av alternativen."),
    "from": N_("Ange ett datum som ÅÅÅÅ-MM-DD."),
    "to": N_("Ange ett datum som ÅÅÅÅ-MM-DD."),
}


@bp.get("/portfolio")
def figures():
    user = g.api_user
    if not portfolio.can_read(user):
        raise PermissionDenied(message=N_("Portföljen är till för dem som arbetar med "
                                          "ärendena, inte för din roll."))
    filters = _filters()
    return jsonify({
        "filters": {"department_id": filters.department_id, "unit_id": filters.unit_id,
                    "state": filters.state, "origin": filters.origin, "focus": filters.focus,
                    "reach": filters.reach,
                    "from": filters.start.isoformat() if filters.start else None,
                    "to": filters.end.isoformat() if filters.end else None},
        **chart_figures(user, filters),
        "maturity": [_maturity(department, assessment, rounds)
                     for department, assessment, rounds in portfolio.maturity(user)],
    })


def chart_figures(user, filters: portfolio.Filters) -> dict[str, Any]:
    """The figures of the page's charts (portfolio/web.py: _charts), named."""
    balance = portfolio.direction_balance(user, filters)
    return {
        "funnel": [{"state": state, "label": _label(state), "cases": count}
                   for state, count in portfolio.funnel(user, filters)],
        "lead_times": [{"state": state, "label": _label(state), "median_days": median,
                        "p90_days": p90, "stays": count}
                       for state, median, p90, count in portfolio.lead_times(user, filters)],
        "throughput": [{"month": month, "submitted": submitted, "decided": decided}
                       for month, submitted, decided in portfolio.throughput(user, filters)],
        "balance": {
            "quadrants": [{"focus": f, "reach": r,
                           "label": f"{_(DIRECTION_FOCUS[f])}, {_(DIRECTION_REACH[r])}",
                           "cost_sek": balance.cost.get((f, r), 0),
                           "share": balance.share((f, r)), "target": balance.target.get((f, r))}
                          for f in DIRECTION_FOCUS for r in DIRECTION_REACH],
            "total_sek": balance.total, "without_direction_sek": balance.without_direction},
        "capacity": portfolio.demand_and_capacity(user, filters),
        "benefits": [{"case": label, "planned_sek": planned, "realised_sek": realised}
                     for label, planned, realised
                     in portfolio.benefits_planned_and_realised(user, filters)],
    }


def _filters() -> portfolio.Filters:
    filters = portfolio.parse_filters(request.args)
    parsed = {"department_id": filters.department_id, "unit_id": filters.unit_id,
              "state": filters.state, "origin": filters.origin, "focus": filters.focus,
              "reach": filters.reach, "from": filters.start, "to": filters.end}
    errors = {name: message for name, message in FILTER_MESSAGES.items()
              if (request.args.get(name) or "").strip() and not parsed[name]}
    if filters.department_id and filters.department_id not in {
            d.id for d in organisation.departments_in_region(g.api_user)}:
        errors["department_id"] = FILTER_MESSAGES["department_id"]
    if errors:
        raise ValidationFailed(errors)
    return filters


def _label(state: str) -> str:
    return localized(current_process().state(state).label)


def _maturity(department, assessment, rounds) -> dict[str, Any]:
    return {"department_id": department.id, "department": department.name,
            "level": assessment.level if assessment else None,
            "level_label": _(portfolio.MATURITY[assessment.level])
            if assessment and assessment.level in portfolio.MATURITY else None,
            "assessed_on": assessment.assessed_on.isoformat() if assessment else None,
            "source": assessment.source if assessment else None,
            "dimios": [{"measured_on": r.measured_on.isoformat(), "score": r.score,
                        "respondents": r.respondents} for r in rounds]}


# ---------------------------------------------------------------- OpenAPI

@openapi_fragment
def _openapi() -> dict[str, Any]:
    def query(name: str, schema: dict[str, Any]) -> dict[str, Any]:
        return {"name": name, "in": "query", "schema": schema}

    positive = {"type": "integer", "minimum": 1}
    day = {"type": "string", "format": "date"}
    return {
        "models": schemas.MODELS,
        "paths": {"/portfolio": {"get": {
            "summary": "Portföljens siffror, desamma som diagrammen på sidan Portfölj "
                       "(tratt, ledtider, flöde, inriktning, kapacitet, nytta) och mognad; "
                       "med sidans filter",
            "parameters": [
                query("department_id", positive), query("unit_id", positive),
                query("state", {"enum": list(current_process().definition.states)}),
                query("origin", {"enum": list(ORIGINS)}),
                query("focus", {"enum": list(DIRECTION_FOCUS)}),
                query("reach", {"enum": list(DIRECTION_REACH)}),
                query("from", day), query("to", day)],
            "responses": {"200": {"description": "Siffrorna",
                                  **json_content(ref("Portfolio"))},
                          **error_responses(401, 403, 422)}}}},
    }
