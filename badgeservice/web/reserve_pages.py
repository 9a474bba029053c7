"""HR's pages: the competence reserve (targets against teams as a heat map, the
organisation's gap in people per target, the monthly trend) and who holds a competence,
with CSV and XLSX exports. For the HR role only; every number comes from the reserve's
services (:mod:`badgeservice.hr.reserve`)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Response, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from ..access.roles import Role
from ..db import database, get_session
from ..errors import BadRequest
from ..frameworks.models import Competence
from ..hr.reserve import exports
from ..hr.reserve.heatmap import find_competences, heat_map
from ..hr.reserve.holders import day_end, holders, resolve_competence
from ..hr.reserve.targets import MAX_LEVEL, reserve
from ..people.models import Team
from .base import organisation, render_page, web
from .charts import HEAT_STEPS, heat_step, progress_svg, trend_svg
from .session import requires_role

__all__: list[str] = []

PAGE_SIZE = 100
#: Teams (columns) of the heat map on one page: a table a person can read, and a bounded
#: count whatever the size of the organisation.
TEAMS_PER_PAGE = 24


def _teams() -> list[Team]:
    return list(
        get_session().scalars(
            select(Team).where(Team.organisation_id == organisation().id).order_by(Team.name)
        )
    )


def _chosen_team(teams: list[Team], value: str | None) -> Team | None:
    if not value:
        return None
    team = next((t for t in teams if value in (str(t.id), t.slug)), None)
    if team is None:
        raise BadRequest(_("Choose one of the offered teams."))
    return team


def _trend(item: Any, index: int) -> Any:
    name = f"{item.competence.code} {item.competence.name}"
    points = [(point.month, point.share) for point in item.trend]
    last = f"{round(points[-1][1] * 100)} %" if points else "—"
    target = f"{round(item.target.share * 100)} %"
    return trend_svg(
        points,
        item.target.share,
        title=_("Trend: %(name)s", name=name),
        description=_(
            "People at level %(level)s or above by month: now %(last)s, target %(target)s.",
            level=item.target.level,
            last=last,
            target=target,
        ),
        target_label=_("target %(share)s", share=target),
        ident=f"trend-{index}",
    )


@web.get("/o/<slug>/hr/reserve")
@requires_role(Role.HR)
def hr_reserve() -> ResponseReturnValue:
    """Where are we short: the heat map, the gap in people, the trend."""
    db, org = get_session(), organisation()
    teams = _teams()
    team = _chosen_team(teams, request.args.get("team"))
    text = (request.args.get("q") or "").strip()
    below = request.args.get("below") == "1"
    competences = {c.id for c in find_competences(db, org.id, text, limit=500)} if text else None
    shown = [team] if team is not None else teams
    pages = max(1, math.ceil(len(shown) / TEAMS_PER_PAGE))
    number = request.args.get("teams_page", "1")
    teams_page = min(pages, max(1, int(number))) if number.isdigit() else 1
    shown = shown[(teams_page - 1) * TEAMS_PER_PAGE : teams_page * TEAMS_PER_PAGE]
    heat = heat_map(db, org.id, team_ids=[item.id for item in shown], competence_ids=competences)
    rows = [r for r in heat.rows if not below or any(c and not c.met for c in r.cells)]
    overall = reserve(db, org.id, months=12)
    targets = [t for t in overall.targets if competences is None or t.competence.id in competences]
    return render_page(
        "hr_reserve.html",
        active="reserve",
        heat=heat,
        rows=rows,
        teams=teams,
        team=team,
        query=text,
        below=below,
        targets=targets,
        trends=[_trend(item, i) for i, item in enumerate(targets)],
        needed=lambda item: math.ceil(item.target.share * item.population - 1e-9),
        heat_step=heat_step,
        steps=range(HEAT_STEPS),
        progress_svg=progress_svg,
        population=overall.population,
        teams_page=teams_page,
        team_pages=pages,
        query_args={k: v for k, v in request.args.items() if k != "teams_page"},
    )


@dataclass(frozen=True)
class _Search:
    text: str
    competence: Competence | None
    choices: list[Competence]
    level: int
    team: Team | None
    valid_at: date | None

    def options(self) -> dict[str, Any]:
        return {
            "min_level": self.level,
            "team_id": self.team.id if self.team is not None else None,
            "valid_at": day_end(self.valid_at) if self.valid_at is not None else None,
        }

    @property
    def reference(self) -> str:
        assert self.competence is not None
        return f"{self.competence.framework.slug}:{self.competence.code}"


def _search(teams: list[Team]) -> _Search:
    """The who-holds question of the query string."""
    db, org = get_session(), organisation()
    text = (request.args.get("competence") or "").strip()
    try:
        level = int(request.args.get("level") or 0)
        valid = request.args.get("valid_at") or None
        valid_at = date.fromisoformat(valid) if valid else None
    except ValueError:
        raise BadRequest(_("Give the level as a number and the date as a date.")) from None
    if not 0 <= level <= MAX_LEVEL:
        raise BadRequest(_("Choose one of the offered levels."))
    team = _chosen_team(teams, request.args.get("team"))
    competence, choices = None, []
    if text:
        choices = find_competences(db, org.id, text)
        exact = [c for c in choices if text.casefold() in _references(c)]
        if len(exact) == 1 or len(choices) == 1:
            competence = resolve_competence(db, org.id, (exact or choices)[0].id)
            choices = []
    return _Search(text, competence, choices, level, team, valid_at)


def _references(competence: Competence) -> set[str]:
    code = competence.code.casefold()
    return {code, f"{competence.framework.slug}:{code}", competence.name.casefold()}


@web.get("/o/<slug>/hr/holders")
@requires_role(Role.HR)
def hr_holders() -> ResponseReturnValue:
    """Who holds a competence: search by name or code, minimum level, team and date."""
    teams = _teams()
    search = _search(teams)
    page = max(
        1, int(request.args.get("page", "1")) if request.args.get("page", "1").isdigit() else 1
    )
    found = []
    if search.competence is not None:
        found = holders(
            get_session(),
            organisation().id,
            search.competence.id,
            limit=PAGE_SIZE + 1,
            offset=(page - 1) * PAGE_SIZE,
            **search.options(),
        )
    return render_page(
        "hr_holders.html",
        active="reserve",
        search=search,
        teams=teams,
        levels=range(MAX_LEVEL + 1),
        holders=found[:PAGE_SIZE],
        more=len(found) > PAGE_SIZE,
        page=page,
        query={k: v for k, v in request.args.items() if k != "page"},
    )


@web.get("/o/<slug>/hr/holders.<kind>")
@requires_role(Role.HR)
def hr_holders_export(kind: str) -> ResponseReturnValue:
    """The same list as a spreadsheet: CSV (UTF-8 with a byte-order mark) or XLSX."""
    if kind not in ("csv", "xlsx"):
        raise BadRequest(_("Choose CSV or XLSX."))
    search = _search(_teams())
    if search.competence is None:
        raise BadRequest(_("Choose one competence first."))
    competence = search.competence
    name = re.sub(r"[^A-Za-z0-9.-]", "_", competence.code)
    filename = f"holders-{name}-level-{search.level}.{kind}"
    export = (database(), organisation().id, competence.id, search.reference, None)
    if kind == "xlsx":
        response = Response(exports.xlsx_bytes(*export, search.options()), mimetype=exports.XLSX)
    else:
        response = Response(exports.csv_stream(*export, search.options()), mimetype="text/csv")
        response.headers["Content-Type"] = "text/csv; charset=utf-8; header=present"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
