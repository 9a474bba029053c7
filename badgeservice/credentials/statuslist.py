"""W3C Bitstring Status List v1.0: status entries, list credentials and status checks.

Builds and reads *unsigned* documents: signing a list credential, and verifying its proof
before calling :func:`check_status`, are the caller's job. Reference:
https://www.w3.org/TR/vc-bitstring-status-list/ (Recommendation, 15 May 2025). Besides the
spec's own error codes, ``MALFORMED_VALUE_ERROR`` (VC Data Model 2.0, which the spec invokes
for any value breaking a "MUST") covers malformed entries and undecodable ``encodedList``s.
"""

# Size: the whole of one W3C Recommendation (entries, lists, the list credential, the
# checks with the spec's error codes), kept together so it reads against the spec.

from __future__ import annotations

import base64
import re
import secrets
import struct
import threading
import zlib
from collections.abc import Container, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from random import Random
from typing import Any, TypeGuard

from cachetools import LRUCache

from .contexts import VC_V2
from .errors import StatusListError

__all__ = [
    "MAX_DECOMPRESSED_BYTES",
    "MIN_ENTRIES",
    "StatusCheck",
    "StatusErrorCode",
    "StatusList",
    "allocate_index",
    "check_status",
    "status_entry",
    "status_list_credential",
]

MIN_ENTRIES = 131_072
"""The spec's minimumNumberOfEntries (16 KiB of one-bit entries), for herd privacy."""

MAX_DECOMPRESSED_BYTES = 16 * 1024 * 1024
"""Largest bitstring we inflate: a few KB of GZIP can otherwise expand to gigabytes."""

# Fixed header fields (mtime 0, XFL 0, OS 3) instead of zlib's or the gzip module's, which
# vary with platform and level; these reproduce the spec's example list byte for byte.
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"
_GZIP_WBITS = 16 + zlib.MAX_WBITS  # the GZIP wrapper only: no zlib or raw deflate streams
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
_DIGITS = re.compile(r"[0-9]+")  # ASCII only: int() also takes "١٢", "1_0" and " 7"
_HEX = re.compile(r"0x[0-9a-fA-F]+")
# More digits than any index a MAX_DECOMPRESSED_BYTES list can hold; it also keeps int()
# away from its 4,300-digit limit.
_MAX_INDEX_DIGITS = 12
_RANDOM_TRIES = 64


class StatusErrorCode(StrEnum):
    """The validate algorithm's error codes; :func:`check_status` reports all but retrieval."""

    STATUS_RETRIEVAL_ERROR = "STATUS_RETRIEVAL_ERROR"
    STATUS_VERIFICATION_ERROR = "STATUS_VERIFICATION_ERROR"
    STATUS_LIST_LENGTH_ERROR = "STATUS_LIST_LENGTH_ERROR"
    RANGE_ERROR = "RANGE_ERROR"
    MALFORMED_VALUE_ERROR = "MALFORMED_VALUE_ERROR"

    @property
    def problem_type(self) -> str:
        """The RFC 9457 problem ``type`` URL for this code."""
        # RANGE_ERROR and MALFORMED_VALUE_ERROR are defined by the VC Data Model, not here.
        core = self in (StatusErrorCode.RANGE_ERROR, StatusErrorCode.MALFORMED_VALUE_ERROR)
        return "https://www.w3.org/ns/credentials" + ("#" if core else "/status-list#") + self


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_size(status_size: object) -> int:
    if not _is_int(status_size) or status_size < 1:
        raise StatusListError(f"status_size must be a positive integer, got {status_size!r}")
    return status_size


class StatusList:
    """A mutable bitstring of ``length`` entries, each ``status_size`` bits wide.

    Entry ``i`` occupies bits ``i * status_size`` up to ``(i + 1) * status_size``, and bit 0
    is the most significant bit of byte 0, as the spec requires.
    """

    __slots__ = ("_bits", "_length", "_size")

    def __init__(self, length: int = MIN_ENTRIES, status_size: int = 1) -> None:
        self._size = _check_size(status_size)
        if not _is_int(length) or length < MIN_ENTRIES:
            raise StatusListError(f"a status list needs >= {MIN_ENTRIES} entries, got {length!r}")
        n_bits = length * status_size
        if n_bits % 8 or n_bits // 8 > MAX_DECOMPRESSED_BYTES:
            raise StatusListError(
                f"{n_bits} bits is not a whole number of bytes up to {MAX_DECOMPRESSED_BYTES}"
            )
        self._bits = bytearray(n_bits // 8)
        self._length = length

    @classmethod
    def _wrap(cls, bits: bytes, status_size: int) -> StatusList:
        # Skips __init__ on purpose: a foreign list may be shorter than any we would issue.
        self = cls.__new__(cls)
        self._bits, self._size = bytearray(bits), status_size
        self._length = len(bits) * 8 // status_size
        return self

    @property
    def status_size(self) -> int:
        """Bits per entry."""
        return self._size

    def __len__(self) -> int:
        return self._length

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, StatusList):
            return NotImplemented
        return self._size == other._size and self._bits == other._bits

    def _check_index(self, index: int) -> None:
        if not _is_int(index) or not 0 <= index < self._length:
            raise StatusListError(f"index {index!r} is outside 0..{self._length - 1}")

    def get(self, index: int) -> int:
        """The status value of entry ``index``; 0 means unset (e.g. not revoked)."""
        self._check_index(index)
        return _entry(self._bits, index, self._size)

    def set(self, index: int, value: int) -> None:
        """Set entry ``index`` to ``value`` (0 or 1 in a one-bit list)."""
        if not _is_int(value) or not 0 <= value < (1 << self._size):
            raise StatusListError(f"status value {value!r} does not fit in {self._size} bit(s)")
        self._check_index(index)
        first, last, shift = _span(index, self._size)
        word = int.from_bytes(self._bits[first:last])
        word = (word & ~(((1 << self._size) - 1) << shift)) | (value << shift)
        self._bits[first:last] = word.to_bytes(last - first)

    @classmethod
    def from_bytes(cls, bits: bytes, status_size: int = 1) -> StatusList:
        """A list over an uncompressed bitstring, as :meth:`to_bytes` gave it."""
        return cls._wrap(bits, _check_size(status_size))

    def to_bytes(self) -> bytes:
        """A copy of the uncompressed bitstring."""
        return bytes(self._bits)

    def encode(self) -> str:
        """The ``encodedList`` value: ``u`` + unpadded base64url of the GZIP'd bitstring.

        Deterministic: equal lists always encode to the same string.
        """
        deflater = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
        body = deflater.compress(self._bits) + deflater.flush()
        trailer = struct.pack("<II", zlib.crc32(self._bits), len(self._bits) & 0xFFFFFFFF)
        packed = base64.urlsafe_b64encode(_GZIP_HEADER + body + trailer)
        return "u" + packed.decode("ascii").rstrip("=")

    @classmethod
    def decode(
        cls, encoded: str, status_size: int = 1, *, min_entries: int = MIN_ENTRIES
    ) -> StatusList:
        """Parse an ``encodedList`` value, raising :class:`StatusListError` if unusable.

        ``min_entries`` is for ecosystems that set a lower bound than the spec's default.
        """
        bits, size = _expand(encoded), _check_size(status_size)
        if len(bits) * 8 // size < min_entries:
            raise StatusListError(f"status list has fewer than {min_entries} entries")
        return cls._wrap(bits, size)


def _span(index: int, size: int) -> tuple[int, int, int]:
    """Byte slice covering entry ``index``, and the entry's shift from its right end."""
    end = (index + 1) * size
    first, last = (end - size) // 8, (end + 7) // 8
    return first, last, last * 8 - end


def _entry(bits: bytes | bytearray, index: int, size: int) -> int:
    """Entry ``index`` of a bitstring, read in place (``index`` already in range)."""
    first, last, shift = _span(index, size)
    return (int.from_bytes(bits[first:last]) >> shift) & ((1 << size) - 1)


def _expand(encoded: object) -> bytes:
    """The spec's Bitstring Expansion Algorithm, refusing more than MAX_DECOMPRESSED_BYTES."""
    if not isinstance(encoded, str) or not encoded.startswith("u"):
        raise StatusListError("encodedList must be a string with the multibase prefix 'u'")
    body = encoded[1:]
    if not _BASE64URL.fullmatch(body) or len(body) % 4 == 1:
        raise StatusListError("encodedList is not unpadded base64url after its 'u' prefix")
    data = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    if not data:
        raise StatusListError("encodedList is empty")
    out = bytearray()
    while data:  # RFC 1952 allows concatenated members; the cap is on their sum
        inflater = zlib.decompressobj(_GZIP_WBITS)
        try:
            out += inflater.decompress(data, MAX_DECOMPRESSED_BYTES + 1 - len(out))
        except zlib.error as exc:
            raise StatusListError(f"encodedList is not valid GZIP data: {exc}") from None
        if len(out) > MAX_DECOMPRESSED_BYTES:
            raise StatusListError(f"encodedList inflates past {MAX_DECOMPRESSED_BYTES} bytes")
        if not inflater.eof:
            raise StatusListError("encodedList GZIP data is truncated")
        data = inflater.unused_data
    return bytes(out)


_INFLATED: LRUCache[str, bytes] = LRUCache(maxsize=32 * 1024 * 1024, getsizeof=len)
_INFLATED_LOCK = threading.Lock()


def _inflated(encoded: object) -> bytes:
    """:func:`_expand`, remembering the bitstrings of the lists read last (32 MiB of them):
    a verifier checks many credentials against the same few lists. Keyed by the exact
    ``encodedList`` text, so a changed list is inflated afresh; errors are not kept."""
    if not isinstance(encoded, str):
        return _expand(encoded)
    with _INFLATED_LOCK:
        bits = _INFLATED.get(encoded)
    if bits is None:
        bits = _expand(encoded)
        if len(bits) <= _INFLATED.maxsize:
            with _INFLATED_LOCK:
                _INFLATED[encoded] = bits
    return bits


def allocate_index(
    taken: Container[int], length: int = MIN_ENTRIES, rng: Random | None = None
) -> int:
    """A uniformly random index in ``0..length-1`` that is not in ``taken``.

    Random positions keep the list from revealing issuance order or volume. After a few
    random misses (a nearly full list) it scans for the free slots instead of retrying.
    Two concurrent callers can draw the same index, so record it under a uniqueness
    constraint. Raises :class:`StatusListError` when every index is taken.
    """
    if not _is_int(length) or length < 1:
        raise StatusListError(f"length must be a positive integer, got {length!r}")
    draw = rng if rng is not None else secrets.SystemRandom()
    for _ in range(_RANDOM_TRIES):
        candidate = draw.randrange(length)
        if candidate not in taken:
            return candidate
    free = [i for i in range(length) if i not in taken]
    if not free:
        raise StatusListError(f"status list is full: all {length} indexes are taken")
    return draw.choice(free)


def _check_strings(list_url: object, purpose: object) -> None:
    if not isinstance(list_url, str) or not list_url or "#" in list_url:
        # Fragments are ours to add: the entry id and the list subject id append one.
        raise StatusListError(f"list URL must be non-empty, without a fragment: {list_url!r}")
    if not isinstance(purpose, str) or not purpose:
        raise StatusListError(f"statusPurpose must be a non-empty string, got {purpose!r}")


def status_entry(list_url: str, index: int, purpose: str = "revocation") -> dict[str, Any]:
    """The ``credentialStatus`` value (a ``BitstringStatusListEntry``) for one credential."""
    _check_strings(list_url, purpose)
    if not _is_int(index) or index < 0:
        raise StatusListError(f"statusListIndex must be an integer >= 0, got {index!r}")
    return {
        "id": f"{list_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }


def _utc(name: str, value: datetime) -> datetime:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise StatusListError(f"{name} must be a timezone-aware datetime, got {value!r}")
    return value.astimezone(UTC).replace(microsecond=0)


def _xsd(value: datetime) -> str:
    return value.replace(tzinfo=None).isoformat() + "Z"


def status_list_credential(
    list_url: str,
    issuer: str,
    status_list: StatusList,
    *,
    purpose: str = "revocation",
    valid_from: datetime,
    valid_until: datetime | None = None,
    ttl_ms: int | None = None,
) -> dict[str, Any]:
    """An unsigned ``BitstringStatusListCredential`` publishing ``status_list`` at ``list_url``.

    Datetimes must be timezone-aware; they are written in UTC, truncated to the second.
    """
    _check_strings(list_url, purpose)
    if not isinstance(issuer, str) or not issuer:
        raise StatusListError(f"issuer must be a non-empty string, got {issuer!r}")
    start = _utc("valid_from", valid_from)
    credential: dict[str, Any] = {
        "@context": [VC_V2],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": _xsd(start),
    }
    if valid_until is not None:
        end = _utc("valid_until", valid_until)
        if end <= start:
            raise StatusListError("valid_until must be later than valid_from")
        credential["validUntil"] = _xsd(end)
    subject: dict[str, Any] = {
        "id": f"{list_url}#list",
        "type": "BitstringStatusList",
        "statusPurpose": purpose,
        "encodedList": status_list.encode(),
    }
    if ttl_ms is not None:
        if not _is_int(ttl_ms) or ttl_ms <= 0:
            raise StatusListError(f"ttl_ms must be a positive integer, got {ttl_ms!r}")
        subject["ttl"] = ttl_ms
    credential["credentialSubject"] = subject
    return credential


@dataclass(frozen=True, slots=True)
class StatusCheck:
    """The outcome of :func:`check_status`.

    ``valid`` is true only when the entry was read and its status is 0. When ``error`` is
    set, ``status`` is ``None`` and ``message`` says precisely what was wrong.
    ``status_message`` is the entry's ``statusMessage`` text for the status ("set" or
    "unset" when the entry gives none).
    """

    valid: bool
    status: int | None
    purpose: str | None
    error: StatusErrorCode | None
    message: str
    status_message: str | None = None


class _CheckError(Exception):
    def __init__(self, code: StatusErrorCode, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


_MALFORMED = StatusErrorCode.MALFORMED_VALUE_ERROR
_VERIFICATION = StatusErrorCode.STATUS_VERIFICATION_ERROR
_RANGE = StatusErrorCode.RANGE_ERROR


def _is_a(node: object, name: str) -> TypeGuard[Mapping[str, Any]]:
    """Whether ``node`` is an object whose ``type`` (a string or an array) includes ``name``."""
    kind = node.get("type") if isinstance(node, Mapping) else None
    return kind == name or (isinstance(kind, list) and name in kind)


def _status_messages(entry: Mapping[str, Any], size: int) -> dict[int, str] | None:
    messages = entry.get("statusMessage")
    if messages is None:
        if size > 1:
            raise _CheckError(_MALFORMED, "statusSize > 1 requires a statusMessage array")
        return None
    # The size guard keeps 1 << size cheap; no real array can hold that many messages.
    if not isinstance(messages, list) or size > 32 or len(messages) != 1 << size:
        raise _CheckError(_MALFORMED, f"statusMessage must be an array of 2**{size} items")
    table: dict[int, str] = {}
    for item in messages:
        status = item.get("status") if isinstance(item, Mapping) else None
        text = item.get("message") if isinstance(item, Mapping) else None
        if not isinstance(status, str) or not _HEX.fullmatch(status) or not isinstance(text, str):
            raise _CheckError(_MALFORMED, f"statusMessage item {item!r} lacks 0x status/message")
        table[int(status, 16)] = text
    if set(table) != set(range(1 << size)):
        raise _CheckError(_MALFORMED, "statusMessage must cover each status value exactly once")
    return table


def _read_entry(entry: object) -> tuple[str, str, int, int, dict[int, str] | None]:
    if not _is_a(entry, "BitstringStatusListEntry"):
        raise _CheckError(_MALFORMED, "credentialStatus is not a BitstringStatusListEntry")
    purpose, url = entry.get("statusPurpose"), entry.get("statusListCredential")
    if not isinstance(purpose, str) or not purpose:
        raise _CheckError(_MALFORMED, f"entry statusPurpose {purpose!r} is not a string")
    if not isinstance(url, str) or not url:
        raise _CheckError(_MALFORMED, f"entry statusListCredential {url!r} is not a URL")
    raw = entry.get("statusListIndex")
    if not isinstance(raw, str) or not _DIGITS.fullmatch(raw):
        raise _CheckError(_MALFORMED, f"statusListIndex {raw!r} is not a base-10 digit string")
    digits = raw.lstrip("0") or "0"
    if len(digits) > _MAX_INDEX_DIGITS:
        raise _CheckError(_RANGE, f"statusListIndex has {len(digits)} digits; too large")
    size = entry.get("statusSize", 1)
    if not _is_int(size) or size < 1:
        raise _CheckError(_MALFORMED, f"statusSize {size!r} is not an integer >= 1")
    return purpose, url, int(digits), size, _status_messages(entry, size)


def _read_list(list_credential: object, url: str) -> tuple[list[str], object]:
    if not _is_a(list_credential, "BitstringStatusListCredential"):
        raise _CheckError(_MALFORMED, "list credential is not a BitstringStatusListCredential")
    if list_credential.get("id") != url:
        # Without this binding any validly signed list by the same issuer could stand in.
        got = list_credential.get("id")
        raise _CheckError(_VERIFICATION, f"list credential id {got!r} is not the entry's {url!r}")
    subject = list_credential.get("credentialSubject")
    if not _is_a(subject, "BitstringStatusList"):
        raise _CheckError(_MALFORMED, "list credentialSubject is not a BitstringStatusList")
    purposes = subject.get("statusPurpose")
    purposes = [purposes] if isinstance(purposes, str) else purposes
    if not isinstance(purposes, list) or {type(p) for p in purposes} != {str}:
        raise _CheckError(_MALFORMED, "list statusPurpose must be one or more strings")
    return purposes, subject.get("encodedList")


def _describe(purpose: str, status: int) -> str:
    if purpose == "revocation":
        return "revoked" if status else "not revoked"
    if purpose == "suspension":
        return "suspended" if status else "not suspended"
    return f"status {status:#x} ({purpose})"


def check_status(
    entry: Mapping[str, Any], list_credential: Mapping[str, Any], *, min_entries: int = MIN_ENTRIES
) -> StatusCheck:
    """The spec's validate algorithm for one entry against its (already verified) list.

    The caller must first verify the list credential's proof, trust its issuer and check
    its validity period; this function does none of that. It never raises on malformed
    documents: every problem comes back as a :class:`StatusCheck` with ``error`` set.
    """
    purpose: str | None = None
    try:
        purpose, url, index, size, messages = _read_entry(entry)
        purposes, encoded = _read_list(list_credential, url)
        if purpose not in purposes:
            msg = f"entry statusPurpose {purpose!r} is not among the list's {purposes!r}"
            raise _CheckError(_VERIFICATION, msg)
        try:
            bits = _inflated(encoded)
        except StatusListError as exc:
            raise _CheckError(_MALFORMED, str(exc)) from None
        entries = len(bits) * 8 // size
        if entries < min_entries:
            raise _CheckError(
                StatusErrorCode.STATUS_LIST_LENGTH_ERROR,
                f"status list has {entries} entries, fewer than the minimum {min_entries}",
            )
        if index >= entries:
            msg = f"statusListIndex {index} is outside the list's {entries} entries"
            raise _CheckError(_RANGE, msg)
    except _CheckError as problem:
        return StatusCheck(False, None, purpose, problem.code, problem.message)
    status = _entry(bits, index, size)
    text = messages.get(status) if messages is not None else ("set" if status else "unset")
    return StatusCheck(status == 0, status, purpose, None, _describe(purpose, status), text)
