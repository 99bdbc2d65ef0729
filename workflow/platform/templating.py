"""Helpers the Jinja templates use to show process data in the user's language."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from flask import Flask
from flask_babel import format_date, format_decimal, format_percent, gettext
from sqlalchemy import select

from workflow.models import utcnow
from workflow.platform.fragments import (
    kept_case_filters,
    kept_case_row,
    kept_case_rows,
    kept_diagram,
    kept_history_entry,
    kept_menu,
)
from workflow.platform.fragments import reader as row_reader
from workflow.platform.i18n import install_template_gettext, language, localized, short_datetime
from workflow.processes.registry import process_of
from workflow.states import Process, features
from workflow.states.diagram import wrap
from workflow.states.i18n import N_
from workflow.states.roles import ROLE_LABELS, in_menu
from workflow.states.vocabulary import DIRECTION_FOCUS, DIRECTION_REACH, ORIGINS


def sek(amount: int | None) -> str:
    return "" if amount is None else gettext("%(amount)s kr", amount=format_decimal(amount))


def vocabulary(table: dict[str, str], key: str | None) -> str:
    return gettext(table[key]) if key in table else (key or "")


CASE_FIELD_LABELS = {
    "title": N_("Rubrik"), "need": N_("Behov"), "effect": N_("Förväntad effekt"),
    "cost_estimate_sek": N_("Kostnadsuppskattning"), "direction": N_("Inriktning"),
    "planned_go_live": N_("Planerad driftstart"), "actual_cost_sek": N_("Faktisk kostnad"),
    "diarienummer": N_("Diarienummer"),
}
DOSSIER_FIELD_LABELS = {
    "estimated_value_sek": N_("Uppskattat kontraktsvärde"), "contract_years": N_("Avtalstid"),
    "kind": N_("Vad köps"), "chosen_route": N_("Vald väg"), "framework": N_("Ramavtal"),
    "framework_name": N_("Ramavtalets namn"), "call_off_notice": N_("Avropsanmälan"),
    "checked_on": N_("Datum för kontrollen"), "answer": N_("Svar"),
    "motivation": N_("Motivering"), "who": N_("Vem"), "when": N_("När"),
    # a follow-up report (the history's before/after of a checkpoint)
    "actual_value": N_("Faktiskt värde"), "realised_sek": N_("Realiserad nytta"),
    "used_as_intended": N_("Används som tänkt"), "comment": N_("Kommentar"),
    "information": N_("Vilken information hanteras?"), "personal_data": N_("Personuppgifter"),
    "sensitive_personal_data": N_("Känsliga personuppgifter"),
    "object_ids": N_("Berörda förvaltningsobjekt"), "risk_analysis": N_("Riskanalys"),
    "risk_analysis_date": N_("Datum för riskanalysen"),
    "security_protection_analysis": N_("Säkerhetsskyddsanalys"),
    "risk_of_not_developing": N_("Risken med att inte utveckla"),
    "replacement": N_("Ersätter en likvärdig lösning"),
    "proposal": N_("Förslag till beslut"), "summary": N_("Sammanfattning av ärendet"),
    "background": N_("Bakgrund"), "assessment": N_("Bedömning"),
    "child_impact": N_("Konsekvenser för barn"),
}
HISTORY_EVENT_LABELS = {
    "create": N_("Idén skapades"), "edit": N_("Uppgifterna ändrades"),
    "dossier_benefit": N_("Nyttokalkylen ändrades"),
    "dossier_procurement": N_("Upphandlingskontrollen ändrades"),
    "dossier_classification": N_("Informationsklassningen ändrades"),
    "classification_signed_off": N_("Klassningen godkändes"),
    "merged_in": N_("En liknande idé slogs samman med detta ärende"),
    "merge_proposed": N_("Sammanslagning föreslogs"),
    "merge_declined": N_("Förslaget om sammanslagning avböjdes"),
    "merge_withdrawn": N_("Förslaget om sammanslagning drogs tillbaka"),
    "plan_linked": N_("Kopplat till en insats i digitaliseringsplanen"),
    "plan_unlinked": N_("Kopplingen till en insats i digitaliseringsplanen togs bort"),
    "memo_changed": N_("Tjänsteutlåtandet ändrades"),
    "benefit_reported": N_("Nyttan följdes upp"),
    "reminder": N_("Påminnelse skickad"),
    "escalation": N_("Eskalerat: ärendet har väntat för länge"),
}


def event_label(process: Process, name: str) -> str:
    spec = process.definition.events.get(name)
    return localized(spec.label) if spec else gettext(HISTORY_EVENT_LABELS.get(name, name))


def state_name(process: Process, name: str) -> str:
    spec = process.definition.states.get(name)
    return localized(spec.label) if spec else name


def _event_field(process: Process, event: str, name: str):
    spec = process.definition.events.get(event)
    return next((f for f in spec.fields if f.name == name), None) if spec else None


RECORDED_FIELD_LABELS = {"committee": N_("Nämnd"), "action": N_("Insats"),
                         "goal_area": N_("Målområde")}


def event_field_label(process: Process, event: str, name: str) -> str:
    spec = _event_field(process, event, name)
    if spec:
        return localized(spec.label)
    return gettext(RECORDED_FIELD_LABELS[name]) if name in RECORDED_FIELD_LABELS else name


def choice_label(process: Process, event: str, name: str, value: Any) -> Any:
    spec = _event_field(process, event, name)
    choice = next((c for c in spec.choices if c.value == value), None) if spec else None
    return localized(choice.label) if choice else value


# The nämnd's decisions in plain language, for the submitter (docs/decisions.md).
PLAIN_COMMITTEE_DECISIONS = {
    features.DECIDE_YES: N_("Nämnden sa ja till förslaget"),
    features.DECIDE_NO: N_("Nämnden sa nej till förslaget"),
    features.REMIT: N_("Nämnden skickade tillbaka förslaget för mer utredning (återremiss)"),
}


def committee_decision(entry: Any, plain: bool = False) -> str:
    """The nämnd's decision (bifall, avslag, återremiss) with the nämnd, the day of its
    meeting and the paragraph of its minutes, e.g. "Återremiss: Socialnämnden, sammanträdet
    18 november 2026, § 87" (docs/decisions.md)."""
    from workflow.cases.service import COMMITTEE_DECISIONS
    data = entry.data or {}
    day = data.get("meeting_date")
    try:
        day = format_date(date.fromisoformat(day), "long")
    except (TypeError, ValueError):
        day = day or "—"
    params = {"committee": data.get("committee") or gettext("Nämnden"), "date": day,
              "paragraph": data.get("decision_reference") or "§ —"}
    if plain:
        return gettext("%(outcome)s (%(committee)s, sammanträdet %(date)s, %(paragraph)s).",
                       outcome=gettext(PLAIN_COMMITTEE_DECISIONS[entry.event]), **params)
    return gettext("%(outcome)s: %(committee)s, sammanträdet %(date)s, %(paragraph)s",
                   outcome=gettext(COMMITTEE_DECISIONS[entry.event]), **params)


def display_names(user_ids: list[int]) -> list[str]:
    """People's current names, in the given order (history keeps ids, so an erased person
    shows as "borttagen användare")."""
    from sqlalchemy import select

    from workflow.models import User
    from workflow.platform.extensions import db
    rows = db.session.execute(select(User.id, User.display_name).where(User.id.in_(user_ids)))
    names = {user_id: name for user_id, name in rows}
    return [names[i] for i in user_ids if i in names]


def field_value(name: str, value: Any) -> str:
    """A case field's value as the history shows it (edits store raw before/after values)."""
    if value in (None, ""):
        return "—"
    if isinstance(value, bool):
        return gettext("Ja") if value else gettext("Nej")
    if name in ("cost_estimate_sek", "actual_cost_sek") and isinstance(value, int):
        return sek(value)
    if name == "direction" and isinstance(value, dict):
        return ", ".join((vocabulary(DIRECTION_FOCUS, value.get("focus")),
                          vocabulary(DIRECTION_REACH, value.get("reach"))))
    if name == "used_as_intended" and isinstance(value, str):
        from workflow.follow_up.service import USE
        return vocabulary(USE, value)
    if isinstance(value, dict):  # a nested section: each part with its own label
        return "; ".join(f"{field_label(key)}: {field_value(key, part)}"
                         for key, part in value.items())
    if isinstance(value, list):
        if name.endswith("object_ids"):
            return ", ".join(_object_names(value)) or "—"
        return ", ".join(field_value(name, part) for part in value) or "—"
    if isinstance(value, (int, float, Decimal)):
        return sek(value) if name.endswith("_sek") else format_decimal(value)
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return format_date(date.fromisoformat(value), "medium")
    return str(value)


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _object_names(ids: list[Any]) -> list[str]:
    """Linked förvaltningsobjekt by name (an id that no longer exists as "nr N")."""
    from workflow.models import InfoObject
    from workflow.platform.extensions import db
    wanted = [i for i in ids if isinstance(i, int) and not isinstance(i, bool)]
    names = dict(db.session.execute(select(InfoObject.id, InfoObject.name)
                                    .where(InfoObject.id.in_(wanted))).all()) if wanted else {}
    return [names.get(i) or gettext("nr %(id)s", id=i) for i in ids]


def case_summary(case: Any) -> dict[str, Any] | None:
    """What happens next on the case page: who is waiting to act (by role), with which
    events, since when. None for a case in a final state."""
    process = process_of(case)
    state = process.state(case.state)
    if state.final:
        return None
    events = [e for e in process.definition.events.values() if case.state in e.sources]
    roles: list[str] = []
    for event in events:
        for role in event.roles_in(case.state):
            if role not in roles:
                roles.append(role)
    changes = [h.at for h in case.history if h.from_state != h.to_state]
    since = changes[-1] if changes else case.created_at
    return {"roles": [vocabulary(ROLE_LABELS, role) for role in roles],
            "events": [localized(e.label) for e in events], "since": since,
            "days": max((utcnow() - since).days, 0)}


def field_label(name: str) -> str:
    """A changed field's label; dossier paths such as ``benefits.0.indicator`` read
    "Nytta 1: Vilken indikator?"."""
    if name in CASE_FIELD_LABELS:
        return gettext(CASE_FIELD_LABELS[name])
    parts = name.split(".")
    label = (_dossier_label(parts[-2]) if parts[-1].isascii() and parts[-1].isdigit()
             else _dossier_label(parts[-1]))
    if parts[0] == "benefits" and len(parts) > 1 and parts[1].isascii() and parts[1].isdigit():
        return gettext("Nytta %(n)s: %(field)s", n=int(parts[1]) + 1, field=label)
    return label


def _dossier_label(key: str) -> str:
    from workflow.calc import benefit, classification, procurement
    for table in (benefit.FIELD_LABELS, classification.AXES, procurement.CHECKLIST_ITEMS,
                  DOSSIER_FIELD_LABELS):
        if key in table:
            return gettext(table[key])
    return key


def failure_text(failure: Any) -> str:
    from workflow.platform.errors import translate
    return translate(failure.message, failure.params)


def percent(share: Any) -> str:
    """A share between 0 and 1 as a percentage in the user's locale."""
    return "" if share is None else format_percent(share)


def state_label(case: Any) -> str:
    return localized(process_of(case).state(case.state).label)


def unit_name(case: Any) -> str:
    """The case's unit, or words saying it names only the förvaltning (an anonymous idea
    sent without a unit, docs/threat-model.md)."""
    if case.unit is None:
        return gettext("Ingen enhet angiven")
    return case.unit.name


def state_plain(case: Any) -> str:
    return localized(process_of(case).state(case.state).plain)


def _case_row(case: Any, show_plain: bool = False, note: Any = None) -> Any:
    """A row of case_table as rendered anew (with a committee's note, not kept)."""
    from flask import current_app
    macro = current_app.jinja_env.get_template("_macros.html").module.case_row
    return macro(case, show_plain, note)


def init_app(app: Flask) -> None:
    app.jinja_env.add_extension("jinja2.ext.do")
    install_template_gettext(app)

    @app.context_processor
    def unread_notifications() -> dict[str, Any]:
        from flask_login import current_user

        from workflow.cases.access import is_region_admin
        from workflow.delegation.service import READERS
        from workflow.notifications.service import unread_count
        from workflow.portfolio.service import can_read
        if getattr(current_user, "is_authenticated", False):
            return {"unread_count": unread_count(current_user),
                    "menu_roles": {a.role for a in current_user.roles},
                    "portfolio_reader": can_read(current_user),
                    "region_admin": is_region_admin(current_user),
                    # who files the anmälan av delegationsbeslut (docs/delegation.md)
                    "delegation_reader": any(a.role in READERS and a.unit_id is None
                                             for a in current_user.roles)}
        return {"unread_count": 0, "menu_roles": set(), "portfolio_reader": False,
                "region_admin": False,
                "delegation_reader": False}
    app.jinja_env.globals.update(localized=localized, language=language, wrap_label=wrap,
                                 event_label=event_label, state_name=state_name,
                                 event_field_label=event_field_label, choice_label=choice_label,
                                 field_label=field_label, field_value=field_value,
                                 failure_text=failure_text, percent=percent,
                                 state_label=state_label, state_plain=state_plain,
                                 process_of_case=process_of, display_names=display_names,
                                 committee_decision=committee_decision, in_menu=in_menu,
                                 case_summary=case_summary, kept_case_row=kept_case_row,
                                 kept_case_rows=kept_case_rows,
                                 kept_case_filters=kept_case_filters,
                                 row_reader=row_reader, kept_diagram=kept_diagram,
                                 kept_history_entry=kept_history_entry, kept_menu=kept_menu,
                                 case_row=_case_row,
                                 # state and event names (workflow/states/features.py)
                                 features=features)
    app.jinja_env.filters.update(
        sek=sek,
        number=lambda value: "—" if value is None else format_decimal(value),
        decimal2=lambda value: "—" if value is None else format_decimal(value, "#,##0.00"),
        datetime=lambda value: short_datetime(value) if value else "",
        date=lambda value: format_date(value, "medium") if value else "",
        role_label=lambda role: vocabulary(ROLE_LABELS, role),
        origin_label=lambda origin: vocabulary(ORIGINS, origin),
        focus_label=lambda focus: vocabulary(DIRECTION_FOCUS, focus),
        reach_label=lambda reach: vocabulary(DIRECTION_REACH, reach),
        unit_name=unit_name,
    )

