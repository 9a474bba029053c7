"""Verify a posted credential with this service's own documents as the only sources; and,
for a badge a signed-in learner imports, with what it names fetched from elsewhere.

Keys and status lists of this service's issuers are read from the database (the stored,
signed status lists; the DID documents built from the issuer keys); did:key resolves from
the identifier. Nothing is fetched from the network: a public endpoint that fetched URLs
taken from its input would let anyone make the service send requests anywhere. A
credential from another issuer therefore reports its keys or status as not resolvable.
"""

from __future__ import annotations

import http.client
import re
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..credentials.did import DidKeyResolver, DocumentResolver, VerificationMethod
from ..credentials.errors import ResolutionError
from ..credentials.fetch import Fetcher, FetchError, HttpTransport
from ..credentials.verify import VerificationReport, verify_credential, verify_vc_jwt
from ..egress import EgressPolicy, EgressRefused, open_connection
from ..issuers.models import Issuer, StatusList
from ..issuers.services import IssuerService
from ..issuing.models import Credential
from ..organisations.models import Organisation

__all__ = [
    "ImportSources",
    "ServiceDocuments",
    "credential_at",
    "egress_fetcher",
    "verify_posted",
    "verify_posted_jwt",
]

_ISSUER_PATH = re.compile(r"^/issuers/([a-z0-9][a-z0-9-]{0,62})/([a-z0-9][a-z0-9-]{0,62})")
_STATUS_PATH = re.compile(_ISSUER_PATH.pattern + r"/status/([0-9]{1,9})$")
_CREDENTIAL_PATH = re.compile(r"^/credentials/([0-9a-fA-F-]{36})$")


class ServiceDocuments:
    """A resolver and status source answering from this service's database only."""

    def __init__(self, session: Session, issuers: IssuerService) -> None:
        self.session = session
        self.issuers = issuers
        self.public_url = issuers.public_url

    def _issuer(self, org: str, slug: str) -> Issuer | None:
        return self.session.scalar(
            select(Issuer)
            .join(Organisation, Issuer.organisation_id == Organisation.id)
            .where(Organisation.slug == org, Issuer.slug == slug)
        )

    def resolve(self, verification_method: str) -> VerificationMethod:
        did = verification_method.partition("#")[0]
        if did.startswith("did:key:"):
            return DidKeyResolver().resolve(verification_method)
        segments = did.split(":")
        issuer = None
        if did.startswith("did:web:") and len(segments) >= 6:
            issuer = self._issuer(segments[-2], segments[-1])
        if issuer is None or self.issuers.did(issuer) != did:
            raise ResolutionError(
                f"{did} is not an issuer of this service; the public verifier resolves only "
                "this service's issuers and did:key (verify others with the command line)"
            )
        return DocumentResolver([self.issuers.did_document(issuer)]).resolve(verification_method)

    def status_list(self, url: str) -> Mapping[str, Any]:
        found = None
        if url.startswith(self.public_url + "/"):
            match = _STATUS_PATH.match(url[len(self.public_url) :])
            if match:
                issuer = self._issuer(match[1], match[2])
                if issuer is not None:
                    row = self.session.scalar(
                        select(StatusList).where(
                            StatusList.issuer_id == issuer.id, StatusList.number == int(match[3])
                        )
                    )
                    if row is not None:
                        found = self.issuers.status_list_document(issuer, row)
        if found is None:
            raise FetchError(
                f"status list {url} is not one of this service's; the public verifier fetches "
                "nothing from elsewhere"
            )
        return found


def credential_at(session: Session, public_url: str, url: str) -> Mapping[str, Any] | None:
    """The signed document of one of this service's credentials, by its public URL."""
    if not url.startswith(public_url + "/"):
        return None
    match = _CREDENTIAL_PATH.match(url[len(public_url) :])
    if match is None:
        return None
    try:
        key = uuid.UUID(match[1])
    except ValueError:
        return None
    credential = session.get(Credential, key)
    return None if credential is None else credential.document


def verify_posted(session: Session, issuers: IssuerService, document: Any) -> VerificationReport:
    """The full report for ``document``, status and keys resolved from this service."""
    sources = ServiceDocuments(session, issuers)
    return verify_credential(document, resolver=sources, status_source=sources)


def verify_posted_jwt(session: Session, issuers: IssuerService, token: str) -> VerificationReport:
    """The full report for a VC-JWT (compact JWS), keys and status from this service.
    Raises: MalformedDocumentError when ``token`` is no VC-JWT."""
    sources = ServiceDocuments(session, issuers)
    return verify_vc_jwt(token, resolver=sources, status_source=sources)


def egress_fetcher(config: Mapping[str, Any]) -> Fetcher:
    """A fetcher for documents a learner's upload names (DID documents, status lists): to
    public addresses only, as the HR deliveries (``BADGESERVICE_OUTBOUND_ALLOW`` adds
    networks and hosts), HTTPS only unless the operator allowed loopback addresses."""
    policy = EgressPolicy.from_config(config)

    def connect(url: str, timeout: float) -> http.client.HTTPConnection:
        parts = urlsplit(url)
        https = parts.scheme == "https"
        try:
            addresses = policy.resolve(
                parts.hostname or "", parts.port or (443 if https else 80), timeout
            )
        except EgressRefused as exc:
            raise FetchError(f"{url}: {exc}") from None
        return open_connection(url, addresses, timeout)

    loopback = policy.check_url("http://127.0.0.1/") is None
    return Fetcher(HttpTransport(connect=connect), allow_loopback_http=loopback)


class ImportSources(ServiceDocuments):
    """This service's documents first, then the fetcher for everything else."""

    def __init__(self, session: Session, issuers: IssuerService, fetcher: Fetcher) -> None:
        super().__init__(session, issuers)
        self.fetcher = fetcher

    def resolve(self, verification_method: str) -> VerificationMethod:
        try:
            return super().resolve(verification_method)
        except ResolutionError:
            return self.fetcher.resolve(verification_method)

    def status_list(self, url: str) -> Mapping[str, Any]:
        try:
            return super().status_list(url)
        except FetchError:
            return self.fetcher.status_list(url)
