"""Multikey codec, did:key and did:web."""

from __future__ import annotations

import base58
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from badgeservice.credentials.did import (
    ChainResolver,
    DidKeyResolver,
    DocumentResolver,
    did_key_document,
    did_web_document,
    did_web_from_url,
    did_web_to_url,
)
from badgeservice.credentials.errors import KeyFormatError, ResolutionError
from badgeservice.credentials.multikey import (
    KeyPair,
    decode_base58btc,
    decode_private_key,
    decode_public_key,
    encode_base58btc,
)
from tests.conftest import load_vector


def test_w3c_key_pair_round_trips() -> None:
    data = load_vector("keyPair.json")
    key = KeyPair.from_json(data)
    assert key.to_json() == data
    assert key.public_key_multibase.startswith("z6Mk")
    assert key.private_key_multibase.startswith("z3u2")


def test_generated_keys_are_distinct_and_reload() -> None:
    a, b = KeyPair.generate(), KeyPair.generate()
    assert a.public_key_multibase != b.public_key_multibase
    assert KeyPair.from_json(a.to_json()).public_key_multibase == a.public_key_multibase


@pytest.mark.parametrize(
    "value",
    [
        "",
        "6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",  # no multibase prefix
        "z0OIl",  # not base58
        encode_base58btc(b"\xec\x01" + bytes(32)),  # x25519-pub, not ed25519
        encode_base58btc(b"\xed\x01" + bytes(31)),  # short
    ],
)
def test_bad_public_keys_are_refused(value: str) -> None:
    with pytest.raises(KeyFormatError):
        decode_public_key(value)


def test_bad_private_keys_are_refused() -> None:
    with pytest.raises(KeyFormatError):
        decode_private_key(encode_base58btc(b"\x80\x26" + bytes(31)))
    good = KeyPair.generate()
    wrong_public = KeyPair.generate().public_key.public_bytes_raw()
    seed = decode_base58btc(good.private_key_multibase)[2:]
    with pytest.raises(KeyFormatError, match="does not match"):
        decode_private_key(encode_base58btc(b"\x80\x26" + seed + wrong_public))
    with pytest.raises(KeyFormatError, match="does not belong"):
        KeyPair.from_json(
            {
                "publicKeyMultibase": KeyPair.generate().public_key_multibase,
                "privateKeyMultibase": good.private_key_multibase,
            }
        )
    with pytest.raises(KeyFormatError):
        KeyPair.from_json_text("{not json")
    with pytest.raises(KeyFormatError):
        KeyPair.from_json(["list"])


def test_did_key_document_and_resolution() -> None:
    key = KeyPair.from_json(load_vector("keyPair.json"))
    doc = did_key_document(key.public_key_multibase)
    assert doc["id"] == key.did_key
    assert doc["assertionMethod"] == [key.did_key_verification_method]
    method = DidKeyResolver().resolve(key.did_key_verification_method)
    assert method.controller == key.did_key
    assert method.public_key_multibase == key.public_key_multibase
    assert "assertionMethod" in method.purposes
    with pytest.raises(ResolutionError):
        DidKeyResolver().resolve(key.did_key + "#z6MkOther")
    with pytest.raises(ResolutionError):
        DidKeyResolver().resolve("did:key:zNotAKey")


@pytest.mark.parametrize(
    ("url", "did", "doc_url"),
    [
        (
            "https://badges.example.com",
            "did:web:badges.example.com",
            "https://badges.example.com/.well-known/did.json",
        ),
        (
            "https://badges.example.com/org/acme/",
            "did:web:badges.example.com:org:acme",
            "https://badges.example.com/org/acme/did.json",
        ),
        (
            "https://example.com:8443/a",
            "did:web:example.com%3A8443:a",
            "https://example.com:8443/a/did.json",
        ),
        (
            "http://localhost:5000/issuers/1",
            "did:web:localhost%3A5000:issuers:1",
            "http://localhost:5000/issuers/1/did.json",
        ),
    ],
)
def test_did_web_mapping(url: str, did: str, doc_url: str) -> None:
    assert did_web_from_url(url) == did
    assert did_web_to_url(did) == doc_url


def test_did_web_document_keeps_old_keys_but_limits_assertion() -> None:
    old, new = KeyPair.generate(), KeyPair.generate()
    did = "did:web:badges.example.com:org:acme"
    doc = did_web_document(
        did, [("key-1", old.public_key_multibase), ("key-2", new.public_key_multibase)]
    )
    assert [m["id"] for m in doc["verificationMethod"]] == [f"{did}#key-1", f"{did}#key-2"]
    assert doc["assertionMethod"] == [f"{did}#key-1", f"{did}#key-2"]
    resolver = ChainResolver(DocumentResolver([doc]), DidKeyResolver())
    assert resolver.resolve(f"{did}#key-1").public_key_multibase == old.public_key_multibase
    retired = did_web_document(did, [("key-1", old.public_key_multibase)], assertion_keys=[])
    assert "assertionMethod" not in DocumentResolver([retired]).resolve(f"{did}#key-1").purposes
    with pytest.raises(ResolutionError, match="lists no verification method"):
        resolver.resolve(f"{did}#key-3")
    with pytest.raises(ResolutionError, match="no controller document"):
        resolver.resolve("did:web:other.example#key-1")


def test_relative_method_ids_in_documents_resolve() -> None:
    key = KeyPair.generate()
    doc = {
        "id": "https://issuer.example/profile",
        "verificationMethod": [
            {
                "id": "#k",
                "type": "Multikey",
                "controller": "https://issuer.example/profile",
                "publicKeyMultibase": key.public_key_multibase,
            }
        ],
        "assertionMethod": ["#k"],
    }
    method = DocumentResolver([doc]).resolve("https://issuer.example/profile#k")
    assert method.purposes == frozenset({"assertionMethod"})


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=80).flatmap(lambda b: st.sampled_from([b, b"\0\0" + b, b"\0" * 3])))
def test_base58btc_equals_the_reference_library(data: bytes) -> None:
    # multikey encodes and decodes base58 itself (in chunks, for speed); the base58
    # package is the reference, and still reports what is wrong with a bad string.
    encoded = encode_base58btc(data)
    assert encoded == "z" + base58.b58encode(data).decode("ascii")
    assert decode_base58btc(encoded) == data


def test_base58btc_refusals_are_unchanged() -> None:
    with pytest.raises(KeyFormatError, match="invalid base58btc"):
        decode_base58btc("z0OIl")
    assert decode_base58btc("z2NEpo7TZRRrLZSi2U ") == base58.b58decode("2NEpo7TZRRrLZSi2U ")
