"""What the supervisor's team page shows, computed from the team overview
(:mod:`badgeservice.hr.reserve.supervision`): one row per member with their required
paths' progress, their latest achievement and whether they have stalled, sorted so that
whoever needs attention comes first."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from ..errors import NotFound
from ..hr.reserve.supervision import LatestAchievement, MemberOverview, TeamOverview
from ..people.models import Team
from ..people.services import get_team
from .i18n import current_language
from .session import Visitor

__all__ = [
    "DEFAULT_WEEKS",
    "MemberRow",
    "PathBar",
    "member_rows",
    "supervised_team",
]

DEFAULT_WEEKS = 4
MAX_WEEKS = 52


@dataclass(frozen=True)
class PathBar:
    name: str
    kind: str
    done: int
    total: int

    @property
    def complete(self) -> bool:
        return self.done >= self.total


@dataclass(frozen=True)
class MemberRow:
    id: uuid.UUID
    name: str
    supervisor: bool
    bars: list[PathBar]
    latest: LatestAchievement | None
    last_progress: datetime | None
    stalled: bool

    @property
    def share(self) -> float:
        total = sum(bar.total for bar in self.bars)
        return sum(bar.done for bar in self.bars) / total if total else 1.0

    @property
    def digest(self) -> str:
        """Changes whenever anything the row shows changes (the live updates compare it)."""
        parts = [self.name, str(self.stalled), str(self.last_progress)]
        parts += [f"{bar.name}:{bar.done}/{bar.total}" for bar in self.bars]
        if self.latest is not None:
            parts += [str(self.latest.credential_id), str(self.latest.revoked_at)]
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def supervised_team(session: Session, visitor: Visitor, ref: str) -> Team:
    """The team (id or slug) if ``visitor`` supervises it; any other team is not found."""
    try:
        key: uuid.UUID | str = uuid.UUID(ref)
    except ValueError:
        key = ref
    team = get_team(session, visitor.organisation.id, key)
    if team.id not in visitor.roles.supervised_teams:
        raise NotFound(f"no team {ref!r}")
    return team


def _row(member: MemberOverview, now: datetime, weeks: int) -> MemberRow:
    bars = [
        PathBar(
            name=item.path.text("name", current_language()),
            kind=item.path.kind,
            done=sum(1 for goal in item.required if goal.id in item.achieved),
            total=len(item.required),
        )
        for item in member.paths
        if item.required
    ]
    valid = [item for item in member.latest if item.revoked_at is None]
    last = valid[0].issued_at if valid else None
    complete = all(bar.complete for bar in bars)
    stalled = not complete and (last is None or last < now - timedelta(weeks=weeks))
    return MemberRow(
        id=member.person.id,
        name=member.person.display_name,
        supervisor="supervisor" in member.roles,
        bars=bars,
        latest=valid[0] if valid else None,
        last_progress=last,
        stalled=stalled,
    )


def member_rows(
    overview: TeamOverview, weeks: int, viewer: uuid.UUID | None = None
) -> list[MemberRow]:
    """The overview's active members as rows (those who only supervise it, and the viewer,
    left out): the stalled first, then the least progressed, then by name."""
    rows = [
        _row(member, overview.generated_at, weeks)
        for member in overview.members
        if member.roles != ["supervisor"] and member.person.active and member.person.id != viewer
    ]
    return sorted(rows, key=lambda row: (not row.stalled, row.share, row.name.casefold()))


def clamp_weeks(value: str | None) -> int:
    """The "no progress for N weeks" of a query, within 1…52 (default 4)."""
    try:
        weeks = int(value) if value else DEFAULT_WEEKS
    except ValueError:
        weeks = DEFAULT_WEEKS
    return max(1, min(MAX_WEEKS, weeks))


__all__ += ["clamp_weeks"]
