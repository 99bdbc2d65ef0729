"""The tjänsteutlåtande (decision memo) that goes with a case to the nämnd.

The developer (verksamhetsutvecklare) or the management writes five texts while the case is
with the management or the nämnd: förslag till beslut, sammanfattning, bakgrund, bedömning and
konsekvenser för barn. Everything else in the memo comes from the case and its decision dossier
(docs/dossier-rules.md, docs/procurement-rules.md), so the memo never contradicts the figures
the decision gates checked:
ekonomiska konsekvenser from the nyttokalkyl, informationssäkerhet from the classification,
upphandling from the procurement check.

The memo is an official document addressed to a Swedish nämnd, so :func:`memo_document` is
always Swedish (headings, labels, "23 november 2026", "1 250 000 kr"), whatever language the
reader has chosen for the interface; only the page around it (forms, buttons, errors) is
translated.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Mapping

from flask_babel import force_locale, format_date, format_decimal, format_percent, to_user_timezone
from sqlalchemy.exc import IntegrityError

from workflow.calc import benefit, classification, procurement
from workflow.cases import access
from workflow.dossier import service as dossier_service
from workflow.models import Case, DecisionMemo, User, utcnow
from workflow.platform.errors import Conflict, PermissionDenied, ValidationFailed, translate
from workflow.platform.extensions import db
from workflow.platform.uow import record, unit_of_work
from workflow.states import features
from workflow.states.i18n import N_

# The memo's own texts, in the order the memo shows them.
FIELDS = ("proposal", "summary", "background", "assessment", "child_impact")
MAX_LENGTH = 10_000
EDITOR_ROLES = frozenset({"developer", "management"})
EDITABLE_STATES = frozenset(features.MEMO_STATES)
HISTORY_EVENT = "memo_changed"

# The memo's sections in document order: its own texts and the three taken from the dossier.
HEADINGS: dict[str, str] = {
    "proposal": "Förslag till beslut",
    "summary": "Sammanfattning av ärendet",
    "background": "Bakgrund",
    "assessment": "Bedömning",
    "economy": "Ekonomiska konsekvenser",
    "security": "Informationssäkerhet",
    "procurement": "Upphandling",
    "child_impact": "Konsekvenser för barn",
}
LOCALE = "sv"
# The memo says plainly when the registry has not yet given the case its number.
NO_DIARIENUMMER = "ej tilldelat"


# ---------------------------------------------------------------- reading and permissions

def memo_for(case: Case) -> DecisionMemo | None:
    """The stored memo, or None while nobody has written one."""
    return case.memo


def texts_of(memo: DecisionMemo | None) -> dict[str, str]:
    """The five texts; empty strings for a memo not written yet."""
    return {name: (getattr(memo, name) or "") if memo is not None else "" for name in FIELDS}


def version_of(memo: DecisionMemo | None) -> int:
    """The version a form sends back (0: no memo stored yet)."""
    return memo.version if memo is not None and memo.version else 0


def can_edit(user: User, case: Case) -> bool:
    """The developer or the management holding that role for the case, while the case waits
    for the management's or the nämnd's decision."""
    return case.state in EDITABLE_STATES and bool(access.roles_for(user, case) & EDITOR_ROLES)


# ---------------------------------------------------------------- changing

def save_memo(actor: User, case: Case, fields: Mapping[str, Any], expected_version: Any = None,
              now: datetime | None = None) -> DecisionMemo | None:
    """Store the given texts (any of FIELDS); the history records each change, before/after.

    ``expected_version`` is the memo version the writer saw (0 before the first save); a
    different stored version raises :class:`Conflict` and nothing is written. Saving the texts
    unchanged writes nothing.
    """
    if not can_edit(actor, case):
        raise PermissionDenied(message=N_(
            "Du får inte ändra tjänsteutlåtandet. Verksamhetsutvecklaren eller "
            "förvaltningsledningen skriver det medan ärendet väntar på beslut i "
            "förvaltningsledningen eller nämnden."))
    values = _validate(fields)
    expected = _expected_version(expected_version)
    now = now or utcnow()
    try:
        with unit_of_work():
            memo = case.memo
            if expected is not None and expected != version_of(memo):
                raise Conflict()
            before = texts_of(memo)
            changes = {name: {"before": before[name], "after": value}
                       for name, value in values.items() if before[name] != value}
            if changes:
                if memo is None:
                    memo = DecisionMemo(case=case, **before)
                for name, value in values.items():
                    setattr(memo, name, value)
                memo.updated_at = case.updated_at = now
                memo.updated_by = actor
                db.session.add(memo)
                record(case, HISTORY_EVENT, case.state, case.state, actor, now,
                       data={"changes": changes})
    except IntegrityError:  # someone else stored the case's first memo at the same moment
        raise Conflict() from None
    return case.memo


def _validate(fields: Mapping[str, Any]) -> dict[str, str]:
    if not isinstance(fields, Mapping):
        raise ValidationFailed({"memo": N_("Skicka tjänsteutlåtandets texter.")})
    errors: dict[str, Any] = {}
    values: dict[str, str] = {}
    for name in sorted(set(fields) - set(FIELDS)):
        errors[name] = N_("Fältet finns inte i tjänsteutlåtandet.")
    for name in FIELDS:
        if name not in fields:
            continue
        value = fields[name]
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors[name] = N_("Ange en text.")
            continue
        value = value.replace("\r\n", "\n").replace("\r", "\n").strip()
        if len(value) > MAX_LENGTH:
            errors[name] = (N_("Texten är %(length)s tecken lång. Korta den till högst "
                               "%(max)s tecken."), {"length": len(value), "max": MAX_LENGTH})
            continue
        values[name] = value
    if errors:
        raise ValidationFailed(errors)
    return values


def _expected_version(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not (str(value).isascii() and str(value).isdigit()):
        raise ValidationFailed({"version": N_("Ange tjänsteutlåtandets version som ett heltal.")})
    return int(value)


# ---------------------------------------------------------------- the document

@dataclass(frozen=True)
class Row:
    label: str
    value: str


@dataclass(frozen=True)
class MemoSection:
    key: str
    heading: str
    text: str = ""  # the writer's own text (its line breaks are kept)
    paragraphs: tuple[str, ...] = ()  # sentences built from the dossier
    rows: tuple[Row, ...] = ()  # label/value pairs built from the dossier

    @property
    def empty(self) -> bool:
        return not (self.text or self.paragraphs or self.rows)

    def value(self, label_start: str) -> str | None:
        """The value of the first row whose label starts with ``label_start``."""
        return next((row.value for row in self.rows if row.label.startswith(label_start)), None)


@dataclass(frozen=True)
class MemoDocument:
    case_id: int
    title: str
    department: str  # förvaltning
    committee: str  # nämnd
    reference: str  # the case's diarienummer, or "ej tilldelat" (docs/decisions.md)
    date: str  # "23 november 2026"
    day: date
    author: str  # the memo's last editor; "" before anyone has written it
    version: int
    texts: dict[str, str]
    sections: tuple[MemoSection, ...]
    incomplete: tuple[str, ...]  # why the dossier would block a decision, if it would
    total_cost_sek: int | None

    def section(self, key: str) -> MemoSection:
        return next(section for section in self.sections if section.key == key)


def local_today() -> date:
    """Today in the organisation's time zone (the memo's date)."""
    return to_user_timezone(utcnow()).date()


def memo_document(case: Case, today: date | None = None) -> MemoDocument:
    """Everything the memo shows, in Swedish, in document order."""
    today = today or local_today()
    memo = case.memo
    texts = texts_of(memo)
    current = dossier_service.view(case, today)
    department = case.department
    with force_locale(LOCALE):
        built = {"economy": _economy(case, current), "security": _security(current),
                 "procurement": _procurement(current)}
        sections = tuple(
            MemoSection(key, heading, text=texts[key]) if key in texts
            else MemoSection(key, heading, **built[key])
            for key, heading in HEADINGS.items())
        incomplete = tuple(translate(f.message, f.params) for f in current.failures)
        return MemoDocument(
            case_id=case.id, title=case.title, department=department.name,
            committee=department.committee_name or "",
            reference=case.diarienummer or NO_DIARIENUMMER,
            date=_day(today), day=today,
            author=memo.updated_by.display_name if memo and memo.updated_by else "",
            version=version_of(memo), texts=texts, sections=sections, incomplete=incomplete,
            total_cost_sek=current.total_cost_sek)


def _economy(case: Case, current: dossier_service.DossierView) -> dict[str, Any]:
    section = current.sections["benefit"]
    if not section.saved:
        rows = ()
        if case.cost_estimate_sek is not None:
            rows = (Row("Kostnadsuppskattning", _sek(case.cost_estimate_sek)),)
        return {"paragraphs": ("Nyttokalkyl saknas i beslutsunderlaget.",), "rows": rows}
    data, result = section.data, section.result
    period = _years(result.horizon_years)
    if data.not_applicable_reason:
        paragraphs = (f"En nyttokalkyl är inte tillämplig i ärendet: "
                      f"{data.not_applicable_reason}",)
        rows = ()
        if result.total_cost_sek:
            rows = (Row(f"Kostnad enligt beslutsunderlaget ({period})",
                        _sek(result.total_cost_sek)),)
        elif case.cost_estimate_sek is not None:
            rows = (Row("Kostnadsuppskattning", _sek(case.cost_estimate_sek)),)
        return {"paragraphs": paragraphs, "rows": rows}
    rows = [
        Row(f"Total kostnad under kalkylperioden ({period})", _sek(result.total_cost_sek)),
        Row("Nytta i pengar", _sek(result.total_benefit_sek)),
        Row("varav finansiell nytta (pengar som kan räknas hem i budgeten)",
            _sek(result.financial_sek)),
        Row("varav omfördelning (frigjord tid som används till annat, minskar inte "
            "kostnaderna)", _sek(result.reallocation_sek)),
        Row("Nettonytta (nytta minus kostnad)", _sek(result.net_benefit_sek)),
        Row(f"Nettonuvärde (kalkylränta {_percent(result.discount_rate)})",
            _sek(result.npv_sek)),
        Row("Nuvärde av enbart finansiell nytta (pengar som tas hem, minus alla kostnader)",
            _sek(result.financial_npv_sek)),
        Row("Återbetalningsår", f"År {result.payback_year}" if result.payback_year
            else "Ingen återbetalning inom kalkylperioden"),
    ]
    non_monetary = result.by_category["non_monetary_count"]
    if non_monetary:
        rows.append(Row("Nyttor som inte värderas i pengar", f"{non_monetary} st"))
    # How the figures are computed (docs/dossier-rules.md), in the memo's Swedish.
    paragraphs = [_financing_sentence(result), " ".join(benefit.CONVENTIONS.values())]
    return {"paragraphs": tuple(paragraphs), "rows": tuple(rows)}


def _financing_sentence(result: Any) -> str:
    if result.financial_sek and result.reallocation_sek:
        return (f"Av nyttan är {_sek(result.financial_sek)} finansiell och "
                f"{_sek(result.reallocation_sek)} omfördelning av arbetstid. Endast den "
                f"finansiella nyttan minskar förvaltningens kostnader.")
    if result.financial_sek:
        return "Hela nyttan i pengar är finansiell och minskar förvaltningens kostnader."
    if result.reallocation_sek:
        return ("Hela nyttan i pengar är omfördelning: arbetstid frigörs för annat arbete, "
                "men förvaltningens kostnader minskar inte.")
    return "Ingen nytta är värderad i pengar."


def _security(current: dossier_service.DossierView) -> dict[str, Any]:
    section = current.sections["classification"]
    if not section.saved:
        return {"paragraphs": ("Informationsklassning saknas i beslutsunderlaget.",)}
    data, result = section.data, section.result
    levels = result.effective_levels
    rows = [Row(label, f"{levels.on(axis)} – {classification.LEVELS[levels.on(axis)]}")
            for axis, label in classification.AXES.items()]
    if result.sensitive_personal_data:
        personal = "Ja, även känsliga personuppgifter (GDPR art. 9)"
    else:
        personal = "Ja" if result.personal_data else "Nej"
    rows.append(Row("Personuppgifter", personal))
    if data.risk_analysis:
        done = f", {_day(data.risk_analysis_date)}" if data.risk_analysis_date else ""
        rows.append(Row("Riskanalys", f"Gjord{done}"))
    elif result.needs_risk_analysis:
        rows.append(Row("Riskanalys", "Saknas (krävs från nivå 3)"))
    rows.append(Row("Informationssäkerhetssamordnarens godkännande", _sign_off(current, result)))
    if result.needs_security_protection_analysis:
        rows.append(Row("Säkerhetsskyddsanalys",
                        "Gjord" if data.security_protection_analysis else "Saknas"))
    paragraphs = []
    if data.information:
        paragraphs.append(f"Information som hanteras: {data.information}")
    if data.risk_of_not_developing:
        paragraphs.append(f"Risken med att inte genomföra förslaget: "
                          f"{data.risk_of_not_developing}")
    return {"paragraphs": tuple(paragraphs), "rows": tuple(rows)}


def _sign_off(current: dossier_service.DossierView, result: Any) -> str:
    if current.signed_off:
        who = current.signed_off_by.display_name if current.signed_off_by else ""
        when = _day(to_user_timezone(current.signed_off_at).date()) \
            if current.signed_off_at else ""
        return " ".join(part for part in ("Godkänd", f"av {who}" if who else "",
                                          f"den {when}" if when else "") if part)
    if result.needs_security_sign_off:
        return "Inte godkänd ännu (krävs från nivå 3)"
    return f"Krävs inte (högsta nivå är {result.highest_level})"


def _procurement(current: dossier_service.DossierView) -> dict[str, Any]:
    section = current.sections["procurement"]
    if not section.saved:
        return {"paragraphs": ("Upphandlingskontroll saknas i beslutsunderlaget.",)}
    data, result = section.data, section.result
    value = data.estimated_value_sek
    rows = [Row("Uppskattat kontraktsvärde (hela avtalstiden, utan moms)",
                _sek(value) if value is not None else "Inte angivet")]
    if data.contract_years:
        rows.append(Row("Avtalstid", _years(data.contract_years)))
    if result is None:  # no thresholds in force on the check's date
        return {"rows": tuple(rows),
                "paragraphs": tuple(translate(f.message, f.params) for f in section.problems)}
    rows.append(Row("Föreslagen väg utifrån värdet", _route(result.proposed_route)))
    chosen = _route(data.chosen_route) if data.chosen_route else "Inte vald"
    if data.chosen_route and not result.route_fits:
        chosen += " (passar inte värdet)"
    rows.append(Row("Vald väg", chosen))
    if data.chosen_route == "framework_call_off" and data.framework:
        framework = f"{procurement.FRAMEWORKS[data.framework]}: {data.framework_name}"
        if data.call_off_notice:
            framework += f", avropsanmälan {data.call_off_notice}"
        rows.append(Row("Ramavtal", framework))
    if result.direct_sum_sek is not None and value is not None \
            and result.direct_sum_sek != value:
        rows.append(Row("Direktupphandlingar av samma slag i förvaltningen i år",
                        _sek(result.direct_sum_sek)))
    limits = result.thresholds
    eu = f"{_sek(limits.eu_threshold_sek)} ({format_decimal(limits.eu_threshold_eur)} euro)"
    if not limits.eu_threshold_sek_confirmed:
        eu += ", preliminärt belopp i kronor"
    rows += [
        Row("Direktupphandlingsgräns", _sek(limits.direct_limit_sek)),
        Row("Dokumentationsplikt från", _sek(limits.documentation_from_sek)),
        Row("EU:s tröskelvärde", eu),
    ]
    day = data.checked_on
    paragraphs = [f"Tröskelvärdena är de som gäller den {_day(day)}, dagen för "
                  f"upphandlingskontrollen."]
    if result.documentation_required:
        paragraphs.append("Direktupphandlingen ska dokumenteras.")
    paragraphs += [translate(f.message, f.params) for f in section.warnings]
    return {"rows": tuple(rows), "paragraphs": tuple(paragraphs)}


# ---------------------------------------------------------------- Swedish formatting

def _sek(amount: int) -> str:
    # A no-break space, as between the digit groups, keeps "285 000 kr" on one line.
    return f"{format_decimal(amount)}\u00a0kr"


def _day(day: date) -> str:
    return format_date(day, "long")


def _percent(rate: Decimal) -> str:
    return format_percent(rate, "#,##0.##\u00a0%")  # Swedish: "3 %", "3,5 %"


def _years(count: int) -> str:
    return f"{count}\u00a0år"


def _route(route: str | None) -> str:
    return procurement.ROUTES.get(route or "", "—")
