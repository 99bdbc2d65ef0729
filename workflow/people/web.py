"""People and roles for the region administrator: the list, a person's page with their role
assignments, deactivation with open tasks, the CSV import, and the import-users command."""
from __future__ import annotations

from pathlib import Path

import click
from flask import (
    Blueprint,
    Flask,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from workflow.admin.support import require_admin, section
from workflow.cases.forms import ConfirmForm
from workflow.models import Region, User
from workflow.people import accounts, user_import
from workflow.people import admin as admin_people
from workflow.people.forms import (
    DeactivateForm,
    ImportForm,
    RoleForm,
    UserCreateForm,
    UserEditForm,
    parse_scope,
    scope_choices,
)
from workflow.platform.errors import ServiceError
from workflow.platform.extensions import db
from workflow.platform.forms import show_service_error
from workflow.platform.validation import as_id
from workflow.states.i18n import N_
from workflow.states.roles import ROLE_LABELS, ROLES

bp = Blueprint("admin_people", __name__, url_prefix="/admin/people")
require_admin(bp)
section("admin_people.index", N_("Personer och roller"),
        N_("Konton, roller med från- och till-datum, ersättare, inaktivering och import från "
           "CSV-fil."), 20)

MAX_IMPORT_BYTES = 5 * 1024 * 1024


# ---------------------------------------------------------------- the list

@bp.get("/")
def index():
    filters = admin_people.UserFilter(
        text=(request.args.get("q") or "").strip() or None,
        department_id=as_id(request.args.get("department_id")),
        role=request.args.get("role") if request.args.get("role") in ROLES else None,
        active={"1": True, "0": False}.get(request.args.get("active", "1")))
    page = admin_people.list_users(current_user, filters, request.args.get("page", 1, int))
    return render_template("admin/people.html", page=page, filters=filters,
                           active_arg=request.args.get("active", "1"),
                           departments=admin_people.departments(current_user.region_id),
                           roles=_role_options())


# ---------------------------------------------------------------- creating and editing

@bp.route("/new", methods=["GET", "POST"])
def create():
    form = UserCreateForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("admin/user_new.html", form=form), status
    try:
        person = admin_people.create_user(current_user, form.data)
    except ServiceError as error:
        show_service_error(form, error)
        return render_template("admin/user_new.html", form=form, error=error), error.status
    flash(_("%(name)s är skapad. Lägg till personens roller nedan.", name=person.display_name),
          "success")
    return redirect(url_for("admin_people.detail", user_id=person.id))


@bp.get("/<int:user_id>")
def detail(user_id: int):
    return _render_person(admin_people.get_user(current_user, user_id))


@bp.post("/<int:user_id>")
def update(user_id: int):
    person = admin_people.get_user(current_user, user_id)
    form = UserEditForm(prefix="user")
    if not form.validate_on_submit():
        return _render_person(person, edit_form=form, status=422)
    try:
        admin_people.update_user(current_user, person, form.data)
    except ServiceError as error:
        show_service_error(form, error)
        return _render_person(person, edit_form=form, error=error, status=error.status)
    if person.id == current_user.id:  # a new password ends the other sessions, not this one
        session[accounts.SESSION_GENERATION_KEY] = person.session_generation
    flash(_("Uppgifterna är sparade."), "success")
    return redirect(url_for("admin_people.detail", user_id=person.id))


# ---------------------------------------------------------------- roles

@bp.post("/<int:user_id>/roles")
def assign_role(user_id: int):
    person = admin_people.get_user(current_user, user_id)
    form = _role_form(formdata=request.form)
    if not form.validate_on_submit():
        return _render_person(person, role_form=form, status=422)
    fields = {"role": form.role.data, **parse_scope(form.scope.data),
              "valid_from": form.valid_from.data, "valid_to": form.valid_to.data}
    try:
        admin_people.assign_role(current_user, person, fields)
    except ServiceError as error:
        show_service_error(form, error, rename={"department_id": "scope", "unit_id": "scope"})
        return _render_person(person, role_form=form, error=error, status=error.status)
    flash(_("Rollen är tillagd."), "success")
    return redirect(url_for("admin_people.detail", user_id=person.id, _anchor="roller"))


@bp.post("/roles/<int:assignment_id>/delete")
def remove_role(assignment_id: int):
    assignment = admin_people.get_assignment(current_user, assignment_id)
    person_id = assignment.user_id
    if ConfirmForm().validate_on_submit():
        admin_people.remove_role(current_user, assignment)
        flash(_("Rollen är borttagen."), "success")
    return redirect(url_for("admin_people.detail", user_id=person_id, _anchor="roller"))


# ---------------------------------------------------------------- (de)activation

@bp.route("/<int:user_id>/deactivate", methods=["GET", "POST"])
def deactivate(user_id: int):
    person = admin_people.get_user(current_user, user_id)
    tasks = admin_people.open_tasks(person)
    form = _deactivate_form(person, has_tasks=bool(tasks))
    if not form.validate_on_submit():
        return _render_deactivate(person, tasks, form, status=422 if form.is_submitted() else 200)
    if form.disposition.data == "transfer" and not form.successor_id.data:
        form.successor_id.errors = [_("Välj vem som tar över rollerna.")]
        return _render_deactivate(person, tasks, form, status=422)
    try:
        result = admin_people.deactivate(
            current_user, person,
            successor_id=form.successor_id.data if form.disposition.data == "transfer" else None,
            end_roles=form.disposition.data == "end")
    except ServiceError as error:
        show_service_error(form, error)
        return _render_deactivate(person, tasks, form, error=error, status=error.status)
    _flash_deactivation(result)
    return redirect(url_for("admin_people.detail", user_id=person.id))


@bp.post("/<int:user_id>/reactivate")
def reactivate(user_id: int):
    person = admin_people.get_user(current_user, user_id)
    if ConfirmForm().validate_on_submit():
        admin_people.reactivate(current_user, person)
        flash(_("%(name)s är aktiv igen och kan logga in.", name=person.display_name), "success")
    return redirect(url_for("admin_people.detail", user_id=person.id))


def _flash_deactivation(result: admin_people.Deactivation) -> None:
    flash(_("%(name)s är inaktiverad och kan inte längre logga in.",
            name=result.person.display_name), "success")
    if result.successor is not None:
        flash(_("%(name)s har tagit över %(n)s roller.", name=result.successor.display_name,
                n=result.transferred), "success")
    if result.orphaned:
        flash(_("Ingen annan kan nu agera på ärende %(ids)s. Ge någon en roll som täcker dem.",
                ids=", ".join(str(t.case.id) for t in result.orphaned)), "error")


# ---------------------------------------------------------------- import

@bp.route("/import", methods=["GET", "POST"])
def import_users():
    form = ImportForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("admin/import.html", form=form, result=None), status
    upload = form.file.data
    data = upload.read(MAX_IMPORT_BYTES + 1) if upload else b""
    if len(data) > MAX_IMPORT_BYTES:
        form.file.errors = [_("Filen är för stor (högst 5 MB).")]
        return render_template("admin/import.html", form=form, result=None), 422
    result = user_import.run_import(current_user, current_user.region_id, data,
                                    dry_run=bool(form.dry_run.data),
                                    source=Path(upload.filename or "").name)
    return render_template("admin/import.html", form=form, result=result), \
        200 if result.ok else 422


# ---------------------------------------------------------------- rendering

def _role_options() -> list[tuple[str, str]]:
    return [(role, _(ROLE_LABELS[role])) for role in ROLES]


def _role_form(formdata=None) -> RoleForm:
    form = RoleForm(prefix="role", formdata=formdata)
    form.role.choices = _role_options()
    form.scope.choices = scope_choices(
        admin_people.departments(current_user.region_id), _("Hela regionen"),
        lambda name: _("%(name)s (hela förvaltningen)", name=name))
    return form


def _render_person(person: User, *, edit_form: UserEditForm | None = None,
                   role_form: RoleForm | None = None, error: ServiceError | None = None,
                   status: int = 200):
    if edit_form is None:
        edit_form = UserEditForm(prefix="user", formdata=None, obj=person)
    if role_form is None:
        role_form = _role_form(formdata=None)
    tasks = admin_people.open_tasks(person) if person.is_active_user else []
    return render_template(
        "admin/user.html", person=person, edit_form=edit_form, role_form=role_form,
        error=error, tasks=tasks, confirm_form=ConfirmForm(),
        status_of=admin_people.assignment_status, is_self=person.id == current_user.id), status


def _deactivate_form(person: User, has_tasks: bool) -> DeactivateForm:
    form = DeactivateForm()
    if has_tasks:  # the roles cannot simply stay: someone must take the tasks, or no one
        form.disposition.choices = [c for c in form.disposition.choices if c.value != "keep"]
    elif not form.is_submitted():
        form.disposition.data = "keep"
    people = db.session.scalars(select(User).where(
        User.region_id == person.region_id, User.is_active_user.is_(True), User.id != person.id)
        .order_by(User.display_name))
    form.successor_id.choices = [("", _("Välj person"))] + [
        (str(p.id), f"{p.display_name} ({p.username})") for p in people]
    return form


def _render_deactivate(person: User, tasks, form: DeactivateForm,
                       error: ServiceError | None = None, status: int = 200):
    return render_template("admin/user_deactivate.html", person=person, tasks=tasks, form=form,
                           error=error), status


# ---------------------------------------------------------------- command line

def register_cli(app: Flask) -> None:
    @app.cli.command("import-users")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--dry-run", is_flag=True, help="Kontrollera filen utan att spara något.")
    @click.option("--region", "region_name", default=None,
                  help="Regionens namn (behövs bara om databasen har flera regioner).")
    def import_users_command(file: Path, dry_run: bool, region_name: str | None) -> None:
        """Import people and role assignments from a CSV file (docs/user-import.md)."""
        region = _cli_region(region_name)
        result = user_import.run_import(None, region.id, file.read_bytes(), dry_run=dry_run,
                                        source=file.name)
        for problem in result.problems:
            click.echo(_problem_line(problem), err=True)
        for warning in result.warnings:
            click.echo(_("Varning: %(text)s", text=_problem_line(warning)), err=True)
        if not result.ok:
            raise click.ClickException(_("%(n)s problem i filen; ingenting sparades.",
                                         n=len(result.problems)))
        prefix = _("Provkörning, ingenting sparat: ") if dry_run else ""
        click.echo(prefix + result.summary())


def _cli_region(name: str | None) -> Region:
    regions = list(db.session.scalars(select(Region).order_by(Region.name)))
    if name is not None:
        matching = [r for r in regions if r.name.lower() == name.strip().lower()]
        if not matching:
            raise click.ClickException(_("Regionen %(name)s finns inte.", name=name))
        return matching[0]
    if len(regions) != 1:
        raise click.ClickException(_("Ange regionen med --region (databasen har %(n)s "
                                     "regioner).", n=len(regions)))
    return regions[0]


def _problem_line(problem: user_import.Problem) -> str:
    if problem.column:
        return _("Rad %(line)s, kolumn %(column)s: %(text)s", line=problem.line,
                 column=problem.column, text=problem.text)
    return _("Rad %(line)s: %(text)s", line=problem.line, text=problem.text)
