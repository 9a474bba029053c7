"""Short addresses of the role pages — ``/teams/<id>``, ``/assess``, ``/hr/reserve``,
``/hr/…``, ``/admin``, ``/admin/…`` — that lead to the organisation's own: the signed-in
person's organisation, else the only one there is; with several and nobody signed in, the
list to choose from. The page itself then asks a signed-out browser to sign in."""

from __future__ import annotations

from flask import redirect, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from ..db import get_session
from ..organisations.models import Organisation
from .base import web
from .session import current_visitor

__all__: list[str] = []


def _to_organisation(rest: str) -> ResponseReturnValue:
    visitor = current_visitor()
    slug = visitor.organisation.slug if visitor is not None else None
    if slug is None:
        slugs = list(get_session().scalars(select(Organisation.slug).limit(2)))
        if len(slugs) != 1:
            return redirect(url_for("web.index"), code=303)
        slug = slugs[0]
    query = request.query_string.decode("utf-8", "replace")
    target = f"/o/{slug}/{rest}" + (f"?{query}" if query else "")
    return redirect(target, code=303)


@web.get("/teams", defaults={"rest": ""})
@web.get("/teams/<path:rest>")
def teams_shortcut(rest: str) -> ResponseReturnValue:
    return _to_organisation(f"teams/{rest}".rstrip("/"))


@web.get("/assess", defaults={"rest": ""})
@web.get("/assess/<path:rest>")
def assess_shortcut(rest: str) -> ResponseReturnValue:
    return _to_organisation(f"assess/{rest}".rstrip("/"))


@web.get("/hr", defaults={"rest": "reserve"})
@web.get("/hr/<path:rest>")
def hr_shortcut(rest: str) -> ResponseReturnValue:
    return _to_organisation(f"hr/{rest}")


@web.get("/admin", defaults={"rest": ""})
@web.get("/admin/<path:rest>")
def admin_shortcut(rest: str) -> ResponseReturnValue:
    return _to_organisation(f"admin/{rest}".rstrip("/"))
