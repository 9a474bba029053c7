"""The admin's bulk award: upload a CSV, see every row's outcome before anything is issued
(a dry run), confirm, and follow the background work's progress. The page reloads itself
while the work goes on (a refresh link without JavaScript)."""

from __future__ import annotations

from contextlib import suppress

from flask import redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..access.roles import Role
from ..api import parse_id
from ..bulkawards.models import BulkAward, BulkRow, BulkState
from ..bulkawards.reading import MAX_BYTES, MAX_ROWS, BulkFileError
from ..bulkawards.services import confirm, counts, create_preview, get_bulk
from ..db import get_session
from ..errors import Conflict
from .base import render_page, web
from .session import Visitor, page_visitor, requires_role

__all__: list[str] = []

SHOWN = 100  # rows of each kind a page lists


def _file_problem(error: BulkFileError) -> str:
    texts = {
        "encoding": _("The file is not UTF-8 text. Save it from the spreadsheet as CSV UTF-8."),
        "empty": _("The file has no award lines."),
        "columns": _(
            "The first line must name the columns person and badge (and, if you like, "
            "narrative and evidence_url); the problem: %(columns)s.",
            columns=error.detail,
        ),
        "too-many": _("A file may have at most %(count)s lines.", count=MAX_ROWS),
        "too-large": _("A file may be at most %(size)s MiB.", size=MAX_BYTES // (1024 * 1024)),
        "malformed": _("The file is not valid CSV: %(detail)s", detail=error.detail),
    }
    return str(texts.get(error.code, error.code))


@web.route("/o/<slug>/admin/bulk", methods=["GET", "POST"])
@requires_role(Role.ADMIN)
def admin_bulk() -> ResponseReturnValue:
    """The upload form and the organisation's latest bulk awards."""
    visitor, db = page_visitor(), get_session()
    problem = None
    if request.method == "POST":
        request.max_content_length = MAX_BYTES + 256 * 1024
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            problem = _("Choose a CSV file.")
        else:
            try:
                bulk = create_preview(
                    db,
                    visitor.organisation.id,
                    visitor.person,
                    upload.filename,
                    upload.read(MAX_BYTES + 1),
                )
            except BulkFileError as error:
                problem = _file_problem(error)
            else:
                slug = visitor.organisation.slug
                target = url_for("web.admin_bulk_job", slug=slug, bulk_id=bulk.id)
                return redirect(target, code=303)
    latest = list(
        db.scalars(
            select(BulkAward)
            .where(BulkAward.organisation_id == visitor.organisation.id)
            .order_by(BulkAward.created_at.desc())
            .limit(20)
        )
    )
    return render_page(
        "admin_bulk.html",
        status=400 if problem else 200,
        active="admin",
        problem=problem,
        latest=latest,
        max_rows=MAX_ROWS,
    )


def _bulk(visitor: Visitor, bulk_id: str) -> BulkAward:
    return get_bulk(get_session(), visitor.organisation.id, parse_id(bulk_id, "bulk award"))


@web.get("/o/<slug>/admin/bulk/<bulk_id>")
@requires_role(Role.ADMIN)
def admin_bulk_job(bulk_id: str) -> ResponseReturnValue:
    """A bulk award: its dry run (before confirming) or its progress and outcome."""
    visitor, db = page_visitor(), get_session()
    bulk = _bulk(visitor, bulk_id)
    rows = select(BulkRow).where(BulkRow.bulk_id == bulk.id).order_by(BulkRow.line)
    problems = list(db.scalars(rows.where(BulkRow.problem.is_not(None)).limit(SHOWN)))
    failed = list(db.scalars(rows.where(BulkRow.outcome == "failed").limit(SHOWN)))
    first = list(db.scalars(rows.where(BulkRow.problem.is_(None)).limit(20)))
    return render_page(
        "admin_bulk_job.html",
        active="admin",
        bulk=bulk,
        counts=counts(db, bulk),
        held_count=db.scalar(select(func.count()).where(BulkRow.bulk_id == bulk.id, BulkRow.held)),
        problems=problems,
        failed=failed,
        first=first,
        shown=SHOWN,
        STATE=BulkState,
    )


@web.post("/o/<slug>/admin/bulk/<bulk_id>/confirm")
@requires_role(Role.ADMIN)
def admin_bulk_confirm(bulk_id: str) -> ResponseReturnValue:
    """Queue the rows for awarding; a second confirmation (the button pressed twice, the
    form sent again) changes nothing."""
    visitor = page_visitor()
    bulk = _bulk(visitor, bulk_id)
    with suppress(Conflict):  # confirmed already: the page shows its progress
        confirm(get_session(), bulk)
    target = url_for("web.admin_bulk_job", slug=visitor.organisation.slug, bulk_id=bulk.id)
    return redirect(target, code=303)
