"""Operator commands of the service: serve, db, issuers, keys, clients, worker, hr, demo.

Each command imports what it needs when it runs (the web application only where a command
uses it), so that ``badgeservice --help`` and quick commands start fast.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .cli import InputError, handles_errors

if TYPE_CHECKING:
    from flask import Flask
    from sqlalchemy.orm import Session

    from .keystore import KeyStore

__all__ = ["register"]

DEFAULT_ISSUERS = Path("issuers")


def _app(overrides: dict[str, Any] | None = None) -> Flask:
    from .app import create_app
    from .config import ConfigurationError

    try:
        return create_app(overrides)
    except ConfigurationError as exc:
        raise InputError(str(exc)) from None


@contextmanager
def _session(app: Flask) -> Iterator[Session]:
    from .db import database, session_scope
    from .errors import AppError

    with app.test_request_context(), session_scope(database()) as session:
        try:
            yield session
        except AppError as exc:
            raise InputError(exc.detail) from None


@contextmanager
def _plain_session() -> Iterator[tuple[Session, KeyStore]]:
    """A session and the key store without the web application, for quick commands."""
    from .config import load_config
    from .db import Database, session_scope
    from .errors import AppError
    from .keyconfig import keystore_from_config

    config = load_config()
    database = Database(config["DATABASE_URL"])
    try:
        with session_scope(database) as session:
            try:
                yield session, keystore_from_config(config)
            except AppError as exc:
                raise InputError(exc.detail) from None
    finally:
        database.engine.dispose()


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
    from .organisations.services import create_client, organisation_by_slug

    with _plain_session() as (session, keystore):
        org = organisation_by_slug(session, organisation)
        supervisor_id = None
        if supervisor:
            from .people.services import get_person

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
    if as_json:
        click.echo(json.dumps(result))
    else:
        click.echo(f"client  {result['id']}")
        click.echo(f"token   {result['token']}")
        click.echo(f"secret  {result['secret']}")


@click.command("worker")
@click.option(
    "--until-idle",
    is_flag=True,
    help="Exit when nothing is due (events, HR deliveries, expiries); a delivery waiting "
    "for a later retry is not due.",
)
@click.option("--batch-size", default=50, show_default=True, type=int)
@click.option(
    "--interval", default=1.0, show_default=True, type=float, help="Seconds to wait when idle."
)
@handles_errors
def worker(until_idle: bool, batch_size: int, interval: float) -> None:
    """Process stored inbound events (and retry parked ones), deliver competence events to
    HR endpoints and expire recognitions, until stopped. ``--until-idle`` exits when nothing
    is due (a delivery waiting for a later retry is not due)."""
    from .hr.worker import run_worker

    app = _app()
    try:
        stats, hr = run_worker(
            app,
            until_idle=until_idle,
            batch_size=batch_size,
            interval=interval,
            echo=click.echo,
        )
    except ValueError as exc:  # an unusable HR delivery setting
        raise InputError(str(exc)) from None
    click.echo(
        f"worker idle: {stats.processed} event(s) processed, "
        f"{hr.totals.delivered} HR delivery(ies) delivered, {hr.totals.failed} to retry, "
        f"{hr.totals.dead} dead, {hr.expired} recognition(s) expired"
    )


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
    from .hr.endpoints import list_endpoints
    from .organisations.services import organisation_by_slug

    with _session(_app()) as session:
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
    from .hr.endpoints import endpoint_by_name, endpoint_secret, rotate_secret
    from .organisations.services import organisation_by_slug
    from .services import keystore

    with _session(_app()) as session:
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
    from .hr.endpoints import dead_deliveries, redeliver
    from .organisations.services import organisation_by_slug

    if dead == bool(ids):
        raise InputError("give delivery ids or --dead (not both)")
    wanted = []
    for raw in ids:
        try:
            wanted.append(uuid.UUID(raw))
        except ValueError:
            raise InputError(f"no delivery {raw!r}") from None
    with _session(_app()) as session:
        org = organisation_by_slug(session, organisation)
        rows = redeliver(session, org.id, dead_deliveries(session, org.id) if dead else wanted)
    click.echo(f"{len(rows)} delivery(ies) queued again")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
@handles_errors
def serve(host: str, port: int, workers: int) -> None:
    """Run the web service with gunicorn."""
    _app()  # a configuration it cannot start with fails here, in one line
    _run_gunicorn(host, port, workers)


def _run_gunicorn(
    host: str,
    port: int,
    workers: int,
    *,
    demo: bool = False,
    overrides: dict[str, Any] | None = None,
) -> None:
    from gunicorn.app.base import BaseApplication

    from .config import load_config

    instance = Path(load_config()["INSTANCE_PATH"]).resolve()

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("accesslog", "-")
            if "control_socket" in self.cfg.settings:
                # gunicorn >= 25.1 opens a control socket, by default in ~/.gunicorn/ (one
                # for every service of the user): this service's runtime files stay in its
                # instance folder.
                instance.mkdir(parents=True, exist_ok=True)
                self.cfg.set("control_socket", str(instance / "gunicorn.ctl"))
            self.cfg.set("post_worker_init", _tune_worker)
            if demo:
                # One process with request threads, and the HR delivery thread started
                # after the fork (never fork a process that runs threads).
                self.cfg.set("worker_class", "gthread")
                self.cfg.set("threads", 4)
                self.cfg.set("post_worker_init", _start_demo_delivery)

        def load(self) -> Any:
            app = _app(overrides)
            if demo:
                from .hr.views import demo_receiver

                app.register_blueprint(demo_receiver)
            return app

    Server().run()


def _tune_worker(worker: Any) -> None:
    """gunicorn hook: the app is loaded in this worker; settle its garbage collector, and in
    request mode process in the background what requests left (ingest/recovery.py)."""
    from .runtime import tune_gc

    tune_gc()
    if worker.wsgi.config["PROCESSING"] == "request":
        from .ingest.recovery import start_recovery

        start_recovery(worker.wsgi, echo=worker.log.info)


def _start_demo_delivery(worker: Any) -> None:
    """gunicorn hook (in the demo's one worker): deliver HR pushes in a thread."""
    import logging

    _tune_worker(worker)

    from .hr.worker import start_background_delivery

    logger = logging.getLogger("badgeservice.hr")
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    start_background_delivery(worker.wsgi, echo=logger.info)


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@handles_errors
def demo(host: str, port: int) -> None:
    """Create or upgrade the database, load issuers/, print a token, start the service."""
    import os

    from .db import database
    from .definitions.loader import load_definitions
    from .hr.endpoints import declare_endpoint
    from .hr.views import DEMO_RECEIVER_PATH
    from .migrate import upgrade
    from .organisations.services import create_client, organisation_by_slug
    from .services import keystore

    os.environ.setdefault("BADGESERVICE_PUBLIC_URL", f"http://{host}:{port}")
    # The demo pushes to its own stand-in HR receiver on this host: allowed as an operator
    # would allow an internal HR system (outbound requests go to public addresses only).
    allowed = os.environ.get("BADGESERVICE_OUTBOUND_ALLOW", "")
    os.environ["BADGESERVICE_OUTBOUND_ALLOW"] = ",".join(filter(None, (allowed, host)))
    # "Continue as" an example person on the pages: only here, and only on loopback with
    # the embedded database.
    from .config import load_config
    from .web import demo_configuration, is_loopback

    overrides: dict[str, Any] = {"DEMO": True}
    overrides["DEV_SIGN_IN"] = is_loopback(host) and demo_configuration(load_config(overrides))
    app = _app(overrides)
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
    _run_gunicorn(host, port, 1, demo=True, overrides=overrides)


def _example_award(session: Session, organisation_id: uuid.UUID) -> str | None:
    """A ready-to-send award body: the first sub-goal of the organisation path, for the
    first person on record."""
    from sqlalchemy import select

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
    from .access_commands import add_access_commands, audit_group

    add_access_commands(clients_group)
    commands = (db_group, issuers_group, clients_group, events_group, hr_group, worker, serve)
    for command in (*commands, demo):
        group.add_command(command)
    group.add_command(audit_group)
    keys = group.commands["keys"]
    assert isinstance(keys, click.Group)
    keys.add_command(keys_rotate)
