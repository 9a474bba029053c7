"""The interop corpus is known-good JSON-LD for the reference stack: JS signs, JS verifies.

Run for a did:key issuer and for an HTTPS issuer whose controller document is supplied.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.interop.conftest import ROOT, JsStack, controller_document, vector_json
from tests.interop.corpus import JSON_LD_ONLY, unsigned_credentials

CREATED = "2026-01-15T10:00:00Z"


def _did_key_setup() -> dict[str, Any]:
    key = vector_json("keyPair.json")
    did = f"did:key:{key['publicKeyMultibase']}"
    return {"issuer": did, "key": key, "documents": {}, "sign": {}}


def _https_setup() -> dict[str, Any]:
    key = vector_json("ob-v3p0/keyPair.json")
    controller, vm = key["controller"], key["verificationMethod"]
    return {
        "issuer": controller,
        "key": {
            "publicKeyMultibase": key["publicKeyMultibase"],
            "privateKeyMultibase": key["secretKeyMultibase"],
        },
        "documents": {controller: controller_document(controller, vm, key["publicKeyMultibase"])},
        "sign": {"verificationMethod": vm, "controller": controller},
    }


SETUPS = {"did_key": _did_key_setup, "https_issuer": _https_setup}


@pytest.fixture(scope="module", params=sorted(SETUPS))
def signed_corpus(request: pytest.FixtureRequest, jsstack: JsStack) -> dict[str, Any]:
    setup = SETUPS[request.param]()
    corpus = unsigned_credentials(setup["issuer"])
    response = jsstack(
        {
            "op": "sign",
            "credentials": list(corpus.values()),
            "key": setup["key"],
            "created": CREATED,
            **setup["sign"],
        }
    )
    return {
        **setup,
        "unsigned": corpus,
        "signed": dict(zip(corpus, response["credentials"], strict=True)),
    }


def _strings(value: Any) -> list[str]:
    """Every key and string value in a JSON structure."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (k, *_strings(v))]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def test_corpus_is_varied() -> None:
    corpus = unsigned_credentials("https://issuer.example")
    assert len(corpus) >= 12
    text = "".join(_strings(corpus))
    for needle in ("ä", "数据", "😀", "\u0007", "\u007f", "\t", "\\", '"', "IdentityObject"):
        assert needle in text, needle
    assert "@language" in json.dumps(corpus)
    assert all(c["issuer"]["id"] == "https://issuer.example" for c in corpus.values())


def test_corpus_signs_and_verifies_in_js(jsstack: JsStack, signed_corpus: dict[str, Any]) -> None:
    signed = signed_corpus["signed"]
    for name, credential in signed.items():
        unsigned = signed_corpus["unsigned"][name]
        assert {k: v for k, v in credential.items() if k != "proof"} == unsigned, name
        assert credential["proof"]["created"] == CREATED
    results = jsstack(
        {
            "op": "verify",
            "credentials": list(signed.values()),
            "documents": signed_corpus["documents"],
        }
    )["results"]
    verdicts = {name: r for name, r in zip(signed, results, strict=True)}
    assert all(r["verified"] for r in verdicts.values()), {
        n: r.get("error") for n, r in verdicts.items() if not r["verified"]
    }


def test_corpus_tampering_is_detected_in_js(
    jsstack: JsStack, signed_corpus: dict[str, Any]
) -> None:
    tampered = []
    for credential in signed_corpus["signed"].values():
        changed = json.loads(json.dumps(credential))
        changed["name"] = changed["name"] + " "
        tampered.append(changed)
    results = jsstack(
        {"op": "verify", "credentials": tampered, "documents": signed_corpus["documents"]}
    )["results"]
    assert [r["verified"] for r in results] == [False] * len(tampered)
    assert all("Invalid signature." in r["errors"] for r in results)


def test_language_tags_survive_expansion(jsstack: JsStack) -> None:
    corpus = unsigned_credentials("https://issuer.example")
    nquads = jsstack({"op": "canonize", "document": corpus["language_tagged"]})["nquads"]
    # nothing dropped (safe mode would have failed) and every tag reaches the RDF
    # (jsonld.js lower-cases language tags)
    for literal in (
        '"Kielitaito"@fi',
        '"Suullinen ja kirjallinen koe."@fi',
        '"语言能力证明"@zh-hans',
        '"Language badge"@en-gb',
    ):
        assert literal in nquads, literal


SCHEMA = ROOT / "schemas" / "ob_v3p0_achievementcredential_schema.json"


def test_corpus_matches_ob_json_schema(signed_corpus: dict[str, Any]) -> None:
    schema = json.loads(Path(SCHEMA).read_text(encoding="utf-8"))
    validator = jsonschema.Draft201909Validator(schema)
    for name, credential in signed_corpus["signed"].items():
        errors = [e.message for e in validator.iter_errors(credential)]
        if name in JSON_LD_ONLY:
            assert errors, f"{name} was expected to fall outside the OB JSON Schema"
        else:
            assert not errors, (name, errors[:3])
