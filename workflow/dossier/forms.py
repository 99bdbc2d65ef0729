"""Web forms for the decision dossier, and the translation between form data and the
section documents the dossier service validates (the same documents the API takes)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Iterable, Mapping

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import NumberRange, Optional

from workflow.calc import benefit, classification, procurement

MAX_SEK = 10**12


def _select(label, table: Mapping[str, str], blank: bool = False) -> SelectField:
    """A select whose value the section model validates (so its error lands on the field)."""
    return SelectField(label, choices=_choices(table, blank), validate_choice=False)


def _choices(table: Mapping[str, str], blank: bool = False) -> list[SelectChoice]:
    options = [SelectChoice(key, _l(label)) for key, label in table.items()]
    return ([SelectChoice("", _l("Välj"))] if blank else []) + options


def _kronor(label) -> IntegerField:
    return IntegerField(label, validators=[Optional(), NumberRange(min=0, max=MAX_SEK)])


# ---------------------------------------------------------------- benefit calculation

class CostYearForm(Form):
    investment_sek = _kronor(_l("Investering (kr)"))
    running_sek = _kronor(_l("Löpande kostnad (kr)"))
    internal_hours = DecimalField(_l("Egen tid (timmar)"),
                                  validators=[Optional(), NumberRange(min=0, max=10**7)])


class CheckpointForm(Form):
    months_after_go_live = IntegerField(_l("Månader efter driftstart"),
                                        validators=[Optional(), NumberRange(min=1, max=120)])
    target = StringField(_l("Målvärde"))


class BenefitEntryForm(Form):
    description = TextAreaField(_l("Beskrivning av nyttan"))
    category = _select(_l("Kategori"), benefit.CATEGORIES)
    colour = _select(_l("PENG-färg"), benefit.COLOURS)
    beneficiary = _select(_l("Vem får nyttan"), benefit.BENEFICIARIES)
    amounts_sek = FieldList(_kronor(_l("Belopp (kr)")), min_entries=1)
    how_realised = StringField(_l("Hur realiseras nyttan?"))
    who_realises = StringField(_l("Vem realiserar den?"))
    when = StringField(_l("När?"))
    follow_up_method = StringField(_l("Hur följs den upp?"))
    follow_up_owner = StringField(_l("Vem äger uppföljningen?"))
    indicator = StringField(_l("Vilken indikator?"))
    baseline = StringField(_l("Nuläge (indikatorns värde i dag)"))
    checkpoints = FieldList(FormField(CheckpointForm), min_entries=2)
    remove = BooleanField(_l("Ta bort den här nyttan när jag sparar"))


class BenefitForm(FlaskForm):
    version = HiddenField()
    horizon_years = IntegerField(_l("Kalkylperiod (år)"), default=5,
                                 validators=[Optional(), NumberRange(min=1, max=15)])
    discount_rate_percent = DecimalField(_l("Kalkylränta (%)"), default=Decimal(3), places=1,
                                         validators=[Optional(), NumberRange(min=0, max=20)])
    hourly_cost_sek = _kronor(_l("Timkostnad för egen tid (kr)"))
    replacement = BooleanField(_l("Ersätter en likvärdig lösning"))
    not_applicable_reason = TextAreaField(
        _l("Ej tillämplig, därför att …"),
        description=_l("Bara för tvingande ärenden och ersättning av likvärdig lösning."))
    costs = FieldList(FormField(CostYearForm), min_entries=1)
    benefits = FieldList(FormField(BenefitEntryForm), min_entries=1)
    add_benefit = SubmitField(_l("Lägg till en nytta"))
    save = SubmitField(_l("Spara nyttokalkylen"))


def benefit_form(document: Mapping[str, Any] | None, replacement: bool,
                 formdata=None) -> BenefitForm:
    data = _benefit_form_data(document or {}, replacement)
    form = BenefitForm(formdata=formdata, data=data, prefix="benefit")
    horizon = _horizon(form)
    _resize(form.costs, horizon)
    for entry in form.benefits:
        _resize(entry.form.amounts_sek, horizon)
    return form


def add_benefit_entry(form: BenefitForm) -> None:
    entry = form.benefits.append_entry()
    _resize(entry.form.amounts_sek, _horizon(form))
    for months, checkpoint in zip((6, 12), entry.form.checkpoints, strict=False):
        checkpoint.form.months_after_go_live.data = months


def _horizon(form: BenefitForm) -> int:
    value = form.horizon_years.data
    return value if isinstance(value, int) and 1 <= value <= 15 else 5


def _resize(field_list: FieldList, size: int) -> None:
    while len(field_list) < size:
        field_list.append_entry()
    while len(field_list) > size:
        field_list.pop_entry()


def _benefit_form_data(document: Mapping[str, Any], replacement: bool) -> dict[str, Any]:
    horizon = document.get("horizon_years", 5)
    costs = {c["year"]: c for c in document.get("costs", [])}
    rate = Decimal(str(document.get("discount_rate", "0.03"))) * 100
    return {
        "horizon_years": horizon, "discount_rate_percent": rate,
        "hourly_cost_sek": document.get("hourly_cost_sek", 450), "replacement": replacement,
        "not_applicable_reason": document.get("not_applicable_reason") or "",
        "costs": [costs.get(year, {}) for year in range(1, horizon + 1)],
        "benefits": [_benefit_entry_data(b, horizon) for b in document.get("benefits", [])]
        or [{"checkpoints": [{"months_after_go_live": 6}, {"months_after_go_live": 12}]}],
    }


def _benefit_entry_data(item: Mapping[str, Any], horizon: int) -> dict[str, Any]:
    amounts = list(item.get("amounts_sek", []))
    return {**item, "amounts_sek": amounts + [None] * (horizon - len(amounts))}


def benefit_document(form: BenefitForm, defaults: Mapping[str, Any] | None = None,
                     ) -> tuple[dict[str, Any], list[int]]:
    """The section document, and for each kept benefit the index of its form entry. Empty
    hourly cost or discount rate take ``defaults`` (the förvaltning's, see
    ``services.dossier.benefit_defaults``)."""
    defaults = defaults or {}
    horizon = _horizon(form)
    rate = form.discount_rate_percent.data
    kept = [i for i, entry in enumerate(form.benefits) if not entry.form.remove.data]
    document = {
        "horizon_years": horizon,
        "discount_rate": (rate / 100) if rate is not None
        else defaults.get("discount_rate", Decimal("0.03")),
        "hourly_cost_sek": _or_default(form.hourly_cost_sek.data,
                                       defaults.get("hourly_cost_sek", 450)),
        "not_applicable_reason": (form.not_applicable_reason.data or "").strip() or None,
        "costs": [_cost_year(year, entry.form) for year, entry in enumerate(form.costs, start=1)
                  if year <= horizon and _has_cost(entry.form)],
        "benefits": [_benefit_item(form.benefits[i].form, horizon) for i in kept
                     if _has_benefit(form.benefits[i].form)],
        "replacement": bool(form.replacement.data),
    }
    kept = [i for i in kept if _has_benefit(form.benefits[i].form)]
    return document, kept


def _or_default(value: Any, default: Any) -> Any:
    return default if value is None else value


def _has_cost(entry: CostYearForm) -> bool:
    return any(v not in (None, 0) for v in (entry.investment_sek.data, entry.running_sek.data,
                                           entry.internal_hours.data))


def _cost_year(year: int, entry: CostYearForm) -> dict[str, Any]:
    return {"year": year, "investment_sek": entry.investment_sek.data or 0,
            "running_sek": entry.running_sek.data or 0,
            "internal_hours": entry.internal_hours.data or 0}


def _has_benefit(entry: BenefitEntryForm) -> bool:
    texts = [entry.description.data, entry.how_realised.data, entry.indicator.data]
    return any((t or "").strip() for t in texts) or any(a.data for a in entry.amounts_sek)


def _benefit_item(entry: BenefitEntryForm, horizon: int) -> dict[str, Any]:
    amounts = [a.data or 0 for a in list(entry.amounts_sek)[:horizon]]
    while amounts and amounts[-1] == 0:
        amounts.pop()
    if entry.category.data == "non_monetary":
        amounts = []
    return {
        "description": entry.description.data or "", "category": entry.category.data,
        "colour": entry.colour.data, "beneficiary": entry.beneficiary.data,
        "amounts_sek": amounts,
        **{name: entry[name].data or "" for name in (
            "how_realised", "who_realises", "when", "follow_up_method", "follow_up_owner",
            "indicator", "baseline")},
        "checkpoints": [{"months_after_go_live": c.form.months_after_go_live.data,
                         "target": c.form.target.data or ""}
                        for c in entry.checkpoints if c.form.months_after_go_live.data],
    }


# ---------------------------------------------------------------- procurement check

class ChecklistAnswerForm(Form):
    answer = RadioField(_l("Svar"), choices=[SelectChoice("yes", _l("Ja")),
                                             SelectChoice("no", _l("Nej")),
                                             SelectChoice("not_relevant", _l("Ej relevant"))],
                        validators=[Optional()], validate_choice=False)
    motivation = TextAreaField(_l("Motivering"))
    who = StringField(_l("Vem"))
    when = DateField(_l("När"), validators=[Optional()])


def _checklist_form() -> type[Form]:
    fields = {item: FormField(ChecklistAnswerForm, label=_l(question))
              for item, question in procurement.CHECKLIST_ITEMS.items()}
    return type("ChecklistForm", (Form,), fields)


class ProcurementForm(FlaskForm):
    version = HiddenField()
    estimated_value_sek = _kronor(_l("Uppskattat kontraktsvärde (kr), hela avtalstiden inkl. "
                                     "förlängningar"))
    contract_years = IntegerField(_l("Avtalstid (år)"),
                                  validators=[Optional(), NumberRange(min=1, max=20)])
    kind = StringField(_l("Vad köps (av samma slag)"),
                       description=_l("Används för att räkna samman direktupphandlingar av "
                                      "samma slag under året."))
    chosen_route = _select(_l("Vald väg"), procurement.ROUTES, blank=True)
    framework = _select(_l("Ramavtal"), procurement.FRAMEWORKS, blank=True)
    framework_name = StringField(_l("Ramavtalets namn"))
    call_off_notice = StringField(_l("Avropsanmälan eller avropsbekräftelse"))
    checked_on = DateField(_l("Datum för kontrollen"), validators=[Optional()])
    checklist = FormField(_checklist_form())
    save = SubmitField(_l("Spara upphandlingskontrollen"))


def procurement_form(document: Mapping[str, Any] | None, formdata=None) -> ProcurementForm:
    data = dict(document or {})
    if isinstance(data.get("checked_on"), str):
        data["checked_on"] = date.fromisoformat(data["checked_on"])
    for answer in (data.get("checklist") or {}).values():
        if isinstance(answer.get("when"), str):
            answer["when"] = date.fromisoformat(answer["when"])
    return ProcurementForm(formdata=formdata, data=data, prefix="procurement")


def procurement_document(form: ProcurementForm) -> dict[str, Any]:
    checklist = {}
    for item in procurement.CHECKLIST_ITEMS:
        entry = form.checklist.form[item].form
        checklist[item] = {"answer": entry.answer.data or None,
                           "motivation": entry.motivation.data or "",
                           "who": entry.who.data or "", "when": entry.when.data}
    return {
        "estimated_value_sek": form.estimated_value_sek.data,
        "contract_years": form.contract_years.data, "kind": form.kind.data or "",
        "chosen_route": form.chosen_route.data or None, "framework": form.framework.data or None,
        "framework_name": form.framework_name.data or "",
        "call_off_notice": form.call_off_notice.data or "",
        "checked_on": form.checked_on.data or date.today(), "checklist": checklist,
    }


# ---------------------------------------------------------------- classification

def _level_choices() -> list[SelectChoice]:
    """Built per request, so that the level names follow the user's language."""
    return [SelectChoice(str(level), f"{level} – {gettext(label)}")
            for level, label in classification.LEVELS.items()]


class LevelsForm(Form):
    confidentiality = SelectField(_l("Konfidentialitet"), default="0")
    integrity = SelectField(_l("Riktighet"), default="0")
    availability = SelectField(_l("Tillgänglighet"), default="0")
    traceability = SelectField(_l("Spårbarhet"), default="0")


class ClassificationForm(FlaskForm):
    version = HiddenField()
    information = TextAreaField(_l("Vilken information hanteras?"))
    levels = FormField(LevelsForm, label=_l("Konsekvensnivåer"))
    personal_data = BooleanField(_l("Personuppgifter behandlas"))
    sensitive_personal_data = BooleanField(_l("Känsliga personuppgifter (GDPR art. 9)"))
    object_ids = SelectMultipleField(_l("Berörda förvaltningsobjekt"), coerce=int,
                                     validators=[Optional()])
    risk_analysis = TextAreaField(_l("Riskanalys (sammanfattning eller hänvisning)"))
    risk_analysis_date = DateField(_l("Datum för riskanalysen"), validators=[Optional()])
    security_protection_analysis = TextAreaField(_l("Säkerhetsskyddsanalys (krävs på nivå 4)"))
    risk_of_not_developing = TextAreaField(_l("Risken med att inte utveckla"))
    dpia_date = DateField(_l("Datum för konsekvensbedömningen (DPIA)"), validators=[Optional()])
    dpia_reference = TextAreaField(
        _l("Konsekvensbedömning avseende dataskydd (GDPR art. 35): var den finns eller vad den "
           "kom fram till"),
        description=_l("Krävs när lösningen hanterar känsliga personuppgifter (GDPR art. 9)."))
    save = SubmitField(_l("Spara klassningen"))


def classification_form(document: Mapping[str, Any] | None, objects: Iterable,
                        formdata=None) -> ClassificationForm:
    data = dict(document or {})
    for name in ("risk_analysis_date", "dpia_date"):
        if isinstance(data.get(name), str):
            data[name] = date.fromisoformat(data[name])
    if "levels" in data:
        data["levels"] = {k: str(v) for k, v in data["levels"].items()}
    form = ClassificationForm(formdata=formdata, data=data, prefix="classification")
    for level in form.levels.form:
        level.choices = _level_choices()
    form.object_ids.choices = [SelectChoice(o.id, o.name) for o in objects]
    return form


def classification_document(form: ClassificationForm) -> dict[str, Any]:
    levels = {axis: int(form.levels.form[axis].data or 0) for axis in classification.AXES}
    return {
        "information": form.information.data or "", "levels": levels,
        "personal_data": bool(form.personal_data.data),
        "sensitive_personal_data": bool(form.sensitive_personal_data.data),
        "object_ids": list(form.object_ids.data or []),
        "risk_analysis": form.risk_analysis.data or "",
        "risk_analysis_date": form.risk_analysis_date.data,
        "security_protection_analysis": form.security_protection_analysis.data or "",
        "risk_of_not_developing": form.risk_of_not_developing.data or "",
        "dpia_date": form.dpia_date.data,
        "dpia_reference": form.dpia_reference.data or "",
    }


def attach_errors(form: FlaskForm, field_errors: Mapping[str, list[str]],
                  benefit_index: list[int] | None = None) -> list[str]:
    """Put each service field error beside its field; return those that have no field."""
    unplaced: list[str] = []
    for path, messages in field_errors.items():
        field = _field_at(form, path.split("."), benefit_index)
        if field is None:
            unplaced.extend(messages)
        else:
            field.errors = list(field.errors) + list(messages)
    return unplaced


def _field_at(form, parts: list[str], benefit_index: list[int] | None):
    node: Any = form
    for position, part in enumerate(parts):
        if part.isascii() and part.isdigit():
            index = int(part)
            if position == 1 and parts[0] == "benefits" and benefit_index is not None:
                index = benefit_index[index] if index < len(benefit_index) else -1
            if parts[position - 1] == "costs" and position == 1:
                index = _cost_entry_index(form, index)
            entries = getattr(node, "entries", None)
            if entries is None or not 0 <= index < len(entries):
                return None
            node = entries[index]
        else:
            container = node if isinstance(node, FlaskForm) else getattr(node, "form", node)
            if part == "discount_rate":
                part = "discount_rate_percent"
            try:
                node = container[part]
            except (KeyError, TypeError):
                return None
    return node if hasattr(node, "errors") else None


def _cost_entry_index(form, index: int) -> int:
    """Costs are sent for the years with values only; find the form row of the n-th one."""
    rows = [i for i, entry in enumerate(form.costs) if _has_cost(entry.form)]
    return rows[index] if index < len(rows) else -1
