"""An Open Badges 2.0 issuer on the loopback server for the tests: its Profile,
BadgeClass, revocation list and RSA public key, and hosted or signed assertions made out
to an e-mail address."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jws
from joserfc.jwk import ECKey, RSAKey

from tests.credentials.loopback import Route, Server

OB2 = "https://w3id.org/openbadges/v2"
EMAIL = "aino.virtanen@acme.example"
SALT = "merisuola"


class Ob2Issuer:
    """An OB 2.0 issuer's documents on the loopback server, changeable by the test."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.issuer_id = server.url("/ob2/issuer")
        self.badge_id = server.url("/ob2/badge")
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.revoked: list[Any] = []
        self.publish(
            "/ob2/issuer",
            {
                "@context": OB2,
                "type": "Issuer",
                "id": self.issuer_id,
                "name": "Vanha Akatemia",
                "url": server.url("/"),
                "email": "badges@vanha.example",
                "revocationList": server.url("/ob2/revocations"),
                "publicKey": server.url("/ob2/key"),
            },
        )
        self.publish(
            "/ob2/badge",
            {
                "@context": OB2,
                "type": "BadgeClass",
                "id": self.badge_id,
                "name": "Ruotsin kielen taito",
                "description": "Speaks Swedish at work.",
                "image": server.url("/ob2/badge.png"),
                "criteria": {"narrative": "Passed the oral examination."},
                "issuer": self.issuer_id,
            },
        )
        pem = self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.publish(
            "/ob2/key",
            {
                "@context": OB2,
                "type": "CryptographicKey",
                "id": server.url("/ob2/key"),
                "owner": self.issuer_id,
                "publicKeyPem": pem.decode("ascii"),
            },
        )
        self.publish_revocations()

    def publish(self, path: str, document: dict[str, Any]) -> None:
        self.server.routes[path] = Route(body=json.dumps(document).encode())

    def publish_revocations(self) -> None:
        self.publish(
            "/ob2/revocations",
            {
                "@context": OB2,
                "type": "RevocationList",
                "id": self.server.url("/ob2/revocations"),
                "issuer": self.issuer_id,
                "revokedAssertions": self.revoked,
            },
        )

    def assertion(self, number: int, email: str = EMAIL, **extra: Any) -> dict[str, Any]:
        """A hosted assertion made out to ``email`` (hashed with the salt), published."""
        identity = "sha256$" + hashlib.sha256((email + SALT).encode()).hexdigest()
        document = {
            "@context": OB2,
            "type": "Assertion",
            "id": self.server.url(f"/ob2/assertions/{number}"),
            "recipient": {"type": "email", "hashed": True, "salt": SALT, "identity": identity},
            "badge": self.badge_id,
            "verification": {"type": "hosted"},
            "issuedOn": "2025-05-20T10:00:00Z",
            **extra,
        }
        self.publish(f"/ob2/assertions/{number}", document)
        return document

    def signed(self, number: int, algorithm: str = "RS256") -> str:
        """A signed assertion (compact JWS) whose key the issuer publishes."""
        document = self.assertion(number)
        document["verification"] = {"type": "signed", "creator": self.server.url("/ob2/key")}
        del self.server.routes[f"/ob2/assertions/{number}"]
        if algorithm == "RS256":
            pem = self.key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            key: Any = RSAKey.import_key(pem)
        else:
            key = ECKey.generate_key("P-256")
        payload = json.dumps(document).encode()
        return jws.serialize_compact({"alg": algorithm}, payload, key, algorithms=[algorithm])
