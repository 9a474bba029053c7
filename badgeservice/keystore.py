"""Issuer private keys encrypted at rest with a key-encryption key (KEK).

The database only ever holds *wrapped* Ed25519 seeds. :class:`KeyStore` is the interface
the issuing code uses; :class:`LocalKeyStore` implements it with AES-256-GCM and KEKs from
configuration, and an external KMS can implement it later.

Blob format, version ``bs1`` (lengths in bytes)::

    b"bs1" | n (1) | KEK id (n ASCII bytes) | nonce (12) | ciphertext + GCM tag (16)

The associated data is the header (everything before the nonce) followed by the key id in
UTF-8: a blob only unwraps for the key row it was made for, under the KEK it names.

Configuration (:func:`kek_from_config`): ``BADGESERVICE_KEY_ENCRYPTION_KEY`` holds one
base64url KEK (its id is ``default``) or a list ``id1:key1,id2:key2`` whose first entry is
current; older entries stay to unwrap old blobs until :meth:`LocalKeyStore.rewrap` has moved
them. Without it the KEK is derived from ``BADGESERVICE_SECRET_KEY`` (id ``secret-v1``). To
move from the derived KEK to an explicit one, list the derived one as
``secret-v1:<base64url of derive_kek(secret)>`` after the new current KEK, then rewrap.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
from collections.abc import Mapping
from typing import NamedTuple, Protocol, runtime_checkable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = [
    "DEFAULT_KEK_ID",
    "DERIVED_KEK_ID",
    "KEK_BYTES",
    "KeyEncryptionKeys",
    "KeyStore",
    "KeyStoreError",
    "LocalKeyStore",
    "MemoryKeyStore",
    "derive_kek",
    "generate_kek",
    "kek_from_config",
]

DEFAULT_KEK_ID = "default"
"""The id of a KEK configured on its own, without ``id:``."""

DERIVED_KEK_ID = "secret-v1"
"""The id of the KEK derived from ``BADGESERVICE_SECRET_KEY``."""

KEK_BYTES = 32
"""Size of a KEK (AES-256)."""

_MAGIC = b"bs1"
# Random 96-bit nonces: NIST SP 800-38D allows 2**32 of them per KEK, and a service wraps
# one seed per issuer key, so collisions are not a practical concern.
_NONCE_BYTES = 12
_TAG_BYTES = 16
_DERIVE_INFO = b"badgeservice key-encryption key v1"
_LONG_KEY_INFO = b"badgeservice key-encryption key v1 from a long raw key"
_KEK_ID = re.compile(r"[A-Za-z0-9._-]{1,32}")
_BASE64 = re.compile(r"[A-Za-z0-9_+/-]+={0,2}")
_MEMORY_MAGIC = b"mem1"


class KeyStoreError(Exception):
    """A key cannot be wrapped or unwrapped, or the KEK configuration is unusable.

    Messages name key ids and KEK ids only, never key material or blob bytes.
    """


@runtime_checkable
class KeyStore(Protocol):
    """Wraps private key seeds for storage; ``key_id`` binds a blob to its key row."""

    def wrap(self, private_key_seed: bytes, *, key_id: str) -> bytes:
        """Encrypt a seed for the key ``key_id``. Raises: KeyStoreError."""
        ...

    def unwrap(self, blob: bytes, *, key_id: str) -> bytes:
        """The seed in ``blob``. Raises: KeyStoreError if it is not ``key_id``'s or is damaged."""
        ...


class KeyEncryptionKeys(NamedTuple):
    """Configured KEKs by id and the id of the one that wraps; unpacks as ``keks, current``."""

    keks: Mapping[str, bytes]
    current: str

    def __repr__(self) -> str:  # the keys themselves never reach a log
        return f"KeyEncryptionKeys(kek_ids={sorted(self.keks)}, current={self.current!r})"


def _check_key_id(key_id: str) -> bytes:
    if not isinstance(key_id, str) or not key_id:
        raise KeyStoreError("key_id must be a non-empty string")
    return key_id.encode("utf-8")


def _check_seed(seed: bytes) -> bytes:
    if not isinstance(seed, bytes | bytearray) or not seed:
        raise KeyStoreError("the private key seed must be non-empty bytes")
    return bytes(seed)


class LocalKeyStore:
    """AES-256-GCM key wrapping with KEKs held by this process; rotation by KEK id."""

    def __init__(self, keks: bytes | Mapping[str, bytes], current: str | None = None) -> None:
        """Use one KEK (id ``default``) or several by id, wrapping with ``current``.

        Raises:
            KeyStoreError: a KEK is not 32 bytes, an id is malformed, or ``current`` is not
                one of the ids.
        """
        if isinstance(keks, bytes | bytearray):
            keks = {DEFAULT_KEK_ID: bytes(keks)}
        self._ciphers: dict[str, AESGCM] = {}
        for kek_id, kek in keks.items():
            # Ids are not echoed until checked: a misplaced key must not reach a log.
            if not isinstance(kek_id, str) or not _KEK_ID.fullmatch(kek_id):
                raise KeyStoreError("a KEK id is not 1-32 of A-Z a-z 0-9 . _ -")
            if not isinstance(kek, bytes | bytearray) or len(kek) != KEK_BYTES:
                raise KeyStoreError(f"the KEK {kek_id!r} is not exactly {KEK_BYTES} bytes")
            self._ciphers[kek_id] = AESGCM(bytes(kek))
        current = DEFAULT_KEK_ID if current is None and len(keks) == 1 else current
        if current is None or current not in self._ciphers:
            raise KeyStoreError(f"the current KEK id is not one of {sorted(self._ciphers)}")
        self._current = current

    @classmethod
    def from_config(cls, secret: str | None, *, kek: str | None) -> LocalKeyStore:
        """A key store from the two settings; see :func:`kek_from_config`."""
        config = kek_from_config(secret, kek=kek)
        return cls(config.keks, config.current)

    @property
    def current_kek_id(self) -> str:
        """The id of the KEK new blobs are wrapped with."""
        return self._current

    def __repr__(self) -> str:
        return f"LocalKeyStore(kek_ids={sorted(self._ciphers)}, current={self._current!r})"

    def wrap(self, private_key_seed: bytes, *, key_id: str) -> bytes:
        """Encrypt a seed under the current KEK with a fresh random nonce."""
        seed, key = _check_seed(private_key_seed), _check_key_id(key_id)
        kek_id = self._current.encode("ascii")
        header = _MAGIC + bytes([len(kek_id)]) + kek_id
        nonce = os.urandom(_NONCE_BYTES)
        return header + nonce + self._ciphers[self._current].encrypt(nonce, seed, header + key)

    def unwrap(self, blob: bytes, *, key_id: str) -> bytes:
        """Decrypt a blob with the KEK it names.

        Raises:
            KeyStoreError: the blob is not ``bs1``, is truncated, names an unknown KEK, or
                fails authentication (tampered, another key's blob, or the wrong KEK).
        """
        key = _check_key_id(key_id)
        header, kek_id, nonce, ciphertext = self._parse(blob, f"the blob of key {key_id!r}")
        cipher = self._ciphers.get(kek_id)
        if cipher is None:
            raise KeyStoreError(
                f"the key {key_id!r} was wrapped with KEK {kek_id!r}, which is not configured"
            )
        try:
            return cipher.decrypt(nonce, ciphertext, header + key)
        except InvalidTag:
            raise KeyStoreError(
                f"cannot unwrap the key {key_id!r}: authentication failed "
                "(damaged blob, a blob of another key, or the wrong KEK)"
            ) from None

    def rewrap(self, blob: bytes, *, key_id: str) -> bytes:
        """Re-encrypt a blob under the current KEK (fresh nonce). Raises: KeyStoreError."""
        return self.wrap(self.unwrap(blob, key_id=key_id), key_id=key_id)

    def needs_rewrap(self, blob: bytes) -> bool:
        """Whether ``blob`` was wrapped with a KEK other than the current one."""
        return self._parse(blob, "the blob")[1] != self._current

    @staticmethod
    def _parse(blob: bytes, label: str) -> tuple[bytes, str, bytes, bytes]:
        """Split a blob into header, KEK id, nonce and ciphertext; ``label`` names it."""
        if not isinstance(blob, bytes | bytearray):
            raise KeyStoreError(f"{label} is not bytes")
        blob = bytes(blob)
        if not blob.startswith(_MAGIC):
            raise KeyStoreError(f"{label} is not in the bs1 format")
        size = blob[len(_MAGIC)] if len(blob) > len(_MAGIC) else 0
        start = len(_MAGIC) + 1
        if len(blob) < start + size + _NONCE_BYTES + _TAG_BYTES + 1:
            raise KeyStoreError(f"{label} is truncated")
        kek_id = blob[start : start + size].decode("ascii", errors="replace")
        if not _KEK_ID.fullmatch(kek_id):
            raise KeyStoreError(f"{label} has a malformed KEK id")
        nonce_at = start + size
        body_at = nonce_at + _NONCE_BYTES
        return blob[:nonce_at], kek_id, blob[nonce_at:body_at], blob[body_at:]


class MemoryKeyStore:
    """FOR TESTS ONLY: no encryption, the blob holds the seed in the clear.

    It keeps the :class:`KeyStore` contract otherwise (a blob only unwraps for its key id),
    so tests exercise the same code paths; :class:`LocalKeyStore` refuses its blobs.
    """

    def wrap(self, private_key_seed: bytes, *, key_id: str) -> bytes:
        """The seed, prefixed with the key id (not encrypted)."""
        seed, key = _check_seed(private_key_seed), _check_key_id(key_id)
        return _MEMORY_MAGIC + len(key).to_bytes(2, "big") + key + seed

    def unwrap(self, blob: bytes, *, key_id: str) -> bytes:
        """The seed. Raises: KeyStoreError if the blob is malformed or another key's."""
        key = _check_key_id(key_id)
        prefix = _MEMORY_MAGIC + len(key).to_bytes(2, "big") + key
        if not isinstance(blob, bytes | bytearray) or not blob.startswith(prefix):
            raise KeyStoreError(f"the blob is not a test blob of key {key_id!r}")
        if len(blob) == len(prefix):
            raise KeyStoreError(f"the blob of key {key_id!r} is truncated")
        return bytes(blob[len(prefix) :])


def generate_kek() -> str:
    """A new random KEK for ``BADGESERVICE_KEY_ENCRYPTION_KEY`` (base64url, 32 bytes)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(KEK_BYTES)).rstrip(b"=").decode("ascii")


def _hkdf(material: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=SHA256(), length=KEK_BYTES, salt=None, info=info).derive(material)


def derive_kek(secret: str) -> bytes:
    """The KEK derived from the service secret with HKDF-SHA256. Raises: KeyStoreError."""
    if not secret or not secret.strip():
        raise KeyStoreError("the secret key is empty")
    return _hkdf(secret.encode("utf-8"), _DERIVE_INFO)


def _decode_kek(text: str, where: str) -> bytes:
    """A raw KEK from base64url (standard base64 accepted too), at least 32 bytes."""
    if not _BASE64.fullmatch(text):
        raise KeyStoreError(f"{where} is not base64url")
    unpadded = text.rstrip("=").replace("+", "-").replace("/", "_")
    try:
        raw = base64.urlsafe_b64decode(unpadded + "=" * (-len(unpadded) % 4))
    except (binascii.Error, ValueError):
        raise KeyStoreError(f"{where} is not base64url") from None
    if len(raw) < KEK_BYTES:
        raise KeyStoreError(
            f"{where} decodes to {len(raw)} bytes; a KEK needs at least {KEK_BYTES} random "
            "bytes (make one with generate_kek())"
        )
    # A longer key carries at least as much entropy; HKDF condenses it to an AES-256 key.
    return raw if len(raw) == KEK_BYTES else _hkdf(raw, _LONG_KEY_INFO)


def kek_from_config(secret: str | None, *, kek: str | None) -> KeyEncryptionKeys:
    """The KEKs from ``BADGESERVICE_KEY_ENCRYPTION_KEY`` (``kek``) or ``…_SECRET_KEY``.

    ``kek`` is one base64url key (id ``default``) or ``id1:key1,id2:key2`` with the first
    current; when it is unset or blank the KEK is derived from ``secret`` (id ``secret-v1``).

    Raises:
        KeyStoreError: neither is set, or ``kek`` is malformed (bad base64, fewer than 32
            bytes, a bad or repeated id). The message never repeats the configured value.
    """
    if kek is None or not kek.strip():
        if secret is None or not secret.strip():
            raise KeyStoreError(
                "no key-encryption key configured: set BADGESERVICE_KEY_ENCRYPTION_KEY "
                "(see generate_kek()) or at least BADGESERVICE_SECRET_KEY"
            )
        return KeyEncryptionKeys({DERIVED_KEK_ID: derive_kek(secret)}, DERIVED_KEK_ID)
    entries = [entry.strip() for entry in kek.split(",")]
    if len(entries) == 1 and ":" not in entries[0]:
        where = "BADGESERVICE_KEY_ENCRYPTION_KEY"
        return KeyEncryptionKeys({DEFAULT_KEK_ID: _decode_kek(entries[0], where)}, DEFAULT_KEK_ID)
    keks: dict[str, bytes] = {}
    for number, entry in enumerate(entries, start=1):
        where = f"entry {number} of BADGESERVICE_KEY_ENCRYPTION_KEY"
        kek_id, colon, value = entry.partition(":")
        kek_id = kek_id.strip()
        if not colon:
            raise KeyStoreError(f"{where} has no id: with several KEKs each is written id:key")
        if not _KEK_ID.fullmatch(kek_id):
            raise KeyStoreError(f"{where} has an id that is not 1-32 of A-Z a-z 0-9 . _ -")
        if kek_id in keks:
            raise KeyStoreError(f"{where} repeats the KEK id {kek_id!r}")
        keks[kek_id] = _decode_kek(value.strip(), f"the KEK {kek_id!r} ({where})")
    return KeyEncryptionKeys(keks, entries[0].partition(":")[0].strip())
