"""The first step for a new region on an empty database: the region and its first
administrator, from the command line. Everything after that is done in the browser."""
from __future__ import annotations

import click
from flask import Flask
from sqlalchemy import select

from workflow.admin import log as admin_log
from workflow.models import Region
from workflow.people import admin as admin_people
from workflow.platform.errors import ServiceError
from workflow.platform.extensions import db


def create_region_admin(region_name: str, username: str, display_name: str,
                        email: str | None, password: str | None):
    """Create the region if it does not exist, then an account holding the region-wide admin
    role. Both land in the admin log with the command line as the actor."""
    region = db.session.scalar(select(Region).where(Region.name == region_name))
    if region is None:
        region = Region(name=region_name)
        db.session.add(region)
        db.session.flush()
        admin_log.record(None, "region.create", region, region_id=region.id,
                         after={"name": region.name})
    try:
        person = admin_people.create_user(None, {
            "username": username, "display_name": display_name, "email": email or "",
            "password": password or ""}, region_id=region.id)
        admin_people.assign_role(None, person, {"role": "admin"})
    except Exception:
        db.session.rollback()
        raise
    return person


def register_cli(app: Flask) -> None:
    @app.cli.command("create-admin")
    @click.option("--region", "region_name", required=True, help="The region's name.")
    @click.option("--username", required=True)
    @click.option("--name", "display_name", required=True, help="The name others see.")
    @click.option("--email", default=None)
    @click.option("--no-password", is_flag=True,
                  help="No local password: the person logs in through single sign-on.")
    def create_admin_command(region_name: str, username: str, display_name: str,
                             email: str | None, no_password: bool) -> None:
        """Create a region (if new) and its first administrator."""
        password = None if no_password else click.prompt(
            "Lösenord", hide_input=True, confirmation_prompt=True)
        try:
            person = create_region_admin(region_name, username, display_name, email, password)
        except ServiceError as exc:
            details = "; ".join(f"{field}: {', '.join(messages)}" for field, messages in
                                getattr(exc, "translated_field_errors", {}).items())
            raise click.ClickException(f"{exc.text} {details}".strip()) from exc
        click.echo(f"Administratören {person.username} är skapad i {region_name}.")
