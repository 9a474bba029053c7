"""eddsa-rdfc-2022 sign and verify: properties over arbitrary content, and tampering."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from badgeservice.credentials.did import default_resolver, did_web_document
from badgeservice.credentials.errors import MalformedDocumentError, ProofError
from badgeservice.credentials.multikey import KeyPair, encode_base58btc
from badgeservice.credentials.proofs import sign, verify_proof
from tests.conftest import load_vector

KEY = KeyPair.generate()


def unsigned() -> dict[str, Any]:
    return copy.deepcopy(load_vector("ob-v3p0/unsigned.json")) | {
        "issuer": {"id": KEY.did_key, "type": ["Profile"], "name": "Example"}
    }


texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=60)


@settings(max_examples=40, deadline=None)
@given(name=texts, narrative=texts)
def test_sign_then_verify_holds(name: str, narrative: str) -> None:
    doc = unsigned()
    doc["name"] = name
    doc["credentialSubject"]["achievement"]["criteria"]["narrative"] = narrative
    signed = sign(doc, KEY)
    check = verify_proof(signed)
    assert check.verified, check.errors
    assert check.controller == KEY.did_key


def _leaves(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(node, dict):
        return [p for k, v in node.items() if k != "@context" for p in _leaves(v, (*path, k))]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _leaves(v, (*path, i))]
    return [path]


SIGNED = sign(unsigned(), KEY, created="2026-11-28T08:00:00Z")
LEAVES = [p for p in _leaves(SIGNED) if p[:2] != ("proof", "proofValue")]


@settings(max_examples=60, deadline=None)
@given(path=st.sampled_from(LEAVES), suffix=st.sampled_from(["x", "0", " ", "é"]))
def test_any_change_to_any_signed_value_fails(path: tuple[Any, ...], suffix: str) -> None:
    doc = copy.deepcopy(SIGNED)
    target = doc
    for part in path[:-1]:
        target = target[part]
    original = target[path[-1]]
    target[path[-1]] = original + suffix
    try:
        check = verify_proof(doc)
    except Exception:
        return
    assert not check.verified, f"changing {path} still verified"


def test_every_signed_leaf_is_covered() -> None:
    assert len(LEAVES) >= 15  # the tamper property explores the whole document


def test_wrong_key_and_bad_proof_values() -> None:
    other = KeyPair.generate()
    doc = copy.deepcopy(SIGNED)
    doc["proof"]["verificationMethod"] = other.did_key_verification_method
    assert "signature does not match" in verify_proof(doc).errors[0]
    doc = copy.deepcopy(SIGNED)
    doc["proof"]["proofValue"] = encode_base58btc(bytes(63))
    assert "64-byte" in verify_proof(doc).errors[0]
    doc = copy.deepcopy(SIGNED)
    doc["proof"]["cryptosuite"] = "eddsa-jcs-2022"
    assert "unsupported proof" in verify_proof(doc).errors[0]
    doc = copy.deepcopy(SIGNED)
    doc["proof"]["proofPurpose"] = "authentication"
    assert not verify_proof(doc).verified
    doc = copy.deepcopy(SIGNED)
    del doc["proof"]
    assert verify_proof(doc).errors == ["document has no proof"]


def test_proof_sets_need_one_valid_proof() -> None:
    doc = copy.deepcopy(SIGNED)
    bad = dict(doc["proof"], proofValue=encode_base58btc(bytes(64)))
    doc["proof"] = [bad, SIGNED["proof"]]
    assert verify_proof(doc).verified
    doc["proof"] = [bad, bad]
    assert not verify_proof(doc).verified


def test_did_web_key_must_be_listed_for_assertion() -> None:
    did = "did:web:badges.example.com"
    doc = unsigned() | {"issuer": {"id": did, "type": ["Profile"], "name": "Example"}}
    signed = sign(doc, KEY, verification_method=f"{did}#key-1")
    listed = did_web_document(did, [("key-1", KEY.public_key_multibase)])
    assert verify_proof(signed, default_resolver([listed])).verified
    unlisted = did_web_document(did, [("key-1", KEY.public_key_multibase)], assertion_keys=[])
    check = verify_proof(signed, default_resolver([unlisted]))
    assert not check.verified
    assert "not authorised for assertionMethod" in check.errors[0]
    unknown = verify_proof(signed)
    assert "no controller document" in unknown.errors[0]


def test_sign_refuses_bad_input() -> None:
    with pytest.raises(MalformedDocumentError):
        sign(["not", "an", "object"], KEY)  # type: ignore[arg-type]
    with pytest.raises(ProofError, match="already carries a proof"):
        sign(SIGNED, KEY)
    with pytest.raises(ProofError, match="created"):
        sign(unsigned(), KEY, created="yesterday")


def test_created_defaults_to_now_in_utc_seconds() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    created = sign(unsigned(), KEY)["proof"]["created"]
    parsed = datetime.fromisoformat(created.replace("Z", "+00:00"))
    assert created.endswith("Z")
    assert before <= parsed <= datetime.now(UTC)
