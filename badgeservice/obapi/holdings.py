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

from ..credentials import baking
from ..credentials.errors import CredentialError
from ..credentials.jose import looks_like_compact_jws, parse_vc_jwt
from ..credentials.verify import VerificationReport, verify_credential, verify_vc_jwt
from ..db import utcnow
from ..errors import BadRequest
from ..issuers.services import IssuerService
from ..issuing.models import Credential
from ..issuing.services import compact_jws
from ..people.models import Person
from ..verification.services import ImportSources, verify_posted, verify_posted_jwt
from .imsx import ImsxError
from .models import OAuthClient, StoredCredential
from .store import digest

__all__ = [
    "BroughtBadge",
    "Page",
    "VerifiedUpload",
    "brought_badges",
    "credentials_page",
    "import_badge",
    "upsert",
    "upsert_jws",
    "verify_upload",
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
    _refuse_unverified(report)
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
    _refuse_unverified(report)
    return _store(session, person, client, credential_id, report, text)


def _refuse_unverified(report: VerificationReport) -> None:
    if not report.verified:
        problems = "; ".join(report.errors) or "no proof verified"
        raise ImsxError(400, "invalid_data", f"the credential does not verify: {problems}")


def _store(
    session: Session,
    person: Person,
    client: OAuthClient | None,
    credential_id: str,
    report: VerificationReport,
    text: str,
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
    row.issuer = report.issuer
    row.document_text = text
    row.client_id = client.id if client is not None else None
    row.updated_at = utcnow()
    session.flush()
    return created


def _read_upload(data: bytes) -> tuple[str, dict[str, Any]]:
    """The text to keep and the credential in an uploaded file: a baked PNG or SVG, a
    VC-JWT, or JSON. Raises: BadRequest saying what the file is not."""
    if data.startswith(b"\x89PNG") or data.lstrip().startswith(b"<"):
        try:
            baked = baking.unbake(data)
        except CredentialError as exc:
            raise BadRequest(f"image: {exc}") from None
        if baked.jws is not None:
            data = baked.jws.encode("utf-8")
        elif baked.credential is not None:
            return baked.text, baked.credential
        else:
            raise BadRequest("the image carries no Open Badges 3.0 credential")
    try:
        text = data.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise BadRequest("the file is not a badge image, a VC-JWT or JSON") from None
    if looks_like_compact_jws(text):
        try:
            return text, parse_vc_jwt(text).credential
        except CredentialError as exc:
            raise BadRequest(str(exc)) from None
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        raise BadRequest("the file is not a badge image, a VC-JWT or JSON") from None
    if not isinstance(document, dict) or "@context" not in document:
        raise BadRequest("the file holds no credential (a JSON-LD object)")
    return text, document


@dataclass(frozen=True)
class VerifiedUpload:
    """An uploaded badge that verified: the text to keep, its credential id, the report."""

    text: str
    credential_id: str
    report: VerificationReport


def verify_upload(data: bytes, sources: ImportSources) -> VerifiedUpload:
    """Verify a badge a learner uploads (a baked image, a VC-JWT or JSON), its issuer's
    keys and status fetched by ``sources``. Raises: BadRequest naming what is wrong, the
    failed checks included."""
    text, document = _read_upload(data)
    credential_id = document.get("id")
    if not isinstance(credential_id, str) or not credential_id.strip():
        raise BadRequest("the credential has no id")
    try:
        if looks_like_compact_jws(text):
            report = verify_vc_jwt(text, resolver=sources, status_source=sources)
        else:
            report = verify_credential(document, resolver=sources, status_source=sources)
    except CredentialError as exc:
        raise BadRequest(f"the credential is not usable: {exc}") from None
    if not report.verified:
        raise BadRequest("the badge does not verify: " + "; ".join(report.errors))
    return VerifiedUpload(text, credential_id, report)


def import_badge(session: Session, person: Person, upload: VerifiedUpload) -> bool:
    """Keep a verified upload among ``person``'s brought credentials; True when new."""
    return _store(session, person, None, upload.credential_id, upload.report, upload.text)


@dataclass(frozen=True)
class BroughtBadge:
    """A badge the learner brought, as their badges page lists it."""

    name: str
    issuer: str
    issuer_id: str | None
    arrived: datetime
    form: str  # "VC-JWT" or "JSON"


def brought_badges(session: Session, person: Person) -> list[BroughtBadge]:
    """The badges ``person`` brought (imported or stored through the API), newest first."""
    rows = session.scalars(
        select(StoredCredential)
        .where(StoredCredential.person_id == person.id)
        .order_by(StoredCredential.updated_at.desc())
    )
    found = []
    for row in rows:
        jwt = looks_like_compact_jws(row.document_text)
        try:
            document = (
                parse_vc_jwt(row.document_text).credential if jwt else json.loads(row.document_text)
            )
        except (CredentialError, ValueError):
            continue
        issuer = document.get("issuer")
        issuer_name = issuer.get("name") if isinstance(issuer, dict) else None
        subject = document.get("credentialSubject")
        achievement = subject.get("achievement") if isinstance(subject, dict) else None
        name = document.get("name")
        if not isinstance(name, str) and isinstance(achievement, dict):
            name = achievement.get("name")
        found.append(
            BroughtBadge(
                name=name if isinstance(name, str) else row.credential_id,
                issuer=issuer_name if isinstance(issuer_name, str) else (row.issuer or ""),
                issuer_id=row.issuer,
                arrived=row.updated_at,
                form="VC-JWT" if jwt else "JSON",
            )
        )
    return found
