"""Forms for people and roles administration (Flask-WTF adds CSRF to every one). The
services check everything again; the forms give each field its label and its errors."""
from __future__ import annotations

from typing import Callable, Iterable

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    DateField,
    EmailField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from workflow.models import Department
from workflow.people.admin import DISPLAY_NAME_MAX, EMAIL_MAX, PASSWORD_MAX, USERNAME_MAX

REGION_SCOPE = "region"


class UserEditForm(FlaskForm):
    display_name = StringField(_l("Namn"), validators=[DataRequired(),
                                                       Length(max=DISPLAY_NAME_MAX)],
                               description=_l("Som det visas för andra, t.ex. \"Anna "
                                              "Lindqvist\"."))
    email = EmailField(_l("E-post"), validators=[Optional(), Length(max=EMAIL_MAX)],
                       description=_l("Aviseringar skickas hit. Får lämnas tom."))
    password = PasswordField(_l("Nytt lösenord"), validators=[Optional(),
                                                             Length(max=PASSWORD_MAX)],
                             description=_l("Minst 8 tecken. Lämna tomt för att behålla "
                                            "lösenordet."),
                             render_kw={"autocomplete": "new-password"})
    submit = SubmitField(_l("Spara"))


class UserCreateForm(UserEditForm):
    username = StringField(_l("Användarnamn"), validators=[DataRequired(),
                                                           Length(max=USERNAME_MAX)],
                           description=_l("Små bokstäver, siffror och . _ - @, t.ex. "
                                          "\"anna.lindqvist\". Kan inte ändras senare."))
    password = PasswordField(_l("Första lösenord"), validators=[Optional(),
                                                               Length(max=PASSWORD_MAX)],
                             description=_l("Minst 8 tecken. Lämna tomt om personen loggar "
                                            "in med organisationens inloggning."),
                             render_kw={"autocomplete": "new-password"})
    submit = SubmitField(_l("Skapa personen"))


class RoleForm(FlaskForm):
    role = SelectField(_l("Roll"), validators=[DataRequired()])
    scope = SelectField(_l("Gäller för"), validators=[DataRequired()],
                        description=_l("Hela regionen, en förvaltning eller en enhet."))
    valid_from = DateField(_l("Från och med"), validators=[Optional()],
                           description=_l("Tomt: från i dag."))
    valid_to = DateField(_l("Till och med"), validators=[Optional()],
                         description=_l("Tomt: tills vidare. En ersättare får ett slutdatum; "
                                        "rollen slutar gälla dagen efter."))
    submit = SubmitField(_l("Lägg till rollen"))


class DeactivateForm(FlaskForm):
    disposition = RadioField(_l("Vad händer med personens roller?"), choices=[
        SelectChoice("transfer", _l("En efterträdare tar över rollerna (samma omfattning)")),
        SelectChoice("end", _l("Rollerna avslutas")),
        SelectChoice("keep", _l("Rollerna ligger kvar (till exempel vid tjänstledighet)")),
    ], validators=[DataRequired(message=_l("Välj vad som händer med rollerna."))])
    successor_id = SelectField(_l("Efterträdare"), validators=[Optional()],
                               description=_l("Får personens roller från i dag."))
    submit = SubmitField(_l("Inaktivera"))


class ImportForm(FlaskForm):
    file = FileField(_l("CSV-fil"), validators=[DataRequired(message=_l("Välj en fil."))],
                     description=_l("Semikolonseparerad UTF-8 med rubrikrad, som Excel sparar "
                                    "\"CSV UTF-8\"."))
    dry_run = SubmitField(_l("Provkör (ingenting sparas)"))
    submit = SubmitField(_l("Importera"))


def scope_choices(departments: Iterable[Department], region_label: str,
                  department_label: Callable[[str], str]) -> list[SelectChoice]:
    """The whole region, then each förvaltning with its units grouped under it."""
    choices = [SelectChoice(REGION_SCOPE, region_label)]
    for department in departments:
        choices.append(SelectChoice(f"department:{department.id}",
                                    department_label(department.name), optgroup=department.name))
        choices += [SelectChoice(f"unit:{unit.id}", unit.name, optgroup=department.name)
                    for unit in department.units]
    return choices


def parse_scope(value: str | None) -> dict[str, str | None]:
    """``department:3`` → {"department_id": "3", "unit_id": None}; the service checks ids."""
    kind, _sep, ident = (value or "").partition(":")
    return {"department_id": ident if kind == "department" else None,
            "unit_id": ident if kind == "unit" else None}
