"""Operator commands of the service, one module per job: serve, db, issuers and keys,
clients, worker and events, hr, people (export and erasure), obapi (pushing a credential
to another Host), demo.

Each command imports what it needs when it runs (the web application only where a command
uses it), so that ``badgeservice --help`` and quick commands start fast.
"""

from __future__ import annotations

import click

from .access import add_access_commands, audit_group
from .clients import clients_group
from .database import db_group
from .demo import demo
from .events import events_group, worker
from .hr import hr_group
from .issuers import issuers_group, keys_rotate
from .obapi import obapi_group
from .people import people_group
from .serve import serve

__all__ = ["register"]


def register(group: click.Group) -> None:
    """Add the service commands to the ``badgeservice`` group."""
    add_access_commands(clients_group)
    groups = (
        db_group,
        issuers_group,
        clients_group,
        events_group,
        hr_group,
        people_group,
        obapi_group,
    )
    commands: tuple[click.Command, ...] = (*groups, worker, serve)
    for command in (*commands, demo):
        group.add_command(command)
    group.add_command(audit_group)
    keys = group.commands["keys"]
    assert isinstance(keys, click.Group)
    keys.add_command(keys_rotate)
