"""``badgeservice issuers load`` and ``badgeservice keys rotate``: organisations as data,
issuer keys."""

from __future__ import annotations

import uuid
from pathlib import Path

import click

from ..clitools import InputError, handles_errors
from .base import DEFAULT_ISSUERS, app_for_command, session_in

__all__ = ["issuers_group", "keys_rotate"]


@click.group("issuers")
def issuers_group() -> None:
    """Organisations as data (issuers/)."""


@issuers_group.command("load")
@click.argument("path", required=False, type=click.Path(file_okay=False, path_type=Path))
@handles_errors
def issuers_load(path: Path | None) -> None:
    """Apply the organisation folders under PATH (default ./issuers) idempotently."""
    from ..definitions.loader import WARNING, load_definitions

    app = app_for_command()
    with session_in(app) as session:
        for line in load_definitions(session, path or DEFAULT_ISSUERS, app):
            # Warnings (a text not translated) go to standard error; they never stop a load.
            click.echo(line, err=line.startswith(WARNING))


@click.command("rotate")
@click.option(
    "--issuer", "issuer_ref", required=True, help="Issuer id, or ORGANISATION/ISSUER slugs."
)
@handles_errors
def keys_rotate(issuer_ref: str) -> None:
    """Add a new signing key to an issuer; old keys stay published in its DID document."""
    from ..issuers.models import Issuer
    from ..services import issuer_service

    with session_in(app_for_command()) as session:
        service = issuer_service(session)
        issuer: Issuer | None = None
        if "/" in issuer_ref:
            organisation, slug = issuer_ref.split("/", 1)
            issuer = service.by_slugs(organisation, slug)
        else:
            try:
                issuer = session.get(Issuer, uuid.UUID(issuer_ref))
            except ValueError:
                issuer = None
        if issuer is None:
            raise InputError(f"no issuer {issuer_ref!r}")
        key = service.rotate_key(issuer)
        click.echo(f"{service.did(issuer)}#{key.fragment} {key.public_key_multibase}")
