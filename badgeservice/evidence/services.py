"""Evidence claims: submitted by a learner for a sub-goal of their paths that evidence
completes, decided by an assessor of the organisation. Accepting is an award (the badge is
issued with the evidence in it, its assessment method ``assessor``); returning needs a
reason. Every decision is kept (who, when, why) on the claim and in the audit trail."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..audit.context import Actor
from ..audit.services import record, target_of
from ..awards.awarding import award
from ..awards.signals import awarded
from ..credentials import ob3
from ..db import utcnow
from ..errors import BadRequest, Conflict, Forbidden, NotFound
from ..issuing.holdings import achieved_achievements
from ..issuing.services import IssuingService
from ..paths.models import SubGoal, TriggerKind
from ..paths.progress import paths_of
from ..paths.services import inherited_sub_goals
from ..people.models import Person
from .files import MAX_FILES, Upload
from .models import ClaimState, EvidenceClaim, EvidenceFile

__all__ = [
    "ASSESSOR_PREFIX",
    "Submission",
    "accept_claim",
    "claim_for_assessor",
    "claims_of",
    "evidence_goals",
    "history",
    "queue",
    "return_claim",
    "submit_claim",
]

# How an assessor's award names them in the credential's awarded_by ("assessor:<id>").
ASSESSOR_PREFIX = "assessor:"
MAX_NARRATIVE = 10_000


@dataclass(frozen=True)
class Submission:
    narrative: str
    url: str | None = None
    files: Sequence[Upload] = ()


def evidence_goals(session: Session, person: Person) -> dict[uuid.UUID, SubGoal]:
    """The sub-goals of the person's paths (their own, their teams', the organisation's,
    and what their own paths inherit) that accepted evidence completes."""
    goals: dict[uuid.UUID, SubGoal] = {}
    for path in paths_of(session, person):
        candidates = list(path.sub_goals)
        if path.kind == "individual":
            candidates += inherited_sub_goals(session, path)
        for goal in candidates:
            if any(trigger.kind == TriggerKind.EVIDENCE for trigger in goal.triggers):
                goals[goal.id] = goal
    return goals


def submit_claim(
    session: Session, person: Person, sub_goal_id: uuid.UUID, submission: Submission
) -> EvidenceClaim:
    """A new claim, waiting for an assessor.

    Raises:
        NotFound: the sub-goal is not one of the person's that evidence completes.
        Conflict: a claim for it is already waiting, or the badge is already held.
        BadRequest: no narrative, or too much.
    """
    goal = evidence_goals(session, person).get(sub_goal_id)
    if goal is None:
        raise NotFound("no such step on your paths takes evidence")
    narrative = submission.narrative.strip()
    if not narrative:
        raise BadRequest("describe what you did", errors={"narrative": ["required"]})
    if len(narrative) > MAX_NARRATIVE or len(submission.files) > MAX_FILES:
        raise BadRequest("the submission is too long", errors={"narrative": ["too long"]})
    if goal.achievement_id in achieved_achievements(session, person.id):
        raise Conflict("you already hold this badge")
    if _waiting(session, person.id, goal.id) is not None:
        raise Conflict("evidence for this step is already waiting for an assessor")
    claim = EvidenceClaim(
        organisation_id=person.organisation_id,
        person_id=person.id,
        sub_goal_id=goal.id,
        narrative=narrative,
        url=(submission.url or "").strip() or None,
        submitted_at=utcnow(),
    )
    claim.files = [
        EvidenceFile(
            position=index,
            filename=upload.filename,
            media_type=upload.media_type,
            size=len(upload.data),
            data=upload.data,
        )
        for index, upload in enumerate(submission.files)
    ]
    session.add(claim)
    session.flush()
    return claim


def _waiting(session: Session, person_id: uuid.UUID, goal_id: uuid.UUID) -> EvidenceClaim | None:
    return session.scalar(
        select(EvidenceClaim).where(
            EvidenceClaim.person_id == person_id,
            EvidenceClaim.sub_goal_id == goal_id,
            EvidenceClaim.state == ClaimState.SUBMITTED,
        )
    )


def claims_of(session: Session, person_id: uuid.UUID) -> dict[uuid.UUID, EvidenceClaim]:
    """The person's latest claim per sub-goal."""
    rows = session.scalars(
        select(EvidenceClaim)
        .where(EvidenceClaim.person_id == person_id)
        .order_by(EvidenceClaim.submitted_at)
    )
    return {claim.sub_goal_id: claim for claim in rows}


def queue(session: Session, organisation_id: uuid.UUID) -> list[EvidenceClaim]:
    """Claims waiting for an assessor, oldest first."""
    return list(
        session.scalars(
            select(EvidenceClaim)
            .where(
                EvidenceClaim.organisation_id == organisation_id,
                EvidenceClaim.state == ClaimState.SUBMITTED,
            )
            .order_by(EvidenceClaim.submitted_at, EvidenceClaim.id)
        )
    )


def claim_for_assessor(
    session: Session, organisation_id: uuid.UUID, claim_id: uuid.UUID
) -> EvidenceClaim:
    """A claim of the organisation (another organisation's is simply not found)."""
    claim = session.get(EvidenceClaim, claim_id, options=[selectinload(EvidenceClaim.files)])
    if claim is None or claim.organisation_id != organisation_id:
        raise NotFound("no such evidence")
    return claim


def history(session: Session, claim: EvidenceClaim) -> list[EvidenceClaim]:
    """Every claim of the same person for the same sub-goal, oldest first."""
    return list(
        session.scalars(
            select(EvidenceClaim)
            .where(
                EvidenceClaim.person_id == claim.person_id,
                EvidenceClaim.sub_goal_id == claim.sub_goal_id,
            )
            .order_by(EvidenceClaim.submitted_at)
        )
    )


def _decidable(session: Session, claim: EvidenceClaim, assessor: Person) -> None:
    if claim.person_id == assessor.id:
        raise Forbidden("nobody assesses their own evidence")
    # Decided once: a concurrent decision of another assessor waits for this row's lock.
    locked = session.scalar(
        select(EvidenceClaim.state)
        .where(EvidenceClaim.id == claim.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if locked != ClaimState.SUBMITTED:
        raise Conflict("this evidence was already decided")


def accept_claim(
    session: Session,
    issuing: IssuingService,
    claim: EvidenceClaim,
    assessor: Person,
    note: str | None = None,
) -> EvidenceClaim:
    """Issue the sub-goal's badge with the claim's evidence in it and record the decision."""
    _decidable(session, claim, assessor)
    person = session.get(Person, claim.person_id)
    assert person is not None
    evidence = ob3.Evidence(
        id=claim.url,
        name="Evidence of prior learning",
        narrative=claim.narrative,
        genre="Recognition of prior learning",
        description=(note or "").strip() or None,
    )
    outcome = award(
        session,
        issuing,
        person=person,
        sub_goal_id=claim.sub_goal_id,
        awarded_by=f"{ASSESSOR_PREFIX}{assessor.id}",
        evidence=(evidence,),
    )
    claim.state = ClaimState.ACCEPTED
    claim.decided_at, claim.decided_by_id = utcnow(), assessor.id
    claim.reason = (note or "").strip() or None
    claim.credential_id = outcome.credential.id
    _record(session, claim, assessor, "evidence.accepted")
    if outcome.created:
        awarded.send(session=session, person_id=person.id)
    return claim


def return_claim(
    session: Session, claim: EvidenceClaim, assessor: Person, reason: str
) -> EvidenceClaim:
    """Return the claim to the learner with ``reason`` (required)."""
    if not reason.strip():
        raise BadRequest("say why the evidence is returned", errors={"reason": ["required"]})
    _decidable(session, claim, assessor)
    claim.state = ClaimState.RETURNED
    claim.decided_at, claim.decided_by_id = utcnow(), assessor.id
    claim.reason = reason.strip()
    _record(session, claim, assessor, "evidence.returned")
    return claim


def _record(session: Session, claim: EvidenceClaim, assessor: Person, action: str) -> None:
    record(
        session,
        claim.organisation_id,
        action,
        target_of("evidence", claim.id),
        actor=Actor("person", assessor.display_name, str(assessor.id)),
        details={
            "person": str(claim.person_id),
            "sub_goal": str(claim.sub_goal_id),
            "reason": claim.reason,
            "credential": str(claim.credential_id) if claim.credential_id else None,
        },
    )
