"""The supervisor's pages: my teams, one team live (progress, latest achievements, who has
stalled, the team's targets), approving or returning a member's own path, and awarding a
sub-goal by hand. A supervisor sees only the teams they supervise: any other is not
found. Pages call the services; they never write rows themselves."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime

from flask import Response, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from ..access.roles import Role
from ..awards.awarding import award
from ..awards.signals import awarded
from ..credentials import ob3
from ..db import get_session
from ..errors import BadRequest, NotFound
from ..hr.reserve.supervision import progress_of_people, team_overview
from ..hr.reserve.targets import reserve
from ..issuing.services import issuing_service
from ..paths.approvals import path_history, return_individual_path, waiting_for_approval
from ..paths.models import Path, PathKind
from ..paths.services import approve_individual_path, get_path
from ..people.models import Person, Team, TeamMember
from ..people.services import get_person
from .base import render_page, web
from .charts import progress_svg
from .i18n import current_language
from .session import Visitor, page_visitor, requires_role
from .team_data import clamp_weeks, member_rows, supervised_team

__all__: list[str] = []

#: How often the page asks for changes (milliseconds): a completion shows within two seconds.
POLL_MS = 1000


@web.get("/o/<slug>/teams")
@requires_role(Role.SUPERVISOR)
def my_teams() -> ResponseReturnValue:
    """The teams I supervise."""
    visitor = page_visitor()
    teams = get_session().scalars(
        select(Team)
        .where(Team.id.in_(list(visitor.roles.supervised_teams)))
        .order_by(Team.name, Team.id)
    )
    return render_page("teams.html", active="teams", teams=list(teams))


def _progress_words(done: int, total: int, name: str) -> str:
    return str(
        _("%(name)s: %(done)s of %(total)s required steps", name=name, done=done, total=total)
    )


@web.get("/o/<slug>/teams/<team_ref>")
@requires_role(Role.SUPERVISOR)
def team_page(team_ref: str) -> ResponseReturnValue:
    """One of my teams: who needs attention first, live."""
    visitor, db = page_visitor(), get_session()
    team = supervised_team(db, visitor, team_ref)
    weeks = clamp_weeks(request.args.get("weeks"))
    overview = team_overview(db, visitor.organisation.id, team.id, latest=1)
    rows = member_rows(overview, weeks, visitor.person.id)
    names = {member.person.id: member.person.display_name for member in overview.members}
    # Nobody approves their own path: the supervisor's own is not in their queue.
    waiting = [
        (path, names.get(path.person_id, ""))  # type: ignore[arg-type]
        for path in waiting_for_approval(db, visitor.organisation.id, list(names))
        if path.person_id != visitor.person.id
    ]
    # The notice names a member of this team, never text taken from the address.
    awarded_to = request.args.get("awarded", "")
    awarded_name = next((n for i, n in names.items() if str(i) == awarded_to), None)
    targets = reserve(db, visitor.organisation.id, team_id=team.id, months=0).targets
    return render_page(
        "team.html",
        active="teams",
        team=team,
        rows=rows,
        weeks=weeks,
        cursor=overview.cursor.isoformat(),
        poll_ms=POLL_MS,
        # A little under the session's idle timeout: the page's own polls never keep an
        # unattended session alive.
        idle_ms=max(POLL_MS, int(current_app.config["SESSION_IDLE_TIMEOUT"]) * 1000 - 60_000),
        waiting=waiting,
        targets=targets,
        progress_svg=progress_svg,
        progress_words=_progress_words,
        decided=request.args.get("decided"),
        awarded_name=awarded_name,
    )


@web.get("/o/<slug>/teams/<team_ref>/live")
@requires_role(Role.SUPERVISOR)
def team_live(team_ref: str) -> ResponseReturnValue:
    """The rows of the members changed since ``since`` (the page's cursor), as HTML to put
    in place, with the whole membership; an ETag over the content makes an unchanged
    answer a 304."""
    visitor, db = page_visitor(), get_session()
    team = supervised_team(db, visitor, team_ref)
    try:
        since = datetime.fromisoformat(request.args["since"])
    except (KeyError, ValueError):
        raise BadRequest(_("The page's cursor is missing or not a time.")) from None
    if since.tzinfo is None:
        raise BadRequest(_("The page's cursor is missing or not a time."))
    weeks = clamp_weeks(request.args.get("weeks"))
    overview = team_overview(db, visitor.organisation.id, team.id, since=since, latest=1)
    rows = member_rows(overview, weeks, visitor.person.id)
    changed = {
        str(row.id): {
            "digest": row.digest,
            "name": row.name,
            "html": render_template(
                "_member_row.html",
                row=row,
                progress_svg=progress_svg,
                progress_words=_progress_words,
            ),
        }
        for row in rows
    }
    content = {"members": [str(i) for i in overview.member_ids], "rows": changed}
    tag = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:32]
    if request.if_none_match.contains_weak(tag):
        response = Response(status=304)
    else:
        body = {"cursor": overview.cursor.isoformat(), **content}
        response = Response(json.dumps(body), mimetype="application/json")
    response.set_etag(tag, weak=True)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


# -- approving a member's own path ----------------------------------------------------


def _member_path(visitor: Visitor, team: Team, path_id: str) -> tuple[Path, Person]:
    """An individual path of a member of ``team``; anything else is not found."""
    session = get_session()
    try:
        path = get_path(session, visitor.organisation.id, uuid.UUID(path_id))
    except ValueError:
        raise NotFound(f"no path {path_id!r}") from None
    member = session.scalar(
        select(TeamMember.id).where(
            TeamMember.team_id == team.id, TeamMember.person_id == path.person_id
        )
    )
    if path.kind != PathKind.INDIVIDUAL or member is None:
        raise NotFound(f"no path {path_id!r} in this team")
    person = get_person(session, visitor.organisation.id, path.person_id)  # type: ignore[arg-type]
    return path, person


@web.route("/o/<slug>/teams/<team_ref>/paths/<path_id>", methods=["GET", "POST"])
@requires_role(Role.SUPERVISOR)
def review_path(team_ref: str, path_id: str) -> ResponseReturnValue:
    """A member's own path: its goals, its approval history, and approve or return it."""
    visitor, db = page_visitor(), get_session()
    team = supervised_team(db, visitor, team_ref)
    path, person = _member_path(visitor, team, path_id)
    if request.method == "POST":
        decision = request.form.get("decision", "")
        comment = request.form.get("comment", "")
        if decision == "approve":
            approve_individual_path(db, path, visitor.person.id, comment=comment)
        elif decision == "return":
            return_individual_path(db, path, visitor.person, comment)
        else:
            raise BadRequest(_("Choose to approve or to return the path."))
        target = url_for("web.team_page", team_ref=str(team.id), decided=decision)
        return redirect(f"{target}#approvals", code=303)
    progress = progress_of_people(db, visitor.organisation.id, [person])[person.id]
    mine = next((item for item in progress if item.path.id == path.id), None)
    goals, seen = [], set()
    for goal in sorted(
        [*mine.required, *mine.optional] if mine else [], key=lambda g: g.path_id != path.id
    ):
        if goal.achievement_id not in seen:
            seen.add(goal.achievement_id)
            goals.append((goal, mine is not None and goal.id in mine.achieved))
    return render_page(
        "review_path.html",
        active="teams",
        team=team,
        path=path,
        person=person,
        goals=goals,
        history=path_history(db, path),
    )


# -- awarding a sub-goal by hand ------------------------------------------------------


def _award_choices(visitor: Visitor, person: Person) -> list[tuple[str, list[tuple[str, str]]]]:
    """The steps of the person's paths they have not achieved, by path: (path name,
    [(sub-goal id, name)]); a badge offered by several paths is offered once."""
    session = get_session()
    groups: list[tuple[str, list[tuple[str, str]]]] = []
    seen: set[uuid.UUID] = set()
    for item in progress_of_people(session, visitor.organisation.id, [person])[person.id]:
        goals = []
        for goal in item.path.sub_goals:
            if goal.id in item.achieved or goal.achievement_id in seen:
                continue
            if goal.achievement_id in item.held:
                continue
            seen.add(goal.achievement_id)
            goals.append((str(goal.id), goal.text("name", current_language())))
        if goals:
            groups.append((item.path.text("name", current_language()), goals))
    return groups


@web.route("/o/<slug>/teams/<team_ref>/award", methods=["GET", "POST"])
@requires_role(Role.SUPERVISOR)
def award_goal(team_ref: str) -> ResponseReturnValue:
    """Award a member a sub-goal of their paths, with an optional narrative and link as
    evidence: search the member by name, choose the sub-goal, confirm."""
    visitor, db = page_visitor(), get_session()
    team = supervised_team(db, visitor, team_ref)
    overview = team_overview(db, visitor.organisation.id, team.id, latest=0)
    members = [
        member.person
        for member in overview.members
        if member.person.active and member.person.id != visitor.person.id
    ]
    chosen = request.values.get("member") or None
    person = next((p for p in members if str(p.id) == chosen), None)
    if chosen is not None and person is None:
        raise BadRequest(_("Choose one of the team's members."))
    if request.method == "POST":
        if person is None:
            raise BadRequest(_("Choose one of the team's members."))
        return _do_award(visitor, team, person)
    query = (request.args.get("q") or "").strip()
    found = [p for p in members if query.casefold() in p.display_name.casefold()]
    return render_page(
        "award.html",
        active="teams",
        team=team,
        query=query,
        found=found,
        person=person,
        choices=_award_choices(visitor, person) if person is not None else [],
    )


def _do_award(visitor: Visitor, team: Team, person: Person) -> ResponseReturnValue:
    session = get_session()
    offered = {value for _, goals in _award_choices(visitor, person) for value, _ in goals}
    goal = request.form.get("sub_goal", "")
    if goal not in offered:
        raise BadRequest(_("Choose one of the offered steps."))
    narrative = request.form.get("narrative", "").strip()[:20_000] or None
    link = request.form.get("evidence_url", "").strip() or None
    if link is not None and not link.startswith(("https://", "http://")):
        raise BadRequest(_("The evidence link must start with https:// or http://."))
    evidence = (
        (ob3.Evidence(id=link, narrative=narrative, name=_("Supervisor's assessment")),)
        if link or narrative
        else ()
    )
    outcome = award(
        session,
        issuing_service(session),
        person=person,
        sub_goal_id=uuid.UUID(goal),
        awarded_by=f"person:{visitor.person.id}",
        evidence=evidence,
    )
    if outcome.created:
        awarded.send(session=session, person_id=person.id)
    target = url_for("web.team_page", team_ref=str(team.id), awarded=str(person.id))
    return redirect(target, code=303)
