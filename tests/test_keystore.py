"""Private keys encrypted at rest: AES-256-GCM wrapping, KEK rotation and configuration."""

from __future__ import annotations

import base64
import os
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from hypothesis import given
from hypothesis import strategies as st

from badgeservice.keystore import (
    DEFAULT_KEK_ID,
    DERIVED_KEK_ID,
    KeyEncryptionKeys,
    KeyStore,
    KeyStoreError,
    LocalKeyStore,
    MemoryKeyStore,
    derive_kek,
    generate_kek,
    kek_from_config,
)

KEK = bytes(range(32))
OTHER_KEK = bytes(range(100, 132))
SEED = bytes.fromhex("9b8a7c6d5e4f30211203f4e5d6c7b8a99a8b7c6d5e4f30211203f4e5d6c7b8a9")
KEY_ID = "did:web:badges.example.fi#key-1"


def b64url(raw: bytes, *, pad: bool = False) -> str:
    text = base64.urlsafe_b64encode(raw).decode()
    return text if pad else text.rstrip("=")


def renderings(raw: bytes) -> list[str]:
    """The ways key bytes could leak into a message."""
    return [
        raw.hex(),
        raw.hex().upper(),
        b64url(raw),
        base64.b64encode(raw).decode().rstrip("="),
        repr(raw),
    ]


def assert_no_secret(text: str, *secrets: bytes) -> None:
    for secret in secrets:
        for rendering in renderings(secret):
            assert rendering not in text


# --- wrapping ------------------------------------------------------------------------------


def test_both_stores_implement_the_protocol() -> None:
    assert isinstance(LocalKeyStore(KEK), KeyStore)
    assert isinstance(MemoryKeyStore(), KeyStore)


def test_round_trip() -> None:
    store = LocalKeyStore(KEK)
    blob = store.wrap(SEED, key_id=KEY_ID)
    assert store.unwrap(blob, key_id=KEY_ID) == SEED
    assert SEED not in blob


@given(seed=st.binary(min_size=1, max_size=64), key_id=st.text(min_size=1, max_size=40))
def test_round_trip_any_seed_and_key_id(seed: bytes, key_id: str) -> None:
    store = LocalKeyStore(KEK)
    assert store.unwrap(store.wrap(seed, key_id=key_id), key_id=key_id) == seed


def test_blob_layout() -> None:
    blob = LocalKeyStore(KEK).wrap(SEED, key_id=KEY_ID)
    header = b"bs1" + bytes([len(DEFAULT_KEK_ID)]) + DEFAULT_KEK_ID.encode()
    assert blob.startswith(header)
    assert len(blob) == len(header) + 12 + len(SEED) + 16


def test_every_wrap_uses_a_fresh_nonce() -> None:
    store = LocalKeyStore(KEK)
    header = len(b"bs1") + 1 + len(DEFAULT_KEK_ID)
    blobs = [store.wrap(SEED, key_id=KEY_ID) for _ in range(200)]
    assert len({blob[header : header + 12] for blob in blobs}) == 200
    assert len(set(blobs)) == 200
    assert all(store.unwrap(blob, key_id=KEY_ID) == SEED for blob in blobs)


def test_any_changed_byte_is_refused() -> None:
    store = LocalKeyStore(KEK)
    blob = store.wrap(SEED, key_id=KEY_ID)
    for index in range(len(blob)):
        for flip in (0x01, 0x80):
            tampered = bytearray(blob)
            tampered[index] ^= flip
            with pytest.raises(KeyStoreError):
                store.unwrap(bytes(tampered), key_id=KEY_ID)


def test_truncated_or_extended_blobs_are_refused() -> None:
    store = LocalKeyStore(KEK)
    blob = store.wrap(SEED, key_id=KEY_ID)
    for length in range(len(blob)):
        with pytest.raises(KeyStoreError):
            store.unwrap(blob[:length], key_id=KEY_ID)
    with pytest.raises(KeyStoreError):
        store.unwrap(blob + b"\x00", key_id=KEY_ID)
    with pytest.raises(KeyStoreError, match="truncated"):
        store.unwrap(blob[:20], key_id=KEY_ID)


def test_blob_is_bound_to_its_key_id() -> None:
    store = LocalKeyStore(KEK)
    blob = store.wrap(SEED, key_id=KEY_ID)
    with pytest.raises(KeyStoreError, match="authentication failed") as caught:
        store.unwrap(blob, key_id=KEY_ID + "x")
    assert "key-1x" in str(caught.value)


def test_wrong_kek_is_refused() -> None:
    blob = LocalKeyStore(KEK).wrap(SEED, key_id=KEY_ID)
    with pytest.raises(KeyStoreError, match="authentication failed"):
        LocalKeyStore(OTHER_KEK).unwrap(blob, key_id=KEY_ID)


def test_unknown_kek_id_is_refused() -> None:
    blob = LocalKeyStore({"k2": KEK}, "k2").wrap(SEED, key_id=KEY_ID)
    with pytest.raises(KeyStoreError, match="'k2', which is not configured"):
        LocalKeyStore({"k1": KEK}, "k1").unwrap(blob, key_id=KEY_ID)


def test_other_formats_are_refused() -> None:
    store = LocalKeyStore(KEK)
    with pytest.raises(KeyStoreError, match="bs1"):
        store.unwrap(MemoryKeyStore().wrap(SEED, key_id=KEY_ID), key_id=KEY_ID)
    with pytest.raises(KeyStoreError, match="not bytes"):
        store.unwrap("bs1…", key_id=KEY_ID)  # type: ignore[arg-type]
    with pytest.raises(KeyStoreError):
        store.wrap(b"", key_id=KEY_ID)
    with pytest.raises(KeyStoreError):
        store.wrap(SEED, key_id="")


# --- rotation ------------------------------------------------------------------------------


def test_rotation_keeps_old_blobs_and_rewrap_moves_them() -> None:
    old_store = LocalKeyStore({"k1": KEK}, "k1")
    old_blob = old_store.wrap(SEED, key_id=KEY_ID)

    rotated = LocalKeyStore({"k2": OTHER_KEK, "k1": KEK}, "k2")
    assert rotated.current_kek_id == "k2"
    assert rotated.unwrap(old_blob, key_id=KEY_ID) == SEED
    assert rotated.needs_rewrap(old_blob)

    new_blob = rotated.rewrap(old_blob, key_id=KEY_ID)
    assert new_blob.startswith(b"bs1\x02k2")
    assert not rotated.needs_rewrap(new_blob)
    assert rotated.unwrap(new_blob, key_id=KEY_ID) == SEED
    # Once every blob is rewrapped the old KEK can go.
    assert LocalKeyStore({"k2": OTHER_KEK}, "k2").unwrap(new_blob, key_id=KEY_ID) == SEED
    with pytest.raises(KeyStoreError, match="not configured"):
        old_store.unwrap(new_blob, key_id=KEY_ID)
    with pytest.raises(KeyStoreError, match="authentication failed"):
        rotated.rewrap(old_blob, key_id="did:web:other#key-1")


@pytest.mark.parametrize(
    ("keks", "current", "fragment"),
    [
        (KEK[:16], None, "exactly 32 bytes"),
        (KEK + b"x", None, "exactly 32 bytes"),
        ({"k1": KEK, "k2": OTHER_KEK}, None, "current KEK id"),
        ({"k1": KEK}, "k2", "current KEK id"),
        ({"bad id": KEK}, "bad id", "KEK id"),
        ({"": KEK}, "", "KEK id"),
        ({"x" * 33: KEK}, "x" * 33, "KEK id"),
    ],
)
def test_local_store_checks_its_keks(keks: object, current: str | None, fragment: str) -> None:
    with pytest.raises(KeyStoreError, match=fragment) as caught:
        LocalKeyStore(keks, current)  # type: ignore[arg-type]
    assert_no_secret(str(caught.value), KEK, OTHER_KEK)


def test_repr_shows_ids_only() -> None:
    store = LocalKeyStore({"k2": OTHER_KEK, "k1": KEK}, "k2")
    assert repr(store) == "LocalKeyStore(kek_ids=['k1', 'k2'], current='k2')"
    config = KeyEncryptionKeys({"k1": KEK}, "k1")
    assert repr(config) == "KeyEncryptionKeys(kek_ids=['k1'], current='k1')"
    assert_no_secret(str(config), KEK)
    keks, current = config  # unpacks, for callers that want the parts
    assert (keks, current) == ({"k1": KEK}, "k1")


# --- the test-only store -------------------------------------------------------------------


def test_memory_store_round_trip_and_binding() -> None:
    store = MemoryKeyStore()
    blob = store.wrap(SEED, key_id=KEY_ID)
    assert store.unwrap(blob, key_id=KEY_ID) == SEED
    with pytest.raises(KeyStoreError):
        store.unwrap(blob, key_id="another")
    with pytest.raises(KeyStoreError):
        store.unwrap(blob[: -len(SEED)], key_id=KEY_ID)
    with pytest.raises(KeyStoreError):
        store.unwrap(LocalKeyStore(KEK).wrap(SEED, key_id=KEY_ID), key_id=KEY_ID)


# --- configuration -------------------------------------------------------------------------


def test_generate_kek() -> None:
    first, second = generate_kek(), generate_kek()
    assert first != second
    assert len(first) == 43
    assert base64.urlsafe_b64decode(first + "=") != b""
    assert len(base64.urlsafe_b64decode(first + "=")) == 32
    assert kek_from_config(None, kek=first).keks == {
        DEFAULT_KEK_ID: base64.urlsafe_b64decode(first + "=")
    }


@pytest.mark.parametrize(
    "text",
    [b64url(KEK), b64url(KEK, pad=True), base64.b64encode(KEK).decode(), f"  {b64url(KEK)} "],
)
def test_single_kek(text: str) -> None:
    config = kek_from_config("ignored secret", kek=text)
    assert config == KeyEncryptionKeys({DEFAULT_KEK_ID: KEK}, DEFAULT_KEK_ID)


def test_several_keks_first_is_current() -> None:
    config = kek_from_config(None, kek=f"new:{b64url(OTHER_KEK)}, old:{b64url(KEK)}")
    assert config.current == "new"
    assert config.keks == {"new": OTHER_KEK, "old": KEK}
    store = LocalKeyStore.from_config(None, kek=f"new:{b64url(OTHER_KEK)},old:{b64url(KEK)}")
    assert store.current_kek_id == "new"
    old_blob = LocalKeyStore({"old": KEK}, "old").wrap(SEED, key_id=KEY_ID)
    assert store.unwrap(old_blob, key_id=KEY_ID) == SEED


def test_longer_raw_kek_is_condensed() -> None:
    long_key = os.urandom(64)
    config = kek_from_config(None, kek=b64url(long_key))
    kek = config.keks[DEFAULT_KEK_ID]
    assert len(kek) == 32
    assert kek not in long_key
    assert kek_from_config(None, kek=b64url(long_key)).keks[DEFAULT_KEK_ID] == kek


BAD_KEKS = [
    pytest.param(b64url(KEK[:31]), "31 bytes", id="short"),
    pytest.param(b64url(KEK[:16]), "16 bytes", id="16 bytes"),
    pytest.param("not*base64!", "not base64url", id="bad alphabet"),
    pytest.param("A" * 45, "not base64url", id="bad length"),
    pytest.param(b64url(KEK) + "===", "not base64url", id="too much padding"),
    pytest.param(f"k1:{b64url(KEK)},{b64url(OTHER_KEK)}", "entry 2", id="entry without id"),
    pytest.param(f"k1:{b64url(KEK)},", "entry 2", id="empty entry"),
    pytest.param(f"k1:{b64url(KEK)},k1:{b64url(OTHER_KEK)}", "repeats", id="repeated id"),
    pytest.param(f"bad id:{b64url(KEK)}", "entry 1", id="bad id"),
    pytest.param(f"{b64url(OTHER_KEK)}:{b64url(KEK)}", "entry 1", id="key as id"),
    pytest.param(f"k1:{b64url(KEK)},k2:{b64url(KEK[:8])}", "'k2'", id="short second"),
    pytest.param(f"k1:{b64url(KEK)},k2:", "'k2'", id="missing second"),
]


@pytest.mark.parametrize(("text", "fragment"), BAD_KEKS)
def test_bad_kek_configuration_is_refused(text: str, fragment: str) -> None:
    with pytest.raises(KeyStoreError, match=fragment) as caught:
        kek_from_config("a secret", kek=text)
    message = str(caught.value)
    assert_no_secret(message, KEK, OTHER_KEK, KEK[:31], KEK[:16], KEK[:8])
    for part in text.replace(",", ":").split(":"):
        if len(part) > 8:
            assert part not in message


def test_derived_kek_from_secret() -> None:
    config = kek_from_config("correct horse battery staple", kek=None)
    assert config.current == DERIVED_KEK_ID
    derived = config.keks[DERIVED_KEK_ID]
    expected = HKDF(
        algorithm=SHA256(), length=32, salt=None, info=b"badgeservice key-encryption key v1"
    ).derive(b"correct horse battery staple")
    assert derived == expected == derive_kek("correct horse battery staple")
    assert kek_from_config("correct horse battery staple", kek="  ").keks == config.keks
    assert kek_from_config("correct horse battery stapler", kek=None).keks[DERIVED_KEK_ID] != (
        derived
    )


def test_derived_kek_wraps_across_restarts() -> None:
    blob = LocalKeyStore.from_config("s3cret", kek=None).wrap(SEED, key_id=KEY_ID)
    assert LocalKeyStore.from_config("s3cret", kek=None).unwrap(blob, key_id=KEY_ID) == SEED
    with pytest.raises(KeyStoreError, match="authentication failed"):
        LocalKeyStore.from_config("s3cret!", kek=None).unwrap(blob, key_id=KEY_ID)


def test_migrating_from_the_derived_kek() -> None:
    blob = LocalKeyStore.from_config("s3cret", kek=None).wrap(SEED, key_id=KEY_ID)
    text = f"main:{generate_kek()},{DERIVED_KEK_ID}:{b64url(derive_kek('s3cret'))}"
    store = LocalKeyStore.from_config("s3cret", kek=text)
    assert store.needs_rewrap(blob)
    assert store.unwrap(store.rewrap(blob, key_id=KEY_ID), key_id=KEY_ID) == SEED


@pytest.mark.parametrize(("secret", "kek"), [(None, None), ("", ""), ("  ", None), (None, " ")])
def test_nothing_configured(secret: str | None, kek: str | None) -> None:
    with pytest.raises(KeyStoreError, match="no key-encryption key configured"):
        kek_from_config(secret, kek=kek)
    with pytest.raises(KeyStoreError):
        derive_kek(secret or "")


def test_errors_never_contain_key_material() -> None:
    store = LocalKeyStore({"k1": KEK}, "k1")
    blob = store.wrap(SEED, key_id=KEY_ID)
    attempts: list[Callable[[], object]] = [
        lambda: store.unwrap(blob, key_id="other"),
        lambda: store.unwrap(blob[:-1] + bytes([blob[-1] ^ 1]), key_id=KEY_ID),
        lambda: store.unwrap(blob[:30], key_id=KEY_ID),
        lambda: LocalKeyStore({"k1": OTHER_KEK}, "k1").unwrap(blob, key_id=KEY_ID),
        lambda: LocalKeyStore({"k9": OTHER_KEK}, "k9").unwrap(blob, key_id=KEY_ID),
        lambda: LocalKeyStore({"k1": KEK[:31]}, "k1"),
        lambda: kek_from_config(None, kek=b64url(KEK[:31])),
        lambda: kek_from_config(None, kek=f"{b64url(KEK)}:{b64url(SEED)}"),
        lambda: MemoryKeyStore().unwrap(MemoryKeyStore().wrap(SEED, key_id="a"), key_id="b"),
    ]
    for attempt in attempts:
        with pytest.raises(KeyStoreError) as caught:
            attempt()
        message = str(caught.value)
        assert_no_secret(message, KEK, OTHER_KEK, SEED, KEK[:31], blob)
