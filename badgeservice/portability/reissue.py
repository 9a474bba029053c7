"""Re-issuing a person's credentials to their own identity: every credential of theirs
that is not revoked (expired ones too: their history is theirs), each once per kind of
identity. Also for a person who has left: that is the point."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import BadRequest
from ..issuing.copies import reissue_credential
from ..issuing.models import Credential
from ..issuing.services import IssuingService
from ..organisations.services import record_event
from ..people.models import Person

__all__ = ["TARGETS", "Reissued", "copy_kind", "copy_kinds", "reissue_all"]

TARGETS = ("email", "did")


@dataclass(frozen=True)
class Reissued:
    original: Credential
    copy: Credential
    created: bool


def reissue_all(
    session: Session, service: IssuingService, person: Person, to: str, actor: str
) -> list[Reissued]:
    """Re-issue the person's credentials to their verified personal e-mail (``to`` =
    "email") or bound DID ("did"); asking again makes nothing twice. What was made goes
    into the audit trail as ``credentials.reissued`` by ``actor``."""
    if to not in TARGETS:
        raise BadRequest('re-issue to "email" (the personal e-mail) or "did" (the bound DID)')
    if to == "email" and not (person.personal_email and person.personal_email_verified_at):
        raise BadRequest("add and verify a personal e-mail address first")
    if to == "did" and not person.bound_did:
        raise BadRequest("bind a DID you control first")
    originals = session.scalars(
        select(Credential)
        .where(
            Credential.person_id == person.id,
            Credential.reissued_from_id.is_(None),
            Credential.revoked_at.is_(None),
        )
        .order_by(Credential.issued_at, Credential.id)
    ).all()
    done = []
    for original in originals:
        result = reissue_credential(
            service,
            original,
            to=to,
            email=person.personal_email if to == "email" else None,
            did=person.bound_did if to == "did" else None,
        )
        done.append(Reissued(original, result.credential, result.created))
    made = [str(item.copy.id) for item in done if item.created]
    if made:
        record_event(
            session,
            person.organisation_id,
            actor,
            "credentials.reissued",
            f"person {person.id}",
            {"to": to, "credentials": made},
        )
    return done


def copy_kind(credential: Credential) -> str | None:
    """ "email" or "did" for a re-issued copy, None for an original."""
    if credential.reissued_from_id is None:
        return None
    return credential.occurrence.split(":")[1]


def copy_kinds(session: Session, person: Person) -> dict[uuid.UUID, tuple[str, uuid.UUID]]:
    """The person's re-issued copies: each one's kind ("email", "did") and original."""
    rows = session.execute(
        select(Credential.id, Credential.occurrence, Credential.reissued_from_id).where(
            Credential.person_id == person.id, Credential.reissued_from_id.is_not(None)
        )
    )
    return {
        ident: (occurrence.split(":")[1], original)
        for ident, occurrence, original in rows
        if original is not None
    }
