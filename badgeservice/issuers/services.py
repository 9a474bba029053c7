"""Issuers: did:web identity, signing keys (encrypted at rest, rotatable; Ed25519 for Data
Integrity proofs, ES256 or RS256 for VC-JWTs), status lists."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..audit.services import record, target_of
from ..credentials.contexts import OB_V3P0, VC_V2
from ..credentials.did import did_web_document, did_web_from_url
from ..credentials.errors import KeyFormatError
from ..credentials.jose import SIGNING_ALGORITHMS, generate_jose_key, sign_vc_jwt
from ..credentials.multikey import KeyPair, decode_private_key
from ..credentials.proofs import sign
from ..credentials.statuslist import StatusList as Bits
from ..credentials.statuslist import status_list_credential
from ..db import Outcome, utcnow
from ..errors import NotFound
from ..keystore import KeyStore
from ..organisations.models import Organisation
from .models import Issuer, IssuerJoseKey, IssuerKey, StatusList

__all__ = ["IssuerService", "SigningKey"]

#: The VC-JWT algorithm of an issuer whose definition names none.
DEFAULT_VC_JWT_ALGORITHM = "ES256"


@dataclass(frozen=True)
class SigningKey:
    key: KeyPair
    verification_method: str


class IssuerService:
    """Everything about an issuer's identity; built from a session and the configuration."""

    def __init__(self, session: Session, *, public_url: str, keystore: KeyStore) -> None:
        self.session = session
        self.public_url = public_url.rstrip("/")
        self.keystore = keystore

    # -- identity ---------------------------------------------------------------------

    def base_url(self, issuer: Issuer) -> str:
        """The issuer's public URL; its did:web document is at ``…/did.json``."""
        return f"{self.public_url}/issuers/{issuer.organisation.slug}/{issuer.slug}"

    def did(self, issuer: Issuer) -> str:
        return did_web_from_url(self.base_url(issuer))

    def status_list_url(self, issuer: Issuer, number: int) -> str:
        return f"{self.base_url(issuer)}/status/{number}"

    def profile(self, issuer: Issuer, language: str | None = None) -> dict[str, Any]:
        """The OB 3.0 ``Profile`` of the issuer, as embedded in credentials, with its texts
        in ``language`` where they are written in it (None: the default language's)."""
        profile: dict[str, Any] = {
            "id": self.did(issuer),
            "type": ["Profile"],
            "name": issuer.text("name", language),
            "url": issuer.url or self.base_url(issuer),
        }
        if issuer.email:
            profile["email"] = issuer.email
        description = issuer.text("description", language)
        if description:
            profile["description"] = description
        return profile

    def profile_document(self, issuer: Issuer, language: str | None = None) -> dict[str, Any]:
        """The public profile document served at the issuer URL, in ``language``."""
        return {"@context": [VC_V2, OB_V3P0], **self.profile(issuer, language)}

    def did_document(self, issuer: Issuer) -> dict[str, Any]:
        """Every key stays listed so credentials signed before a rotation keep verifying:
        the Ed25519 Multikeys and the VC-JWT keys as ``JsonWebKey`` methods."""
        return did_web_document(
            self.did(issuer),
            [(k.fragment, k.public_key_multibase) for k in issuer.keys],
            jwks=[(k.fragment, k.public_jwk) for k in issuer.jose_keys],
        )

    def upsert_issuer(
        self, organisation_id: uuid.UUID, slug: str, **profile: Any
    ) -> tuple[Issuer, Outcome]:
        """Create the issuer ``slug`` (with its first signing key) or bring its profile
        (``name``, ``url``, ``email``, ``description``, ``image_path``, ``texts``: their
        translations; ``vc_jwt_algorithm``) in line: the one place an issuer is made."""
        issuer = self.session.scalar(
            select(Issuer).where(Issuer.organisation_id == organisation_id, Issuer.slug == slug)
        )
        outcome = Outcome.UNCHANGED
        if issuer is None:
            issuer = Issuer(organisation_id=organisation_id, slug=slug, name=profile["name"])
            self.session.add(issuer)
            outcome = Outcome.CREATED
        for key, value in profile.items():
            if getattr(issuer, key) != value:
                setattr(issuer, key, value)
                outcome = outcome if outcome == Outcome.CREATED else Outcome.UPDATED
        self.session.flush()
        self.ensure_key(issuer)
        self.ensure_jose_key(issuer)
        return issuer, outcome

    # -- keys -------------------------------------------------------------------------

    def _new_key(self, issuer: Issuer, number: int) -> IssuerKey:
        pair = KeyPair.generate()
        row = IssuerKey(
            issuer=issuer,
            number=number,
            public_key_multibase=pair.public_key_multibase,
            private_key_ciphertext=b"",
        )
        self.session.add(row)
        self.session.flush()
        seed = pair.private_key_multibase.encode("ascii")
        row.private_key_ciphertext = self.keystore.wrap(seed, key_id=f"issuer-key:{row.id}")
        self.session.flush()
        return row

    def ensure_key(self, issuer: Issuer) -> IssuerKey:
        """The active signing key, generating the first one when there is none."""
        active = [k for k in issuer.keys if k.retired_at is None]
        return active[-1] if active else self._new_key(issuer, len(issuer.keys) + 1)

    def rotate_key(self, issuer: Issuer) -> IssuerKey:
        """Add a new signing key; the old ones stop signing but stay published."""
        now = utcnow()
        for key in issuer.keys:
            key.retired_at = key.retired_at or now
        number = max((k.number for k in issuer.keys), default=0) + 1
        key = self._new_key(issuer, number)
        # The VC-JWT key goes with it: a rotation is for when a key may be compromised.
        jose = self._new_jose_key(issuer)
        target = target_of("issuer", issuer.id, issuer.slug)
        details = {"key": number, "jose_key": jose.number}
        record(self.session, issuer.organisation_id, "issuer.key_rotated", target, details)
        return key

    def signing_key(self, issuer: Issuer) -> SigningKey:
        row = self.ensure_key(issuer)
        seed = self.keystore.unwrap(row.private_key_ciphertext, key_id=f"issuer-key:{row.id}")
        pair = KeyPair(decode_private_key(seed.decode("ascii")))
        return SigningKey(pair, f"{self.did(issuer)}#{row.fragment}")

    def _new_jose_key(self, issuer: Issuer) -> IssuerJoseKey:
        """A new VC-JWT key in the issuer's algorithm; the active ones retire."""
        algorithm = issuer.vc_jwt_algorithm or DEFAULT_VC_JWT_ALGORITHM
        if algorithm not in SIGNING_ALGORITHMS:
            raise KeyFormatError(f"VC-JWT keys are ES256 or RS256, not {algorithm!r}")
        now = utcnow()
        for old in issuer.jose_keys:
            old.retired_at = old.retired_at or now
        pair = generate_jose_key(algorithm)
        row = IssuerJoseKey(
            issuer=issuer,
            number=max((k.number for k in issuer.jose_keys), default=0) + 1,
            algorithm=algorithm,
            public_jwk=pair.public_jwk,
            private_key_ciphertext=b"",
        )
        self.session.add(row)
        self.session.flush()
        row.private_key_ciphertext = self.keystore.wrap(
            pair.private_der, key_id=f"issuer-jose-key:{row.id}"
        )
        self.session.flush()
        return row

    def ensure_jose_key(self, issuer: Issuer) -> IssuerJoseKey:
        """The active VC-JWT key, made when there is none in the issuer's algorithm (the
        first time, or after the definition chose the other algorithm)."""
        algorithm = issuer.vc_jwt_algorithm or DEFAULT_VC_JWT_ALGORITHM
        active = [k for k in issuer.jose_keys if k.retired_at is None]
        if active and active[-1].algorithm == algorithm:
            return active[-1]
        return self._new_jose_key(issuer)

    def sign_vc_jwt(self, issuer: Issuer, document: dict[str, Any]) -> str:
        """The VC-JWT of ``document`` (a credential of ``issuer``), signed with its active
        JOSE key; ``kid`` is the key's DID URL."""
        row = self.ensure_jose_key(issuer)
        der = self.keystore.unwrap(row.private_key_ciphertext, key_id=f"issuer-jose-key:{row.id}")
        return sign_vc_jwt(document, row.algorithm, der, kid=f"{self.did(issuer)}#{row.fragment}")

    # -- status lists -----------------------------------------------------------------

    def set_status(self, status_list: StatusList, index: int, value: int) -> None:
        """Set one entry and sign the list afresh, in the same transaction."""
        bits = Bits.from_bytes(status_list.bits)
        bits.set(index, value)
        status_list.bits = bits.to_bytes()
        status_list.updated_at = utcnow()
        issuer = self.session.get(Issuer, status_list.issuer_id)
        assert issuer is not None
        self.sign_status_list(issuer, status_list)

    def sign_status_list(self, issuer: Issuer, status_list: StatusList) -> dict[str, Any]:
        """Sign the list's current bits as a ``BitstringStatusListCredential`` and store it.

        Called when the bits change, so serving the list costs no signature: an anonymous
        reader cannot make the service sign on demand.
        """
        signing = self.signing_key(issuer)
        document = status_list_credential(
            self.status_list_url(issuer, status_list.number),
            self.did(issuer),
            Bits.from_bytes(status_list.bits),
            purpose=status_list.purpose,
            valid_from=status_list.created_at.astimezone(UTC),
        )
        status_list.document = sign(
            document,
            signing.key,
            verification_method=signing.verification_method,
            created=datetime.now(UTC),
        )
        self.session.flush()
        return status_list.document

    def status_list_document(self, issuer: Issuer, status_list: StatusList) -> dict[str, Any]:
        """The stored signed list; a list stored before signed lists were kept is signed
        (once) now."""
        if status_list.document is None:
            return self.sign_status_list(issuer, status_list)
        return status_list.document

    # -- lookups ----------------------------------------------------------------------

    def by_slugs(self, organisation_slug: str, issuer_slug: str) -> Issuer:
        issuer = self.session.scalar(
            select(Issuer)
            .join(Organisation, Issuer.organisation_id == Organisation.id)
            .where(Organisation.slug == organisation_slug, Issuer.slug == issuer_slug)
        )
        if issuer is None:
            raise NotFound(f"no issuer {organisation_slug}/{issuer_slug}")
        return issuer

    def count_keys(self, issuer: Issuer) -> int:
        return int(
            self.session.scalar(
                select(func.count()).select_from(IssuerKey).where(IssuerKey.issuer_id == issuer.id)
            )
            or 0
        )
