"""Awarding: a sub-goal or achievement recognised for a person (issued, and recorded as
competences in the same transaction), the path badges that follow when a path's required
sub-goals are all achieved, and revocation."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, joinedload

from ..achievements.models import Achievement
from ..credentials import ob3
from ..errors import Conflict, NotFound
from ..hr.recognitions.recording import record_issued, record_revoked
from ..issuing.copies import copies_of
from ..issuing.holdings import achieved_achievements
from ..issuing.models import Credential
from ..issuing.services import IssueResult, IssuingService
from ..notices.queueing import queue_issued
from ..paths.models import Path, SubGoal
from ..paths.progress import paths_of, progress
from ..people.models import Person

__all__ = [
    "ACHIEVED",
    "AwardOutcome",
    "WaitsForPrerequisites",
    "award",
    "complete_paths",
    "missing_prerequisites",
    "revoke",
]

# The occurrence of reaching an achievement: one valid credential per person and
# achievement version however it was reached (a manual award, an LMS, xAPI or Moodle
# completion of any of its triggers), so duplicate and cross-channel completions converge on
# one credential. Once it is revoked or has expired, reaching it again is a new repetition
# of the occurrence with a new credential (see IssuingService.issue).
ACHIEVED = "achieved"


class WaitsForPrerequisites(Conflict):
    """The sub-goal's path holds completions back until its prerequisites are achieved."""

    def __init__(self, sub_goal: SubGoal, path: Path, missing: list[SubGoal]) -> None:
        names = ", ".join(goal.slug for goal in missing)
        super().__init__(
            f"sub-goal {path.slug}/{sub_goal.slug} waits for its prerequisite(s) {names}: "
            f"path {path.slug!r} holds completions back until they are achieved",
            missing=[goal.slug for goal in missing],
        )


def missing_prerequisites(
    session: Session, person: Person, sub_goal: SubGoal, held: set[uuid.UUID] | None = None
) -> list[SubGoal]:
    """The prerequisites of ``sub_goal`` the person has not achieved (no valid credential
    of their achievement)."""
    if not sub_goal.prerequisites:
        return []
    if held is None:
        held = achieved_achievements(session, person.id)
    return [goal for goal in sub_goal.prerequisites if goal.achievement_id not in held]


@dataclass
class AwardOutcome:
    """The credential for the award (new or existing) and any path credentials it earned."""

    credential: Credential
    created: bool
    path_credentials: list[Credential] = field(default_factory=list)


def award(
    session: Session,
    issuing: IssuingService,
    *,
    person: Person,
    sub_goal_id: uuid.UUID | None = None,
    achievement_id: uuid.UUID | None = None,
    occurrence: str = ACHIEVED,
    awarded_by: str | None = None,
    evidence: Sequence[ob3.Evidence] = (),
    paths: list[Path] | None = None,
) -> AwardOutcome:
    """Issue the current version of the sub-goal's (or the given) achievement (again, when
    the person's credential for it was revoked or has expired), then award the badge of
    every path the person has now completed. ``paths`` (the person's paths,
    :func:`paths_of`) may be given when the caller has them already."""
    sub_goal = None
    if sub_goal_id is not None:
        sub_goal = session.get(SubGoal, sub_goal_id)
        if sub_goal is None or sub_goal.organisation_id != person.organisation_id:
            raise NotFound(f"no sub-goal {sub_goal_id}")
        achievement_id = sub_goal.achievement_id
    achievement = _with_versions(session, achievement_id) if achievement_id else None
    if achievement is None or achievement.organisation_id != person.organisation_id:
        raise NotFound(f"no achievement {achievement_id}")
    if sub_goal is not None and sub_goal.path.out_of_order == "wait":
        held = achieved_achievements(session, person.id)
        # A valid credential already held is returned as ever; only a new one waits.
        missing = (
            [] if achievement.id in held else missing_prerequisites(session, person, sub_goal, held)
        )
        if missing:
            raise WaitsForPrerequisites(sub_goal, sub_goal.path, missing)
    result = _recorded(
        session,
        issuing.issue(
            person=person,
            version=achievement.current,
            occurrence=occurrence,
            sub_goal_id=sub_goal.id if sub_goal else None,
            path_id=sub_goal.path_id if sub_goal else None,
            awarded_by=awarded_by,
            evidence=evidence,
        ),
    )
    outcome = AwardOutcome(result.credential, result.created)
    outcome.path_credentials = complete_paths(
        session,
        issuing,
        person,
        paths=paths,
        renewed=achievement.id if result.created else None,
    )
    # One e-mail for what this award issued (a path badge with the step that completed it),
    # queued in the same transaction: sent after the commit, never lost before it.
    fresh = [result.credential] if result.created else []
    queue_issued(session, person, [*fresh, *outcome.path_credentials])
    return outcome


def complete_paths(
    session: Session,
    issuing: IssuingService,
    person: Person,
    *,
    paths: list[Path] | None = None,
    renewed: uuid.UUID | None = None,
) -> list[Credential]:
    """Issue path badges for every completed path of the person (once per path); ``paths``
    as for :func:`award` (issuing credentials does not change which paths a person is on).

    A path badge that was revoked or has expired is issued again only when the path is
    completed again: ``renewed`` (the achievement just issued) is one it requires. Any
    other award leaves a revoked path badge revoked."""
    issued: list[Credential] = []
    if paths is None:
        paths = paths_of(session, person)
    with_badges = [path for path in paths if path.achievement_id is not None]
    if not with_badges:
        return issued
    held = achieved_achievements(session, person.id)
    for path in with_badges:
        state = progress(session, person, path, paths=paths, held=held)
        # A path with nothing required (own or inherited) is not "completed" by any award.
        if not state.required or not state.complete:
            continue
        badge = _with_versions(session, path.achievement_id) if path.achievement_id else None
        if badge is None:
            continue
        result = _recorded(
            session,
            issuing.issue(
                person=person,
                version=badge.current,
                occurrence=f"path:{path.id}",
                path_id=path.id,
                awarded_by="path completion",
                renew=renewed is not None and renewed in {g.achievement_id for g in state.required},
            ),
        )
        held.add(badge.id)  # a path badge may itself be a sub-goal of a later path
        if result.created:
            issued.append(result.credential)
    return issued


def revoke(
    session: Session, issuing: IssuingService, credential: Credential, reason: str
) -> Credential:
    """Revoke the credential (its status bit) and the competences it recognised, in one
    transaction; copies re-issued from it to the earner's own identity go with it (a copy
    stands for the same award)."""
    issuing.revoke(credential, reason)
    record_revoked(session, credential)
    for copy in copies_of(session, credential):
        if copy.revoked_at is None:
            issuing.revoke(copy, f"its original {credential.id} was revoked: {reason.strip()}")
    return credential


def _recorded(session: Session, result: IssueResult) -> IssueResult:
    """A new credential's competences, recorded in the transaction that issued it."""
    if result.created:
        record_issued(session, result.credential)
    return result


def _with_versions(session: Session, achievement_id: uuid.UUID) -> Achievement | None:
    """The achievement with its versions (``current`` is the newest), in one query."""
    return session.get(Achievement, achievement_id, options=[joinedload(Achievement.versions)])
