"""A learner's credentials for the API: the ones this service issued to them and the ones
they brought, in one list ordered by when each arrived; storing one they bring (JSON or a
VC-JWT, through the API or imported on their badges page), after it verifies."""

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
from ..errors import NotFound
from ..issuers.services import IssuerService
from ..issuing.models import Credential
from ..issuing.services import compact_jws
from ..people.models import Person
from ..verification.services import verify_posted, verify_posted_jwt
from .imsx import ImsxError
from .models import OAuthClient, StoredCredential
from .store import digest

__all__ = [
    "BroughtBadge",
    "Page",
    "VerifiedUpload",
    "brought_badges",
    "brought_file",
    "credentials_page",
    "import_badge",
    "upsert",
    "upsert_jws",
]


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
    ).where(StoredCredential.person_id == person.id, StoredCredential.version == "ob3")
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
    _refuse_unverified(report)
    return _store(session, person, client, credential_id, report.issuer, text)


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
    _refuse_unverified(report)
    return _store(session, person, client, credential_id, report.issuer, text)


def _refuse_unverified(report: VerificationReport) -> None:
    if not report.verified:
        problems = "; ".join(report.errors) or "no proof verified"
        raise ImsxError(400, "invalid_data", f"the credential does not verify: {problems}")


def _store(
    session: Session,
    person: Person,
    client: OAuthClient | None,
    credential_id: str,
    issuer: str | None,
    text: str,
    brought: VerifiedUpload | None = None,
) -> bool:
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
    row.issuer = issuer
    row.document_text = text
    row.client_id = client.id if client is not None else None
    row.version = brought.version if brought is not None else "ob3"
    details = brought.details if brought is not None else None
    row.details = None if details is None else json.dumps(details, ensure_ascii=False)
    row.original = brought.original if brought is not None else None
    row.original_type = brought.original_type if brought is not None else None
    row.updated_at = utcnow()
    session.flush()
    return created


@dataclass(frozen=True)
class VerifiedUpload:
    """A brought badge that verified: the text to keep (the JSON or JWS as it came, the
    hosted JSON of an OB 2.0 badge brought by its URL), its id and issuer; an OB 2.0
    badge's BadgeClass and issuer Profile; the baked image as it came."""

    text: str
    credential_id: str
    issuer: str | None
    version: str = "ob3"
    details: dict[str, Any] | None = None
    original: bytes | None = None
    original_type: str | None = None


def import_badge(session: Session, person: Person, upload: VerifiedUpload) -> bool:
    """Keep a verified upload among ``person``'s brought credentials; True when new."""
    return _store(session, person, None, upload.credential_id, upload.issuer, upload.text, upload)


@dataclass(frozen=True)
class BroughtBadge:
    """A badge the learner brought, as their badges page lists it."""

    key: uuid.UUID
    name: str
    issuer: str
    issuer_id: str | None
    arrived: datetime
    form: str  # "VC-JWT", "JSON" or "Open Badges 2.0"
    description: str | None = None


def _ob3_names(row: StoredCredential) -> tuple[Any, Any, Any] | None:
    """Name, issuer name and description of a brought OB 3.0 credential."""
    jwt = looks_like_compact_jws(row.document_text)
    try:
        document = (
            parse_vc_jwt(row.document_text).credential if jwt else json.loads(row.document_text)
        )
    except (CredentialError, ValueError):
        return None
    issuer = document.get("issuer")
    subject = document.get("credentialSubject")
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    achievement = achievement if isinstance(achievement, dict) else {}
    name = document.get("name")
    if not isinstance(name, str):
        name = achievement.get("name")
    return (
        name,
        issuer.get("name") if isinstance(issuer, dict) else None,
        achievement.get("description"),
    )


def _ob2_names(row: StoredCredential) -> tuple[Any, Any, Any] | None:
    """Name, issuer name and description of a brought OB 2.0 badge (its BadgeClass)."""
    try:
        details = json.loads(row.details or "{}")
    except ValueError:
        return None
    badge = details.get("badge") if isinstance(details.get("badge"), dict) else {}
    issuer = details.get("issuer") if isinstance(details.get("issuer"), dict) else {}
    return badge.get("name"), issuer.get("name"), badge.get("description")


def brought_badges(session: Session, person: Person) -> list[BroughtBadge]:
    """The badges ``person`` brought (imported or stored through the API), newest first."""
    rows = session.scalars(
        select(StoredCredential)
        .where(StoredCredential.person_id == person.id)
        .order_by(StoredCredential.updated_at.desc())
    )
    found = []
    for row in rows:
        ob2 = row.version == "ob2"
        names = _ob2_names(row) if ob2 else _ob3_names(row)
        if names is None:
            continue
        name, issuer_name, description = names
        if ob2:
            form = "Open Badges 2.0"
        else:
            form = "VC-JWT" if looks_like_compact_jws(row.document_text) else "JSON"
        found.append(
            BroughtBadge(
                key=row.id,
                name=name if isinstance(name, str) else row.credential_id,
                issuer=issuer_name if isinstance(issuer_name, str) else (row.issuer or ""),
                issuer_id=row.issuer,
                arrived=row.updated_at,
                form=form,
                description=description if isinstance(description, str) else None,
            )
        )
    return found


def brought_file(session: Session, person: Person, key: str) -> tuple[bytes, str, str]:
    """A brought badge of ``person`` as it came: the bytes, their media type and the file
    extension (the baked image, else the JWS or JSON text). Raises: NotFound."""
    try:
        row = session.get(StoredCredential, uuid.UUID(key))
    except ValueError:
        row = None
    if row is None or row.person_id != person.id:
        raise NotFound("no such badge of yours")
    if row.original is not None and row.original_type is not None:
        extension = "png" if row.original_type == "image/png" else "svg"
        return row.original, row.original_type, extension
    if looks_like_compact_jws(row.document_text):
        return row.document_text.encode("utf-8"), "application/vc+jwt", "jws"
    media_type = "application/json" if row.version == "ob2" else "application/ld+json"
    return row.document_text.encode("utf-8"), media_type, "json"
