"""The decision dossier service: saving its three sections, the security sign-off, and the
facts the approval gates need (every missing or failing item, the total cost)."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Mapping

from flask import current_app
from sqlalchemy import bindparam, or_, select

from workflow.calc import benefit, classification, procurement
from workflow.cases import access
from workflow.models import Case, Department, Dossier, InfoObject, User, utcnow
from workflow.platform.errors import Conflict, InvalidState, PermissionDenied, ValidationFailed
from workflow.platform.extensions import db
from workflow.platform.uow import record, unit_of_work
from workflow.platform.validation import validate
from workflow.processes.registry import process_of
from workflow.states import Failure, features
from workflow.states.definition import ProcessDefinition
from workflow.states.i18n import N_

THRESHOLDS_KEY = "workflow.procurement_thresholds"
SECTION_MODELS = {
    "benefit": benefit.BenefitCalculation,
    "procurement": procurement.ProcurementCheck,
    "classification": classification.CaseClassification,
}
SECTION_MISSING = {
    "benefit": Failure("benefit_missing", N_("Nyttokalkyl saknas.")),
    "procurement": Failure("procurement_missing", N_("Upphandlingskontroll saknas.")),
    "classification": Failure("classification_missing", N_("Informationsklassning saknas.")),
}
# The state a positive decision (approve, the nämnd's yes) leads to (docs/dossier-rules.md).
DECIDED_STATE = features.DECIDED_STATE
# Cases in these states no longer count towards the year's direct procurements.
ENDED_STATES = features.ENDED_STATES


@dataclass
class Section:
    name: str
    data: Any = None  # the validated input model, None when never saved
    result: Any = None
    problems: list[Failure] = field(default_factory=list)
    warnings: list[Failure] = field(default_factory=list)

    @property
    def saved(self) -> bool:
        return self.data is not None

    @property
    def passed(self) -> bool:
        return self.saved and not self.problems


@dataclass
class DossierView:
    case: Case
    version: int
    sections: dict[str, Section]
    signed_off_by: User | None
    signed_off_at: datetime | None
    signed_off: bool

    @property
    def failures(self) -> list[Failure]:
        """Every reason the dossier blocks a decision, section by section."""
        failures: list[Failure] = []
        for name, section in self.sections.items():
            failures.extend(section.problems if section.saved else [SECTION_MISSING[name]])
        return failures

    @property
    def complete(self) -> bool:
        return not self.failures

    @property
    def total_cost_sek(self) -> int | None:
        section = self.sections["benefit"]
        if not section.saved or section.data.not_applicable_reason:
            return None
        return section.result.total_cost_sek

    @property
    def exists(self) -> bool:
        """Whether any part of the dossier has been saved: from then on the early cost
        estimate no longer counts for the delegation order (docs/delegation.md)."""
        return any(section.saved for section in self.sections.values())

    @property
    def contract_value_sek(self) -> int | None:
        """The procurement's estimated value over the contract's whole term."""
        section = self.sections["procurement"]
        return section.data.estimated_value_sek if section.saved else None

    @property
    def personal_data_level(self) -> int | None:
        """The confidentiality level when the classification covers personal data."""
        section = self.sections["classification"]
        if not section.saved:
            return None
        data = section.data
        if not (getattr(data, "personal_data", False)
                or getattr(data, "sensitive_personal_data", False)):
            return None
        levels = getattr(data, "levels", None)
        return getattr(levels, "confidentiality", None) if levels is not None else None


def view(case: Case, today: date | None = None, same_kind_direct: Any = None) -> DossierView:
    """The dossier's sections checked and computed on ``today``. ``same_kind_direct``: the
    other cases' direct awards of the kind and year the dossier stored, when the caller read
    them with the dossier (delegation/service.py ``facts_for``, an approval)."""
    today = today or utcnow().date()
    dossier = case.dossier
    sections = {name: Section(name) for name in SECTION_MODELS}
    if dossier is not None:
        _load_benefit(sections["benefit"], dossier, case)
        _load_procurement(sections["procurement"], dossier, case, today, same_kind_direct)
        _load_classification(sections["classification"], dossier, case, today)
    return DossierView(case=case, version=dossier.version if dossier else 0, sections=sections,
                       signed_off_by=dossier.signed_off_by if dossier else None,
                       signed_off_at=dossier.signed_off_at if dossier else None,
                       signed_off=_signed_off(dossier))


def _load_benefit(section: Section, dossier: Dossier, case: Case) -> None:
    if dossier.benefit is None:
        return
    section.data = benefit.BenefitCalculation.model_validate(dossier.benefit)
    section.result = benefit.calculate(section.data)
    section.problems = benefit.problems(section.data, mandatory=case.origin == "mandatory",
                                        replacement=dossier.replacement)


def _load_procurement(section: Section, dossier: Dossier, case: Case, today: date,
                      same_kind_direct: Any = None) -> None:
    if dossier.procurement is None:
        return
    section.data = procurement.ProcurementCheck.model_validate(dossier.procurement)
    day = section.data.checked_on or today
    try:
        thresholds = procurement.thresholds_on(_thresholds(), day)
    except procurement.NoThresholdsInForce:
        section.problems = [Failure(
            "thresholds_missing",
            N_("Det finns inga tröskelvärden för %(day)s i config/procurement.toml. Be "
               "administratören lägga in de värden Upphandlingsmyndigheten har publicerat."),
            {"day": day.isoformat()})]
        return
    section.result = procurement.evaluate(
        section.data, thresholds=thresholds,
        same_kind_direct=_same_kind_direct_awards(case, section.data, day, same_kind_direct))
    section.problems = procurement.problems(section.data, section.result)
    section.warnings = list(section.result.warnings)


def _load_classification(section: Section, dossier: Dossier, case: Case, today: date) -> None:
    if dossier.classification is None:
        return
    section.data = classification.CaseClassification.model_validate(dossier.classification)
    section.result = classification.evaluate(section.data, _object_records(case, section.data),
                                             signed_off=_signed_off(dossier), today=today)
    section.problems = list(section.result.problems)
    section.warnings = list(section.result.warnings)


def dossier_failures(case: Case, today: date | None = None) -> tuple[Failure, ...]:
    return tuple(view(case, today).failures)


def total_cost_sek(case: Case) -> int | None:
    return view(case).total_cost_sek


# ---------------------------------------------------------------- changing the dossier

def can_edit(user: User, case: Case) -> bool:
    editors = process_of(case).state(case.state).dossier_editors
    return bool(access.roles_for(user, case) & set(editors))


def save_section(actor: User, case: Case, name: str, payload: Any, *,
                 expected_version: Any = None, now: datetime | None = None) -> DossierView:
    """Validate and store one section; the history records each changed field."""
    if name not in SECTION_MODELS:
        raise ValidationFailed({"section": N_("Okänd del av beslutsunderlaget.")})
    if not can_edit(actor, case):
        raise PermissionDenied(message=N_("Du får inte ändra beslutsunderlaget i ärendets "
                                          "nuvarande läge."))
    payload = dict(payload) if isinstance(payload, Mapping) else payload
    replacement = payload.pop("replacement", None) if isinstance(payload, dict) else None
    if replacement is not None and not isinstance(replacement, bool):
        raise ValidationFailed({"replacement": N_("Ange ja eller nej.")})
    if name == "benefit" and isinstance(payload, dict):
        for key, value in benefit_defaults(case.department).items():
            payload.setdefault(key, value)
    document = validate(SECTION_MODELS[name], payload).model_dump(mode="json")
    now = now or utcnow()
    with unit_of_work():
        dossier = case.dossier or Dossier(case=case)
        _check_version(dossier, expected_version)
        before = getattr(dossier, name) or {}
        setattr(dossier, name, document)
        changes = _changes(before, document)
        if name == "benefit" and replacement is not None and replacement != dossier.replacement:
            changes["replacement"] = {"before": dossier.replacement, "after": replacement}
            dossier.replacement = replacement
        if name == "procurement":
            _copy_procurement_columns(dossier, document, now.date())
        if changes:
            dossier.updated_at = case.updated_at = now
            db.session.add(dossier)
            record(case, f"dossier_{name}", case.state, case.state, actor, now,
                   data={"changes": changes})
    return view(case)


def sign_off_open(case: Case) -> bool:
    """Whether the classification may still be signed off (docs/dossier-rules.md, "The
    sign-off"). The sign-off is part of the basis for the decision: it is accepted while the
    dossier may still change (a state with dossier editors: refinement up to management) and
    while the decision is pending (a state some event leaves for the decided state: management,
    political); never once the case is decided or in a final state, so a closed case's
    sign-off is never rewritten. Read from the case's own process definition, so a process
    with other stages before the decision keeps the same rule."""
    return sign_off_open_in(process_of(case).definition, case.state)


def sign_off_open_in(definition: ProcessDefinition, state_name: str) -> bool:
    """:func:`sign_off_open` for a state of a process definition (pure)."""
    state = definition.states.get(state_name)
    if state is None or state.final:
        return False
    if state.dossier_editors:
        return True
    return any(state_name in event.sources and event.dest == DECIDED_STATE
               for event in definition.events.values())


def can_sign_off(user: User, case: Case) -> bool:
    return "security" in access.roles_for(user, case) and sign_off_open(case)


def sign_off_classification(actor: User, case: Case, now: datetime | None = None) -> DossierView:
    """The information-security coordinator approves the classification as it stands, before
    the decision (:func:`sign_off_open`)."""
    if "security" not in access.roles_for(actor, case):
        raise PermissionDenied(message=N_("Bara informationssäkerhetssamordnaren kan godkänna "
                                          "klassningen."))
    if not sign_off_open(case):
        raise InvalidState([Failure("sign_off_after_decision", N_(
            "Klassningen kan bara godkännas innan ärendet är beslutat. Efter beslutet gäller "
            "klassningen som den var godkänd när beslutet fattades."))])
    dossier = case.dossier
    if dossier is None or dossier.classification is None:
        raise ValidationFailed({"classification": N_("Det finns ingen klassning att godkänna.")})
    now = now or utcnow()
    with unit_of_work():
        dossier.signed_off_by = actor
        dossier.signed_off_at = now
        dossier.signed_off_digest = _digest(dossier.classification)
        record(case, "classification_signed_off", case.state, case.state, actor, now)
    return view(case)


def benefit_defaults(department: Department) -> dict[str, Any]:
    """The hourly cost and discount rate a nyttokalkyl uses when it gives none: the
    förvaltning's own where the administrator set them, else ``benefit.DEFAULTS``."""
    rate = department.discount_rate_bp
    return {"hourly_cost_sek": (department.hourly_cost_sek if department.hourly_cost_sek
                                is not None else benefit.DEFAULTS["hourly_cost_sek"]),
            "discount_rate": (Decimal(rate) / 10000 if rate is not None
                              else benefit.DEFAULTS["discount_rate"])}


def _check_version(dossier: Dossier, expected_version: Any) -> None:
    if expected_version in (None, ""):
        return
    if isinstance(expected_version, bool) or not (str(expected_version).isascii()
                                                  and str(expected_version).isdigit()):
        raise ValidationFailed({"version": N_("Ange beslutsunderlagets version som ett heltal.")})
    if int(expected_version) != (dossier.version or 0):
        raise Conflict()


def _copy_procurement_columns(dossier: Dossier, document: Mapping[str, Any], today: date) -> None:
    checked_on = document.get("checked_on")
    day = date.fromisoformat(checked_on) if checked_on else today
    dossier.procurement_route = document.get("chosen_route")
    dossier.procurement_kind = (document.get("kind") or "").strip().lower() or None
    dossier.procurement_value_sek = document.get("estimated_value_sek")
    dossier.procurement_year = procurement.financial_year(day)


def _changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, dict]:
    old, new = _flatten(before), _flatten(after)
    return {path: {"before": old.get(path), "after": new.get(path)}
            for path in sorted(set(old) | set(new)) if old.get(path) != new.get(path)}


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, Mapping):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return {prefix: value}
    flat: dict[str, Any] = {}
    for key, item in items:
        flat.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
    return flat


def _digest(document: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode("utf-8")).hexdigest()


def _signed_off(dossier: Dossier | None) -> bool:
    return bool(dossier and dossier.classification is not None and dossier.signed_off_digest
                and dossier.signed_off_digest == _digest(dossier.classification))


# ---------------------------------------------------------------- facts from the database

def _thresholds():
    return current_app.extensions[THRESHOLDS_KEY]


def _same_kind_direct_awards(case: Case, check, day: date,
                             known: Any = None) -> list[procurement.SameKindAward]:
    """The other cases' direct awards of the same kind in the case's förvaltning and
    räkenskapsår (LOU 19 kap. 8 §), as case number and value: their sum and who they are.
    ``known``: those of the kind and year the dossier stored, read with it
    (delegation ``SameKindDirect``); used when they are the check's, else read here."""
    kind = (check.kind or "").strip().lower()
    if not kind:
        return []
    year = procurement.financial_year(day)
    if known is not None and (known.kind, known.year) == (kind, year):
        return [procurement.SameKindAward(case_id, int(value))
                for case_id, value in known.awards]
    return [procurement.SameKindAward(case_id, int(value))
            for case_id, value in db.session.execute(_SAME_KIND_DIRECT, {
                "case_id": case.id, "kind": kind, "year": year,
                "department_id": case.department_id})]


# Built once (issue 14: building it cost more than running it, on every approval).
_SAME_KIND_DIRECT = (
    select(Dossier.case_id, Dossier.procurement_value_sek)
    .join(Case, Case.id == Dossier.case_id)
    .where(Dossier.case_id != bindparam("case_id"), Dossier.procurement_kind == bindparam("kind"),
           Dossier.procurement_route == "direct_procurement",
           Dossier.procurement_value_sek.is_not(None),
           Dossier.procurement_year == bindparam("year"),
           Case.department_id == bindparam("department_id"),
           Case.state.not_in(ENDED_STATES))
    .order_by(Dossier.case_id))


def objects_for(user: User) -> list[InfoObject]:
    """The register's objects in the user's region: region-wide ones and each förvaltning's."""
    departments = select(Department.id).where(Department.region_id == user.region_id)
    query = (select(InfoObject)
             .where(or_(InfoObject.department_id.is_(None),
                        InfoObject.department_id.in_(departments)))
             .order_by(InfoObject.name))
    return list(db.session.scalars(query))


def _object_records(case: Case, data) -> list:
    """The linked objects that exist in the case's region (others are reported missing)."""
    if not data.object_ids:
        return []
    departments = select(Department.id).where(
        Department.region_id == case.department.region_id)
    rows = db.session.scalars(select(InfoObject).where(
        InfoObject.id.in_(data.object_ids),
        or_(InfoObject.department_id.is_(None), InfoObject.department_id.in_(departments))))
    return [object_record(row) for row in rows]


def object_record(row: InfoObject):
    return classification.ObjectRecord(
        id=row.id, name=row.name,
        levels=classification.Levels(confidentiality=row.confidentiality,
                                     integrity=row.integrity, availability=row.availability,
                                     traceability=row.traceability),
        personal_data=row.personal_data, sensitive_personal_data=row.sensitive_personal_data,
        last_review=row.last_review)
