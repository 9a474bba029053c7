"""``badgeservice worker`` and ``badgeservice events replay``: the background work and
the inbox."""

from __future__ import annotations

import uuid

import click

from ..clitools import InputError, handles_errors
from .base import app_for_command, session_in

__all__ = ["events_group", "worker"]


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
@click.option(
    "--one-by-one",
    is_flag=True,
    help="Process every inbound event on its own, as before batches were processed "
    "together (same outcome, slower; for comparison and diagnosis).",
)
@handles_errors
def worker(until_idle: bool, batch_size: int, interval: float, one_by_one: bool) -> None:
    """Process stored inbound events (and retry parked ones), deliver competence events to
    HR endpoints and expire recognitions, until stopped. ``--until-idle`` exits when nothing
    is due (a delivery waiting for a later retry is not due)."""
    from ..workers import run_worker

    app = app_for_command()
    try:
        stats, hr = run_worker(
            app,
            until_idle=until_idle,
            batch_size=batch_size,
            interval=interval,
            echo=click.echo,
            together=not one_by_one,
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

    from ..ingest.models import InboundEvent
    from ..ingest.services import ingest_service
    from ..organisations.services import organisation_by_slug

    with session_in(app_for_command()) as session:
        ingest = ingest_service(session)
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
