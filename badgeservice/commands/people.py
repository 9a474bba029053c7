"""Operator commands for a person's personal data: ``people export`` (everything held about
them, as the zip the API answers) and ``people erase`` (asks for the employee number or full
name again, unless ``--confirm`` gives it; prints the report). Both go into the audit trail
as the operator."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import click

from ..clitools import InputError, handles_errors
from .base import app_for_command, session_in

__all__ = ["people_group"]


@click.group("people")
def people_group() -> None:
    """A person's personal data: export and erasure."""


@people_group.command("export")
@click.option("--organisation", required=True, help="Organisation slug.")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Where to write the zip (default: personal-data-<id>.zip here).",
)
@click.argument("person")
@handles_errors
def people_export(organisation: str, output: Path | None, person: str) -> None:
    """Write everything held about PERSON (id, employee number or e-mail) into a zip."""
    from ..organisations.services import OPERATOR, organisation_by_slug
    from ..people.services import get_person
    from ..privacy.service import export_file, export_filename

    app = app_for_command()
    with session_in(app) as session:
        org = organisation_by_slug(session, organisation)
        found = get_person(session, org.id, _ref(person))
        target = output or Path(export_filename(found))
        archive = export_file(session, found, OPERATOR, app.config["PUBLIC_URL"])
        with archive, target.open("wb") as out:
            shutil.copyfileobj(archive, out)
    click.echo(f"wrote {target}")


@people_group.command("erase")
@click.option("--organisation", required=True, help="Organisation slug.")
@click.option("--confirm", help="The person's employee number or full name, typed again.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.argument("person")
@handles_errors
def people_erase(organisation: str, confirm: str | None, as_json: bool, person: str) -> None:
    """Erase PERSON's personal data for good (credentials stay verifiable and revocable)."""
    from ..organisations.services import OPERATOR, organisation_by_slug
    from ..people.services import get_person
    from ..privacy.erasure import is_confirmed
    from ..privacy.service import erase

    with session_in(app_for_command()) as session:
        org = organisation_by_slug(session, organisation)
        found = get_person(session, org.id, _ref(person))
        if found.erased_at is None:
            typed = confirm
            if typed is None:
                typed = click.prompt(
                    "Type the person's employee number or full name to erase them", err=True
                )
            if not is_confirmed(found, typed):
                raise InputError("that is not the person's employee number or full name")
        report = erase(session, found, OPERATOR)
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False))
        return
    click.echo(f"erased person {report.person_id} at {report.erased_at:%Y-%m-%d %H:%M}Z")
    click.echo("removed:")
    for what, count in report.removed.items():
        click.echo(f"  {what}: {count}")
    click.echo("kept:")
    for what, why in report.kept.items():
        click.echo(f"  {what}: {why}")


def _ref(value: str) -> uuid.UUID | str:
    from ..api import parse_ref

    return parse_ref(value)
