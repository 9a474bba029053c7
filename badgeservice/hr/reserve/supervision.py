"""Supervisor view data: a team's members with their progress on each of their paths and
their latest achievements, and a cheap way to follow changes.

Following changes ("live"): every overview carries a ``cursor`` (the time it was computed).
Asking again with ``since=<cursor>`` returns only the members with a change after it - a
credential issued or revoked, a recognition changed (expired), the person's record changed
- together with ``member_ids``, the whole current membership, so removals show and an
unknown id tells the client to fetch that member (a full overview without ``since``). The
cursor is applied with a safety margin (:data:`LIVE_MARGIN`): a change committed by a
transaction that was still running when the cursor was taken is reported in the next
answer, so nothing is missed; a member may therefore be reported twice, and since every
member entry is the member's whole current state, repeating it is harmless. The view adds
an ETag over the content, so a poll with ``If-None-Match`` costs a 304 when nothing
changed.

The work is set-based: a fixed number of queries whatever the team's size.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, func, or_, select, union
from sqlalchemy.orm import Session, selectinload

from ...achievements.models import AchievementVersion
from ...db import utcnow
from ...issuing.holdings import valid_credential
from ...issuing.models import Credential
from ...paths.models import Path
from ...paths.progress import PathProgress, progress
from ...people.models import Person, Team, TeamMember
from ...people.services import get_team
from ..models import Recognition

__all__ = [
    "LIVE_MARGIN",
    "MAX_LATEST",
    "LatestAchievement",
    "MemberOverview",
    "TeamOverview",
    "progress_of_people",
    "team_overview",
]

# How far before the cursor changes are looked for again (longer than any transaction
# that issues or revokes a credential takes).
LIVE_MARGIN = timedelta(seconds=60)
MAX_LATEST = 20


@dataclass(frozen=True)
class LatestAchievement:
    credential_id: uuid.UUID
    achievement_id: uuid.UUID
    name: str
    issued_at: datetime
    revoked_at: datetime | None


@dataclass
class MemberOverview:
    person: Person
    roles: list[str]
    paths: list[PathProgress]
    latest: list[LatestAchievement]


@dataclass
class TeamOverview:
    team: Team
    generated_at: datetime
    since: datetime | None
    member_ids: list[uuid.UUID]
    members: list[MemberOverview]

    @property
    def cursor(self) -> datetime:
        return self.generated_at


def team_overview(
    session: Session,
    organisation_id: uuid.UUID,
    team_id: uuid.UUID,
    *,
    since: datetime | None = None,
    latest: int = 5,
    now: datetime | None = None,
) -> TeamOverview:
    """The team's members (any role, sorted by name) with their paths' progress and their
    ``latest`` newest credentials; with ``since`` only the members changed after it."""
    now = now or utcnow()
    team = get_team(session, organisation_id, team_id)
    roles: dict[uuid.UUID, list[str]] = defaultdict(list)
    for person_id, role in session.execute(
        select(TeamMember.person_id, TeamMember.role)
        .where(TeamMember.team_id == team.id)
        .order_by(TeamMember.role)
    ):
        roles[person_id].append(role)
    wanted = list(roles)
    if since is not None and wanted:
        wanted = _changed(session, organisation_id, wanted, _before(since, LIVE_MARGIN))
    people = _people(session, wanted)
    ids = [person.id for person in people]
    paths = progress_of_people(session, organisation_id, people)
    newest = _latest(session, organisation_id, ids, latest)
    members = [
        MemberOverview(
            person=person,
            roles=roles[person.id],
            paths=paths[person.id],
            latest=newest[person.id],
        )
        for person in people
    ]
    return TeamOverview(
        team=team,
        generated_at=now,
        since=since,
        member_ids=sorted(roles, key=str),
        members=members,
    )


def _before(moment: datetime, margin: timedelta) -> datetime:
    try:
        return moment - margin
    except OverflowError:
        return datetime.min.replace(tzinfo=UTC)


def _people(session: Session, ids: Sequence[uuid.UUID]) -> list[Person]:
    if not ids:
        return []
    return list(
        session.scalars(
            select(Person)
            .where(Person.id.in_(ids))
            .order_by(
                Person.family_name.asc().nulls_last(),
                Person.given_name.asc().nulls_last(),
                Person.id,
            )
        )
    )


def _changed(
    session: Session,
    organisation_id: uuid.UUID,
    person_ids: Sequence[uuid.UUID],
    after: datetime,
) -> list[uuid.UUID]:
    """The people among ``person_ids`` with a change after ``after``."""
    credentials = select(Credential.person_id).where(
        Credential.organisation_id == organisation_id,
        Credential.person_id.in_(person_ids),
        or_(Credential.issued_at > after, Credential.revoked_at > after),
    )
    recognitions = select(Recognition.person_id).where(
        Recognition.organisation_id == organisation_id,
        Recognition.person_id.in_(person_ids),
        Recognition.updated_at > after,
    )
    records = select(Person.id).where(Person.id.in_(person_ids), Person.updated_at > after)
    return list(session.scalars(union(credentials, recognitions, records)))


def progress_of_people(
    session: Session, organisation_id: uuid.UUID, people: Sequence[Person]
) -> dict[uuid.UUID, list[PathProgress]]:
    """Every path of each person with their progress (what
    :func:`~badgeservice.paths.services.person_progress` gives for one), in three queries
    for any number of people."""
    ids = [person.id for person in people]
    if not ids:
        return {}
    teams: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for person_id, team_id in session.execute(
        select(TeamMember.person_id, TeamMember.team_id).where(TeamMember.person_id.in_(ids))
    ):
        teams[person_id].add(team_id)
    all_teams = set().union(*teams.values())
    paths = session.scalars(
        select(Path)
        .where(
            Path.organisation_id == organisation_id,
            or_(
                Path.kind == "organisation",
                and_(Path.kind == "team", Path.team_id.in_(all_teams)),
                and_(Path.kind == "individual", Path.person_id.in_(ids)),
            ),
        )
        .options(selectinload(Path.sub_goals))
        .order_by(Path.slug)
    ).all()
    # Only the achievements some sub-goal of these paths names matter for progress: a
    # person's other credentials (most of them) are not read.
    goals = {goal.achievement_id for path in paths for goal in path.sub_goals}
    held: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    if goals:
        for person_id, achievement_id in session.execute(
            select(Credential.person_id, AchievementVersion.achievement_id)
            .join(AchievementVersion, AchievementVersion.id == Credential.achievement_version_id)
            .where(
                Credential.person_id.in_(ids),
                valid_credential(),
                AchievementVersion.achievement_id.in_(goals),
            )
            .distinct()
        ):
            held[person_id].add(achievement_id)
    result: dict[uuid.UUID, list[PathProgress]] = {}
    for person in people:
        mine = [
            path
            for path in paths
            if path.kind == "organisation"
            or (path.kind == "team" and path.team_id in teams[person.id])
            or (path.kind == "individual" and path.person_id == person.id)
        ]
        result[person.id] = [
            progress(session, person, path, paths=mine, held=held[person.id]) for path in mine
        ]
    return result


def _latest(
    session: Session, organisation_id: uuid.UUID, ids: Sequence[uuid.UUID], count: int
) -> dict[uuid.UUID, list[LatestAchievement]]:
    """Each person's ``count`` newest credentials (revoked ones marked), in one query."""
    latest: dict[uuid.UUID, list[LatestAchievement]] = {person_id: [] for person_id in ids}
    if not ids or count <= 0:
        return latest
    rank = (
        func.row_number()
        .over(
            partition_by=Credential.person_id,
            order_by=(Credential.issued_at.desc(), Credential.id),
        )
        .label("rank")
    )
    # Ranked on the credentials alone; only the kept ones are joined to their achievement.
    ranked = (
        select(
            Credential.id,
            Credential.person_id,
            Credential.issued_at,
            Credential.revoked_at,
            Credential.achievement_version_id,
            rank,
        )
        .where(Credential.organisation_id == organisation_id, Credential.person_id.in_(ids))
        .subquery()
    )
    rows = session.execute(
        select(
            ranked.c.id,
            ranked.c.person_id,
            ranked.c.issued_at,
            ranked.c.revoked_at,
            AchievementVersion.achievement_id,
            AchievementVersion.name,
        )
        .join(AchievementVersion, AchievementVersion.id == ranked.c.achievement_version_id)
        .where(ranked.c.rank <= count)
        .order_by(ranked.c.person_id, ranked.c.rank)
    )
    for row in rows:
        latest[row.person_id].append(
            LatestAchievement(
                credential_id=row.id,
                achievement_id=row.achievement_id,
                name=row.name,
                issued_at=row.issued_at,
                revoked_at=row.revoked_at,
            )
        )
    return latest
