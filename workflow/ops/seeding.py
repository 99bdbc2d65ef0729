"""Loads the demo organisation and cases from seeds/ through the real services.

Cases are replayed step by step with :func:`cases.fire`, so every demo history obeys the
same roles and guards as real use.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from workflow.cases import merging
from workflow.cases import service as cases
from workflow.dossier import service as dossier
from workflow.follow_up import service as follow_up
from workflow.memo import service as memo
from workflow.models import (
    Case,
    DelegationOrder,
    Department,
    DimiosRound,
    InfoObject,
    MaturityAssessment,
    Notification,
    Region,
    RoleAssignment,
    Unit,
    User,
    utcnow,
)
from workflow.plan import service as plan
from workflow.platform.extensions import db
from workflow.platform.passwords import hash_password
from workflow.platform.settings import PROJECT_ROOT
from workflow.states import delegation as delegation_rules
from workflow.states.yaml_io import safe_load

SEED_DIR = PROJECT_ROOT / "seeds"
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class SeedError(RuntimeError):
    pass


@dataclass
class SeedResult:
    users: int
    cases: int


def database_is_empty() -> bool:
    return db.session.scalar(select(Region.id).limit(1)) is None


def seed_demo(directory: Path = SEED_DIR, now: datetime | None = None,
              with_cases: bool = True) -> SeedResult:
    """Load organisation.yaml and (unless told not to) cases.yaml from ``directory``."""
    now = now or utcnow()
    organisation = _shifted(_read(directory / "organisation.yaml"), now)
    region, units, users = _load_organisation(organisation)
    objects = _load_objects(organisation.get("objects", []), region)
    _load_maturity(organisation, region)
    items = _shifted(_read(directory / "cases.yaml"), now).get("cases", []) if with_cases else []
    created = _load_cases(items, units, users, objects, now)
    if with_cases:
        _load_plan(directory / "plan.yaml", region)
        _load_meetings(_read(directory / "meetings.yaml").get("meetings", []), units, users, now)
    _settle_old_notifications(now)
    return SeedResult(users=len(users), cases=created)


def _load_plan(path: Path, region: Region) -> None:
    seeded = list(db.session.scalars(select(Case).order_by(Case.id)))  # fresh: id = position
    try:
        plan.load_plan(_read(path), region, {d.name: d for d in region.departments}, seeded)
    except plan.PlanSeedError as exc:
        raise SeedError(f"seeds/plan.yaml, {exc}") from exc


def _load_meetings(items: list[dict[str, Any]], units: dict[str, Unit], users: dict[str, User],
                   now: datetime) -> None:
    from zoneinfo import ZoneInfo

    from workflow.meetings import service as meetings
    zone = ZoneInfo("Europe/Stockholm")
    for item in items:
        day = (now + timedelta(days=item["in_days"])).astimezone(zone)
        unit = units.get(item.get("unit"))
        department = unit.department if unit else next(
            u.department for u in units.values() if u.department.name == item["department"])
        meetings.create_meeting(users[item["chair"]], {
            "kind": item["kind"], "department_id": department.id,
            "unit_id": unit.id if unit else None, "place": item.get("place", ""),
            "starts_at": day.replace(hour=item.get("hour", 9), minute=0, second=0,
                                     microsecond=0)}, now=now)


def _settle_old_notifications(now: datetime, recent_days: int = 14) -> None:
    """The demo's history is replayed today; what it told people long ago counts as read and
    sent, so a fresh demo shows only the last fortnight's news and mails nobody about 2025."""
    old = db.session.scalars(select(Notification).where(
        Notification.created_at < now - timedelta(days=recent_days)))
    for notification in old:
        notification.read_at = notification.emailed_at = now
    db.session.commit()


def _read(path: Path) -> dict[str, Any]:
    return safe_load(path.read_text(encoding="utf-8")) or {}


def _shifted(data: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Move every date in the seed file as far as today is from its ``reference_date``, so
    that review dates, risk analyses and go-live dates keep their age whenever it is seeded."""
    reference = data.pop("reference_date", None)
    if reference is None:
        return data
    return _shift(data, now.date() - _as_date(reference))


def _shift(value: Any, delta: timedelta) -> Any:
    if isinstance(value, dict):
        return {k: _shift(v, delta) for k, v in value.items()}
    if isinstance(value, list):
        return [_shift(v, delta) for v in value]
    if isinstance(value, date) and not isinstance(value, datetime):
        return value + delta
    if isinstance(value, str) and ISO_DATE.fullmatch(value):
        return (date.fromisoformat(value) + delta).isoformat()
    return value


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _load_organisation(data: dict[str, Any]) -> tuple[Region, dict[str, Unit], dict[str, User]]:
    region = Region(name=data["region"])
    db.session.add(region)
    units: dict[str, Unit] = {}
    departments: dict[str, Department] = {}
    for item in data["departments"]:
        department = Department(region=region, name=item["name"],
                                delegation_limit_sek=item.get("delegation_limit_sek"),
                                committee_name=item.get("committee"))
        departments[department.name] = department
        db.session.add(department)
        if "delegation_order" in item:
            order = item["delegation_order"]
            db.session.add(DelegationOrder(
                department=department, version=1, valid_from=_as_date(order["valid_from"]),
                adopted_by=order["adopted_by"], points=[
                    delegation_rules.point_from_dict(point).as_dict()
                    for point in order["points"]]))
        for name in item["units"]:
            units[name] = Unit(department=department, name=name)
            db.session.add(units[name])
    password_hash = _demo_password_hash(data["password"])
    users: dict[str, User] = {}
    for item in data["users"]:
        user = User(username=item["username"].lower(), display_name=item["name"],
                    email=item.get("email"), password_hash=password_hash, region=region)
        for role in item["roles"]:
            user.roles.append(RoleAssignment(
                role=role["role"],
                unit=units[role["unit"]] if "unit" in role else None,
                department=departments[role["department"]] if "department" in role else None))
        users[user.username] = user
        db.session.add(user)
    db.session.commit()
    return region, units, users


def _load_maturity(data: dict[str, Any], region: Region) -> None:
    departments = {d.name: d for d in region.departments}
    for item in data.get("maturity", []):
        db.session.add(MaturityAssessment(department=departments[item["department"]],
                                          level=item["level"], assessed_on=item["assessed_on"],
                                          source=item.get("source", "")))
    for item in data.get("dimios", []):
        db.session.add(DimiosRound(department=departments[item["department"]],
                                   measured_on=item["measured_on"], score=item["score"],
                                   respondents=item["respondents"]))
    region.public_page = bool(data.get("public_page", False))
    db.session.commit()


AXES = {"K": "confidentiality", "R": "integrity", "T": "availability", "S": "traceability"}


def _load_objects(items: list[dict[str, Any]], region: Region) -> dict[str, InfoObject]:
    departments = {d.name: d for d in region.departments}
    objects: dict[str, InfoObject] = {}
    for item in items:
        levels = {AXES[k]: v for k, v in item.get("levels", {}).items()}
        objects[item["name"]] = InfoObject(
            name=item["name"], department=departments.get(item.get("department")),
            kind=item.get("kind", "system"), owner=item.get("owner", ""),
            administrator=item.get("administrator", ""), sla_notes=item.get("sla_notes", ""),
            personal_data=item.get("personal_data", False),
            sensitive_personal_data=item.get("sensitive_personal_data", False),
            last_review=item.get("last_review"), **levels)
        db.session.add(objects[item["name"]])
    db.session.commit()
    return objects


def _load_cases(items: list[dict[str, Any]], units: dict[str, Unit], users: dict[str, User],
                objects: dict[str, InfoObject], now: datetime) -> int:
    created: list[Case] = []
    for position, item in enumerate(items, start=1):
        try:
            created.append(_load_case(item, units, users, objects, created, now))
        except Exception as exc:
            raise SeedError(f"seeds/cases.yaml, case {position} ({item.get('title')!r}): "
                            f"{_describe(exc)}") from exc
    return len(created)


def _load_case(item: dict[str, Any], units: dict[str, Unit], users: dict[str, User],
               objects: dict[str, InfoObject], earlier: list[Case], now: datetime) -> Case:
    fields = {k: item[k] for k in ("title", "need", "effect", "origin", "cost_estimate_sek",
                                   "direction") if k in item}
    if "unit" in item:
        fields["unit_id"] = units[item["unit"]].id
    else:  # an anonymous idea sent with only its förvaltning
        fields["department_id"] = next(u.department_id for u in units.values()
                                       if u.department.name == item["department"])
    moment = _moment(now, item.get("days_ago", 0), 0)
    if item["author"] == "anonymous":
        stand_in = next(iter(users.values()))  # only checks the region; never stored
        case = cases.create_case(stand_in, fields, anonymous=True, now=moment)
    else:
        case = cases.create_case(users[item["author"]], fields, now=moment)
    for index, step in enumerate(item.get("steps", []), start=1):
        actor = users[step["by"]]
        moment = _moment(now, step.get("days_ago", 0), index)
        if "edit" in step:
            cases.update_case(actor, case, step["edit"], now=moment)
            continue
        if "dossier" in step:
            _save_dossier_section(actor, case, step, objects, moment)
            continue
        if "sign_off" in step:
            dossier.sign_off_classification(actor, case, now=moment)
            continue
        if "accept_merge" in step:  # the target's owner consents to a proposed merge
            merging.accept(actor, merging.pending_from(case), now=moment)
            continue
        if "memo" in step:  # the tjänsteutlåtande before the nämnd (docs/decisions.md)
            memo.save_memo(actor, case, step["memo"], now=moment)
            continue
        if "report" in step:
            fields = dict(step["report"])
            follow_up.report(actor, case, fields.pop("benefit"), fields.pop("months"), fields,
                             now=moment)
            continue
        data = {k: v for k, v in step.items() if k not in ("event", "by", "days_ago")}
        if "target_case" in data:
            data["target_case"] = earlier[data["target_case"] - 1].id
        if "go_live_date" in data:
            data["go_live_date"] = str(data["go_live_date"])
        cases.fire(case, step["event"], actor, data, now=moment)
    return case


def _save_dossier_section(actor: User, case: Case, step: dict[str, Any],
                          objects: dict[str, InfoObject], moment: datetime) -> None:
    data = dict(step.get("data") or {})
    if "objects" in data:  # the register's objects by name
        data["object_ids"] = [objects[name].id for name in data.pop("objects")]
    if "replacement" in step:
        data["replacement"] = step["replacement"]
    dossier.save_section(actor, case, step["dossier"], data, now=moment)


def _moment(now: datetime, days_ago: int, step: int) -> datetime:
    return now - timedelta(days=days_ago) + timedelta(minutes=step)


def _describe(exc: Exception) -> str:
    reasons = getattr(exc, "reasons", None)
    fields = getattr(exc, "field_errors", None)
    return f"{type(exc).__name__}: {exc} {reasons or ''} {fields or ''}".strip()


@functools.lru_cache(maxsize=4)
def _demo_password_hash(password: str) -> str:
    """The demo password is public: hash it once per process, so that seeding again (tests,
    benchmarks) does not pay for the hash each time."""
    return hash_password(password)
