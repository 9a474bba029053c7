"""``badgeservice demo``: a database, the example organisation, a token, the service."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

import click

from ..clitools import handles_errors
from .base import DEFAULT_ISSUERS, app_for_command, session_in
from .serve import run_gunicorn

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = ["demo"]


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@handles_errors
def demo(host: str, port: int) -> None:
    """Create or upgrade the database, load issuers/, print a token, start the service."""
    from ..db import database
    from ..definitions.loader import WARNING, load_definitions
    from ..hr.delivery.endpoints import declare_endpoint
    from ..hr.delivery.views import DEMO_RECEIVER_PATH
    from ..migrate import upgrade
    from ..organisations.services import create_client, organisation_by_slug
    from ..services import keystore

    overrides = _demo_settings(host, port)
    app = app_for_command(overrides)
    with app.app_context():
        upgrade(database().engine)
    with session_in(app) as session:
        for line in load_definitions(session, DEFAULT_ISSUERS, app):
            click.echo(line, err=line.startswith(WARNING))
        org = organisation_by_slug(session, "esimerkkiopisto")
        issued = create_client(
            session, org, name=f"demo-{uuid.uuid4().hex[:8]}", scopes=["admin"], keystore=keystore()
        )
        example = _example_award(session, org.id)
        receiver = app.config["PUBLIC_URL"] + DEMO_RECEIVER_PATH
        declare_endpoint(
            session,
            org.id,
            name="demo-receiver",
            url=receiver,
            description="badgeservice demo: the service's own stand-in HR receiver",
            keystore=keystore(),
        )
    url = app.config["PUBLIC_URL"]
    auth = f"-H 'Authorization: Bearer {issued.token}'"
    click.echo("")
    click.echo(f"badgeservice is starting at {url}")
    click.echo(f"API token for {org.slug} (admin): {issued.token}")
    click.echo(f"see its paths:    curl {auth} {url}/api/v1/paths")
    if example:
        click.echo(
            f"award a badge:    curl {auth} -H 'Content-Type: application/json' "
            f"-d '{example}' {url}/api/v1/awards"
        )
    click.echo(f"HR deliveries:    curl {auth} {url}/api/v1/hr/deliveries")
    click.echo(f"  (pushed to the demo's own HR receiver {receiver}, which logs each one)")
    click.echo(f"API description:  {url}/api/v1/openapi.json")
    if overrides["DEV_SIGN_IN"]:
        click.echo(f"pages:            {url}/ (sign in as any example person: demo only)")
    else:
        click.echo(f"pages:            {url}/ (no demo sign-in: not on loopback with SQLite)")
    run_gunicorn(host, port, 1, demo=True, overrides=overrides)


def _demo_settings(host: str, port: int) -> dict[str, Any]:
    """The environment and the configuration overrides of the demo."""
    import os

    from ..config import load_config
    from ..egress import is_loopback_name
    from ..web import demo_configuration

    os.environ.setdefault("BADGESERVICE_PUBLIC_URL", f"http://{host}:{port}")
    # The demo pushes to its own stand-in HR receiver on this host: allowed as an operator
    # would allow an internal HR system (outbound requests go to public addresses only).
    allowed = os.environ.get("BADGESERVICE_OUTBOUND_ALLOW", "")
    os.environ["BADGESERVICE_OUTBOUND_ALLOW"] = ",".join(filter(None, (allowed, host)))
    # "Continue as" an example person on the pages: only here, and only on loopback with
    # the embedded database.
    overrides: dict[str, Any] = {"DEMO": True}
    overrides["DEV_SIGN_IN"] = is_loopback_name(host) and demo_configuration(load_config(overrides))
    return overrides


def _example_award(session: Session, organisation_id: uuid.UUID) -> str | None:
    """A ready-to-send award body: the first sub-goal of the organisation path, for the
    first person on record."""
    from sqlalchemy import select

    from ..paths.models import Path, SubGoal
    from ..people.models import Person

    goal = session.scalar(
        select(SubGoal)
        .join(Path)
        .where(Path.organisation_id == organisation_id, Path.kind == "organisation")
        .order_by(SubGoal.position)
    )
    person = session.scalar(
        select(Person)
        .where(Person.organisation_id == organisation_id, Person.employee_number.is_not(None))
        .order_by(Person.employee_number)
    )
    if goal is None or person is None:
        return None
    return json.dumps(
        {"subGoal": str(goal.id), "person": {"employeeNumber": person.employee_number}}
    )
