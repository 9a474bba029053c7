"""Issuers: did:web identity, signing keys (encrypted at rest, rotatable), status lists."""

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
from ..credentials.multikey import KeyPair, decode_private_key
from ..credentials.proofs import sign
from ..credentials.statuslist import StatusList as Bits
from ..credentials.statuslist import status_list_credential
from ..db import Outcome, utcnow
from ..errors import NotFound
from ..keystore import KeyStore
from ..organisations.models import Organisation
from .models import Issuer, IssuerKey, StatusList

__all__ = ["IssuerService", "SigningKey"]


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
        """Every key stays listed so credentials signed before a rotation keep verifying."""
        return did_web_document(
            self.did(issuer), [(k.fragment, k.public_key_multibase) for k in issuer.keys]
        )

    def upsert_issuer(
        self, organisation_id: uuid.UUID, slug: str, **profile: Any
    ) -> tuple[Issuer, Outcome]:
        """Create the issuer ``slug`` (with its first signing key) or bring its profile
        (``name``, ``url``, ``email``, ``description``, ``image_path``, ``texts``: their
        translations) in line: the one place an issuer is made."""
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
        target = target_of("issuer", issuer.id, issuer.slug)
        record(self.session, issuer.organisation_id, "issuer.key_rotated", target, {"key": number})
        return key

    def signing_key(self, issuer: Issuer) -> SigningKey:
        row = self.ensure_key(issuer)
        seed = self.keystore.unwrap(row.private_key_ciphertext, key_id=f"issuer-key:{row.id}")
        pair = KeyPair(decode_private_key(seed.decode("ascii")))
        return SigningKey(pair, f"{self.did(issuer)}#{row.fragment}")

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
