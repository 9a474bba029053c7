"""Operator commands of the service: serve, db, issuers, keys, clients, demo."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from .cli import InputError, handles_errors
from .errors import AppError

__all__ = ["register"]

DEFAULT_ISSUERS = Path("issuers")


def _app() -> Flask:
    from .app import create_app

    return create_app()


@contextmanager
def _session(app: Flask) -> Iterator[Session]:
    from .db import database, session_scope

    with app.test_request_context(), session_scope(database()) as session:
        try:
            yield session
        except AppError as exc:
            raise InputError(exc.detail) from None


@click.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
@handles_errors
def db_upgrade() -> None:
    """Create or upgrade the database schema to the newest migration."""
    from .db import database
    from .migrate import upgrade

    app = _app()
    with app.app_context():
        upgrade(database().engine)
    click.echo(f"database at {app.config['DATABASE_URL']} is up to date")


@db_group.command("check")
@handles_errors
def db_check() -> None:
    """Exit 1 when the migrated schema and the models differ."""
    from .db import database
    from .migrate import pending_changes

    with _app().app_context():
        changes = pending_changes(database().engine)
    for change in changes:
        click.echo(f"pending: {change}")
    if changes:
        raise SystemExit(1)
    click.echo("models and migrations agree")


@click.group("issuers")
def issuers_group() -> None:
    """Organisations as data (issuers/)."""


@issuers_group.command("load")
@click.argument("path", required=False, type=click.Path(file_okay=False, path_type=Path))
@handles_errors
def issuers_load(path: Path | None) -> None:
    """Apply the organisation folders under PATH (default ./issuers) idempotently."""
    from .definitions.loader import load_definitions

    app = _app()
    with _session(app) as session:
        for line in load_definitions(session, path or DEFAULT_ISSUERS, app):
            click.echo(line)


@click.command("rotate")
@click.option(
    "--issuer", "issuer_ref", required=True, help="Issuer id, or ORGANISATION/ISSUER slugs."
)
@handles_errors
def keys_rotate(issuer_ref: str) -> None:
    """Add a new signing key to an issuer; old keys stay published in its DID document."""
    from .issuers.models import Issuer
    from .issuers.services import IssuerService

    app = _app()
    with _session(app) as session:
        service = IssuerService(
            session,
            public_url=app.config["PUBLIC_URL"],
            keystore=app.extensions["badgeservice.keystore"],
        )
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


@click.group("clients")
def clients_group() -> None:
    """API clients (bearer tokens with scopes)."""


@clients_group.command("create")
@click.option("--organisation", required=True, help="Organisation slug.")
@click.option("--scopes", required=True, help="Comma- or space-separated scopes.")
@click.option("--name", help="Client name (default: generated).")
@click.option("--connection", help="LMS connection the client sends events for.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handles_errors
def clients_create(
    organisation: str, scopes: str, name: str | None, connection: str | None, as_json: bool
) -> None:
    """Create an API client; its token and signing secret are shown only now."""
    from .organisations.services import create_client, organisation_by_slug
    from .services import keystore

    app = _app()
    with _session(app) as session:
        org = organisation_by_slug(session, organisation)
        issued = create_client(
            session,
            org,
            name=name or f"client-{uuid.uuid4().hex[:8]}",
            scopes=scopes.replace(",", " ").split(),
            keystore=keystore(),
            connection=connection,
        )
        result = {"id": str(issued.client.id), "token": issued.token, "secret": issued.secret}
    if as_json:
        click.echo(json.dumps(result))
    else:
        click.echo(f"client  {result['id']}")
        click.echo(f"token   {result['token']}")
        click.echo(f"secret  {result['secret']}")


@click.command("worker")
@click.option("--until-idle", is_flag=True, help="Exit when no event is waiting.")
@click.option("--batch-size", default=50, show_default=True, type=int)
@click.option(
    "--interval", default=1.0, show_default=True, type=float, help="Seconds to wait when idle."
)
@handles_errors
def worker(until_idle: bool, batch_size: int, interval: float) -> None:
    """Process stored inbound events (and retry parked ones) until stopped."""
    from .ingest.worker import run_worker

    stats = run_worker(
        _app(),
        until_idle=until_idle,
        batch_size=batch_size,
        interval=interval,
        echo=click.echo,
    )
    click.echo(f"worker idle: {stats.processed} event(s) processed")


@click.group("events")
def events_group() -> None:
    """Inbound events (the inbox)."""


@events_group.command("replay")
@click.option(
    "--state",
    "states",
    multiple=True,
    type=click.Choice(["failed", "parked", "unmatched", "received", "ignored"]),
    help="Replay events in this state (repeatable; default failed and parked).",
)
@click.option("--id", "event_ids", multiple=True, help="Replay this event (repeatable).")
@click.option("--organisation", help="Only this organisation's events (slug).")
@handles_errors
def events_replay(
    states: tuple[str, ...], event_ids: tuple[str, ...], organisation: str | None
) -> None:
    """Process stored events again; idempotent (no credential is issued twice)."""
    from collections import Counter

    from .ingest.models import InboundEvent
    from .ingest.services import IngestService
    from .issuing.services import IssuingService
    from .organisations.services import organisation_by_slug

    app = _app()
    with _session(app) as session:
        service = IssuingService(
            session,
            public_url=app.config["PUBLIC_URL"],
            keystore=app.extensions["badgeservice.keystore"],
        )
        ingest = IngestService(session, service)
        org_id = organisation_by_slug(session, organisation).id if organisation else None
        if event_ids:
            events = []
            for raw in event_ids:
                try:
                    event = session.get(InboundEvent, uuid.UUID(raw))
                except ValueError:
                    event = None
                if event is None or (org_id and event.organisation_id != org_id):
                    raise InputError(f"no event {raw!r}")
                events.append(event)
        else:
            events = ingest.pending(
                list(states or ("failed", "parked")), limit=100_000, organisation_id=org_id
            )
        outcome = Counter(event.state for event in ingest.replay(events))
    summary = ", ".join(f"{n} {state}" for state, n in sorted(outcome.items()))
    click.echo(f"replayed {sum(outcome.values())} event(s): {summary or 'none'}")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
@handles_errors
def serve(host: str, port: int, workers: int) -> None:
    """Run the web service with gunicorn."""
    _run_gunicorn(host, port, workers)


def _run_gunicorn(host: str, port: int, workers: int) -> None:
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("accesslog", "-")

        def load(self) -> Any:
            return _app()

    Server().run()


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@handles_errors
def demo(host: str, port: int) -> None:
    """Create or upgrade the database, load issuers/, print a token, start the service."""
    import os

    from .db import database
    from .definitions.loader import load_definitions
    from .migrate import upgrade
    from .organisations.services import create_client, organisation_by_slug
    from .services import keystore

    os.environ.setdefault("BADGESERVICE_PUBLIC_URL", f"http://{host}:{port}")
    app = _app()
    with app.app_context():
        upgrade(database().engine)
    with _session(app) as session:
        for line in load_definitions(session, DEFAULT_ISSUERS, app):
            click.echo(line)
        org = organisation_by_slug(session, "esimerkkiopisto")
        issued = create_client(
            session, org, name=f"demo-{uuid.uuid4().hex[:8]}", scopes=["admin"], keystore=keystore()
        )
        example = _example_award(session, org.id)
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
    click.echo(f"API description:  {url}/api/v1/openapi.json")
    _run_gunicorn(host, port, 2)


def _example_award(session: Session, organisation_id: uuid.UUID) -> str | None:
    """A ready-to-send award body: the first sub-goal of the organisation path, for the
    first person on record."""
    from .paths.models import Path, SubGoal
    from .people.models import Person

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


def register(group: click.Group) -> None:
    """Add the service commands to the ``badgeservice`` group."""
    for command in (db_group, issuers_group, clients_group, events_group, worker, serve, demo):
        group.add_command(command)
    keys = group.commands["keys"]
    assert isinstance(keys, click.Group)
    keys.add_command(keys_rotate)
