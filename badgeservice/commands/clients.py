"""``badgeservice clients create``: API clients."""

from __future__ import annotations

import uuid

import click

from ..clitools import handles_errors
from .base import echo_issued_client, plain_session

__all__ = ["clients_group"]


@click.group("clients")
def clients_group() -> None:
    """API clients (bearer tokens with scopes)."""


@clients_group.command("create")
@click.option("--organisation", required=True, help="Organisation slug.")
@click.option("--scopes", required=True, help="Comma- or space-separated scopes.")
@click.option("--name", help="Client name (default: generated).")
@click.option("--connection", help="LMS connection the client sends events for.")
@click.option(
    "--supervisor",
    help="team:read: the person (id, employee number or e-mail) whose teams the client sees.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handles_errors
def clients_create(
    organisation: str,
    scopes: str,
    name: str | None,
    connection: str | None,
    supervisor: str | None,
    as_json: bool,
) -> None:
    """Create an API client; its token and signing secret are shown only now."""
    from ..organisations.services import create_client, organisation_by_slug

    with plain_session() as (session, keystore):
        org = organisation_by_slug(session, organisation)
        supervisor_id = None
        if supervisor:
            from ..people.services import get_person

            try:
                ref: uuid.UUID | str = uuid.UUID(supervisor)
            except ValueError:
                ref = supervisor.strip()
            supervisor_id = get_person(session, org.id, ref).id
        issued = create_client(
            session,
            org,
            name=name or f"client-{uuid.uuid4().hex[:8]}",
            scopes=scopes.replace(",", " ").split(),
            keystore=keystore,
            connection=connection,
            supervisor_id=supervisor_id,
        )
        result = {"id": str(issued.client.id), "token": issued.token, "secret": issued.secret}
    echo_issued_client(result, as_json=as_json)
