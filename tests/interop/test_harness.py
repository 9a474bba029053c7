"""The JS harness checked on its own against known answers, so its verdicts can be trusted.

Everything here runs only the reference JavaScript stack (no badgeservice code).
"""

from __future__ import annotations

import base64
import copy
import gzip
from typing import Any

import pytest

from tests.interop.conftest import (
    JsStack,
    JsStackError,
    controller_document,
    vector_json,
    vector_text,
)

W3C_SIGNED = "signedDataInt.json"
W3C_UNSIGNED = "unsigned.json"
W3C_KEY = "keyPair.json"
OB_SIGNED = "ob-v3p0/signed.json"
OB_KEY = "ob-v3p0/keyPair.json"

VC2 = "https://www.w3.org/ns/credentials/v2"


def w3c_key() -> dict[str, str]:
    key: dict[str, str] = vector_json(W3C_KEY)
    return key


def did_key(public_key_multibase: str) -> str:
    return f"did:key:{public_key_multibase}"


def ob_controller_documents() -> dict[str, Any]:
    key = vector_json(OB_KEY)
    doc = controller_document(
        key["controller"], key["verificationMethod"], key["publicKeyMultibase"]
    )
    return {key["controller"]: doc}


def only(response: dict[str, Any]) -> dict[str, Any]:
    results = response["results"]
    assert len(results) == 1, results
    result: dict[str, Any] = results[0]
    return result


# -- (a), (b): the W3C eddsa-rdfc-2022 vector ---------------------------------------------


def test_w3c_vector_verifies(jsstack: JsStack) -> None:
    # The W3C vector's issuer is https://vc.example/issuers/5678 while its key is a
    # did:key, so @digitalbazaar/vc's default CredentialIssuancePurpose (issuer must equal
    # the verification method's controller) rejects it; checkIssuer=false verifies the
    # proof and the assertionMethod authorisation only.
    result = only(
        jsstack({"op": "verify", "checkIssuer": False, "credentials": [vector_json(W3C_SIGNED)]})
    )
    assert result["verified"] is True, result


def test_w3c_vector_fails_issuer_check_by_default(jsstack: JsStack) -> None:
    result = only(jsstack({"op": "verify", "credentials": [vector_json(W3C_SIGNED)]}))
    assert result["verified"] is False
    assert "Credential issuer must match the verification method controller." in result["error"]


def test_w3c_vector_with_one_character_changed_fails(jsstack: JsStack) -> None:
    tampered = vector_json(W3C_SIGNED)
    assert tampered["credentialSubject"]["alumniOf"] == "The School of Examples"
    tampered["credentialSubject"]["alumniOf"] = "The School of Examplez"
    result = only(jsstack({"op": "verify", "checkIssuer": False, "credentials": [tampered]}))
    assert result["verified"] is False
    assert "Invalid signature." in result["errors"], result


def test_w3c_vector_with_changed_proof_option_fails(jsstack: JsStack) -> None:
    tampered = vector_json(W3C_SIGNED)
    tampered["proof"]["created"] = "2023-02-24T23:36:39Z"
    result = only(jsstack({"op": "verify", "checkIssuer": False, "credentials": [tampered]}))
    assert result["verified"] is False
    assert "Invalid signature." in result["errors"], result


# -- (c): JS signing reproduces the vector ------------------------------------------------


def test_js_sign_reproduces_w3c_proof_value(jsstack: JsStack) -> None:
    key = w3c_key()
    pub = key["publicKeyMultibase"]
    response = jsstack(
        {
            "op": "sign",
            "credential": vector_json(W3C_UNSIGNED),
            "key": key,
            "verificationMethod": f"{did_key(pub)}#{pub}",
            "controller": did_key(pub),
            "created": "2023-02-24T23:36:38Z",
        }
    )
    signed = response["credential"]
    expected = vector_json(W3C_SIGNED)
    assert signed["proof"]["proofValue"] == expected["proof"]["proofValue"]
    assert signed["proof"]["proofValue"] == vector_text("sigBTC58DataInt.txt").strip()
    assert signed == expected


def test_js_sign_keeps_created_lexical_form(jsstack: JsStack) -> None:
    created = "2026-01-02T03:04:05.678Z"
    response = jsstack(
        {
            "op": "sign",
            "credential": vector_json(W3C_UNSIGNED),
            "key": w3c_key(),
            "created": created,
        }
    )
    assert response["credential"]["proof"]["created"] == created
    verified = only(
        jsstack({"op": "verify", "checkIssuer": False, "credentials": [response["credential"]]})
    )
    assert verified["verified"] is True, verified


def test_js_sign_accepts_legacy_64_byte_secret_key(jsstack: JsStack) -> None:
    # ob-v3p0/keyPair.json carries 0x8026 + seed || public key (64 bytes)
    key = vector_json(OB_KEY)
    unsigned = vector_json(OB_SIGNED)
    expected_value = unsigned.pop("proof")["proofValue"]
    signed = jsstack(
        {
            "op": "sign",
            "credential": unsigned,
            "key": {
                "publicKeyMultibase": key["publicKeyMultibase"],
                "secretKeyMultibase": key["secretKeyMultibase"],
            },
            "verificationMethod": key["verificationMethod"],
            "controller": key["controller"],
            "created": "2010-01-01T19:23:24Z",
        }
    )["credential"]
    assert signed["proof"]["proofValue"] == expected_value


def test_js_sign_rejects_mismatched_key_halves(jsstack: JsStack) -> None:
    key = {
        "publicKeyMultibase": vector_json(OB_KEY)["publicKeyMultibase"],
        "privateKeyMultibase": w3c_key()["privateKeyMultibase"],
    }
    with pytest.raises(JsStackError, match="does not match"):
        jsstack({"op": "sign", "credential": vector_json(W3C_UNSIGNED), "key": key})


# -- (d): canonicalization ----------------------------------------------------------------


def test_canonize_w3c_unsigned_matches_vector(jsstack: JsStack) -> None:
    response = jsstack({"op": "canonize", "document": vector_json(W3C_UNSIGNED)})
    assert response["nquads"] == vector_text("canonDocDataInt.txt")


def test_canonize_batch_matches_vectors(jsstack: JsStack) -> None:
    ob_unsigned = vector_json(OB_SIGNED)
    del ob_unsigned["proof"]
    ob_proof_config = vector_json("ob-v3p0/proofConfig.json")
    ob_proof_config["@context"] = ob_unsigned["@context"]
    response = jsstack(
        {
            "op": "canonize",
            "inputs": [
                vector_json(W3C_UNSIGNED),
                vector_json("proofConfigDataInt.json"),
                ob_unsigned,
                ob_proof_config,
            ],
        }
    )
    assert response["nquadsList"] == [
        vector_text("canonDocDataInt.txt"),
        vector_text("proofCanonDataInt.txt"),
        vector_text("ob-v3p0/document-canon.txt"),
        vector_text("ob-v3p0/proof-canon.txt"),
    ]


def test_canonize_escapes_control_characters_like_rdfc_1_0(jsstack: JsStack) -> None:
    # RDFC-1.0 canonical N-Quads: \b \t \n \f \r \" \\ as ECHAR, every other C0 control
    # and U+007F as \\uXXXX with upper-case hex; everything else (U+2028, NBSP, emoji)
    # is written as itself.
    document = {
        "@id": "urn:x:s",
        "urn:x:p": 'a\u0000b\u0007c\bd\te\nf\u000bg\fh\ri\u001fj\u007fk"l\\m\u2028n\u00a0o😀',
    }
    nquads = jsstack({"op": "canonize", "document": document})["nquads"]
    assert nquads == (
        '<urn:x:s> <urn:x:p> "a\\u0000b\\u0007c\\bd\\te\\nf\\u000Bg\\fh\\ri\\u001Fj\\u007Fk'
        '\\"l\\\\m\u2028n\u00a0o😀" .\n'
    )


def test_canonize_lowercases_language_tags(jsstack: JsStack) -> None:
    document = {"@id": "urn:x:s", "urn:x:p": {"@value": "语言", "@language": "zh-Hans-CN"}}
    nquads = jsstack({"op": "canonize", "document": document})["nquads"]
    assert nquads == '<urn:x:s> <urn:x:p> "语言"@zh-hans-cn .\n'


# -- safe mode ----------------------------------------------------------------------------


def test_safe_mode_rejects_terms_that_do_not_expand(jsstack: JsStack) -> None:
    document = {"@context": {"name": "https://schema.org/name"}, "name": "x", "oops": "y"}
    with pytest.raises(JsStackError, match=r"Safe mode validation error.*invalid property"):
        jsstack({"op": "canonize", "document": document})


def test_safe_mode_rejects_relative_ids(jsstack: JsStack) -> None:
    document = {"@context": {"name": "https://schema.org/name"}, "@id": "a/b", "name": "x"}
    with pytest.raises(JsStackError, match=r"Safe mode validation error.*relative @id"):
        jsstack({"op": "canonize", "document": document})


def test_vc2_context_has_no_vocab_so_undefined_terms_fail(jsstack: JsStack) -> None:
    # The pinned VC 2.0 context (the Recommendation's) has no "@vocab" fallback any more,
    # so an undefined term in a VC 2.0 / OB 3.0 credential is dropped by expansion, which
    # safe mode turns into an error: signing and verifying both refuse such credentials.
    document = {
        "@context": [VC2],
        "type": ["VerifiableCredential"],
        "credentialSubject": {"id": "did:example:s", "undefinedTerm": "dropped"},
    }
    with pytest.raises(JsStackError, match=r"invalid property.*undefinedTerm"):
        jsstack({"op": "canonize", "document": document})


def test_sign_and_verify_refuse_undefined_terms(jsstack: JsStack) -> None:
    key = vector_json(OB_KEY)
    unsigned = vector_json(OB_SIGNED)
    del unsigned["proof"]
    unsigned["credentialSubject"]["nickname"] = "Tiimi"
    with pytest.raises(JsStackError, match=r"Safe mode validation error.*nickname"):
        jsstack(
            {
                "op": "sign",
                "credential": unsigned,
                "key": {
                    "publicKeyMultibase": key["publicKeyMultibase"],
                    "secretKeyMultibase": key["secretKeyMultibase"],
                },
                "verificationMethod": key["verificationMethod"],
            }
        )
    signed = vector_json(OB_SIGNED)
    signed["credentialSubject"]["nickname"] = "Tiimi"
    result = only(
        jsstack({"op": "verify", "credentials": [signed], "documents": ob_controller_documents()})
    )
    assert result["verified"] is False
    # refused by safe mode before any signature check
    assert "Safe mode validation error" in result["error"], result
    assert "Invalid signature." not in result["errors"]


# -- (e): the 1EdTech Open Badges 3.0 example --------------------------------------------


def test_ob_vector_verifies_with_controller_document(jsstack: JsStack) -> None:
    result = only(
        jsstack(
            {
                "op": "verify",
                "credentials": [vector_json(OB_SIGNED)],
                "documents": ob_controller_documents(),
            }
        )
    )
    assert result["verified"] is True, result


def test_ob_vector_tampered_fails(jsstack: JsStack) -> None:
    tampered = vector_json(OB_SIGNED)
    tampered["credentialSubject"]["achievement"]["name"] = "Teamwork!"
    result = only(
        jsstack({"op": "verify", "credentials": [tampered], "documents": ob_controller_documents()})
    )
    assert result["verified"] is False
    assert "Invalid signature." in result["errors"], result


def test_ob_vector_needs_key_in_assertion_method(jsstack: JsStack) -> None:
    documents = ob_controller_documents()
    (doc,) = documents.values()
    doc["assertionMethod"] = []
    result = only(
        jsstack({"op": "verify", "credentials": [vector_json(OB_SIGNED)], "documents": documents})
    )
    assert result["verified"] is False
    assert "not authorized by controller" in result["error"], result


def test_ob_vector_without_controller_document_names_the_url(jsstack: JsStack) -> None:
    result = only(jsstack({"op": "verify", "credentials": [vector_json(OB_SIGNED)]}))
    assert result["verified"] is False
    assert "https://example.edu/issuers/565049" in result["error"]
    assert "document loader refused" in result["error"]


# -- the document loader and batching -----------------------------------------------------


def test_loader_refuses_unknown_context(jsstack: JsStack) -> None:
    credential = vector_json(W3C_SIGNED)
    credential["@context"] = [*credential["@context"], "https://example.org/unpinned-context"]
    result = only(jsstack({"op": "verify", "checkIssuer": False, "credentials": [credential]}))
    assert result["verified"] is False
    assert 'document loader refused "https://example.org/unpinned-context"' in result["error"]


def test_batch_results_keep_order(jsstack: JsStack) -> None:
    good = vector_json(W3C_SIGNED)
    bad = copy.deepcopy(good)
    bad["name"] = "Alumni Credential."
    not_a_credential = {"hello": "world"}
    response = jsstack(
        {
            "op": "verify",
            "checkIssuer": False,
            "credentials": [good, bad, not_a_credential, good],
        }
    )
    assert [r["verified"] for r in response["results"]] == [True, False, False, True]
    assert response["results"][2]["error"]


def test_validity_period_is_checked_against_now(jsstack: JsStack) -> None:
    credential = vector_json(W3C_SIGNED)  # validFrom 2023-01-01T00:00:00Z
    response = jsstack(
        {
            "op": "verify",
            "checkIssuer": False,
            "now": "2022-06-01T00:00:00Z",
            "credentials": [credential],
        }
    )
    result = only(response)
    assert result["verified"] is False
    assert '"validFrom"' in result["error"]


def test_unknown_op_is_an_error(jsstack: JsStack) -> None:
    with pytest.raises(JsStackError, match="unknown op"):
        jsstack({"op": "launch"})


# -- Bitstring status list ----------------------------------------------------------------

LIST_URL = "https://example.edu/status/1"
LIST_LENGTH = 131072  # the spec's minimum of 16 KiB


def encoded_list(revoked: set[int]) -> str:
    bits = bytearray(LIST_LENGTH // 8)
    for index in revoked:
        bits[index // 8] |= 0x80 >> (index % 8)  # left-most bit is index 0
    data = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def test_status_list_is_checked_when_supplied(jsstack: JsStack) -> None:
    key = w3c_key()
    issuer = did_key(key["publicKeyMultibase"])
    status_list = {
        "@context": [VC2],
        "id": LIST_URL,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": "2024-01-01T00:00:00Z",
        "credentialSubject": {
            "id": f"{LIST_URL}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encoded_list({7}),
        },
    }

    def credential(index: int) -> dict[str, Any]:
        return {
            "@context": [VC2],
            "id": f"urn:uuid:00000000-0000-4000-8000-{index:012d}",
            "type": ["VerifiableCredential"],
            "issuer": issuer,
            "validFrom": "2024-01-01T00:00:00Z",
            "credentialSubject": {"id": "did:example:subject", "name": "Subject"},
            "credentialStatus": {
                "id": f"{LIST_URL}#{index}",
                "type": "BitstringStatusListEntry",
                "statusPurpose": "revocation",
                "statusListIndex": str(index),
                "statusListCredential": LIST_URL,
            },
        }

    signed = jsstack(
        {"op": "sign", "credentials": [status_list, credential(3), credential(7)], "key": key}
    )["credentials"]
    signed_list, active, revoked = signed

    checked = jsstack(
        {"op": "verify", "credentials": [active, revoked], "statusLists": {LIST_URL: signed_list}}
    )["results"]
    # vc.verifyCredential reports verified=true for a revoked credential: the status
    # check itself succeeded; the bit is in statuses[].status
    assert [r["verified"] for r in checked] == [True, True], checked
    assert [r["status"] for r in checked] == ["checked", "checked"]
    assert [r["statuses"][0]["status"] for r in checked] == [False, True]

    unchecked = only(jsstack({"op": "verify", "credentials": [revoked]}))
    assert unchecked["verified"] is True
    assert unchecked["status"] == "not-checked"

    forged_list = copy.deepcopy(signed_list)
    forged_list["credentialSubject"]["encodedList"] = encoded_list(set())
    forged = only(
        jsstack({"op": "verify", "credentials": [revoked], "statusLists": {LIST_URL: forged_list}})
    )
    assert forged["verified"] is False
    assert "BitstringStatusListCredential" in forged["error"], forged
