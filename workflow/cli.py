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

    @app.cli.command("similarity-precision")
    def similarity_precision_command() -> None:
        """Measure the duplicate hints on seeds/similar_pairs.yaml (needs the seeded demo)."""
        from .services.similar import measure_precision
        try:
            result = measure_precision(app)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"Queries: {sum(s['queries'] for s in result['sets'].values())}")
        click.echo(f"First hint is a labelled match (precision@1): {result['precision_at_1']:.0%}")
        click.echo(f"A labelled match in the first three (hit rate@3): "
                   f"{result['hit_rate_at_3']:.0%}")
        click.echo(f"Share of hints shown that are labelled matches (precision@3): "
                   f"{result['precision_at_3']:.0%}")
        for name, figures in result["sets"].items():
            click.echo(f"  {name}: {figures['queries']} queries, "
                       f"precision@1 {figures['precision_at_1']:.0%}, "
                       f"hit rate@3 {figures['hit_rate_at_3']:.0%}")
        click.echo(f"Non-duplicates shown in the first three: {result['distinct_in_top_3']} of "
                   f"{result['distinct_checked']}")
        for miss in result["misses"]:
            click.echo(f"  missed {miss}")
