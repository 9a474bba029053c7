"""A learner's credentials for the API: the ones this service issued to them and the ones
they brought, in one list ordered by when each arrived; and storing one they bring (JSON
or a VC-JWT), after it verifies."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..credentials.errors import CredentialError
from ..credentials.jose import looks_like_compact_jws, parse_vc_jwt
from ..credentials.verify import VerificationReport
from ..db import utcnow
from ..issuers.services import IssuerService
from ..issuing.models import Credential
from ..issuing.services import compact_jws
from ..people.models import Person
from ..verification.services import verify_posted, verify_posted_jwt
from .imsx import ImsxError
from .models import OAuthClient, StoredCredential
from .store import digest

__all__ = ["Page", "credentials_page", "upsert", "upsert_jws"]


@dataclass(frozen=True)
class Page:
    """One page of the learner's credentials and the total: the JSON texts, and the
    compact JWS strings (the VC-JWT of each issued credential, and the VC-JWTs brought)."""

    texts: list[str]
    tokens: list[str]
    total: int


def _issued_id(public_url: str, credential_id: uuid.UUID) -> str:
    return f"{public_url}/credentials/{credential_id}"


def credentials_page(
    session: Session,
    issuers: IssuerService,
    person: Person,
    *,
    limit: int,
    offset: int,
    since: datetime | None,
) -> Page:
    """Issued and brought credentials of ``person`` (arrived at or after ``since``), oldest
    first; a brought copy of one issued to them counts once, as the issued one. An issued
    credential comes in both forms (its JSON and its VC-JWT); a brought one as it came."""
    public_url = issuers.public_url
    issued = select(Credential.id, Credential.issued_at).where(
        Credential.person_id == person.id, Credential.organisation_id == person.organisation_id
    )
    brought = select(
        StoredCredential.id, StoredCredential.updated_at, StoredCredential.credential_id
    ).where(StoredCredential.person_id == person.id)
    if since is not None:
        issued = issued.where(Credential.issued_at >= since)
        brought = brought.where(StoredCredential.updated_at >= since)
    entries: list[tuple[datetime, str, uuid.UUID]] = [
        (when, "issued", key) for key, when in session.execute(issued)
    ]
    issued_ids = {_issued_id(public_url, key) for _when, _kind, key in entries}
    entries += [
        (when, "brought", key)
        for key, when, credential_id in session.execute(brought)
        if credential_id not in issued_ids
    ]
    entries.sort(key=lambda entry: (entry[0], entry[2]))
    chosen = entries[offset : offset + limit]
    texts: list[str] = []
    tokens: list[str] = []
    for _when, kind, key in chosen:
        if kind == "issued":
            row = session.get(Credential, key)
            assert row is not None
            texts.append(json.dumps(row.document, ensure_ascii=False, separators=(",", ":")))
            tokens.append(compact_jws(issuers, row))
        else:
            stored = session.get(StoredCredential, key)
            assert stored is not None
            kept = stored.document_text
            (tokens if looks_like_compact_jws(kept) else texts).append(kept)
    return Page(texts, tokens, len(entries))


def upsert(
    session: Session,
    issuers: IssuerService,
    person: Person,
    client: OAuthClient,
    text: str,
    document: Any,
) -> bool:
    """Verify and store ``document`` (received as ``text``) for ``person``; True when it
    was new, False when it replaced the same credential (same ``id``)."""
    if not isinstance(document, dict):
        raise ImsxError(400, "invalid_data", "the body must be a credential (a JSON object)")
    credential_id = document.get("id")
    if not isinstance(credential_id, str) or not credential_id.strip():
        raise ImsxError(400, "invalid_data", "the credential has no id")
    try:
        report = verify_posted(session, issuers, document)
    except CredentialError as exc:
        raise ImsxError(400, "invalid_data", f"the credential is not usable: {exc}") from None
    return _store(session, person, client, credential_id, report, text)


def upsert_jws(
    session: Session, issuers: IssuerService, person: Person, client: OAuthClient, text: str
) -> bool:
    """Verify and store a VC-JWT (``text``, a compact JWS) for ``person``, kept as it came;
    True when new, False when it replaced the same credential (the same ``id`` inside)."""
    try:
        credential_id = parse_vc_jwt(text).credential.get("id")
        report = verify_posted_jwt(session, issuers, text)
    except CredentialError as exc:
        raise ImsxError(400, "invalid_data", f"the VC-JWT is not usable: {exc}") from None
    if not isinstance(credential_id, str) or not credential_id.strip():
        raise ImsxError(400, "invalid_data", "the credential in the VC-JWT has no id")
    return _store(session, person, client, credential_id, report, text)


def _store(
    session: Session,
    person: Person,
    client: OAuthClient,
    credential_id: str,
    report: VerificationReport,
    text: str,
) -> bool:
    if not report.verified:
        problems = "; ".join(report.errors) or "no proof verified"
        raise ImsxError(400, "invalid_data", f"the credential does not verify: {problems}")
    key = digest(credential_id.strip())
    row = session.scalar(
        select(StoredCredential).where(
            StoredCredential.person_id == person.id, StoredCredential.credential_key == key
        )
    )
    created = row is None
    if row is None:
        row = StoredCredential(
            organisation_id=person.organisation_id, person_id=person.id, credential_key=key
        )
        session.add(row)
    row.credential_id = credential_id
    row.issuer = report.issuer
    row.document_text = text
    row.client_id = client.id
    row.updated_at = utcnow()
    session.flush()
    return created
