"""Copies of a credential re-issued to its earner's own identity (a personal e-mail or a
DID they control), so a badge outlives the job it was earned in.

A copy is the original's document with a new ``id``, a new recipient and a revocation bit
of its own, signed afresh by the issuer's current key: the same achievement (its version's
snapshot as issued), the same ``validFrom`` and ``validUntil``, the same evidence and
results. The original stays as it was, valid. Nothing is said to HR: a copy records no new
competence. The row keeps the original's ``issued_at`` (it was earned then) and its
``reissued_from_id``.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from ..credentials.identity import IdentityObject
from ..credentials.proofs import SigningOrdering, sign
from ..credentials.statuslist import status_entry
from ..db import utcnow
from ..errors import Conflict
from ..issuers.models import Issuer
from .models import Credential
from .services import IssueResult, IssuingService
from .status import allocate_status

__all__ = ["copies_of", "copy_occurrence", "reissue_credential", "reissued_copy"]


def copy_occurrence(original: Credential, to: str) -> str:
    """The occurrence a copy of ``original`` to ``to`` ("email" or "did") records."""
    return f"reissued:{to}:{original.id}"


def reissued_copy(service: IssuingService, original: Credential, to: str) -> Credential | None:
    """The copy of ``original`` already re-issued to ``to``, if any."""
    return service.session.scalar(
        select(Credential).where(
            Credential.person_id == original.person_id,
            Credential.achievement_version_id == original.achievement_version_id,
            Credential.occurrence == copy_occurrence(original, to),
        )
    )


def copies_of(session: Session, original: Credential) -> list[Credential]:
    """The copies re-issued from ``original``, oldest first."""
    return list(
        session.scalars(
            select(Credential)
            .where(Credential.reissued_from_id == original.id)
            .order_by(Credential.occurrence)
        )
    )


def _subject(original: dict[str, Any], *, did: str | None, email: str | None) -> dict[str, Any]:
    subject = {k: v for k, v in original.items() if k not in ("id", "identifier")}
    if did is not None:
        return {"id": did, **subject}
    assert email is not None
    return {**subject, "identifier": [IdentityObject.hashed_email(email).to_json()]}


def reissue_credential(
    service: IssuingService,
    original: Credential,
    *,
    to: str,
    email: str | None = None,
    did: str | None = None,
) -> IssueResult:
    """Re-issue ``original`` to a personal ``email`` (its salted hash, identityType
    emailAddress) or to a ``did`` (``credentialSubject.id``); once per original and kind
    (asking again returns the copy made before)."""
    if (email is None) == (did is None) or to not in ("email", "did"):
        raise ValueError("re-issue to exactly one of an e-mail address or a DID")
    if original.reissued_from_id is not None:
        raise Conflict("a re-issued copy is not re-issued again; re-issue its original")
    if original.revoked_at is not None:
        raise Conflict(f"credential {original.id} was revoked; it is not re-issued")
    existing = reissued_copy(service, original, to)
    if existing is not None:
        return IssueResult(existing, False)
    session = service.session
    issuer = session.get(
        Issuer,
        original.issuer_id,
        options=[joinedload(Issuer.organisation), joinedload(Issuer.keys)],
    )
    assert issuer is not None
    for _attempt in range(5):
        try:
            with session.begin_nested():
                made = _copy(service, issuer, original, to, email=email, did=did)
            return IssueResult(made, True)
        except IntegrityError:
            won = reissued_copy(service, original, to)
            if won is not None:
                return IssueResult(won, False)
    raise Conflict("could not allocate a status-list entry; try again")


def _copy(
    service: IssuingService,
    issuer: Issuer,
    original: Credential,
    to: str,
    *,
    email: str | None,
    did: str | None,
) -> Credential:
    now = utcnow().replace(microsecond=0)
    credential_id = uuid.uuid4()
    status_list, index = allocate_status(service.issuers, issuer)
    document = copy.deepcopy({k: v for k, v in original.document.items() if k != "proof"})
    document["id"] = service.credential_url(credential_id)
    document["credentialSubject"] = _subject(document["credentialSubject"], did=did, email=email)
    document["credentialStatus"] = status_entry(
        service.issuers.status_list_url(issuer, status_list.number), index
    )
    signing = service.issuers.signing_key(issuer)
    signed = sign(
        document,
        signing.key,
        verification_method=signing.verification_method,
        created=now,
        ordering=cast(SigningOrdering, issuer.organisation.nquads_ordering),
    )
    made = Credential(
        id=credential_id,
        organisation_id=original.organisation_id,
        issuer_id=issuer.id,
        person_id=original.person_id,
        achievement_version_id=original.achievement_version_id,
        sub_goal_id=original.sub_goal_id,
        path_id=original.path_id,
        occurrence=copy_occurrence(original, to),
        status_list_id=status_list.id,
        status_index=index,
        document=signed,
        issued_at=original.issued_at,
        valid_until=original.valid_until,
        awarded_by=original.awarded_by,
        language=original.language,
        reissued_from_id=original.id,
    )
    session = service.session
    session.add(made)
    session.flush()
    return made
