"""Interop, both ways, for what used to be refused or misread: ``@direction`` (VC 2.0 §11),
the ``undefined-terms/v2`` context, and the N-Quads ordering on which RDFC-1.0 (code point)
and the JavaScript canonicalizer (UTF-16 code unit) disagree."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from badgeservice.credentials.contexts import UNDEFINED_TERMS_V2, VC_V2
from badgeservice.credentials.errors import OrderingConflictError
from badgeservice.credentials.jsonld import JsonLdProcessor
from badgeservice.credentials.multikey import KeyPair
from badgeservice.credentials.proofs import sign, verify_proof
from badgeservice.credentials.verify import verify_credential
from tests.interop.conftest import JsStack
from tests.interop.corpus import unsigned_credentials

CREATED = "2026-11-01T09:30:00Z"
BANG, CAP = "\uff01", "\U0001f393"


@pytest.fixture(scope="module")
def key() -> KeyPair:
    return KeyPair.generate()


def direction_credential(issuer: str) -> dict[str, Any]:
    return {
        "@context": [VC_V2],
        "id": "urn:uuid:0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
        "type": ["VerifiableCredential"],
        "issuer": issuer,
        "validFrom": "2026-01-01T00:00:00Z",
        "name": {"@value": "مهارة رقمية", "@language": "ar", "@direction": "rtl"},
        "description": [
            {"@value": "Digital skill", "@language": "en", "@direction": "ltr"},
            {"@value": "שָׁלוֹם", "@direction": "rtl"},
        ],
        "credentialSubject": {"id": "did:example:learner"},
    }


def undefined_terms_credential(issuer: str) -> dict[str, Any]:
    document = unsigned_credentials(issuer)["minimal"]
    document["@context"] = [*document["@context"], UNDEFINED_TERMS_V2]
    document["favouriteColour"] = "vihreä"
    document["credentialSubject"]["shoeSize"] = 44
    return document


def ordering_credential(issuer: str) -> dict[str, Any]:
    document = unsigned_credentials(issuer)["minimal"]
    document["evidence"] = [
        {"id": "https://lms.example.org/e/1", "type": ["Evidence"], "name": f"Work sample {BANG}"},
        {"id": "https://lms.example.org/e/1", "type": ["Evidence"], "name": f"Work sample {CAP}"},
    ]
    return document


BUILDERS = {"direction": direction_credential, "undefined-terms": undefined_terms_credential}


@pytest.mark.parametrize("case", sorted(BUILDERS))
def test_both_ways_with_identical_proofs(jsstack: JsStack, key: KeyPair, case: str) -> None:
    document = BUILDERS[case](key.did_key)
    canonical = jsstack({"op": "canonize", "document": document})["nquads"]
    assert JsonLdProcessor().canonicalize(document) == canonical
    ours = sign(document, key, created=CREATED)
    answer = jsstack({"op": "verify", "credentials": [ours]})
    assert answer["results"][0]["verified"], answer
    theirs = jsstack(
        {"op": "sign", "credential": document, "key": key.to_json(), "created": CREATED}
    )["credential"]
    assert verify_proof(theirs).verified
    assert theirs["proof"]["proofValue"] == ours["proof"]["proofValue"]
    tampered = copy.deepcopy(theirs)
    if case == "direction":
        tampered["name"]["@direction"] = "ltr"
        assert "i18n#ar_rtl" in canonical
    else:
        tampered["favouriteColour"] = "punainen"
        assert "undefined-term#favouriteColour" in canonical
    assert not verify_proof(tampered).verified
    answer = jsstack({"op": "verify", "credentials": [tampered]})
    assert not answer["results"][0]["verified"]


def test_our_utf16_order_is_the_javascript_canonical_form(jsstack: JsStack) -> None:
    document = ordering_credential("did:example:issuer")
    theirs = jsstack({"op": "canonize", "document": document})["nquads"]
    code_point, utf16 = JsonLdProcessor().canonicalize_both(document)
    assert utf16 == theirs
    assert code_point != theirs
    assert sorted(code_point.splitlines()) == sorted(theirs.splitlines())


def test_ordering_conflict_is_refused_by_our_signer_and_choices_behave_as_documented(
    jsstack: JsStack, key: KeyPair
) -> None:
    document = ordering_credential(key.did_key)
    with pytest.raises(OrderingConflictError) as info:
        sign(document, key, created=CREATED)
    assert info.value.fields == ["$.evidence[0].name", "$.evidence[1].name"]
    utf16 = sign(document, key, created=CREATED, ordering="utf-16")
    code_point = sign(document, key, created=CREATED, ordering="code-point")
    answer = jsstack({"op": "verify", "credentials": [utf16, code_point]})
    # The trade-off the README describes: JavaScript verifiers accept only UTF-16 order.
    assert [r["verified"] for r in answer["results"]] == [True, False]
    assert verify_proof(utf16).ordering == "utf-16"
    assert verify_proof(code_point).ordering == "code-point"


def test_a_javascript_signed_credential_verifies_here_saying_which_ordering(
    jsstack: JsStack, key: KeyPair
) -> None:
    document = ordering_credential(key.did_key)
    theirs = jsstack(
        {"op": "sign", "credential": document, "key": key.to_json(), "created": CREATED}
    )["credential"]
    report = verify_credential(theirs)
    assert report.verified, report.errors
    assert report.to_json()["nquadsOrdering"] == "utf-16"
    (proof,) = [c for c in report.checks if c.name == "proof"]
    assert "UTF-16 code-unit order" in proof.message
    assert (
        theirs["proof"]["proofValue"]
        == (sign(document, key, created=CREATED, ordering="utf-16")["proof"]["proofValue"])
    )
