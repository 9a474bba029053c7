"""What the learner's pages show, read in a few queries: the person's badges as cards, one
badge of their own, and each path's stations with their states."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from ..achievements.models import Achievement, AchievementVersion
from ..awards.progress import person_progress
from ..db import utcnow
from ..errors import NotFound
from ..frameworks.models import Competence
from ..hr.models import CompetenceHolding
from ..issuers.models import Issuer
from ..issuing.models import Credential
from ..languages import pick
from ..organisations.models import Connection
from ..paths.models import Path, PathTarget, SubGoal
from ..paths.progress import PathProgress
from ..people.models import Person
from .i18n import current_language

__all__ = [
    "BadgeCard",
    "BadgeStatus",
    "PathView",
    "Station",
    "StationState",
    "TargetLine",
    "badge_cards",
    "badge_paths",
    "goal_choices",
    "own_credential",
    "own_path",
    "path_views",
    "status_of",
]


class BadgeStatus(StrEnum):
    VALID = "valid"
    REVOKED = "revoked"
    EXPIRED = "expired"


def status_of(revoked_at: datetime | None, valid_until: datetime | None, now: datetime) -> str:
    if revoked_at is not None:
        return BadgeStatus.REVOKED
    if valid_until is not None and valid_until <= now:
        return BadgeStatus.EXPIRED
    return BadgeStatus.VALID


@dataclass(frozen=True)
class BadgeCard:
    credential_id: uuid.UUID
    name: str
    issuer: str
    issued_at: datetime
    valid_until: datetime | None
    revoked_at: datetime | None
    status: str
    image: str | None  # the badge image's path on this service


def _status_filter(status: str | None, now: datetime) -> list[ColumnElement[bool]]:
    if status == BadgeStatus.REVOKED:
        return [Credential.revoked_at.is_not(None)]
    if status == BadgeStatus.EXPIRED:
        return [Credential.revoked_at.is_(None), Credential.valid_until <= now]
    if status == BadgeStatus.VALID:
        return [
            Credential.revoked_at.is_(None),
            or_(Credential.valid_until.is_(None), Credential.valid_until > now),
        ]
    return []


def badge_cards(
    session: Session,
    person: Person,
    organisation_slug: str,
    *,
    status: str | None = None,
    path_id: uuid.UUID | None = None,
) -> list[BadgeCard]:
    """The person's credentials, newest first, as cards (one query; no documents read)."""
    now = utcnow()
    query = (
        select(
            Credential.id,
            Credential.issued_at,
            Credential.valid_until,
            Credential.revoked_at,
            AchievementVersion.name,
            AchievementVersion.version,
            AchievementVersion.image_media_type,
            Achievement.slug,
            Issuer.name,
            AchievementVersion.texts,
            Credential.language,
        )
        .join(AchievementVersion, AchievementVersion.id == Credential.achievement_version_id)
        .join(Achievement, Achievement.id == AchievementVersion.achievement_id)
        .join(Issuer, Issuer.id == Credential.issuer_id)
        .where(Credential.person_id == person.id, *_status_filter(status, now))
        .order_by(Credential.issued_at.desc(), Credential.id)
    )
    if path_id is not None:
        query = query.where(Credential.path_id == path_id)
    cards = []
    for row in session.execute(query):
        (credential_id, issued_at, valid_until, revoked_at, name, number, media, slug, issuer) = (
            row[:9]
        )
        # The badge's name as its credential was issued (in the person's language).
        name = pick((row.texts or {}).get("name"), row.language) or name
        image = f"/achievements/{organisation_slug}/{slug}/v{number}/image" if media else None
        cards.append(
            BadgeCard(
                credential_id,
                name,
                issuer,
                issued_at,
                valid_until,
                revoked_at,
                status_of(revoked_at, valid_until, now),
                image,
            )
        )
    return cards


def badge_paths(session: Session, person: Person) -> list[tuple[str, str]]:
    """The paths the person's credentials were earned on, as (slug, name), for a filter."""
    # IN, not DISTINCT: PostgreSQL cannot compare the rows' JSON columns.
    earned_on = select(Credential.path_id).where(Credential.person_id == person.id)
    rows = session.scalars(select(Path).where(Path.id.in_(earned_on)))
    language = current_language()
    return sorted(((path.slug, path.text("name", language)) for path in rows), key=lambda r: r[1])


def own_credential(session: Session, person: Person, credential_id: str) -> Credential:
    """The person's own credential; anyone else's (or none) is not found."""
    try:
        wanted = uuid.UUID(credential_id)
    except ValueError:
        raise NotFound(f"no badge {credential_id!r}") from None
    credential = session.get(Credential, wanted)
    if credential is None or credential.person_id != person.id:
        raise NotFound(f"no badge {credential_id!r}")
    return credential


# -- the path ---------------------------------------------------------------------------


class StationState(StrEnum):
    ACHIEVED = "achieved"
    EXPIRED = "expired"  # held once; revoked or past its validity now
    LOCKED = "locked"  # a prerequisite is not achieved yet
    AVAILABLE = "available"


@dataclass(frozen=True)
class Station:
    goal: SubGoal
    state: str
    inherited: bool
    image: str | None
    after: list[str]  # names of the prerequisites still missing
    completes: list[tuple[str, str | None]]  # (what, a link into the LMS when known)


@dataclass(frozen=True)
class TargetLine:
    """A target of the path: a competence at a level, for a share of people, by a date;
    with the person's own level of the competence now (None: not recognised)."""

    competence: str
    level: int
    share: float
    due: date
    mine: int | None = None

    @property
    def reached(self) -> bool:
        return self.mine is not None and self.mine >= self.level


@dataclass(frozen=True)
class PathView:
    progress: PathProgress
    stations: list[Station]
    targets: list[TargetLine] = field(default_factory=list)

    @property
    def path(self) -> Path:
        return self.progress.path

    @property
    def required(self) -> int:
        """The required steps drawn (an inherited step the path has already counts once)."""
        return sum(station.goal.required for station in self.stations)

    @property
    def achieved(self) -> int:
        return sum(
            station.goal.required and station.state == StationState.ACHIEVED
            for station in self.stations
        )


def _lapsed(session: Session, person: Person, held: frozenset[uuid.UUID]) -> set[uuid.UUID]:
    """Achievements the person had a credential for that no longer counts."""
    now = utcnow()
    rows = session.scalars(
        select(AchievementVersion.achievement_id)
        .join(Credential, Credential.achievement_version_id == AchievementVersion.id)
        .where(
            Credential.person_id == person.id,
            or_(
                Credential.revoked_at.is_not(None),
                and_(Credential.valid_until.is_not(None), Credential.valid_until <= now),
            ),
        )
    )
    return set(rows) - held


def _images(session: Session, achievement_ids: set[uuid.UUID], slug: str) -> dict[uuid.UUID, str]:
    """Each achievement's current image path (the newest version that has one)."""
    if not achievement_ids:
        return {}
    rows = session.execute(
        select(Achievement.id, Achievement.slug, AchievementVersion.version)
        .join(AchievementVersion, AchievementVersion.achievement_id == Achievement.id)
        .where(
            Achievement.id.in_(list(achievement_ids)),
            AchievementVersion.image_media_type.is_not(None),
        )
        .order_by(AchievementVersion.version)
    )
    return {
        achievement_id: f"/achievements/{slug}/{achievement_slug}/v{number}/image"
        for achievement_id, achievement_slug, number in rows
    }


def _lms_link(connection: Connection | None, activity: str) -> str | None:
    """A link into the LMS for the activity, when one can be made: an activity id that is
    itself a web address (xAPI), or a Moodle course on a connection with a base URL."""
    if activity.startswith(("https://", "http://")):
        return activity
    if connection is not None and connection.base_url and activity.startswith("course:"):
        number = activity.removeprefix("course:")
        if number.isdigit():
            return f"{connection.base_url.rstrip('/')}/course/view.php?id={number}"
    return None


def own_path(session: Session, person: Person) -> Path | None:
    """The person's own (individual) path, the newest when they have several."""
    return session.scalar(
        select(Path)
        .where(Path.person_id == person.id, Path.kind == "individual")
        .order_by(Path.created_at.desc(), Path.slug)
        .limit(1)
    )


def goal_choices(session: Session, person: Person, path: Path | None) -> list[tuple[str, str]]:
    """The organisation's badges a person may add to their own path as optional goals:
    every one not on it yet, as (slug, current name), by name."""
    taken = {goal.achievement_id for goal in path.sub_goals} if path is not None else set()
    newest = (
        select(AchievementVersion.achievement_id, func.max(AchievementVersion.version).label("v"))
        .group_by(AchievementVersion.achievement_id)
        .subquery()
    )
    rows = session.execute(
        select(Achievement.id, Achievement.slug, AchievementVersion.name, AchievementVersion.texts)
        .join(newest, newest.c.achievement_id == Achievement.id)
        .join(
            AchievementVersion,
            and_(
                AchievementVersion.achievement_id == Achievement.id,
                AchievementVersion.version == newest.c.v,
            ),
        )
        .where(Achievement.organisation_id == person.organisation_id)
    )
    language = current_language()
    choices = [
        (slug, pick((texts or {}).get("name"), language) or name)
        for achievement_id, slug, name, texts in rows
        if achievement_id not in taken
    ]
    return sorted(choices, key=lambda choice: choice[1])


def _targets(session: Session, person: Person, targets: list[PathTarget]) -> list[TargetLine]:
    if not targets:
        return []
    now = utcnow()
    levels = dict(
        session.execute(
            select(CompetenceHolding.competence_id, CompetenceHolding.level).where(
                CompetenceHolding.person_id == person.id,
                CompetenceHolding.competence_id.in_([t.competence_id for t in targets]),
                or_(CompetenceHolding.valid_until.is_(None), CompetenceHolding.valid_until > now),
            )
        ).all()
    )
    rows = session.execute(
        select(Competence.id, Competence.code, Competence.name, Competence.texts).where(
            Competence.id.in_([target.competence_id for target in targets])
        )
    )
    language = current_language()
    names = {
        competence_id: f"{code} {pick((texts or {}).get('name'), language) or name}"
        for competence_id, code, name, texts in rows
    }
    return [
        TargetLine(
            names.get(t.competence_id, "?"), t.level, t.share, t.due, levels.get(t.competence_id)
        )
        for t in sorted(targets, key=lambda t: t.position)
    ]


def path_views(session: Session, person: Person, organisation_slug: str) -> list[PathView]:
    """Every path of the person (organisation, team, own), each with its stations."""
    progress = person_progress(session, person)
    goals = [goal for item in progress for goal in (*item.required, *item.optional)]
    images = _images(session, {goal.achievement_id for goal in goals}, organisation_slug)
    connections = {
        c.name: c
        for c in session.scalars(
            select(Connection).where(Connection.organisation_id == person.organisation_id)
        )
    }
    held = progress[0].held if progress else frozenset()
    lapsed = _lapsed(session, person, held)
    views = []
    order = {"organisation": 0, "team": 1, "individual": 2}
    for item in sorted(progress, key=lambda p: (order.get(p.path.kind, 3), p.path.slug)):
        own = list(item.path.sub_goals)
        mine = {goal.achievement_id for goal in own}
        # An inherited step the path already has (the same achievement) shows once.
        inherited = [
            goal
            for goal in item.required
            if goal.path_id != item.path.id and goal.achievement_id not in mine
        ]
        stations = []
        for goal in sorted(own, key=lambda g: g.position) + inherited:
            missing = [
                p.text("name", current_language())
                for p in goal.prerequisites
                if p.achievement_id not in item.held
            ]
            if goal.id in item.achieved:
                state = StationState.ACHIEVED
            elif goal.achievement_id in lapsed:
                state = StationState.EXPIRED
            elif missing:
                state = StationState.LOCKED
            else:
                state = StationState.AVAILABLE
            completes = [
                (
                    trigger.activity,
                    _lms_link(connections.get(trigger.connection or ""), trigger.activity),
                )
                for trigger in goal.triggers
                if trigger.activity
            ]
            stations.append(
                Station(
                    goal,
                    state,
                    goal.path_id != item.path.id,
                    images.get(goal.achievement_id),
                    missing,
                    completes,
                )
            )
        views.append(PathView(item, stations, _targets(session, person, item.path.targets)))
    return views
