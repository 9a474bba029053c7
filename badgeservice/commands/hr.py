"""``badgeservice hr``: HR endpoints and deliveries."""

from __future__ import annotations

import uuid

import click

from ..clitools import InputError, handles_errors
from .base import app_for_command, session_in

__all__ = ["hr_group"]


@click.group("hr")
def hr_group() -> None:
    """HR push: endpoints and deliveries."""


@hr_group.group("endpoints")
def hr_endpoints_group() -> None:
    """HR endpoints of an organisation."""


@hr_endpoints_group.command("list")
@click.argument("organisation")
@handles_errors
def hr_endpoints_list(organisation: str) -> None:
    """List ORGANISATION's HR endpoints (never their secrets)."""
    from ..hr.delivery.endpoints import list_endpoints
    from ..organisations.services import organisation_by_slug

    with session_in(app_for_command()) as session:
        org = organisation_by_slug(session, organisation)
        for endpoint in list_endpoints(session, org.id, limit=1000):
            state = "active" if endpoint.active else "inactive"
            click.echo(f"{endpoint.id}  {endpoint.name}  {state}  {endpoint.url}")


@hr_endpoints_group.command("secret")
@click.argument("organisation")
@click.argument("name")
@click.option("--rotate", is_flag=True, help="Replace the secret with a new one first.")
@handles_errors
def hr_endpoints_secret(organisation: str, name: str, rotate: bool) -> None:
    """Print the signing secret of ORGANISATION's endpoint NAME (e.g. one declared in its
    files) for the receiver to verify webhook-signature with."""
    from ..hr.delivery.endpoints import endpoint_by_name, endpoint_secret, rotate_secret
    from ..organisations.services import organisation_by_slug
    from ..services import keystore

    with session_in(app_for_command()) as session:
        org = organisation_by_slug(session, organisation)
        endpoint = endpoint_by_name(session, org.id, name)
        if rotate:
            secret = rotate_secret(session, endpoint, keystore()).secret
        else:
            secret = endpoint_secret(endpoint, keystore())
    click.echo(secret)


@hr_group.command("redeliver")
@click.option("--organisation", required=True, help="Organisation slug.")
@click.option("--dead", is_flag=True, help="Redeliver every dead delivery, oldest first.")
@click.argument("ids", nargs=-1)
@handles_errors
def hr_redeliver(organisation: str, dead: bool, ids: tuple[str, ...]) -> None:
    """Queue deliveries (IDs, or all dead ones) again, due now; attempts stay logged."""
    from ..hr.delivery.endpoints import dead_deliveries, redeliver
    from ..organisations.services import organisation_by_slug

    if dead == bool(ids):
        raise InputError("give delivery ids or --dead (not both)")
    wanted = []
    for raw in ids:
        try:
            wanted.append(uuid.UUID(raw))
        except ValueError:
            raise InputError(f"no delivery {raw!r}") from None
    with session_in(app_for_command()) as session:
        org = organisation_by_slug(session, organisation)
        rows = redeliver(session, org.id, dead_deliveries(session, org.id) if dead else wanted)
    click.echo(f"{len(rows)} delivery(ies) queued again")
