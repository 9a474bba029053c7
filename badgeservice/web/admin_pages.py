"""The admin's pages: a dashboard of what needs attention, the event inbox (replay one or
many) and the HR deliveries (every attempt; redeliver one or many). Each action calls the
same service as the API; every page is the organisation's own."""

from __future__ import annotations

import uuid

from flask import redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..access.roles import Role
from ..achievements.services import achievements_query
from ..api import parse_id
from ..db import get_session
from ..errors import BadRequest, NotFound
from ..hr.delivery.endpoints import get_delivery, list_deliveries, redeliver
from ..ingest.models import EventState, InboundEvent
from ..ingest.services import ingest_service
from ..paths.models import Path, PathKind
from ..paths.services import paths_query
from .admin_data import KEY_ROTATION_DAYS, LIST_FULL_SHARE, STUCK, attention
from .base import render_page, web
from .session import page_visitor, requires_role

__all__: list[str] = []

PAGE_SIZE = 50
_DELIVERY_STATES = ("dead", "pending", "delivered")


def _ids(values: list[str]) -> list[uuid.UUID]:
    try:
        return [uuid.UUID(value) for value in values]
    except ValueError:
        raise BadRequest(_("Choose from the list.")) from None


def _offset() -> int:
    raw = request.args.get("page", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= 100_000:
        raise BadRequest(_("There is no such page of the list."))
    return (int(raw) - 1) * PAGE_SIZE


@web.get("/o/<slug>/admin")
@requires_role(Role.ADMIN)
def admin_dashboard() -> ResponseReturnValue:
    """What needs an admin now, each linked to its list."""
    visitor = page_visitor()
    return render_page(
        "admin.html",
        active="admin",
        attention=attention(get_session(), visitor.organisation.id),
        key_days=KEY_ROTATION_DAYS,
        full_share=LIST_FULL_SHARE,
        rotated=request.args.get("rotated"),
    )


@web.get("/o/<slug>/admin/events")
@requires_role(Role.ADMIN)
def admin_events() -> ResponseReturnValue:
    """The inbox by state (failed by default), newest first, with the reason of each."""
    visitor, db = page_visitor(), get_session()
    state = request.args.get("state", EventState.FAILED)
    if state not in set(EventState):
        raise BadRequest(_("Choose one of the offered states."))
    offset = _offset()
    rows = list(
        db.scalars(
            select(InboundEvent)
            .where(
                InboundEvent.organisation_id == visitor.organisation.id,
                InboundEvent.state == state,
            )
            .order_by(InboundEvent.received_at.desc(), InboundEvent.id)
            .offset(offset)
            .limit(PAGE_SIZE + 1)
        )
    )
    return render_page(
        "admin_events.html",
        active="admin",
        state=state,
        states=list(EventState),
        stuck=STUCK,
        events=rows[:PAGE_SIZE],
        page=offset // PAGE_SIZE + 1,
        more=len(rows) > PAGE_SIZE,
        replayed=request.args.get("replayed"),
    )


@web.post("/o/<slug>/admin/events/replay")
@requires_role(Role.ADMIN)
def admin_replay() -> ResponseReturnValue:
    """Process the chosen events again (idempotent: what was issued stays single)."""
    visitor, db = page_visitor(), get_session()
    ids = _ids(request.form.getlist("event"))
    if not ids:
        raise BadRequest(_("Choose at least one event."))
    events = list(
        db.scalars(
            select(InboundEvent).where(
                InboundEvent.organisation_id == visitor.organisation.id, InboundEvent.id.in_(ids)
            )
        )
    )
    if len(events) != len(set(ids)):
        raise NotFound("no such event")
    ingest_service(db).replay(sorted(events, key=lambda item: item.received_at))
    state = request.form.get("state", EventState.FAILED)
    target = url_for(
        "web.admin_events",
        slug=visitor.organisation.slug,
        state=state if state in set(EventState) else EventState.FAILED,
        replayed=len(events),
    )
    return redirect(target, code=303)


@web.get("/o/<slug>/admin/deliveries")
@requires_role(Role.ADMIN)
def admin_deliveries() -> ResponseReturnValue:
    """HR deliveries by state (dead by default), newest event first."""
    visitor, db = page_visitor(), get_session()
    state = request.args.get("state", "dead")
    if state not in _DELIVERY_STATES:
        raise BadRequest(_("Choose one of the offered states."))
    offset = _offset()
    rows = list_deliveries(
        db, visitor.organisation.id, state=state, limit=PAGE_SIZE + 1, offset=offset
    )
    return render_page(
        "admin_deliveries.html",
        active="admin",
        state=state,
        states=_DELIVERY_STATES,
        records=rows[:PAGE_SIZE],
        page=offset // PAGE_SIZE + 1,
        more=len(rows) > PAGE_SIZE,
        redelivered=request.args.get("redelivered"),
    )


@web.get("/o/<slug>/admin/deliveries/<delivery_id>")
@requires_role(Role.ADMIN)
def admin_delivery(delivery_id: str) -> ResponseReturnValue:
    """One delivery with every attempt."""
    visitor, db = page_visitor(), get_session()
    record = get_delivery(db, visitor.organisation.id, parse_id(delivery_id, "delivery"))
    return render_page("admin_delivery.html", active="admin", record=record)


@web.post("/o/<slug>/admin/deliveries/redeliver")
@requires_role(Role.ADMIN)
def admin_redeliver() -> ResponseReturnValue:
    """Queue the chosen deliveries again, due now (in the order of their events)."""
    visitor, db = page_visitor(), get_session()
    ids = _ids(request.form.getlist("delivery"))
    if not ids:
        raise BadRequest(_("Choose at least one delivery."))
    done = redeliver(db, visitor.organisation.id, ids)
    state = request.form.get("state", "dead")
    target = url_for(
        "web.admin_deliveries",
        slug=visitor.organisation.slug,
        state=state if state in _DELIVERY_STATES else "dead",
        redelivered=len(done),
    )
    return redirect(target, code=303)


@web.get("/o/<slug>/admin/catalogue")
@requires_role(Role.ADMIN)
def admin_catalogue() -> ResponseReturnValue:
    """The catalogue at a glance: every badge with its image, and the organisation's and
    teams' paths with their steps and what completes each (individual paths: a count)."""
    visitor, db = page_visitor(), get_session()
    organisation_id = visitor.organisation.id
    achievements = list(db.scalars(achievements_query(organisation_id)))
    shared = [
        path
        for kind in (PathKind.ORGANISATION, PathKind.TEAM)
        for path in db.scalars(paths_query(organisation_id, kind=kind))
    ]
    individual = db.scalar(
        select(func.count()).where(
            Path.organisation_id == organisation_id, Path.kind == PathKind.INDIVIDUAL
        )
    )
    return render_page(
        "admin_catalogue.html",
        active="admin",
        achievements=achievements,
        paths=shared,
        individual=int(individual or 0),
    )
