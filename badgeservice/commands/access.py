"""Operator commands for an organisation's access: ``clients list | revoke | rotate`` (added
to the ``clients`` group) and ``audit list``; each change is written to the audit trail."""

from __future__ import annotations

import json
from typing import Any

import click

from ..clitools import handles_errors
from .base import app_for_command, echo_issued_client, session_in

__all__ = ["add_access_commands", "audit_group"]


def _client_line(client: Any) -> str:
    state = f"revoked {client.revoked_at:%Y-%m-%d %H:%M}Z" if client.revoked_at else "active"
    bound = f"  connection {client.connection}" if client.connection else ""
    return f"{client.id}  {client.name}  {' '.join(sorted(client.scope_set))}  {state}{bound}"


@click.command("list")
@click.option("--organisation", required=True, help="Organisation slug.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handles_errors
def clients_list(organisation: str, as_json: bool) -> None:
    """List the organisation's API clients (never their tokens or secrets)."""
    from ..organisations.schemas import ClientSchema
    from ..organisations.services import clients_query, organisation_by_slug

    with session_in(app_for_command()) as session:
        org = organisation_by_slug(session, organisation)
        clients = list(session.scalars(clients_query(org.id)))
        if as_json:
            click.echo(json.dumps(ClientSchema(many=True).dump(clients)))
            return
        for client in clients:
            click.echo(_client_line(client))


@click.command("revoke")
@click.option("--organisation", required=True, help="Organisation slug.")
@click.argument("client")
@handles_errors
def clients_revoke(organisation: str, client: str) -> None:
    """Revoke CLIENT (id or name): its token and secret are refused from now on."""
    from ..organisations.services import (
        OPERATOR,
        find_client,
        organisation_by_slug,
        revoke_client,
    )

    with session_in(app_for_command()) as session:
        org = organisation_by_slug(session, organisation)
        revoked = revoke_client(session, find_client(session, org.id, client), actor=OPERATOR)
        click.echo(_client_line(revoked))


@click.command("rotate")
@click.option("--organisation", required=True, help="Organisation slug.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.argument("client")
@handles_errors
def clients_rotate(organisation: str, as_json: bool, client: str) -> None:
    """Give CLIENT (id or name) a new token and signing secret, shown only now; the old
    ones are refused from now on."""
    from ..organisations.services import (
        OPERATOR,
        find_client,
        organisation_by_slug,
        rotate_client,
    )
    from ..services import keystore

    with session_in(app_for_command()) as session:
        org = organisation_by_slug(session, organisation)
        issued = rotate_client(
            session, find_client(session, org.id, client), keystore(), actor=OPERATOR
        )
        result = {"id": str(issued.client.id), "token": issued.token, "secret": issued.secret}
    echo_issued_client(result, as_json=as_json)


@click.group("audit")
def audit_group() -> None:
    """The audit trail of an organisation's access."""


@audit_group.command("list")
@click.option("--organisation", required=True, help="Organisation slug.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100_000))
@handles_errors
def audit_list(organisation: str, limit: int) -> None:
    """Print the audit trail, newest first: time, actor, action, target."""
    from ..organisations.services import audit_query, organisation_by_slug

    with session_in(app_for_command()) as session:
        org = organisation_by_slug(session, organisation)
        for event in session.scalars(audit_query(org.id).limit(limit)):
            click.echo(
                f"{event.at:%Y-%m-%dT%H:%M:%S}Z  {event.actor}  {event.action}  {event.target}"
            )


def add_access_commands(clients: click.Group) -> None:
    """Add ``list``, ``revoke`` and ``rotate`` to the ``clients`` group."""
    for command in (clients_list, clients_revoke, clients_rotate):
        clients.add_command(command)
