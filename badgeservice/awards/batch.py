"""Awarding many sub-goals at once (a worker's batch of completions), with the outcome
:func:`.awarding.award` gives one by one, in a fixed number of statements per batch: what
the people hold and were issued read in one query each, the credentials issued together
(:mod:`..issuing.batch`), their competences recorded together
(:mod:`..hr.recognitions.batched`), one notice each queued together.

Only the plain case is taken here: a first credential of the sub-goal's achievement for an
active person, no prerequisite missing, no path badge following from it. Anything else (a
re-award, a wait, a path completed, a credential the database refused) is left to
:func:`.awarding.award`, which the caller runs for it afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session, joinedload

from ..credentials import ob3
from ..hr.recognitions.batched import record_issued_many
from ..issuers.models import Issuer
from ..issuing.batch import Planned, issue_batch, issued_before
from ..issuing.documents import Draft
from ..issuing.holdings import achieved_by_people
from ..issuing.models import Credential
from ..issuing.services import IssuingService
from ..notices.queueing import queue_issued_many
from ..paths.models import Path, SubGoal
from ..paths.progress import progress
from ..people.models import Person
from .awarding import ACHIEVED, _with_versions, missing_prerequisites

__all__ = ["Award", "award_batch"]


@dataclass(frozen=True)
class Award:
    """One sub-goal to award a person: ``paths`` are the person's paths (``paths_of``)."""

    person: Person
    goal: SubGoal
    paths: list[Path]
    awarded_by: str
    evidence: tuple[ob3.Evidence, ...]


def award_batch(
    session: Session, issuing: IssuingService, awards: Sequence[Award]
) -> list[Credential | None]:
    """For each award, in order, the new credential it issued, or None when it is not the
    plain case and has to be awarded on its own. At most one award per person."""
    if len({award.person.id for award in awards}) != len(awards):
        raise ValueError("a batch awards each person once")
    held = achieved_by_people(session, [award.person.id for award in awards])
    plans = [_plan(session, award, held[award.person.id]) for award in awards]
    pairs = [(plan.draft.person.id, plan.draft.version.id) for plan in plans if plan]
    before = issued_before(issuing, pairs, ACHIEVED)
    plans = [
        plan if plan and (plan.draft.person.id, plan.draft.version.id) not in before else None
        for plan in plans
    ]
    issued = iter(issue_batch(issuing, [plan for plan in plans if plan]))
    results = [next(issued) if plan else None for plan in plans]
    record_issued_many(session, [credential for credential in results if credential])
    pairs_issued = zip(awards, results, strict=True)
    queue_issued_many(session, [(a.person, [c]) for a, c in pairs_issued if c])
    return results


def _plan(session: Session, award: Award, held: set[uuid.UUID]) -> Planned | None:
    """The credential ``award`` issues when it is the plain case; else None."""
    person, goal = award.person, award.goal
    if not person.active or not (person.email or person.employee_number or person.did):
        return None
    achievement = _with_versions(session, goal.achievement_id)
    if achievement is None or achievement.organisation_id != person.organisation_id:
        return None
    if achievement.id in held:
        return None  # held already: award() answers with that one
    if goal.path.out_of_order == "wait" and missing_prerequisites(session, person, goal, held):
        return None
    after = held | {achievement.id}
    for path in award.paths:
        if path.achievement_id is None or path.achievement_id in after:
            continue
        state = progress(session, person, path, held=after, paths=award.paths)
        if state.required and state.complete:
            return None  # a path badge follows: award() issues both
    issuer = session.get(
        Issuer,
        achievement.issuer_id,
        options=[joinedload(Issuer.organisation), joinedload(Issuer.keys)],
    )
    if issuer is None:
        return None
    draft = Draft(issuer, achievement, achievement.current, person, ACHIEVED, goal.id, goal.path_id)
    return Planned(draft, award.awarded_by, award.evidence)
