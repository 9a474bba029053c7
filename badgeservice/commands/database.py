"""``badgeservice db``: the database schema."""

from __future__ import annotations

import click

from ..clitools import handles_errors
from .base import app_for_command

__all__ = ["db_group"]


@click.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
@handles_errors
def db_upgrade() -> None:
    """Create or upgrade the database schema to the newest migration."""
    from ..db import database
    from ..migrate import upgrade

    app = app_for_command()
    with app.app_context():
        upgrade(database().engine)
    click.echo(f"database at {app.config['DATABASE_URL']} is up to date")


@db_group.command("check")
@handles_errors
def db_check() -> None:
    """Exit 1 when the migrated schema and the models differ."""
    from ..db import database
    from ..migrate import pending_changes

    with app_for_command().app_context():
        changes = pending_changes(database().engine)
    for change in changes:
        click.echo(f"pending: {change}")
    if changes:
        raise SystemExit(1)
    click.echo("models and migrations agree")
