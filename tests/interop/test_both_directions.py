"""Interop both ways: our credentials verify in the reference JavaScript stack, and
credentials the JavaScript stack issues verify here, over the whole corpus.

Both sides sign the same documents with the same key and time, so the proofs must also be
byte-identical — the strongest form of agreement on canonicalization.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from badgeservice.credentials.did import default_resolver
from badgeservice.credentials.multikey import KeyPair
from badgeservice.credentials.proofs import parse_datetime, sign, verify_proof
from badgeservice.credentials.statuslist import StatusList, status_entry, status_list_credential
from badgeservice.credentials.verify import verify_credential
from tests.interop.conftest import JsStack, controller_document, vector_json
from tests.interop.corpus import unsigned_credentials

CREATED = "2026-11-01T09:30:00Z"


@pytest.fixture(scope="module")
def did_key_issuer() -> dict[str, Any]:
    key = KeyPair.generate()
    return {
        "key": key,
        "issuer": key.did_key,
        "vm": key.did_key_verification_method,
        "documents": {},
    }


@pytest.fixture(scope="module")
def https_issuer() -> dict[str, Any]:
    data = vector_json("ob-v3p0/keyPair.json")
    key = KeyPair.from_json(data)
    controller = data["controller"]
    vm = data["verificationMethod"]
    return {
        "key": key,
        "issuer": controller,
        "vm": vm,
        "documents": {controller: controller_document(controller, vm, key.public_key_multibase)},
    }


@pytest.fixture(scope="module", params=["did_key_issuer", "https_issuer"])
def issuer(request: pytest.FixtureRequest) -> dict[str, Any]:
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]


def test_our_credentials_verify_in_the_reference_stack(
    jsstack: JsStack, issuer: dict[str, Any]
) -> None:
    corpus = unsigned_credentials(issuer["issuer"])
    ours = {
        name: sign(doc, issuer["key"], verification_method=issuer["vm"], created=CREATED)
        for name, doc in corpus.items()
    }
    answer = jsstack(
        {"op": "verify", "credentials": list(ours.values()), "documents": issuer["documents"]}
    )
    failures = {
        name: result
        for name, result in zip(ours, answer["results"], strict=True)
        if not result["verified"]
    }
    assert not failures, failures
    assert len(ours) >= 12


def test_reference_stack_credentials_verify_here(jsstack: JsStack, issuer: dict[str, Any]) -> None:
    corpus = unsigned_credentials(issuer["issuer"])
    key: KeyPair = issuer["key"]
    answer = jsstack(
        {
            "op": "sign",
            "credentials": list(corpus.values()),
            "key": key.to_json(),
            "verificationMethod": issuer["vm"],
            "controller": issuer["issuer"],
            "created": CREATED,
        }
    )
    resolver = default_resolver(issuer["documents"].values())
    for name, theirs in zip(corpus, answer["credentials"], strict=True):
        check = verify_proof(theirs, resolver)
        assert check.verified, (name, check.errors)
        assert check.controller == issuer["issuer"]
        ours = sign(corpus[name], key, verification_method=issuer["vm"], created=CREATED)
        assert ours["proof"]["proofValue"] == theirs["proof"]["proofValue"], name


def test_canonical_forms_agree_byte_for_byte(jsstack: JsStack) -> None:
    from badgeservice.credentials.jsonld import canonicalize

    corpus = unsigned_credentials("did:example:issuer")
    answer = jsstack({"op": "canonize", "inputs": list(corpus.values())})
    for name, nquads in zip(corpus, answer["nquadsList"], strict=True):
        assert canonicalize(corpus[name]) == nquads, name


def test_tampering_is_caught_on_both_sides(
    jsstack: JsStack, did_key_issuer: dict[str, Any]
) -> None:
    doc = unsigned_credentials(did_key_issuer["issuer"])["finnish"]
    signed = sign(doc, did_key_issuer["key"], created=CREATED)
    tampered = copy.deepcopy(signed)
    tampered["name"] += "!"
    answer = jsstack({"op": "verify", "credentials": [signed, tampered]})
    assert [r["verified"] for r in answer["results"]] == [True, False]
    assert verify_proof(signed).verified
    assert not verify_proof(tampered).verified


def test_revocation_through_our_status_list_is_seen_by_the_reference_stack(
    jsstack: JsStack, did_key_issuer: dict[str, Any]
) -> None:
    key: KeyPair = did_key_issuer["key"]
    list_url = "https://badges.example.org/status/7"
    status_list = StatusList()
    doc = unsigned_credentials(did_key_issuer["issuer"])["minimal"]
    doc["credentialStatus"] = status_entry(list_url, 4242)
    signed = sign(doc, key, created=CREATED)
    valid_from = parse_datetime(CREATED)

    def signed_list() -> dict[str, Any]:
        return sign(
            status_list_credential(list_url, key.did_key, status_list, valid_from=valid_from),
            key,
            created=CREATED,
        )

    clear = signed_list()
    status_list.set(4242, 1)
    revoked = signed_list()
    answer = jsstack(
        {"op": "verify", "credentials": [signed, signed], "statusLists": {list_url: clear}}
    )
    assert answer["results"][0]["status"] == "checked"
    assert [s["status"] for s in answer["results"][0]["statuses"]] == [False]
    answer = jsstack({"op": "verify", "credentials": [signed], "statusLists": {list_url: revoked}})
    assert [s["status"] for s in answer["results"][0]["statuses"]] == [True]
    assert verify_credential(signed, status_lists={list_url: clear}).verified
    report = verify_credential(signed, status_lists={list_url: revoked})
    assert not report.verified
    assert any(e.startswith("status:") for e in report.errors)
