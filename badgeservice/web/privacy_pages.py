"""Personal data on the pages: the learner downloads their data from their settings; an
admin finds a person (``/admin/people``), downloads their data on their behalf, and erases
them after typing their employee number or name again, on a page that says exactly what
will happen; the answer is the erasure's report. The same services as the API and the
command line, so the same audit entries."""

from __future__ import annotations

from flask import Response, current_app, request, send_file
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from ..access.roles import Role
from ..api import parse_id
from ..db import get_session
from ..errors import BadRequest, NotFound
from ..people.models import Person
from ..privacy.erasure import is_confirmed
from ..privacy.service import erase, export_file, export_filename
from .base import render_page, web
from .session import Visitor, page_visitor, requires_role

__all__: list[str] = []

PAGE_SIZE = 50


def _removed_label(key: str) -> str:
    """What the erasure report's ``removed`` key names, in the page's language."""
    labels: dict[str, str] = {
        "inbox payloads": _("Payloads of events from learning environments"),
        "evidence files": _("Evidence files"),
        "evidence texts and links": _("Evidence texts and links"),
        "bulk award lines": _("Bulk award lines"),
        "credential sharing settings": _("Sharing settings of badges"),
        "lms accounts": _("Accounts in learning environments"),
        "sign in identities": _("Sign-in links"),
        "web sessions": _("Sessions"),
        "role grants": _("Roles"),
        "team members": _("Team memberships"),
        "notices": _("E-mail notices"),
        "identifiers in HR events": _("Messages to HR without their identifiers"),
        "undelivered HR deliveries rewritten": _("Deliveries to HR still waiting, rewritten"),
        "personal fields of the person": _("Personal fields of the person"),
    }
    if key in labels:
        return str(labels[key])
    return str(_("Mentions in %(place)s", place=key.removeprefix("mentions in ")))


def _actor(visitor: Visitor) -> str:
    return f"person {visitor.person.id} ({visitor.person.display_name})"


def _download(person: Person, visitor: Visitor) -> Response:
    out = export_file(get_session(), person, _actor(visitor), current_app.config["PUBLIC_URL"])
    response = send_file(
        out, mimetype="application/zip", as_attachment=True, download_name=export_filename(person)
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@web.post("/o/<slug>/settings/export")
@requires_role()
def my_data_export() -> ResponseReturnValue:
    """My data: everything held about me, as a zip."""
    visitor = page_visitor()
    return _download(visitor.person, visitor)


def _person(person_id: str) -> Person:
    visitor = page_visitor()
    person = get_session().get(Person, parse_id(person_id, "person"))
    if person is None or person.organisation_id != visitor.organisation.id:
        raise NotFound(_("There is no such person here."))
    return person


@web.get("/o/<slug>/admin/people")
@requires_role(Role.ADMIN)
def admin_people() -> ResponseReturnValue:
    """People by name, employee number or e-mail, 50 to a page."""
    visitor = page_visitor()
    query = " ".join(request.args.get("q", "").split())[:200]
    raw = request.args.get("page", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= 100_000:
        raise BadRequest(_("There is no such page of the list."))
    page = int(raw)
    statement = select(Person).where(Person.organisation_id == visitor.organisation.id)
    if query:
        like = f"%{query.lower()}%"
        full_name = func.lower(
            func.coalesce(Person.given_name, "") + " " + func.coalesce(Person.family_name, "")
        )
        statement = statement.where(
            or_(
                full_name.like(like),
                func.lower(Person.employee_number).like(like),
                func.lower(Person.email).like(like),
            )
        )
    rows = list(
        get_session().scalars(
            statement.order_by(Person.family_name, Person.given_name, Person.id)
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE + 1)
        )
    )
    return render_page(
        "admin_people.html",
        active="admin",
        people=rows[:PAGE_SIZE],
        query=query,
        page=page,
        more=len(rows) > PAGE_SIZE,
    )


@web.get("/o/<slug>/admin/people/<person_id>")
@requires_role(Role.ADMIN)
def admin_person(person_id: str) -> ResponseReturnValue:
    """One person: who they are, and their data's export and erasure."""
    return render_page("admin_person.html", active="admin", person=_person(person_id))


@web.post("/o/<slug>/admin/people/<person_id>/export")
@requires_role(Role.ADMIN)
def admin_person_export(person_id: str) -> ResponseReturnValue:
    """The person's data as a zip, on their behalf."""
    return _download(_person(person_id), page_visitor())


@web.route("/o/<slug>/admin/people/<person_id>/erase", methods=["GET", "POST"])
@requires_role(Role.ADMIN)
def admin_person_erase(person_id: str) -> ResponseReturnValue:
    """What erasure does, the confirmation (the employee number or name typed again), and
    after it the report: what was removed and what was kept, and why."""
    visitor, person = page_visitor(), _person(person_id)
    if person.erased_at is not None:
        return render_page("admin_person.html", active="admin", person=person)
    if person.id == visitor.person.id:
        raise BadRequest(_("You cannot erase yourself; ask another administrator."))
    problem = None
    if request.method == "POST":
        typed = request.form.get("confirm", "")
        if is_confirmed(person, typed):
            report = erase(get_session(), person, _actor(visitor))
            return render_page(
                "admin_erased.html",
                active="admin",
                person=person,
                report=report,
                removed_label=_removed_label,
            )
        problem = _("That is not their employee number or name. Nothing was erased.")
    return render_page(
        "admin_erase.html",
        400 if problem else 200,
        active="admin",
        person=person,
        problem=problem,
    )
