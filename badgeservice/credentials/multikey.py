"""Ed25519 keys as Multikey multibase strings, and the base58btc multibase codec."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

import base58
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, EllipticCurvePublicKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from .errors import KeyFormatError

__all__ = [
    "ED25519_PRIV_PREFIX",
    "ED25519_PUB_PREFIX",
    "P256_PUB_PREFIX",
    "KeyPair",
    "decode_base58btc",
    "decode_p256_public_key",
    "decode_private_key",
    "decode_public_key",
    "encode_base58btc",
    "encode_private_key",
    "encode_public_key",
]

# Multicodec varints: ed25519-pub (0xed) and ed25519-priv (0x1300).
ED25519_PUB_PREFIX = b"\xed\x01"
ED25519_PRIV_PREFIX = b"\x80\x26"
# p256-pub (0x1200), followed by the 33-byte compressed point.
P256_PUB_PREFIX = b"\x80\x24"


_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_DIGIT = {char: index for index, char in enumerate(_ALPHABET)}
# Ten base58 digits at a time: the arithmetic on the big number is done per chunk, and the
# digits of a chunk come from a machine-size integer.
_CHUNK = 10
_CHUNK_BASE = 58**_CHUNK


def _b58encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    digits: list[str] = []
    while number:
        number, chunk = divmod(number, _CHUNK_BASE)
        for _ in range(_CHUNK):
            chunk, digit = divmod(chunk, 58)
            digits.append(_ALPHABET[digit])
    while digits and digits[-1] == "1":
        digits.pop()  # the last chunk's padding
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(digits))


def _b58decode(text: str) -> bytes:
    digit = _DIGIT
    number = 0
    start = len(text) % _CHUNK
    if start:
        number = 0
        for char in text[:start]:
            number = number * 58 + digit[char]
    for offset in range(start, len(text), _CHUNK):
        chunk = 0
        for char in text[offset : offset + _CHUNK]:
            chunk = chunk * 58 + digit[char]
        number = number * _CHUNK_BASE + chunk
    zeros = len(text) - len(text.lstrip("1"))
    return b"\0" * zeros + number.to_bytes((number.bit_length() + 7) // 8, "big")


def encode_base58btc(data: bytes) -> str:
    """Multibase base58btc: ``z`` followed by the Bitcoin-alphabet encoding."""
    return "z" + _b58encode(data)


def decode_base58btc(value: str) -> bytes:
    """Decode a ``z``-prefixed multibase base58btc string."""
    if not isinstance(value, str) or not value.startswith("z"):
        raise KeyFormatError("multibase value must be a string starting with 'z' (base58btc)")
    try:
        return _b58decode(value[1:])
    except KeyError:
        pass  # not base58: let the reference decoder say what is wrong
    try:
        return bytes(base58.b58decode(value[1:]))
    except ValueError as exc:
        raise KeyFormatError(f"invalid base58btc: {exc}") from None


def encode_public_key(key: Ed25519PublicKey) -> str:
    """``publicKeyMultibase`` of an Ed25519 public key (always starts ``z6Mk``)."""
    return encode_base58btc(ED25519_PUB_PREFIX + key.public_bytes(Encoding.Raw, PublicFormat.Raw))


def decode_public_key(value: str) -> Ed25519PublicKey:
    """Parse a ``publicKeyMultibase``; anything but an Ed25519 Multikey is refused."""
    if not isinstance(value, str):
        raise KeyFormatError("multibase value must be a string starting with 'z' (base58btc)")
    return _decode_public_key(value)


@lru_cache(maxsize=1024)
def _decode_public_key(value: str) -> Ed25519PublicKey:
    # Cached: a verifier meets the same few issuer keys again and again (errors are not).
    raw = decode_base58btc(value)
    if len(raw) != 34 or not raw.startswith(ED25519_PUB_PREFIX):
        raise KeyFormatError("publicKeyMultibase is not an Ed25519 Multikey (0xed01 + 32 bytes)")
    return Ed25519PublicKey.from_public_bytes(raw[2:])


def decode_p256_public_key(value: str) -> EllipticCurvePublicKey:
    """Parse a P-256 Multikey (``zDn…``): a did:key of a key that signs ES256 VC-JWTs."""
    raw = decode_base58btc(value)
    if len(raw) != 35 or not raw.startswith(P256_PUB_PREFIX):
        raise KeyFormatError("publicKeyMultibase is not a P-256 Multikey (0x8024 + 33 bytes)")
    try:
        return EllipticCurvePublicKey.from_encoded_point(SECP256R1(), raw[2:])
    except ValueError:
        raise KeyFormatError("the P-256 Multikey is not a point on the curve") from None


def encode_private_key(key: Ed25519PrivateKey) -> str:
    """``secretKeyMultibase``: ``0x8026`` + the 32-byte seed, base58btc."""
    seed = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return encode_base58btc(ED25519_PRIV_PREFIX + seed)


def decode_private_key(value: str) -> Ed25519PrivateKey:
    """Parse a secret key multibase: the 32-byte seed form, or seed‖public (64 bytes).

    The 64-byte form (used by the 1EdTech implementation guide) must carry the public key
    that belongs to the seed.
    """
    raw = decode_base58btc(value)
    if not raw.startswith(ED25519_PRIV_PREFIX) or len(raw) not in (34, 66):
        raise KeyFormatError(
            "private key multibase is not an Ed25519 secret key (0x8026 + 32-byte seed)"
        )
    key = Ed25519PrivateKey.from_private_bytes(raw[2:34])
    if len(raw) == 66:
        public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        if raw[34:] != public:
            raise KeyFormatError("64-byte secret key: public half does not match the seed")
    return key


@dataclass(frozen=True)
class KeyPair:
    """An Ed25519 signing key pair."""

    private_key: Ed25519PrivateKey

    @classmethod
    def generate(cls) -> KeyPair:
        """A fresh random key pair."""
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_json(cls, data: Any) -> KeyPair:
        """Load ``{"publicKeyMultibase", "privateKeyMultibase"|"secretKeyMultibase"}``."""
        if not isinstance(data, dict):
            raise KeyFormatError("key file must be a JSON object")
        secret = data.get("privateKeyMultibase", data.get("secretKeyMultibase"))
        if not isinstance(secret, str):
            raise KeyFormatError("key file has no privateKeyMultibase string")
        pair = cls(decode_private_key(secret))
        public = data.get("publicKeyMultibase")
        if public is not None and public != pair.public_key_multibase:
            raise KeyFormatError("publicKeyMultibase does not belong to the private key")
        return pair

    @classmethod
    def from_json_text(cls, text: str) -> KeyPair:
        """Parse a key file's text (see :meth:`from_json`)."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise KeyFormatError(f"key file is not JSON: {exc.msg} at line {exc.lineno}") from None
        return cls.from_json(data)

    @cached_property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    @cached_property
    def public_key_multibase(self) -> str:
        # Cached: signing names the key's did:key method on every call.
        return encode_public_key(self.public_key)

    @property
    def private_key_multibase(self) -> str:
        return encode_private_key(self.private_key)

    @property
    def did_key(self) -> str:
        """The ``did:key`` DID of this key."""
        return "did:key:" + self.public_key_multibase

    @property
    def did_key_verification_method(self) -> str:
        """The single verification method id of the key's did:key document."""
        mb = self.public_key_multibase
        return f"did:key:{mb}#{mb}"

    def to_json(self) -> dict[str, str]:
        """The key file form (as in the W3C test vector ``keyPair.json``)."""
        return {
            "publicKeyMultibase": self.public_key_multibase,
            "privateKeyMultibase": self.private_key_multibase,
        }

    def sign(self, data: bytes) -> bytes:
        """Pure Ed25519 signature (RFC 8032)."""
        return self.private_key.sign(data)


def verify_signature(public_key: Ed25519PublicKey, signature: bytes, data: bytes) -> bool:
    """True when ``signature`` is a valid Ed25519 signature of ``data``."""
    try:
        public_key.verify(signature, data)
    except InvalidSignature:
        return False
    return True


__all__ += ["verify_signature"]
