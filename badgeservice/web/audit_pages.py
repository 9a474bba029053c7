"""The admin's audit page: the organisation's audit trail filtered, paged and downloaded,
and its retention periods. The same services as ``GET /api/v1/audit`` and ``PATCH
/api/v1/organisations/<id>``."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from flask import redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_timezone
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from ..access.roles import Role
from ..audit.export import audit_download
from ..audit.services import AuditFilter, audit_query
from ..db import get_session
from ..errors import BadRequest
from ..organisations.models import RETENTION_BOUNDS
from ..organisations.services import set_retention
from .base import render_page, web
from .session import page_visitor, requires_role

__all__: list[str] = []

PAGE_SIZE = 50
_TEXT_FILTERS = {"actor": 300, "action": 50, "target": 300}


def _day(raw: str, field: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadRequest(
            _("Give the date as a date (e.g. 2026-12-31)."), errors={field: []}
        ) from None


def _filters(args: MultiDict[str, str]) -> tuple[AuditFilter, dict[str, str]]:
    """The filter of the page's query and the query to keep in its links. Days are whole
    days in the service's time zone, both ends included."""
    kept: dict[str, str] = {}
    for name, length in _TEXT_FILTERS.items():
        value = args.get(name, "").strip()
        if len(value) > length:
            raise BadRequest(_("That is too long to search for."))
        if value:
            kept[name] = value
    zone = get_timezone()
    since, until = _day(args.get("from", ""), "from"), _day(args.get("to", ""), "to")
    kept.update({key: day.isoformat() for key, day in (("from", since), ("to", until)) if day})
    where = AuditFilter(
        actor=kept.get("actor"),
        action=kept.get("action"),
        target=kept.get("target"),
        since=_midnight(since, zone) if since else None,
        until=_midnight(until + timedelta(days=1), zone) if until else None,
    )
    return where, kept


def _midnight(day: date, zone: Any) -> datetime:
    """The day's first moment in ``zone`` (a pytz zone: localized, not merely attached)."""
    naive = datetime.combine(day, time())
    localize = getattr(zone, "localize", None)
    return localize(naive) if localize else naive.replace(tzinfo=zone)


def _page() -> int:
    raw = request.args.get("page", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= 100_000:
        raise BadRequest(_("There is no such page of the list."))
    return int(raw)


def channels() -> dict[str, str]:
    return {
        "api": _("API"),
        "page": _("page"),
        "scim": _("SCIM"),
        "cli": _("command line"),
        "worker": _("worker"),
        "system": _("system"),
    }


@web.get("/o/<slug>/admin/audit")
@requires_role(Role.ADMIN)
def admin_audit() -> ResponseReturnValue:
    """Who did what, when and from where: newest first, filtered; downloads of the same."""
    visitor = page_visitor()
    where, kept = _filters(request.args)
    page = _page()
    rows = list(
        get_session().scalars(
            audit_query(visitor.organisation.id, where)
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE + 1)
        )
    )
    return render_page(
        "admin_audit.html",
        active="admin",
        entries=rows[:PAGE_SIZE],
        page=page,
        more=len(rows) > PAGE_SIZE,
        query=kept,
        channels=channels(),
        bounds=RETENTION_BOUNDS,
        saved=request.args.get("saved"),
    )


@web.get("/o/<slug>/admin/audit.<kind>")
@requires_role(Role.ADMIN)
def admin_audit_export(kind: str) -> ResponseReturnValue:
    """The filtered trail as CSV or JSON Lines (every match)."""
    if kind not in ("csv", "jsonl"):
        raise BadRequest(_("Choose CSV or JSON Lines."))
    where, _kept = _filters(request.args)
    return audit_download(page_visitor().organisation.id, where, kind)


@web.post("/o/<slug>/admin/retention")
@requires_role(Role.ADMIN)
def admin_retention() -> ResponseReturnValue:
    """Change the retention periods (each a whole number of days within its bounds)."""
    visitor = page_visitor()
    days: dict[str, Any] = {}
    for kind, (low, high) in RETENTION_BOUNDS.items():
        raw = request.form.get(kind, "").strip()
        if not raw.isdigit() or not low <= int(raw) <= high:
            raise BadRequest(
                _("Give a whole number of days from %(low)s to %(high)s.", low=low, high=high),
                errors={kind: []},
            )
        days[kind] = int(raw)
    set_retention(get_session(), visitor.organisation, **days)
    return redirect(url_for("web.admin_audit", slug=visitor.organisation.slug, saved=1), 303)
