"""A learner's credentials for the API: the ones this service issued to them and the ones
they brought, in one list ordered by when each arrived; and storing one they bring, after
it verifies."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..credentials.errors import CredentialError
from ..db import utcnow
from ..issuers.services import IssuerService
from ..issuing.models import Credential
from ..people.models import Person
from ..verification.services import verify_posted
from .imsx import ImsxError
from .models import OAuthClient, StoredCredential
from .store import digest

__all__ = ["Page", "credentials_page", "upsert"]


@dataclass(frozen=True)
class Page:
    """One page of the learner's credentials, each as its JSON text, and the total."""

    texts: list[str]
    total: int


def _issued_id(public_url: str, credential_id: uuid.UUID) -> str:
    return f"{public_url}/credentials/{credential_id}"


def credentials_page(
    session: Session,
    person: Person,
    public_url: str,
    *,
    limit: int,
    offset: int,
    since: datetime | None,
) -> Page:
    """Issued and brought credentials of ``person`` (arrived at or after ``since``), oldest
    first; a brought copy of one issued to them counts once, as the issued one."""
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
    texts = []
    for _when, kind, key in chosen:
        if kind == "issued":
            row = session.get(Credential, key)
            assert row is not None
            texts.append(json.dumps(row.document, ensure_ascii=False, separators=(",", ":")))
        else:
            stored = session.get(StoredCredential, key)
            assert stored is not None
            texts.append(stored.document_text)
    return Page(texts, len(entries))


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
