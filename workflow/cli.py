"""Command-line entry points: flask --app workflow <command>."""
from __future__ import annotations

import click
from flask import Flask

from .seeding import SeedError, database_is_empty, seed_demo
from .services.processes import registry


def init_app(app: Flask) -> None:
    from .scheduling import register_cli
    register_cli(app)

    @app.cli.command("seed-demo")
    def seed_demo_command() -> None:
        """Load the demo organisation, accounts (password: demo) and cases into an empty
        database."""
        if not database_is_empty():
            click.echo("Databasen innehåller redan data; demodata läses inte in igen.")
            return
        try:
            result = seed_demo()
        except SeedError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"Demodata inläst: {result.users} användare, {result.cases} ärenden. "
                   "Lösenord för alla demokonton: demo")

    @app.cli.command("check-processes")
    def check_processes_command() -> None:
        """Validate the process definitions in config/processes/ (start-up does the same)."""
        for process in registry().all():
            definition = process.definition
            click.echo(f"{definition.source}: {definition.name} version {definition.version}: "
                       f"{len(definition.states)} states, {len(definition.events)} events, OK")
