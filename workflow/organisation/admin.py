"""Organisation administration for the region administrator: förvaltningar and their units
(create, rename, move a unit, close, reopen), each förvaltning's forum names, and its settings
that override the configuration files' defaults.

Every change is validated in full first and then written together with its admin-log entry in
one transaction, so a refused change writes nothing. Closing keeps the cases and their history
(they stay visible where they were); a closed unit is only left out of the choosers for new
ideas, meetings and roles (see organisation/service.py). Closing a förvaltning closes its
units with the same timestamp, and reopening it reopens exactly those units.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Collection, Iterator, Mapping

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from workflow.admin import log as admin_log
from workflow.calc import benefit
from workflow.cases import access
from workflow.council import service as scoring
from workflow.exports.service import today_local
from workflow.models import (
    Case,
    Department,
    DimiosRound,
    MaturityAssessment,
    Region,
    Unit,
    User,
    utcnow,
)
from workflow.platform.errors import InvalidState, NotFound, PermissionDenied, ValidationFailed
from workflow.platform.extensions import db
from workflow.platform.uow import unit_of_work
from workflow.platform.validation import as_id
from workflow.portfolio import service as portfolio
from workflow.processes.registry import registry
from workflow.states.i18n import N_

NAME_MAX = 200
MAX_SEK = 10**12
MAX_HOURS = 10**7
MAX_RATE_PERCENT = Decimal(20)
QUADRANTS = ("efficiency_internal", "efficiency_external", "innovation_internal",
             "innovation_external")
FORUM_FIELDS = ("committee_name", "council_name", "management_group_name")
SETTING_FIELDS = ("delegation_limit_sek", "yearly_budget_sek", "yearly_hours",
                  "hourly_cost_sek", "discount_rate_percent", "target_balance")
DEPARTMENT_FIELDS = ("name", *FORUM_FIELDS, *SETTING_FIELDS)
UNIT_FIELDS = ("name", "department_id")
FORUM_ROLES = ("council", "management")

AMOUNT_ERROR = N_("Ange ett belopp i hela kronor, 0 eller mer, eller lämna fältet tomt för "
                  "standardvärdet.")
HOURS_ERROR = N_("Ange ett helt antal timmar, 0 eller mer, eller lämna fältet tomt för "
                 "standardvärdet.")
RATE_ERROR = N_("Ange kalkylräntan i procent från 0 till 20, med högst en decimal, eller lämna "
                "fältet tomt för standardvärdet.")
SHARE_ERROR = N_("Ange varje andel i hela procent från 0 till 100.")
SHARES_INCOMPLETE = N_("Fyll i alla fyra andelarna, eller lämna alla tomma för standardvärdet.")
SHARES_SUM = N_("Andelarna ska tillsammans bli 100 %%; nu blir de %(sum)s %%.")
UNIT_NAME_TAKEN = N_("Det finns redan en enhet med det namnet i förvaltningen.")
# The region's diarienummer: a regular expression and an example of it (docs/decisions.md).
REGION_FIELDS = ("diarienummer_pattern", "diarienummer_example")
PATTERN_MAX, EXAMPLE_MAX = 200, 60


# ---------------------------------------------------------------- reading

@dataclass(frozen=True)
class UnitRow:
    unit: Unit
    open_cases: int


@dataclass(frozen=True)
class DepartmentRow:
    department: Department
    units: list[UnitRow]
    # Open cases that name only the förvaltning (anonymous ideas sent without a unit).
    without_unit: int = 0

    @property
    def open_cases(self) -> int:
        return sum(row.open_cases for row in self.units) + self.without_unit


def organisation_tree(region_id: int) -> list[DepartmentRow]:
    """Every förvaltning of the region with its units and their open cases, by name."""
    counts = _open_case_counts(region_id)
    departments = db.session.scalars(select(Department).where(Department.region_id == region_id)
                                     .order_by(Department.name))
    return [DepartmentRow(d, [UnitRow(u, counts.get((d.id, u.id), 0)) for u in d.units],
                          counts.get((d.id, None), 0))
            for d in departments]


def get_department(actor: User, department_id: Any) -> Department:
    department = db.session.get(Department, key) if (key := as_id(department_id)) else None
    if department is None or department.region_id != actor.region_id:
        raise NotFound(message=N_("Förvaltningen finns inte."))
    return department


def get_unit(actor: User, unit_id: Any) -> Unit:
    unit = db.session.get(Unit, key) if (key := as_id(unit_id)) else None
    if unit is None or unit.department.region_id != actor.region_id:
        raise NotFound(message=N_("Enheten finns inte."))
    return unit


def open_cases_in_department(department: Department) -> int:
    return _count_open(Case.department_id == department.id)


def open_cases_in_unit(unit: Unit) -> int:
    return _count_open(Case.unit_id == unit.id)


def forum_members(department: Department) -> dict[str, list[User]]:
    """Who holds the council and management roles for the förvaltning (region-wide holders
    included, since their role covers it too)."""
    return {role: access.users_holding((role,), region_id=department.region_id,
                                       department_id=department.id)
            for role in FORUM_ROLES}


def settings_of(department: Department) -> dict[str, Any]:
    """The förvaltning's own settings; None where the file's default applies."""
    rate = department.discount_rate_bp
    return {
        "delegation_limit_sek": department.delegation_limit_sek,
        "yearly_budget_sek": department.yearly_budget_sek,
        "yearly_hours": department.yearly_hours,
        "hourly_cost_sek": department.hourly_cost_sek,
        "discount_rate_percent": None if rate is None else _number(Decimal(rate) / 100),
        "target_balance": (dict(department.target_balance) if department.target_balance
                           else None),
    }


def file_defaults(department: Department) -> dict[str, Any]:
    """What applies when the förvaltning has no value of its own: the configuration files
    (settings.toml, prioritisation.toml, portfolio.toml) and the nyttokalkyl's defaults."""
    capacity = scoring.file_capacity(department)
    targets = portfolio.file_targets(department.name)
    return {
        "delegation_limit_sek": current_app.config["DEFAULT_DELEGATION_LIMIT_SEK"],
        "yearly_budget_sek": capacity.yearly_budget_sek,
        "yearly_hours": capacity.yearly_hours,
        "hourly_cost_sek": benefit.DEFAULTS["hourly_cost_sek"],
        "discount_rate_percent": _number(benefit.DEFAULTS["discount_rate"] * 100),
        "target_balance": {key: _number(Decimal(str(targets[_quadrant(key)])) * 100)
                           for key in QUADRANTS},
    }


def effective_settings(department: Department) -> dict[str, Any]:
    own, defaults = settings_of(department), file_defaults(department)
    return {key: own[key] if own[key] is not None else defaults[key] for key in own}


def department_snapshot(department: Department) -> dict[str, Any]:
    return {"name": department.name,
            **{key: getattr(department, key) for key in FORUM_FIELDS},
            **settings_of(department)}


# ---------------------------------------------------------------- förvaltningar

def create_department(actor: User, fields: Mapping[str, Any]) -> Department:
    _reject_unknown(fields, DEPARTMENT_FIELDS)
    if "name" not in fields:
        raise ValidationFailed({"name": N_("Ange ett namn.")})
    department = Department(region_id=actor.region_id)
    values = _department_values(department, fields)
    with _saving_names("name", N_("Det finns redan en förvaltning med det namnet i regionen.")):
        _apply(department, values)
        db.session.add(department)
        db.session.flush()
        admin_log.record(actor, "department.create", department,
                         after=_without_none(department_snapshot(department)))
    return department


def update_department(actor: User, department: Department,
                      fields: Mapping[str, Any]) -> Department:
    """Change any of the name, the forum names and the settings (absent keys stay; None or
    an empty text clears a setting back to the file's default)."""
    _reject_unknown(fields, DEPARTMENT_FIELDS)
    values = _department_values(department, fields)
    old = department_snapshot(department)
    with _saving_names("name", N_("Det finns redan en förvaltning med det namnet i regionen.")):
        _apply(department, values)
        new = department_snapshot(department)
        for action, keys in (("department.rename", ("name",)),
                             ("department.forums", FORUM_FIELDS),
                             ("department.settings", SETTING_FIELDS)):
            before, after = admin_log.changes({k: old[k] for k in keys},
                                              {k: new[k] for k in keys})
            if after:
                admin_log.record(actor, action, department, before=before, after=after)
    return department


def close_department(actor: User, department: Department,
                     now: datetime | None = None) -> int:
    """Close the förvaltning and its open units; returns its open cases (they stay as they
    are, still visible where they were)."""
    if department.is_closed:
        raise InvalidState(message=N_("Förvaltningen är redan stängd."))
    now = now or utcnow()
    open_cases = open_cases_in_department(department)
    with unit_of_work():
        department.closed_at = now
        admin_log.record(actor, "department.close", department, before={"closed_at": None},
                         after={"closed_at": now, "open_cases": open_cases})
        for unit in department.units:
            if not unit.is_closed:
                unit.closed_at = now
                admin_log.record(actor, "unit.close", unit, label=_unit_label(unit),
                                 before={"closed_at": None},
                                 after={"closed_at": now, "with_department": department.name})
    return open_cases


def set_public_page(actor: User, region: Region, shown: bool) -> Region:
    """Switch the region's public transparency page on or off (region administrators)."""
    if region.id != actor.region_id or not access.is_region_admin(actor):
        raise PermissionDenied()
    if region.public_page != shown:
        with unit_of_work():
            admin_log.record(actor, "region.public_page", region, region_id=region.id,
                             before={"public_page": region.public_page},
                             after={"public_page": shown})
            region.public_page = shown
    return region


def region_settings(region: Region) -> dict[str, Any]:
    """The region's own diarienummer settings (None: config/settings.toml [decisions])."""
    return {key: getattr(region, key) for key in REGION_FIELDS}


def region_defaults() -> dict[str, Any]:
    return {"diarienummer_pattern": current_app.config["DIARIENUMMER_PATTERN"],
            "diarienummer_example": current_app.config["DIARIENUMMER_EXAMPLE"]}


def update_region(actor: User, region: Region, fields: Mapping[str, Any]) -> Region:
    """Set the region's diarienummer format (a regular expression every recorded number must
    match) and its example; None or an empty text goes back to config/settings.toml. A pattern
    that is no valid regular expression, or an example it does not match, is refused and
    nothing is written (docs/decisions.md)."""
    if region.id != actor.region_id or not access.is_region_admin(actor):
        raise PermissionDenied()
    _reject_unknown(fields, REGION_FIELDS)
    errors: dict[str, Any] = {}
    values: dict[str, Any] = {}
    if "diarienummer_pattern" in fields:
        _collect(errors, values, "diarienummer_pattern",
                 lambda: _pattern(fields["diarienummer_pattern"]))
    if "diarienummer_example" in fields:
        _collect(errors, values, "diarienummer_example",
                 lambda: _example(fields["diarienummer_example"]))
    if not errors:
        current = {**region_settings(region), **values}
        defaults = region_defaults()
        pattern = current["diarienummer_pattern"] or defaults["diarienummer_pattern"]
        example = current["diarienummer_example"] or defaults["diarienummer_example"]
        if not re.fullmatch(pattern, example):
            errors["diarienummer_example"] = (
                N_("Exemplet %(example)s följer inte mönstret. Ange ett exempel som följer "
                   "det, så att formulären visar ett riktigt diarienummer."),
                {"example": example})
    if errors:
        raise ValidationFailed(errors)
    before, after = admin_log.changes(region_settings(region),
                                      {**region_settings(region), **values})
    if after:
        with unit_of_work():
            admin_log.record(actor, "region.diarienummer", region, region_id=region.id,
                             before=before, after=after)
            for key, value in values.items():
                setattr(region, key, value)
    return region


def _pattern(raw: Any) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise _FieldError(N_("Ange en text."))
    pattern = raw.strip()
    if not pattern:
        return None
    if len(pattern) > PATTERN_MAX:
        raise _FieldError((N_("Mönstret får vara högst %(max)s tecken."), {"max": PATTERN_MAX}))
    try:
        re.compile(pattern)
    except re.error as problem:
        if problem.pos is not None:
            raise _FieldError((N_("Mönstret är inte ett giltigt reguljärt uttryck (felet "
                                  "finns vid tecken %(position)s). Kontrollera parenteser, "
                                  "hakparenteser och bakstreck."),
                               {"position": str(problem.pos + 1)})) from None
        raise _FieldError(N_("Mönstret är inte ett giltigt reguljärt uttryck. Kontrollera "
                             "parenteser, hakparenteser och bakstreck.")) from None
    return pattern


def _example(raw: Any) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise _FieldError(N_("Ange en text."))
    example = raw.strip()
    if len(example) > EXAMPLE_MAX:
        raise _FieldError((N_("Exemplet får vara högst %(max)s tecken."), {"max": EXAMPLE_MAX}))
    return example or None


def reopen_department(actor: User, department: Department) -> Department:
    """Reopen the förvaltning and the units that were closed together with it."""
    if not department.is_closed:
        raise InvalidState(message=N_("Förvaltningen är inte stängd."))
    closed_at = department.closed_at
    with unit_of_work():
        department.closed_at = None
        admin_log.record(actor, "department.reopen", department, before={"closed_at": closed_at},
                         after={"closed_at": None})
        for unit in department.units:
            if unit.closed_at == closed_at:
                unit.closed_at = None
                admin_log.record(actor, "unit.reopen", unit, label=_unit_label(unit),
                                 before={"closed_at": closed_at},
                                 after={"closed_at": None, "with_department": department.name})
    return department


def _department_values(department: Department, fields: Mapping[str, Any]) -> dict[str, Any]:
    """The model attributes to set, all validated; raises with every field's error at once."""
    errors: dict[str, Any] = {}
    values: dict[str, Any] = {}
    if "name" in fields:
        _collect(errors, values, "name", lambda: _department_name(department, fields["name"]))
    for key in FORUM_FIELDS:
        if key in fields:
            _collect(errors, values, key, lambda key=key: _optional_text(fields[key]))
    parsers = {"delegation_limit_sek": lambda v: _whole(v, MAX_SEK, AMOUNT_ERROR),
               "yearly_budget_sek": lambda v: _whole(v, MAX_SEK, AMOUNT_ERROR),
               "yearly_hours": lambda v: _whole(v, MAX_HOURS, HOURS_ERROR),
               "hourly_cost_sek": lambda v: _whole(v, MAX_SEK, AMOUNT_ERROR),
               "target_balance": _balance}
    for key, parse in parsers.items():
        if key in fields:
            _collect(errors, values, key, lambda parse=parse, key=key: parse(fields[key]))
    if "discount_rate_percent" in fields:
        _collect(errors, values, "discount_rate_bp",
                 lambda: _rate_bp(fields["discount_rate_percent"]), "discount_rate_percent")
    if errors:
        raise ValidationFailed(errors)
    return values


def _department_name(department: Department, raw: Any) -> str:
    name = _required_name(raw)
    others = select(Department.name).where(Department.region_id == department.region_id)
    if department.id is not None:
        others = others.where(Department.id != department.id)
    if any(other.casefold() == name.casefold() for other in db.session.scalars(others)):
        raise _FieldError((N_("Det finns redan en förvaltning som heter %(name)s i regionen. "
                              "Välj ett annat namn."), {"name": name}))
    return name


# ---------------------------------------------------------------- units

def create_unit(actor: User, fields: Mapping[str, Any]) -> Unit:
    _reject_unknown(fields, UNIT_FIELDS)
    errors: dict[str, Any] = {}
    department = _open_department_for_unit(actor, fields.get("department_id"), errors)
    name = _unit_name(None, department, fields.get("name"), errors)
    if errors:
        raise ValidationFailed(errors)
    unit = Unit(department=department, name=name)
    with _saving_names("name", UNIT_NAME_TAKEN):
        db.session.add(unit)
        db.session.flush()
        admin_log.record(actor, "unit.create", unit, label=_unit_label(unit),
                         after={"name": unit.name, "department": department.name})
    return unit


def update_unit(actor: User, unit: Unit, fields: Mapping[str, Any]) -> Unit:
    """Rename the unit and/or move it to another open förvaltning of the region. Its cases,
    history and role assignments go with it."""
    _reject_unknown(fields, UNIT_FIELDS)
    errors: dict[str, Any] = {}
    department = unit.department
    if "department_id" in fields:
        department = _open_department_for_unit(actor, fields["department_id"], errors,
                                                current=unit.department)
    name = _unit_name(unit, department, fields.get("name", unit.name), errors)
    if errors:
        raise ValidationFailed(errors)
    old_name, old_department = unit.name, unit.department
    with _saving_names("name", UNIT_NAME_TAKEN):
        if name != old_name:
            unit.name = name
            admin_log.record(actor, "unit.rename", unit, label=_unit_label(unit),
                             before={"name": old_name}, after={"name": name})
        if department.id != old_department.id:
            unit.department = department
            # The unit's cases go with it to the new förvaltning (and any open form on them
            # meets a newer version).
            db.session.execute(update(Case).where(Case.unit_id == unit.id).values(
                department_id=department.id, version=Case.version + 1))
            admin_log.record(actor, "unit.move", unit, label=_unit_label(unit),
                             before={"department": old_department.name},
                             after={"department": department.name,
                                    "open_cases": open_cases_in_unit(unit)})
    return unit


def close_unit(actor: User, unit: Unit, now: datetime | None = None) -> int:
    """Close the unit; returns its open cases, which stay as they are."""
    if unit.is_closed:
        raise InvalidState(message=N_("Enheten är redan stängd."))
    now = now or utcnow()
    open_cases = open_cases_in_unit(unit)
    with unit_of_work():
        unit.closed_at = now
        admin_log.record(actor, "unit.close", unit, label=_unit_label(unit),
                         before={"closed_at": None},
                         after={"closed_at": now, "open_cases": open_cases})
    return open_cases


def reopen_unit(actor: User, unit: Unit) -> Unit:
    if not unit.is_closed:
        raise InvalidState(message=N_("Enheten är inte stängd."))
    if unit.department.is_closed:
        raise InvalidState(message=N_("Enheten hör till en stängd förvaltning. Öppna "
                                      "förvaltningen först."))
    closed_at = unit.closed_at
    with unit_of_work():
        unit.closed_at = None
        admin_log.record(actor, "unit.reopen", unit, label=_unit_label(unit),
                         before={"closed_at": closed_at}, after={"closed_at": None})
    return unit


def _open_department_for_unit(actor: User, raw: Any, errors: dict[str, Any],
                              current: Department | None = None) -> Department | None:
    department = db.session.get(Department, key) if (key := as_id(raw)) else None
    if department is None or department.region_id != actor.region_id:
        errors["department_id"] = N_("Välj en förvaltning som finns.")
        return None
    if department.is_closed and department is not current:
        errors["department_id"] = (N_("Förvaltningen %(name)s är stängd. Öppna den först, "
                                      "eller välj en annan."), {"name": department.name})
        return None
    return department


def _unit_name(unit: Unit | None, department: Department | None, raw: Any,
               errors: dict[str, Any]) -> str | None:
    """The checked name, unique in ``department`` (when that is known)."""
    try:
        name = _required_name(raw)
    except _FieldError as problem:
        errors["name"] = problem.message
        return None
    if department is not None and any(
            other is not unit and other.name.casefold() == name.casefold()
            for other in department.units):
        errors["name"] = (N_("Det finns redan en enhet som heter %(name)s i %(department)s. "
                             "Välj ett annat namn."), {"name": name, "department": department.name})
        return None
    return name


# ---------------------------------------------------------------- validation helpers

class _FieldError(Exception):
    def __init__(self, message: Any):
        self.message = message
        super().__init__(str(message))


def _collect(errors: dict[str, Any], values: dict[str, Any], attribute: str, parse,
             field: str | None = None) -> None:
    try:
        values[attribute] = parse()
    except _FieldError as problem:
        errors[field or attribute] = problem.message


def _reject_unknown(fields: Mapping[str, Any], allowed: Collection[str]) -> None:
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise ValidationFailed({key: N_("Okänt fält.") for key in unknown})


def _required_name(raw: Any) -> str:
    name = raw.strip() if isinstance(raw, str) else ""
    if not name:
        raise _FieldError(N_("Ange ett namn."))
    if len(name) > NAME_MAX:
        raise _FieldError((N_("Namnet får vara högst %(max)s tecken."), {"max": NAME_MAX}))
    return name


def _optional_text(raw: Any) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise _FieldError(N_("Ange en text."))
    text = raw.strip()
    if len(text) > NAME_MAX:
        raise _FieldError((N_("Namnet får vara högst %(max)s tecken."), {"max": NAME_MAX}))
    return text or None


def _whole(raw: Any, maximum: int, message: str) -> int | None:
    """A whole number from 0 to ``maximum``; None (or an empty text) clears the setting.
    Texts from forms may use spaces as thousands separators."""
    if raw is None:
        return None
    if isinstance(raw, str):
        text = raw.replace(" ", "").replace("\u00a0", "").replace("\u202f", "")
        if not text:
            return None
        if not text.isdigit():
            raise _FieldError(message)
        raw = int(text)
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= maximum:
        raise _FieldError(message)
    return raw


def _rate_bp(raw: Any) -> int | None:
    """A percentage from 0 to 20 with at most one decimal, stored in basis points."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str, Decimal)):
        raise _FieldError(RATE_ERROR)
    try:
        percent = Decimal(raw.strip().replace(",", ".") if isinstance(raw, str) else str(raw))
    except InvalidOperation:
        raise _FieldError(RATE_ERROR) from None
    if not percent.is_finite() or not 0 <= percent <= MAX_RATE_PERCENT \
            or (percent * 10) != (percent * 10).to_integral_value():
        raise _FieldError(RATE_ERROR)
    return int(percent * 100)


def _balance(raw: Any) -> dict[str, int] | None:
    """Four whole-percent shares that add up to 100; None (or all four empty) clears it."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or set(raw) - set(QUADRANTS):
        raise _FieldError(SHARES_INCOMPLETE)
    given = {key: raw.get(key) for key in QUADRANTS}
    blank = [key for key, value in given.items()
             if value is None or (isinstance(value, str) and not value.strip())]
    if len(blank) == len(QUADRANTS):
        return None
    if blank:
        raise _FieldError(SHARES_INCOMPLETE)
    shares = {key: _whole(value, 100, SHARE_ERROR) for key, value in given.items()}
    total = sum(shares.values())
    if total != 100:
        raise _FieldError((SHARES_SUM, {"sum": total}))
    return shares



# ---------------------------------------------------------------- writing helpers

@contextmanager
def _saving_names(field: str, message: str) -> Iterator[None]:
    """A unit of work that turns a lost race on a unique name into a field error."""
    try:
        with unit_of_work():
            yield
    except IntegrityError:
        raise ValidationFailed({field: message}) from None


def _unit_label(unit: Unit) -> str:
    return f"{unit.name} ({unit.department.name})"


def _apply(department: Department, values: Mapping[str, Any]) -> None:
    for attribute, value in values.items():
        setattr(department, attribute, value)


def _without_none(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


# ---------------------------------------------------------------- counting

def _final_states() -> set[str]:
    return {state.name for process in registry().all()
            for state in process.definition.states.values() if state.final}


def _count_open(condition) -> int:
    query = (select(func.count()).select_from(Case)
             .where(condition, Case.state.not_in(sorted(_final_states()))))
    return int(db.session.scalar(query) or 0)


def _open_case_counts(region_id: int) -> dict[tuple[int, int | None], int]:
    """Open cases per (förvaltning, unit); a unit of None counts those naming no unit."""
    departments = select(Department.id).where(Department.region_id == region_id)
    query = (select(Case.department_id, Case.unit_id, func.count()).where(
        Case.department_id.in_(departments), Case.state.not_in(sorted(_final_states())))
        .group_by(Case.department_id, Case.unit_id))
    return {(department_id, unit_id): int(count)
            for department_id, unit_id, count in db.session.execute(query)}


def _number(value: Decimal) -> int | float:
    """A Decimal as a JSON-friendly number: 3 rather than 3.00, 3.5 as 3.5."""
    value = value.normalize()
    return int(value) if value == value.to_integral_value() else float(value)


def _quadrant(key: str) -> tuple[str, str]:
    focus, _sep, reach = key.partition("_")
    return focus, reach



# ---------------------------------------------------------------- digital maturity and DiMiOS

SOURCE_MAX = 300
# DiMiOS reports each round as an index on the survey's 1-5 scale (the seeds hold 2.6-3.1).
DIMIOS_MIN, DIMIOS_MAX = Decimal(1), Decimal(5)
LEVEL_ERROR = N_("Välj en nivå från 1 till 5 på KPMG:s skala.")
DATE_ERROR = N_("Ange ett datum som ÅÅÅÅ-MM-DD.")
FUTURE_DATE_ERROR = N_("Datumet får inte ligga i framtiden.")
SOURCE_REQUIRED = N_("Ange källan till bedömningen.")
SOURCE_TOO_LONG = N_("Källan får vara högst %(max)s tecken.")
SCORE_ERROR = N_("Ange poängen som ett tal från 1 till 5, med högst två decimaler.")
RESPONDENTS_ERROR = N_("Ange antalet svarande som ett helt tal, 1 eller fler.")


def maturity_assessments(department: Department) -> list[MaturityAssessment]:
    """The förvaltning's assessments, newest first."""
    return list(db.session.scalars(
        select(MaturityAssessment).where(MaturityAssessment.department_id == department.id)
        .order_by(MaturityAssessment.assessed_on.desc(), MaturityAssessment.id.desc())))


def dimios_rounds(department: Department) -> list[DimiosRound]:
    """The förvaltning's DiMiOS rounds, newest first."""
    return list(db.session.scalars(
        select(DimiosRound).where(DimiosRound.department_id == department.id)
        .order_by(DimiosRound.measured_on.desc(), DimiosRound.id.desc())))


def get_maturity(actor: User, department: Department, assessment_id: Any) -> MaturityAssessment:
    assessment = (db.session.get(MaturityAssessment, key)
                  if (key := as_id(assessment_id)) else None)
    if (assessment is None or assessment.department_id != department.id
            or department.region_id != actor.region_id):
        raise NotFound(message=N_("Bedömningen finns inte."))
    return assessment


def get_dimios_round(actor: User, department: Department, round_id: Any) -> DimiosRound:
    measurement = db.session.get(DimiosRound, key) if (key := as_id(round_id)) else None
    if (measurement is None or measurement.department_id != department.id
            or department.region_id != actor.region_id):
        raise NotFound(message=N_("Mätningen finns inte."))
    return measurement


def add_maturity(actor: User, department: Department,
                 fields: Mapping[str, Any]) -> MaturityAssessment:
    """Record the förvaltning's level on KPMG's scale (1-5), its date and its source."""
    return _add_measurement(actor, department, fields, MaturityAssessment, "maturity.add",
                            {"level": _level, "assessed_on": _past_date, "source": _source})


def delete_maturity(actor: User, assessment: MaturityAssessment) -> None:
    _delete_measurement(actor, assessment, "maturity.delete")


def add_dimios_round(actor: User, department: Department,
                     fields: Mapping[str, Any]) -> DimiosRound:
    """Record a DiMiOS measurement round: date, score (1-5) and number of respondents."""
    return _add_measurement(actor, department, fields, DimiosRound, "dimios.add",
                            {"measured_on": _past_date, "score": _score,
                             "respondents": _respondents})


def delete_dimios_round(actor: User, measurement: DimiosRound) -> None:
    _delete_measurement(actor, measurement, "dimios.delete")


def _add_measurement(actor: User, department: Department, fields: Mapping[str, Any], model,
                     action: str, checks: Mapping[str, Callable[[Any], Any]]):
    """Validate every field with its check (all errors at once, nothing written), then add the
    row and its admin-log entry in one transaction."""
    _own_department(actor, department)
    _reject_unknown(fields, set(checks))
    errors: dict[str, Any] = {}
    values: dict[str, Any] = {}
    for name, check in checks.items():
        _collect(errors, values, name, lambda check=check, name=name: check(fields.get(name)))
    if errors:
        raise ValidationFailed(errors)
    measurement = model(department_id=department.id, **values)
    with unit_of_work():
        db.session.add(measurement)
        db.session.flush()
        admin_log.record(actor, action, department, after=_measurement_snapshot(measurement))
    return measurement


def _delete_measurement(actor: User, measurement: MaturityAssessment | DimiosRound,
                        action: str) -> None:
    department = measurement.department
    _own_department(actor, department)
    before = _measurement_snapshot(measurement)
    with unit_of_work():
        db.session.delete(measurement)
        admin_log.record(actor, action, department, before=before)


def _own_department(actor: User, department: Department) -> None:
    if department is None or department.region_id != actor.region_id:
        raise NotFound(message=N_("Förvaltningen finns inte."))


def _measurement_snapshot(measurement: MaturityAssessment | DimiosRound) -> dict[str, Any]:
    """The row's id and values, for the admin log."""
    columns = [c.key for c in measurement.__table__.columns if c.key != "department_id"]
    return {key: getattr(measurement, key) for key in columns}


def _level(raw: Any) -> int:
    if isinstance(raw, str):
        raw = int(raw.strip()) if raw.strip().isdigit() else None
    if isinstance(raw, bool) or not isinstance(raw, int) or raw not in portfolio.MATURITY:
        raise _FieldError(LEVEL_ERROR)
    return raw


def _past_date(raw: Any) -> date:
    """An ISO date (ÅÅÅÅ-MM-DD), today or earlier in the organisation's time zone."""
    if isinstance(raw, datetime):
        raise _FieldError(DATE_ERROR)
    if isinstance(raw, date):
        day = raw
    else:
        text = raw.strip() if isinstance(raw, str) else ""
        if len(text) != 10:  # fromisoformat also takes 20260301 and week dates
            raise _FieldError(DATE_ERROR)
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise _FieldError(DATE_ERROR) from None
    if day > today_local():
        raise _FieldError(FUTURE_DATE_ERROR)
    return day


def _source(raw: Any) -> str:
    text = raw.strip() if isinstance(raw, str) else ""
    if not text:
        raise _FieldError(SOURCE_REQUIRED)
    if len(text) > SOURCE_MAX:
        raise _FieldError((SOURCE_TOO_LONG, {"max": SOURCE_MAX}))
    return text


def _score(raw: Any) -> float:
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str, Decimal)):
        raise _FieldError(SCORE_ERROR)
    try:
        score = Decimal(raw.strip().replace(",", ".") if isinstance(raw, str) else str(raw))
    except InvalidOperation:
        raise _FieldError(SCORE_ERROR) from None
    if not score.is_finite() or not DIMIOS_MIN <= score <= DIMIOS_MAX \
            or (score * 100) != (score * 100).to_integral_value():
        raise _FieldError(SCORE_ERROR)
    return float(score)


def _respondents(raw: Any) -> int:
    if isinstance(raw, str):
        text = raw.replace(" ", "").replace("\u00a0", "").replace("\u202f", "")
        raw = int(text) if text.isdigit() else None
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1 or raw > 10**7:
        raise _FieldError(RESPONDENTS_ERROR)
    return raw
