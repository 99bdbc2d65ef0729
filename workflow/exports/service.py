"""Exports of cases and decision dossiers as CSV and XLSX, limited to what the user may see.

The exports are in Swedish (headers, labels, ja/nej), whatever the interface language, so a
file reads the same in every hand it passes through. An anonymous idea's sender is never in
an export: its *Inlämnad av* is "Anonym" and nothing else about the sender is exported.

Rows hold typed values (int, Decimal, date, datetime in local time, str, None); :func:`to_csv`
and :func:`to_xlsx` turn them into files.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any, Iterable, Mapping, Sequence
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import joinedload

from workflow.calc.procurement import ROUTES
from workflow.cases import access
from workflow.dossier import service as dossier
from workflow.models import Case, Department, Dossier, Unit, User
from workflow.platform.errors import ValidationFailed
from workflow.platform.extensions import db
from workflow.platform.validation import as_id, clean_text
from workflow.processes.registry import current_process, process_of
from workflow.states.i18n import N_
from workflow.states.vocabulary import DIRECTION_FOCUS, DIRECTION_REACH, ORIGINS

ANONYMOUS = "Anonym"
YES, NO = "ja", "nej"
# A column whose header ends so holds whole kronor (a thousands format in XLSX).
KRONOR_SUFFIX = "(kr)"

CASE_HEADERS = (
    "Nr", "Rubrik", "Läge", "Förvaltning", "Enhet", "Ursprung", "Inlämnad av", "Skapad",
    "Senast ändrad", "Kostnadsuppskattning (kr)", "Inriktning", "Prioritering", "Planerat år",
    "Driftstart", "Diarienummer",
)
DOSSIER_HEADERS = (
    "Nr", "Rubrik", "Läge", "Förvaltning", "Enhet", "Nyttokalkyl", "Kalkylperiod (år)",
    "Total kostnad över kalkylperioden (kr)", "Nettonuvärde (kr)", "Återbetalningsår",
    "Nytta per kostnadskrona", "Finansiell nytta (kr)", "Omfördelning (kr)",
    "Föreslagen upphandlingsväg", "Vald upphandlingsväg", "Uppskattat kontraktsvärde (kr)",
    "Högsta klassningsnivå", "Personuppgifter", "Känsliga personuppgifter",
    "Säkerhetsgodkännande", "Komplett",
)
SHEET_CASES, SHEET_DOSSIERS = "Ärenden", "Beslutsunderlag"

# Text cells starting with these would run as formulas in a spreadsheet (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_COLUMN_WIDTH = 60

Rows = list[list[Any]]


# ---------------------------------------------------------------- filters

@dataclass(frozen=True)
class Filters:
    """The /cases filters (state, unit_id) plus förvaltning, origin and a creation-date range.

    ``created_from`` and ``created_to`` are local days, both included. A range that ends
    before it starts simply matches nothing.
    """

    state: str | None = None
    unit_id: int | None = None
    department_id: int | None = None
    origin: str | None = None
    created_from: date | None = None
    created_to: date | None = None


def parse_filters(user: User, args: Mapping[str, Any]) -> Filters:
    """Filters from query arguments (``state``, ``unit_id``, ``department_id``, ``origin``,
    ``from``, ``to``); empty values are ignored, bad ones raise :class:`ValidationFailed`
    naming every bad argument."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}

    def given(name: str) -> str | None:
        value = args.get(name)
        if value is None:
            return None
        value = str(value).strip()
        return value or None

    state = given("state")
    if state is not None:
        if state in current_process().definition.states:
            values["state"] = state
        else:
            errors["state"] = N_("Okänt läge.")
    origin = given("origin")
    if origin is not None:
        if origin in ORIGINS:
            values["origin"] = origin
        else:
            errors["origin"] = N_("Välj ett av ursprungen.")
    unit_id = _id(given("unit_id"))
    if given("unit_id") is not None:
        unit = db.session.get(Unit, unit_id) if unit_id else None
        if unit is None or unit.department.region_id != user.region_id:
            errors["unit_id"] = N_("Välj en enhet som finns.")
        else:
            values["unit_id"] = unit_id
    department_id = _id(given("department_id"))
    if given("department_id") is not None:
        department = db.session.get(Department, department_id) if department_id else None
        if department is None or department.region_id != user.region_id:
            errors["department_id"] = N_("Välj en förvaltning som finns.")
        else:
            values["department_id"] = department_id
    for name, field_name in (("from", "created_from"), ("to", "created_to")):
        text = given(name)
        if text is None:
            continue
        try:
            values[field_name] = date.fromisoformat(text)
        except ValueError:
            errors[name] = N_("Ange ett datum som ÅÅÅÅ-MM-DD.")
        else:
            if len(text) != 10:  # fromisoformat also takes 20260301 and week dates
                errors[name] = N_("Ange ett datum som ÅÅÅÅ-MM-DD.")
    if errors:
        raise ValidationFailed(errors)
    return Filters(**values)


def _id(text: str | None) -> int | None:
    return as_id(text)


def _as_filters(user: User, filters: Filters | Mapping[str, Any] | None) -> Filters:
    if filters is None:
        return Filters()
    if isinstance(filters, Filters):
        return filters
    return parse_filters(user, filters)


def _conditions(user: User, filters: Filters) -> list[ColumnElement[bool]]:
    conditions = [access.visible_cases_condition(user)]
    if filters.state:
        conditions.append(Case.state == filters.state)
    if filters.unit_id:
        conditions.append(Case.unit_id == filters.unit_id)
    if filters.department_id:
        conditions.append(Case.department_id == filters.department_id)
    if filters.origin:
        conditions.append(Case.origin == filters.origin)
    if filters.created_from:
        conditions.append(Case.created_at >= _start_of(filters.created_from))
    if filters.created_to:
        conditions.append(Case.created_at < _start_of(filters.created_to + timedelta(days=1)))
    return conditions


def _visible_cases(user: User, filters: Filters, *, with_dossier: bool = False) -> list[Case]:
    query = (select(Case).where(*_conditions(user, filters))
             .options(joinedload(Case.department), joinedload(Case.unit),
                      joinedload(Case.author))
             .order_by(Case.id))
    if with_dossier:
        query = query.join(Dossier, Dossier.case_id == Case.id)
    return list(db.session.scalars(query).unique())


# ---------------------------------------------------------------- rows

def case_rows(user: User, filters: Filters | Mapping[str, Any] | None = None
              ) -> tuple[list[str], Rows]:
    """One row per case ``user`` may see that matches ``filters``, oldest first."""
    rows = [_case_row(case) for case in _visible_cases(user, _as_filters(user, filters))]
    return list(CASE_HEADERS), rows


def _case_row(case: Case) -> list[Any]:
    return [
        case.id, case.title, _state_label(case), case.department.name, _unit_name(case),
        ORIGINS.get(case.origin, case.origin), submitted_by(case),
        _local(case.created_at).date(), _local(case.updated_at).replace(second=0, microsecond=0),
        case.cost_estimate_sek, _direction(case), _priority(case), case.planned_year,
        case.go_live_date, case.diarienummer,
    ]


def _unit_name(case: Case) -> str:
    """The unit's name; empty for an anonymous idea sent to the förvaltning as a whole."""
    return case.unit.name if case.unit is not None else ""


def submitted_by(case: Case) -> str:
    """The sender's display name, or "Anonym" for a case without author; nothing else."""
    if case.author_id is None or case.author is None:
        return ANONYMOUS
    return case.author.display_name


def dossier_rows(user: User, filters: Filters | Mapping[str, Any] | None = None,
                 today: date | None = None) -> tuple[list[str], Rows]:
    """One row per visible case matching ``filters`` that has a decision dossier."""
    cases = _visible_cases(user, _as_filters(user, filters), with_dossier=True)
    return list(DOSSIER_HEADERS), [_dossier_row(dossier.view(case, today)) for case in cases]


def _dossier_row(current: dossier.DossierView) -> list[Any]:
    case = current.case
    row: list[Any] = [case.id, case.title, _state_label(case), case.department.name,
                      _unit_name(case)]
    row += _benefit_cells(current.sections["benefit"])
    row += _procurement_cells(current.sections["procurement"])
    row += _classification_cells(current.sections["classification"], current.signed_off)
    row.append(YES if current.complete else NO)
    return row


def _benefit_cells(section: dossier.Section) -> list[Any]:
    if not section.saved:
        return ["saknas"] + [None] * 7
    if section.data.not_applicable_reason is not None:
        return ["ej tillämplig"] + [None] * 7
    result = section.result
    return ["ifylld", section.data.horizon_years, result.total_cost_sek, result.npv_sek,
            result.payback_year, result.benefit_cost_ratio, result.financial_sek,
            result.reallocation_sek]


def _procurement_cells(section: dossier.Section) -> list[Any]:
    if not section.saved:
        return [None, None, None]
    proposed = section.result.proposed_route if section.result is not None else None
    return [_route(proposed), _route(section.data.chosen_route),
            section.data.estimated_value_sek]


def _classification_cells(section: dossier.Section, signed_off: bool) -> list[Any]:
    if not section.saved or section.result is None:
        return [None, None, None, None]
    result = section.result
    if signed_off:
        sign_off = YES
    else:
        sign_off = NO if result.needs_security_sign_off else "krävs inte"
    return [result.highest_level, _yes_no(result.personal_data),
            _yes_no(result.sensitive_personal_data), sign_off]


def _route(route: str | None) -> str | None:
    return ROUTES.get(route, route) if route else None


def _yes_no(value: bool) -> str:
    return YES if value else NO


def _state_label(case: Case) -> str:
    states = process_of(case).definition.states
    return states[case.state].label.sv if case.state in states else case.state


def _direction(case: Case) -> str | None:
    parts = [DIRECTION_FOCUS.get(case.direction_focus or ""),
             DIRECTION_REACH.get(case.direction_reach or "")]
    return ", ".join(p for p in parts if p) or None


def _priority(case: Case) -> str | None:
    if not case.priority:
        return None
    for event in process_of(case).definition.events.values():
        for spec in event.fields:
            if spec.name == "priority":
                for choice in spec.choices or ():
                    if choice.value == case.priority:
                        return choice.label.sv
    return case.priority


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def _local(moment: datetime) -> datetime:
    """Local wall-clock time without tzinfo (spreadsheets have no time zones)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(_zone()).replace(tzinfo=None)


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=_zone()).astimezone(timezone.utc)


def today_local() -> date:
    return datetime.now(_zone()).date()


# ---------------------------------------------------------------- files

def to_csv(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """CSV for Swedish Excel: UTF-8 with BOM, ``;`` between fields, CRLF line ends.

    Kronor and other integers are plain digits; decimals have a decimal comma; dates are ISO
    (YYYY-MM-DD, and YYYY-MM-DD HH:MM for times); empty values are empty fields. A text that
    a spreadsheet would run as a formula gets a leading apostrophe.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([_csv_text(h) for h in headers])
    for row in rows:
        writer.writerow([_csv_value(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _yes_no(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f").replace(".", ",")
    if isinstance(value, float):
        return repr(value).replace(".", ",")
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    return _csv_text(str(value))


def _csv_text(text: str) -> str:
    text = clean_text(text)  # old data may hold control characters (issue 12)
    return "'" + text if text.startswith(FORMULA_START) else text


def to_xlsx(sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]) -> bytes:
    """A workbook with one sheet per ``(title, headers, rows)``: bold frozen header row with
    a filter, column widths from the content, numbers as numbers (kronor with a thousands
    format), dates as dates. Text is always stored as text, never as a formula."""
    # openpyxl (about 8 MiB) only in the worker that writes a spreadsheet (issue 14).
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    workbook = Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    for title, headers, rows in sheets:
        sheet = workbook.create_sheet(title=title[:31])
        widths = [len(h) for h in headers]
        kronor = [h.endswith(KRONOR_SUFFIX) for h in headers]
        for column, header in enumerate(headers, start=1):
            cell = sheet.cell(row=1, column=column, value=clean_text(header))
            cell.font = bold
        row_number = 1
        for row_number, row in enumerate(rows, start=2):
            for column, value in enumerate(row, start=1):
                cell = sheet.cell(row=row_number, column=column)
                _set_cell(cell, value, kronor[column - 1] if column <= len(kronor) else False)
                if column <= len(widths):
                    widths[column - 1] = max(widths[column - 1], _display_width(value))
        sheet.freeze_panes = "A2"
        if headers:
            sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{row_number}"
        for column, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(column)].width = min(
                width + 2, MAX_COLUMN_WIDTH)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _set_cell(cell, value: Any, kronor: bool) -> None:
    if isinstance(value, bool):
        value = _yes_no(value)
    if isinstance(value, str):
        # XML forbids control characters, and old data may hold them: one such title would
        # otherwise break the whole export for everyone.
        value = clean_text(value)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # openpyxl would otherwise take "=…" for a formula
    elif isinstance(value, datetime):
        cell.number_format = "yyyy-mm-dd hh:mm"
    elif isinstance(value, date):
        cell.number_format = "yyyy-mm-dd"
    elif isinstance(value, int) and kronor:
        cell.number_format = "#,##0"
    elif isinstance(value, Decimal):
        cell.number_format = "0.00"


def _display_width(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    if isinstance(value, int) and not isinstance(value, bool):
        return len(f"{value:,}")
    return len(_csv_value(value))


def filename(stem: str, extension: str, day: date | None = None) -> str:
    return f"{stem}-{(day or today_local()).isoformat()}.{extension}"
