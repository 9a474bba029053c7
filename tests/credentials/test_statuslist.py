"""Tests for the Bitstring Status List v1.0 module."""

from __future__ import annotations

import base64
import gzip
import random
import struct
import zlib
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from badgeservice.credentials.errors import StatusListError
from badgeservice.credentials.statuslist import (
    MAX_DECOMPRESSED_BYTES,
    MIN_ENTRIES,
    StatusCheck,
    StatusErrorCode,
    StatusList,
    allocate_index,
    check_status,
    status_entry,
    status_list_credential,
)

# Example 3 of the W3C Recommendation: an all-zero list of 16 KiB.
SPEC_EXAMPLE = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"
LIST_URL = "https://badges.example.org/status/1"
ISSUER = "did:web:badges.example.org"
VALID_FROM = datetime(2025, 5, 15, 12, 0, tzinfo=UTC)


def encode_raw(bitstring: bytes) -> str:
    """An encodedList for arbitrary bytes, bypassing StatusList's own checks."""
    packed = base64.urlsafe_b64encode(gzip.compress(bitstring, mtime=0))
    return "u" + packed.decode("ascii").rstrip("=")


def list_credential(encoded: Any, purpose: Any = "revocation") -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": LIST_URL,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": ISSUER,
        "validFrom": "2025-05-15T12:00:00Z",
        "credentialSubject": {
            "id": f"{LIST_URL}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": encoded,
        },
    }


@pytest.fixture
def revoked_list() -> dict[str, Any]:
    """A list credential for a default-size list in which only index 42 is revoked."""
    status_list = StatusList()
    status_list.set(42, 1)
    return status_list_credential(LIST_URL, ISSUER, status_list, valid_from=VALID_FROM)


# --- the bitstring ---------------------------------------------------------------------


def test_spec_example_decodes_to_16384_zero_bytes() -> None:
    decoded = StatusList.decode(SPEC_EXAMPLE)
    assert len(decoded) == 131_072
    assert decoded.to_bytes() == bytes(16_384)
    assert decoded.get(0) == 0
    assert decoded.get(131_071) == 0


@pytest.mark.skipif("zlib-ng" in zlib.ZLIB_RUNTIME_VERSION, reason="zlib-ng deflates differently")
def test_empty_default_list_encodes_to_the_spec_example_exactly() -> None:
    assert StatusList().encode() == SPEC_EXAMPLE


def test_default_list_has_the_spec_minimum_length_and_a_short_encoding() -> None:
    status_list = StatusList()
    assert MIN_ENTRIES == 131_072
    assert len(status_list) == 131_072
    assert status_list.status_size == 1
    assert len(status_list.to_bytes()) == 16 * 1024
    encoded = status_list.encode()
    assert encoded.startswith("u")
    assert "=" not in encoded
    assert len(encoded) < 100


def test_bit_order_is_most_significant_bit_first() -> None:
    status_list = StatusList()
    for index in (0, 9, 15, 131_071):
        status_list.set(index, 1)
    raw = status_list.to_bytes()
    assert raw[0] == 0b1000_0000
    assert raw[1] == 0b0100_0001
    assert raw[-1] == 0b0000_0001
    assert raw[2:-1] == bytes(len(raw) - 3)


def test_decoding_a_hand_made_byte_sets_the_expected_indexes() -> None:
    raw = bytearray(16_384)
    raw[2] = 0b0010_0100  # bits 16..23: indexes 18 and 21
    decoded = StatusList.decode(encode_raw(bytes(raw)))
    assert [i for i in range(32) if decoded.get(i)] == [18, 21]


def test_multi_bit_entries_are_packed_msb_first_across_byte_boundaries() -> None:
    two_bit = StatusList(status_size=2)
    two_bit.set(0, 0b10)
    two_bit.set(1, 0b01)
    two_bit.set(3, 0b11)
    assert two_bit.to_bytes()[0] == 0b10_01_00_11
    assert [two_bit.get(i) for i in range(5)] == [2, 1, 0, 3, 0]

    three_bit = StatusList(status_size=3)
    three_bit.set(2, 0b101)  # bits 6, 7 of byte 0 and bit 0 of byte 1
    assert three_bit.to_bytes()[:2] == bytes([0b0000_0010, 0b1000_0000])
    assert [three_bit.get(i) for i in range(4)] == [0, 0, 5, 0]
    three_bit.set(2, 0b010)
    assert three_bit.to_bytes()[:2] == bytes([0b0000_0001, 0b0000_0000])


def test_clearing_a_bit_leaves_its_neighbours() -> None:
    status_list = StatusList()
    for index in (7, 8, 9):
        status_list.set(index, 1)
    status_list.set(8, 0)
    assert [status_list.get(i) for i in (7, 8, 9)] == [1, 0, 1]


@settings(max_examples=40, deadline=None)
@given(st.sets(st.integers(0, MIN_ENTRIES - 1), max_size=300))
def test_encode_decode_round_trip(revoked: set[int]) -> None:
    status_list = StatusList()
    for index in revoked:
        status_list.set(index, 1)
    decoded = StatusList.decode(status_list.encode())
    assert decoded == status_list
    assert {i for i in range(MIN_ENTRIES) if decoded.get(i)} == revoked


@settings(max_examples=25, deadline=None)
@given(
    st.integers(1, 5).flatmap(
        lambda size: st.tuples(
            st.just(size),
            st.dictionaries(st.integers(0, MIN_ENTRIES - 1), st.integers(0, 2**size - 1)),
        )
    )
)
def test_multi_bit_round_trip(case: tuple[int, dict[int, int]]) -> None:
    size, values = case
    status_list = StatusList(status_size=size)
    for index, value in values.items():
        status_list.set(index, value)
    decoded = StatusList.decode(status_list.encode(), status_size=size)
    assert len(decoded) == MIN_ENTRIES
    for index, value in values.items():
        assert decoded.get(index) == value


def test_encoding_is_deterministic_with_a_zero_gzip_mtime() -> None:
    first, second = StatusList(), StatusList()
    for status_list in (first, second):
        status_list.set(1234, 1)
    assert first.encode() == second.encode() == first.encode()
    body = first.encode()[1:]
    compressed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    assert compressed[:4] == b"\x1f\x8b\x08\x00"
    assert struct.unpack("<I", compressed[4:8]) == (0,)  # mtime
    assert gzip.decompress(compressed) == first.to_bytes()


@pytest.mark.parametrize(
    ("length", "status_size"),
    [(MIN_ENTRIES - 8, 1), (MIN_ENTRIES + 1, 1), (MIN_ENTRIES, 0), (True, 1), (MIN_ENTRIES, 1.0)],
)
def test_constructor_refuses_bad_shapes(length: Any, status_size: Any) -> None:
    with pytest.raises(StatusListError):
        StatusList(length, status_size)


def test_get_and_set_refuse_out_of_range_indexes_and_values() -> None:
    status_list = StatusList()
    for bad_index in (-1, MIN_ENTRIES, True, "3"):
        with pytest.raises(StatusListError, match="outside"):
            status_list.get(bad_index)  # type: ignore[arg-type]
        with pytest.raises(StatusListError, match="outside"):
            status_list.set(bad_index, 1)  # type: ignore[arg-type]
    for bad_value in (2, -1, True):
        with pytest.raises(StatusListError, match="does not fit"):
            status_list.set(0, bad_value)
    assert status_list.to_bytes() == bytes(16_384)


@pytest.mark.parametrize(
    ("encoded", "match"),
    [
        ("z" + SPEC_EXAMPLE[1:], "prefix 'u'"),
        (SPEC_EXAMPLE[1:], "prefix 'u'"),
        (SPEC_EXAMPLE + "==", "base64url"),
        (SPEC_EXAMPLE.replace("-", "+"), "base64url"),
        ("u", "empty"),
        ("u" + base64.urlsafe_b64encode(b"not gzip at all").decode().rstrip("="), "GZIP"),
        (SPEC_EXAMPLE[:31], "truncated"),
        ("u" + base64.urlsafe_b64encode(zlib.compress(bytes(16_384))).decode().rstrip("="), "GZIP"),
    ],
)
def test_decode_refuses_malformed_encoded_lists(encoded: str, match: str) -> None:
    with pytest.raises(StatusListError, match=match):
        StatusList.decode(encoded)


def test_decode_enforces_the_minimum_length_unless_lowered() -> None:
    short = encode_raw(bytes(1024))
    with pytest.raises(StatusListError, match="fewer than 131072"):
        StatusList.decode(short)
    assert len(StatusList.decode(short, min_entries=8192)) == 8192


def test_decode_accepts_concatenated_gzip_members() -> None:
    half = gzip.compress(bytes(8192), mtime=0)
    raw = base64.urlsafe_b64encode(half + half).decode().rstrip("=")
    assert StatusList.decode("u" + raw).to_bytes() == bytes(16_384)


def test_decompression_bomb_is_refused() -> None:
    bomb = encode_raw(bytes(MAX_DECOMPRESSED_BYTES + 1))
    assert len(bomb) < 40_000  # tiny on the wire
    with pytest.raises(StatusListError, match="inflates past"):
        StatusList.decode(bomb)
    result = check_status(status_entry(LIST_URL, 1), list_credential(bomb))
    assert result.error == "MALFORMED_VALUE_ERROR"
    assert str(MAX_DECOMPRESSED_BYTES) in result.message


def test_decompressed_size_exactly_at_the_limit_is_accepted() -> None:
    decoded = StatusList.decode(encode_raw(bytes(MAX_DECOMPRESSED_BYTES)))
    assert len(decoded) == MAX_DECOMPRESSED_BYTES * 8


# --- index allocation ------------------------------------------------------------------


def test_allocate_index_gives_unique_random_indexes_in_range() -> None:
    rng = random.Random(2025)
    taken: set[int] = set()
    picked = []
    for _ in range(2000):
        index = allocate_index(taken, rng=rng)
        assert 0 <= index < MIN_ENTRIES
        assert index not in taken
        taken.add(index)
        picked.append(index)
    assert len(set(picked)) == 2000
    assert picked != sorted(picked)  # no issuance order leaks through position
    assert min(picked) < MIN_ENTRIES // 10
    assert max(picked) > MIN_ENTRIES * 9 // 10


def test_allocate_index_default_rng_is_random() -> None:
    draws = {allocate_index(set()) for _ in range(20)}
    assert all(0 <= d < MIN_ENTRIES for d in draws)
    assert len(draws) > 1


def test_allocate_index_finds_the_last_free_slot() -> None:
    taken = set(range(MIN_ENTRIES)) - {98_765}
    assert allocate_index(taken, rng=random.Random(1)) == 98_765


class CountingSet(set[int]):
    """A set that counts membership checks, to observe how allocate_index searches."""

    checks = 0

    def __contains__(self, item: object) -> bool:
        self.checks += 1
        return super().__contains__(item)


def test_allocate_index_draws_directly_on_a_sparse_list() -> None:
    taken = CountingSet({1, 2, 3})
    allocate_index(taken, rng=random.Random(3))
    assert taken.checks == 1  # one random draw, no scan


def test_allocate_index_falls_back_to_a_random_free_slot_when_nearly_full() -> None:
    taken = CountingSet(range(MIN_ENTRIES))
    taken -= {5, 130_000}
    found = {allocate_index(taken, rng=random.Random(seed)) for seed in range(30)}
    assert found == {5, 130_000}
    # Each call: at most 64 random tries, then one pass over the list; never unbounded.
    assert taken.checks <= 30 * (64 + MIN_ENTRIES)


def test_allocate_index_fills_a_small_list_completely_then_raises() -> None:
    rng = random.Random(7)
    taken: set[int] = set()
    for _ in range(64):
        taken.add(allocate_index(taken, length=64, rng=rng))
    assert taken == set(range(64))
    with pytest.raises(StatusListError, match="full"):
        allocate_index(taken, length=64, rng=rng)


def test_allocate_index_refuses_a_bad_length() -> None:
    with pytest.raises(StatusListError):
        allocate_index(set(), length=0)


# --- documents -------------------------------------------------------------------------


def test_status_entry_shape() -> None:
    assert status_entry(LIST_URL, 94_567) == {
        "id": f"{LIST_URL}#94567",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "94567",
        "statusListCredential": LIST_URL,
    }
    assert status_entry(LIST_URL, 0, "suspension")["statusPurpose"] == "suspension"


@pytest.mark.parametrize(
    ("url", "index", "purpose"),
    [(LIST_URL, -1, "revocation"), (LIST_URL, True, "revocation"), (LIST_URL, "5", "revocation"),
     (LIST_URL + "#x", 1, "revocation"), ("", 1, "revocation"), (LIST_URL, 1, "")],
)  # fmt: skip
def test_status_entry_refuses_bad_arguments(url: str, index: Any, purpose: str) -> None:
    with pytest.raises(StatusListError):
        status_entry(url, index, purpose)


def test_status_list_credential_shape() -> None:
    status_list = StatusList()
    status_list.set(3, 1)
    plus_two = timezone(timedelta(hours=2))
    credential = status_list_credential(
        LIST_URL,
        ISSUER,
        status_list,
        valid_from=datetime(2025, 5, 15, 14, 30, 5, 999_999, tzinfo=plus_two),
        valid_until=datetime(2025, 6, 15, 12, 0, tzinfo=UTC),
        ttl_ms=300_000,
    )
    assert credential == {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": LIST_URL,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": ISSUER,
        "validFrom": "2025-05-15T12:30:05Z",
        "validUntil": "2025-06-15T12:00:00Z",
        "credentialSubject": {
            "id": f"{LIST_URL}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": status_list.encode(),
            "ttl": 300_000,
        },
    }
    assert StatusList.decode(credential["credentialSubject"]["encodedList"]).get(3) == 1


def test_status_list_credential_omits_optional_members() -> None:
    credential = status_list_credential(LIST_URL, ISSUER, StatusList(), valid_from=VALID_FROM)
    assert "validUntil" not in credential
    assert "ttl" not in credential["credentialSubject"]
    assert credential["credentialSubject"]["encodedList"] == StatusList().encode()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"valid_from": datetime(2025, 5, 15, 12, 0)},  # naive
        {"valid_from": VALID_FROM, "valid_until": VALID_FROM},
        {"valid_from": VALID_FROM, "valid_until": VALID_FROM - timedelta(days=1)},
        {"valid_from": VALID_FROM, "ttl_ms": 0},
        {"valid_from": VALID_FROM, "ttl_ms": 1.5},
        {"valid_from": VALID_FROM, "purpose": ""},
    ],
)
def test_status_list_credential_refuses_bad_arguments(kwargs: dict[str, Any]) -> None:
    with pytest.raises(StatusListError):
        status_list_credential(LIST_URL, ISSUER, StatusList(), **kwargs)


# --- check_status ----------------------------------------------------------------------


def test_check_not_revoked(revoked_list: dict[str, Any]) -> None:
    result = check_status(status_entry(LIST_URL, 41), revoked_list)
    assert result == StatusCheck(True, 0, "revocation", None, "not revoked", "unset")
    assert result.valid is True


def test_check_revoked(revoked_list: dict[str, Any]) -> None:
    result = check_status(status_entry(LIST_URL, 42), revoked_list)
    assert result == StatusCheck(False, 1, "revocation", None, "revoked", "set")


def test_check_suspension_with_a_multi_purpose_list() -> None:
    status_list = StatusList()
    status_list.set(7, 1)
    credential = list_credential(status_list.encode(), purpose=["revocation", "suspension"])
    result = check_status(status_entry(LIST_URL, 7, "suspension"), credential)
    assert (result.valid, result.status, result.error, result.message) == (
        False,
        1,
        None,
        "suspended",
    )


def test_check_reads_multi_bit_entries_with_their_messages() -> None:
    status_list = StatusList(status_size=2)
    status_list.set(5, 2)
    status_list.set(6, 1)
    entry = status_entry(LIST_URL, 5, "message") | {
        "statusSize": 2,
        "statusMessage": [
            {"status": "0x0", "message": "pending_review"},
            {"status": "0x1", "message": "accepted"},
            {"status": "0x2", "message": "rejected"},
            {"status": "0x3", "message": "undefined"},
        ],
    }
    result = check_status(entry, list_credential(status_list.encode(), purpose="message"))
    assert (result.valid, result.status, result.status_message) == (False, 2, "rejected")
    assert result.error is None


def test_check_purpose_mismatch(revoked_list: dict[str, Any]) -> None:
    result = check_status(status_entry(LIST_URL, 42, "suspension"), revoked_list)
    assert result.error == StatusErrorCode.STATUS_VERIFICATION_ERROR
    assert (result.valid, result.status, result.purpose) == (False, None, "suspension")
    assert "'suspension'" in result.message


def test_check_wrong_list_url(revoked_list: dict[str, Any]) -> None:
    result = check_status(status_entry(LIST_URL + "-other", 42), revoked_list)
    assert result.error == "STATUS_VERIFICATION_ERROR"
    assert result.valid is False
    assert LIST_URL + "-other" in result.message


def test_check_list_too_short() -> None:
    credential = list_credential(encode_raw(bytes(16_383)))
    result = check_status(status_entry(LIST_URL, 1), credential)
    assert result.error == "STATUS_LIST_LENGTH_ERROR"
    assert "131064" in result.message
    assert check_status(status_entry(LIST_URL, 1), credential, min_entries=1024).valid is True


def test_check_length_counts_entries_not_bits() -> None:
    # 131,072 bits hold only 65,536 two-bit entries.
    entry = status_entry(LIST_URL, 1) | {
        "statusSize": 2,
        "statusMessage": [{"status": hex(i), "message": str(i)} for i in range(4)],
    }
    result = check_status(entry, list_credential(StatusList().encode()))
    assert result.error == "STATUS_LIST_LENGTH_ERROR"


@pytest.mark.parametrize("index", [MIN_ENTRIES, MIN_ENTRIES + 1, 10**15])
def test_check_index_out_of_range(index: int) -> None:
    result = check_status(status_entry(LIST_URL, index), list_credential(SPEC_EXAMPLE))
    assert result.error == StatusErrorCode.RANGE_ERROR
    assert result.valid is False


def test_check_absurdly_long_index_is_a_range_error_not_a_crash() -> None:
    entry = status_entry(LIST_URL, 0) | {"statusListIndex": "9" * 10_000}
    result = check_status(entry, list_credential(SPEC_EXAMPLE))
    assert result.error == "RANGE_ERROR"
    assert len(result.message) < 200


def test_check_last_index_and_leading_zeros_are_in_range() -> None:
    status_list = StatusList()
    status_list.set(MIN_ENTRIES - 1, 1)
    credential = list_credential(status_list.encode())
    assert check_status(status_entry(LIST_URL, MIN_ENTRIES - 1), credential).status == 1
    entry = status_entry(LIST_URL, 0) | {"statusListIndex": "000"}
    assert check_status(entry, credential).valid is True


@pytest.mark.parametrize(
    "encoded",
    [
        "zH4sIAAAAAAAAA",
        SPEC_EXAMPLE + "=",
        "u!!!!",
        "u",
        "u" + base64.urlsafe_b64encode(b"plain bytes").decode(),
        SPEC_EXAMPLE[:40],
        None,
        12345,
    ],
)
def test_check_malformed_encoded_list(encoded: Any) -> None:
    result = check_status(status_entry(LIST_URL, 1), list_credential(encoded))
    assert result.error == StatusErrorCode.MALFORMED_VALUE_ERROR
    assert result.valid is False
    assert "encodedList" in result.message


@pytest.mark.parametrize("index", [5, 5.0, None, ["5"], True])
def test_check_non_string_index(index: Any) -> None:
    entry = status_entry(LIST_URL, 5) | {"statusListIndex": index}
    result = check_status(entry, list_credential(SPEC_EXAMPLE))
    assert result.error == "MALFORMED_VALUE_ERROR"
    assert "statusListIndex" in result.message


@pytest.mark.parametrize("index", ["-1", "-0", "+5", " 5", "5 ", "5\n", "1_0", "0x10", "", "١٢"])
def test_check_negative_or_non_decimal_index(index: str) -> None:
    entry = status_entry(LIST_URL, 5) | {"statusListIndex": index}
    result = check_status(entry, list_credential(SPEC_EXAMPLE))
    assert result.error == "MALFORMED_VALUE_ERROR"
    assert repr(index) in result.message


@pytest.mark.parametrize(
    "extra",
    [
        {"statusSize": 2},  # no statusMessage
        {"statusSize": 0},
        {"statusSize": "1"},
        {"statusSize": 10**9},
        {"statusSize": 2, "statusMessage": [{"status": "0x0", "message": "a"}]},
        {"statusMessage": [{"status": "0", "message": "a"}, {"status": "1", "message": "b"}]},
        {"statusMessage": [{"status": "0x0", "message": "a"}, {"status": "0x0", "message": "b"}]},
        {"type": "StatusList2021Entry"},
        {"statusPurpose": 1},
        {"statusListCredential": None},
    ],
)
def test_check_malformed_entries(extra: dict[str, Any]) -> None:
    entry = status_entry(LIST_URL, 5) | extra
    result = check_status(entry, list_credential(SPEC_EXAMPLE))
    assert result.error == "MALFORMED_VALUE_ERROR"
    assert result.status is None


@pytest.mark.parametrize(
    "mutate",
    [
        lambda c: c.update(type=["VerifiableCredential"]),
        lambda c: c.update(credentialSubject=[c["credentialSubject"]]),
        lambda c: c["credentialSubject"].update(type="StatusList2021"),
        lambda c: c["credentialSubject"].update(statusPurpose=[]),
        lambda c: c["credentialSubject"].update(statusPurpose=None),
    ],
)
def test_check_malformed_list_credentials(mutate: Any) -> None:
    credential = list_credential(SPEC_EXAMPLE)
    mutate(credential)
    result = check_status(status_entry(LIST_URL, 5), credential)
    assert result.error == "MALFORMED_VALUE_ERROR"


def test_check_non_mapping_documents_do_not_raise() -> None:
    not_an_object: Any = []
    assert (
        check_status(not_an_object, list_credential(SPEC_EXAMPLE)).error == "MALFORMED_VALUE_ERROR"
    )
    assert check_status(status_entry(LIST_URL, 1), not_an_object).error == "MALFORMED_VALUE_ERROR"


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(
    index=JSON | st.from_regex(r"[0-9]{1,30}", fullmatch=True),
    size=JSON,
    messages=JSON,
    encoded=JSON | st.just(SPEC_EXAMPLE) | st.text(alphabet="uAH4sI-_", max_size=60),
)
def test_check_status_never_raises_on_foreign_documents(
    index: Any, size: Any, messages: Any, encoded: Any
) -> None:
    entry = status_entry(LIST_URL, 0) | {
        "statusListIndex": index,
        "statusSize": size,
        "statusMessage": messages,
    }
    result = check_status(entry, list_credential(encoded))
    assert isinstance(result, StatusCheck)
    assert (result.error is None) == (result.status is not None)
    assert result.valid == (result.status == 0)


def test_problem_types_use_the_namespaces_of_their_specifications() -> None:
    assert StatusErrorCode.STATUS_LIST_LENGTH_ERROR.problem_type == (
        "https://www.w3.org/ns/credentials/status-list#STATUS_LIST_LENGTH_ERROR"
    )
    assert StatusErrorCode.RANGE_ERROR.problem_type == (
        "https://www.w3.org/ns/credentials#RANGE_ERROR"
    )
