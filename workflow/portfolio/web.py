"""The portfolio page: funnel, lead times, throughput, balance, capacity and benefits as
accessible SVG charts with their data as tables and CSV, plus maturity and DiMiOS."""
from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user, login_required

from workflow.calc import charts
from workflow.organisation import service as organisation
from workflow.platform.i18n import localized
from workflow.portfolio import service as portfolio
from workflow.processes.registry import current_process
from workflow.states.vocabulary import DIRECTION_FOCUS, DIRECTION_REACH, ORIGINS

bp = Blueprint("portfolio", __name__)


@bp.before_request
@login_required
def require_reader():
    if not portfolio.can_read(current_user):
        abort(403)


def _swedish(value) -> str:
    return "–" if value is None else format_decimal(round(value, 1))


def _label(state: str) -> str:
    return localized(current_process().state(state).label)


def _benefits(rows: list[tuple[str, int, int]], every_case: bool
              ) -> tuple[list[str], list[int], list[int], str]:
    """The benefits chart's bars: every case for the CSV; on the page the largest, the rest
    summed in one bar (portfolio.largest_benefits)."""
    if every_case:
        return ([label for label, _p, _r in rows], [p for _l, p, _r in rows],
                [r for _l, _p, r in rows], _("Per ärende."))
    shown = portfolio.largest_benefits(rows)
    labels = [label for label, _p, _r in shown.largest]
    planned = [p for _l, p, _r in shown.largest]
    realised = [r for _l, _p, r in shown.largest]
    if shown.others:
        labels.append(_("Övriga ärenden (%(count)s st)", count=format_decimal(shown.others)))
        planned.append(shown.others_planned)
        realised.append(shown.others_realised)
        return labels, planned, realised, _(
            "De %(count)s ärendena med störst planerad nytta, övriga summerade; CSV-filen "
            "har alla ärenden.", count=len(shown.largest))
    return labels, planned, realised, _("Per ärende.")


def _charts(filters: portfolio.Filters, every_case: bool = False
            ) -> dict[str, tuple[charts.Chart, object]]:
    """The page's charts; ``every_case``: the benefits chart with a bar per case (CSV)."""
    user = current_user
    funnel = portfolio.funnel(user, filters)
    leads = portfolio.lead_times(user, filters)
    flow = portfolio.throughput(user, filters)
    balance = portfolio.direction_balance(user, filters)
    demand = portfolio.demand_and_capacity(user, filters)
    labels, planned, realised, which = _benefits(
        portfolio.benefits_planned_and_realised(user, filters), every_case)
    quadrants = [(f, r) for f in DIRECTION_FOCUS for r in DIRECTION_REACH]
    made = {
        "tratt": (charts.Chart(
            "tratt", _("Ärenden per läge"), [_label(s) for s, _n in funnel],
            [charts.Series(_("Ärenden"), [n for _s, n in funnel])],
            description=_("Hur många ärenden som finns i varje läge just nu."),
            unit=_("ärenden"), category_label=_("Läge"), number_format=_swedish),
            charts.bar_chart),
        "ledtider": (charts.Chart(
            "ledtider", _("Ledtid per steg (dagar)"), [_label(s) for s, *_rest in leads],
            [charts.Series(_("Median"), [m for _s, m, _p, _n in leads]),
             charts.Series(_("90:e percentilen"), [p for _s, _m, p, _n in leads])],
            description=_("Dagar i varje väntande läge, räknat ur ärendenas historik."),
            unit=_("dagar"), category_label=_("Läge"), number_format=_swedish),
            charts.bar_chart),
        "flode": (charts.Chart(
            "flode", _("Flöde per månad"), [m for m, _s, _d in flow],
            [charts.Series(_("Inlämnade idéer"), [s for _m, s, _d in flow]),
             charts.Series(_("Beslutade"), [d for _m, _s, d in flow])],
            description=_("Inlämnade idéer och beslut per månad."), unit=_("ärenden"),
            category_label=_("Månad"), number_format=_swedish), charts.column_chart),
        "inriktning": (charts.Chart(
            "inriktning", _("Inriktning viktad med kostnad"),
            [f"{_(DIRECTION_FOCUS[f])}, {_(DIRECTION_REACH[r])}" for f, r in quadrants],
            [charts.Series(_("Andel av kostnaden"), [balance.share(q) for q in quadrants])],
            target=charts.Series(_("Mål"), [balance.target.get(q) for q in quadrants]),
            description=_("Effektivisering eller innovation, intern nytta eller nytta för "
                          "medborgare, mot förvaltningens målbild."),
            unit=_("andel"), category_label=_("Inriktning"),
            number_format=lambda v: "–" if v is None else f"{round(v * 100)} %"),
            charts.stacked_share),
        "kapacitet": (charts.Chart(
            "kapacitet", _("Efterfrågan mot kapacitet (kr)"),
            [_("Väntar på beslut"), _("Årets utvecklingsbudget")],
            [charts.Series(_("Kronor"), [demand["demand_sek"], demand["budget_sek"]])],
            description=_("Kostnaden för förslag hos rådet, i planen och för beslut, mot "
                          "årets budget."), unit="kr", number_format=_swedish),
            charts.bar_chart),
        "nytta": (charts.Chart(
            "nytta", _("Planerad och realiserad nytta per år (kr)"), labels,
            [charts.Series(_("Planerad"), planned), charts.Series(_("Realiserad"), realised)],
            description=" ".join((_("Nyttokalkylens årliga nytta i pengar mot det som "
                                    "rapporterats vid senaste uppföljningen."), which)),
            unit="kr", category_label=_("Ärende"),
            number_format=_swedish), charts.bar_chart),
    }
    return made


@bp.get("/portfolio")
def index():
    filters = portfolio.parse_filters(request.args)
    figures = [(chart, render(chart), url_for("portfolio.csv", slug=chart.slug,
                                              **request.args.to_dict()))
               for chart, render in _charts(filters).values()]
    return render_template(
        "portfolio.html", figures=figures, filters=filters,
        departments=organisation.departments_in_region(current_user),
        states=[(s.name, localized(s.label))
                for s in current_process().definition.states.values()],
        origins=ORIGINS, focuses=DIRECTION_FOCUS, reaches=DIRECTION_REACH,
        maturity=portfolio.maturity(current_user), levels=portfolio.MATURITY)


@bp.get("/portfolio/<slug>.csv")
def csv(slug: str):
    made = _charts(portfolio.parse_filters(request.args), every_case=True)
    if slug not in made:
        abort(404)
    chart, _render = made[slug]
    return Response(charts.chart_csv(chart).encode("utf-8-sig"),
                    mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename={chart.csv_filename}"})
