"""WTForms forms (Flask-WTF adds CSRF to every one). Labels are Swedish msgids."""
from __future__ import annotations

from functools import lru_cache

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from workflow.cases.service import MAX_COST_SEK
from workflow.models import TEXT_MAX, TITLE_MAX
from workflow.states import EventSpec
from workflow.states.vocabulary import DIRECTION_FOCUS, DIRECTION_REACH


class LoginForm(FlaskForm):
    username = StringField(_l("Användarnamn"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("Lösenord"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Logga in"))


class LanguageForm(FlaskForm):
    lang = HiddenField(validators=[DataRequired()])


class ConfirmForm(FlaskForm):
    """A form with nothing but its CSRF token, for buttons such as Logga ut."""


def _direction_choices(table: dict[str, str]) -> list[SelectChoice]:
    return [SelectChoice("", _l("Inte angiven"))] + [SelectChoice(key, _l(text))
                                                    for key, text in table.items()]


def grouped_choices(groups: dict[str, list[tuple[int, str]]]) -> list[SelectChoice]:
    """Choices with option groups, e.g. units under their förvaltning."""
    return [SelectChoice(value, label, optgroup=group)
            for group, options in groups.items() for value, label in options]


def plain_choices(options: list[tuple[str, str]]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in options]


class CaseFieldsForm(FlaskForm):
    title = StringField(_l("Rubrik"), validators=[DataRequired(), Length(max=TITLE_MAX)],
                        description=_l("Kort, t.ex. \"Digital signering av delegationsbeslut\"."))
    need = TextAreaField(_l("Behov"), validators=[Optional(), Length(max=TEXT_MAX)],
                         description=_l("Vilket problem i arbetet ska lösas? Beskriv behovet, "
                                        "inte ett visst system."))
    effect = TextAreaField(_l("Förväntad effekt"), validators=[Optional(), Length(max=TEXT_MAX)],
                           description=_l("Vad blir bättre, och för vem?"))


class IdeaForm(CaseFieldsForm):
    unit_id = SelectField(_l("Enhet"), coerce=int, validators=[InputRequired()])
    origin = SelectField(_l("Ursprung"), validators=[Optional()])
    anonymous = BooleanField(_l("Skicka anonymt direkt till förvaltningsledningen"),
                             description=_l("Ditt namn sparas inte någonstans. Du kan inte "
                                            "följa idén under Mina idéer."))
    # Asked only of an anonymous idea, with nothing chosen in advance: the sender's own unit
    # preselected would name them in a small unit. The whole förvaltning is the first choice
    # of each group; a unit only if the sender picks one (docs/threat-model.md). Values are
    # "department:<id>" or "unit:<id>".
    anonymous_place = SelectField(
        _l("Vilken förvaltning gäller idén?"), validate_choice=False, validators=[Optional()],
        default="",
        description=_l("Välj själv. Idén sparas med förvaltningen, inte med ditt namn eller din "
                       "enhet. Du kan välja en enhet om idén gäller just den, men en liten "
                       "enhet kan räcka för att peka ut dig."))
    save_draft = SubmitField(_l("Spara som utkast"))
    submit = SubmitField(_l("Skicka in"))
    check_similar = SubmitField(_l("Sök liknande idéer"))


class CaseEditForm(CaseFieldsForm):
    version = HiddenField()
    cost_estimate_sek = IntegerField(
        _l("Kostnadsuppskattning (kr)"),
        validators=[Optional(), NumberRange(min=0, max=MAX_COST_SEK)],
        description=_l("Total kostnad i hela kronor, för hela kalkylperioden."))
    direction_focus = SelectField(_l("Inriktning: effektivisering eller innovation"),
                                  choices=_direction_choices(DIRECTION_FOCUS), default="")
    direction_reach = SelectField(_l("Inriktning: vem får nyttan"),
                                  choices=_direction_choices(DIRECTION_REACH), default="")
    planned_go_live = DateField(_l("Planerad driftstart"), validators=[Optional()])
    actual_cost_sek = IntegerField(_l("Faktisk kostnad hittills (kr)"),
                                   validators=[Optional(), NumberRange(min=0, max=MAX_COST_SEK)])
    submit = SubmitField(_l("Spara ändringar"))


class DiarienummerForm(FlaskForm):
    """The registrar or the management set or correct the case's diarienummer
    (docs/decisions.md)."""
    version = HiddenField()
    diarienummer = StringField(_l("Diarienummer"), validators=[Optional(), Length(max=60)])
    submit = SubmitField(_l("Spara diarienumret"))


class CommentForm(FlaskForm):
    body = TextAreaField(_l("Kommentar"), validators=[DataRequired(), Length(max=TEXT_MAX)])
    submit = SubmitField(_l("Lägg till kommentar"))


_FIELD_TYPES = {
    "text": lambda label: TextAreaField(label, validators=[Optional(), Length(max=TEXT_MAX)]),
    "date": lambda label: DateField(label, validators=[Optional()]),
    "number": lambda label: StringField(label, validators=[Optional()]),
    "case": lambda label: IntegerField(label, validators=[Optional(), NumberRange(min=1)]),
}
# Text fields that hold a short reference, not prose: one line (docs/decisions.md).
SINGLE_LINE_FIELDS = {"diarienummer": 60, "decision_reference": 40}


@lru_cache(maxsize=None)
def event_form_class(process_key: tuple[str, int], event: EventSpec, lang: str) -> type[FlaskForm]:
    """A form class for one event, built once from its field descriptions in the definition."""
    attributes: dict[str, object] = {"version": HiddenField()}
    for spec in event.fields:
        label = spec.label.get(lang)
        if spec.type == "choice":
            choices = [SelectChoice("", "—")] + [SelectChoice(c.value, c.label.get(lang))
                                                 for c in spec.choices]
            attributes[spec.name] = SelectField(label, choices=choices, validators=[Optional()])
        elif spec.type == "text" and spec.name in SINGLE_LINE_FIELDS:
            attributes[spec.name] = StringField(label, validators=[
                Optional(), Length(max=SINGLE_LINE_FIELDS[spec.name])])
        else:
            attributes[spec.name] = _FIELD_TYPES[spec.type](label)
    attributes["submit"] = SubmitField(event.label.get(lang))
    name = f"EventForm_{process_key[0]}_{process_key[1]}_{event.name}_{lang}"
    return type(name, (FlaskForm,), attributes)
