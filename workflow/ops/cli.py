"""Command-line entry points: flask --app workflow <command>."""
from __future__ import annotations

from pathlib import Path

import click
from flask import Flask

from workflow.ops.seeding import SeedError, database_is_empty, seed_demo
from workflow.processes.registry import registry


def init_app(app: Flask) -> None:
    from workflow.ops.scheduling import register_cli
    register_cli(app)
    from workflow.ops.backup import register_cli as register_backup_cli
    register_backup_cli(app)
    from workflow.people.web import register_cli as register_people_cli
    register_people_cli(app)
    from workflow.ops.bootstrap import register_cli as register_bootstrap_cli
    register_bootstrap_cli(app)
    _register_audit_and_gdpr(app)

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

    @app.cli.command("load-process")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False))
    @click.option("--dry-run", is_flag=True, help="Validera och visa ändringarna; spara inget.")
    def load_process_command(file: str, dry_run: bool) -> None:
        """Load a new version of the process definition from a YAML file (as /admin/processes
        does): validated, compared with the latest version, stored and used by new cases."""
        from workflow.platform.errors import ServiceError
        from workflow.processes import admin as process_admin
        path = Path(file)
        try:
            candidate = process_admin.preview(path.read_bytes(), path.name)
            for line in candidate.diff.lines():
                click.echo(line)
            if dry_run:
                click.echo(f"{candidate.definition.name} version {candidate.definition.version} "
                           "är giltig; ingenting sparades (--dry-run).")
                return
            row = process_admin.load(None, path.read_bytes(), path.name,
                                     base_version=candidate.base_version)
        except ServiceError as exc:
            raise click.ClickException("\n".join([exc.text, *exc.reasons])) from exc
        click.echo(f"{row.name} version {row.version} är inläst; nya ärenden följer den.")

    @app.cli.command("similar-refresh")
    def similar_refresh_command() -> None:
        """Work out the stored duplicate hints of every case that has none (after a bulk
        import or a restore; a case page also does it at its first view)."""
        from workflow.similar.service import refresh_missing
        click.echo(f"{refresh_missing()} ärenden fick sina liknande ärenden uträknade.")

    @app.cli.command("similarity-precision")
    def similarity_precision_command() -> None:
        """Measure the duplicate hints on seeds/similar_pairs.yaml (needs the seeded demo)."""
        from workflow.similar.service import measure_precision
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


def _register_audit_and_gdpr(app: Flask) -> None:
    @app.cli.command("audit-verify")
    def audit_verify_command() -> None:
        """Check every case's hash-chained history; exit code 1 if any link is broken."""
        from workflow.platform.audit import verify
        from workflow.platform.extensions import db
        result = verify(db.session)
        for link in result.broken:
            click.echo(f"BROKEN: {link}")
        if not result.ok:
            click.echo(f"{len(result.broken)} broken links in {result.cases} cases, "
                       f"{result.rows} rows")
            raise SystemExit(1)
        click.echo(f"OK: {result.cases} cases, {result.rows} rows")

    @app.cli.command("gdpr-export")
    @click.argument("username")
    @click.option("--output", type=click.Path(dir_okay=False),
                  help="Skriv till filen (bara läsbar för ägaren) i stället för till skärmen.")
    def gdpr_export_command(username: str, output: str | None) -> None:
        """Everything stored about a person, as JSON (registerutdrag)."""
        import json
        import os

        from workflow.ops import gdpr
        from workflow.platform.errors import ServiceError
        try:
            data = gdpr.export(gdpr.find_user(username))
        except ServiceError as exc:
            raise click.ClickException(exc.text) from exc
        document = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)
        if output is None:
            click.echo(document)
            return
        descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(descriptor, 0o600)  # also when the file was there already
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(document + "\n")
        click.echo(f"Utdraget är sparat i {output}.")

    @app.cli.command("gdpr-erase")
    @click.argument("username")
    @click.option("--confirm", is_flag=True, help="Bekräfta att personuppgifterna ska raderas.")
    def gdpr_erase_command(username: str, confirm: bool) -> None:
        """Erase a person's personal data; cases and history stay, shown as
        "borttagen användare"."""
        from workflow.ops import gdpr
        from workflow.platform.errors import ServiceError
        if not confirm:
            raise click.ClickException("Radering går inte att ångra. Lägg till --confirm.")
        try:
            user = gdpr.find_user(username)
            user_id = user.id
            tombstone = gdpr.erase(user)
        except ServiceError as exc:
            raise click.ClickException(exc.text) from exc
        click.echo(f"Personuppgifterna för användare {user_id} är raderade; kontot heter nu "
                   f"{tombstone} och är avstängt.")
