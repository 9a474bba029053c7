"""The fast path on the documents that matter: it is taken, and it changes nothing.

The property test (test_fastpath_differential.py) covers generated documents; here every
shape the service issues, the proof configurations, the known-answer vectors, the
ordering-sensitive and blank-node-symmetric cases, and refusals, each checked against the
same processor with the fast path turned off.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from badgeservice.credentials.contexts import OB_V3P0, OB_V3P0_EXTENSIONS, VC_V2
from badgeservice.credentials.errors import CredentialError
from badgeservice.credentials.jsonld import JsonLdProcessor
from badgeservice.credentials.multikey import KeyPair
from badgeservice.credentials.proofs import sign
from benchmarks.credential_corpus import corpus
from tests.conftest import load_vector

KEY = KeyPair.generate()
CONTEXT = [VC_V2, OB_V3P0, OB_V3P0_EXTENSIONS]


def _fast_and_full(document: dict[str, Any]) -> tuple[JsonLdProcessor, Any, Any]:
    fast, full = JsonLdProcessor(), JsonLdProcessor(fast=False)

    def outcome(processor: JsonLdProcessor) -> Any:
        try:
            return processor.canonicalize_both(copy.deepcopy(document))
        except CredentialError as exc:
            return (type(exc).__name__, str(exc))

    return fast, outcome(fast), outcome(full)


def _took_fast_path(processor: JsonLdProcessor) -> bool:
    assert processor.fast_path is not None
    return processor.fast_path.fast == 1 and processor.fast_path.fallback == 0


def _issued() -> list[Any]:
    shapes = corpus(KEY.did_key, per_shape=3)
    return [
        pytest.param(doc, id=f"{shape}-{n}")
        for shape, docs in shapes.items()
        for n, doc in enumerate(docs)
    ]


@pytest.mark.parametrize("document", _issued())
def test_issued_shapes_take_the_fast_path_unchanged(document: dict[str, Any]) -> None:
    processor, fast, full = _fast_and_full(document)
    assert fast == full
    assert _took_fast_path(processor)


@pytest.mark.parametrize("purpose", ["assertionMethod", "authentication"])
def test_proof_configurations_take_the_fast_path_unchanged(purpose: str) -> None:
    config = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": "2026-11-28T09:00:00Z",
        "verificationMethod": KEY.did_key_verification_method,
        "proofPurpose": purpose,
        "@context": CONTEXT,
    }
    processor, fast, full = _fast_and_full(config)
    assert fast == full
    assert _took_fast_path(processor)


@pytest.mark.parametrize(
    "name", ["unsigned.json", "ob-v3p0/unsigned.json", "signedDataInt.json", "ob-v3p0/signed.json"]
)
def test_vectors_are_unchanged(name: str) -> None:
    document = load_vector(name)
    document.pop("proof", None)
    _, fast, full = _fast_and_full(document)
    assert fast == full


def test_signatures_are_byte_identical_with_and_without_the_fast_path() -> None:
    full = JsonLdProcessor(fast=False)
    for shape in corpus(KEY.did_key, per_shape=2).values():
        for doc in shape:
            created = "2026-11-28T09:00:00Z"
            assert sign(doc, KEY, created=created) == sign(
                doc, KEY, created=created, processor=full
            )


def test_code_point_and_utf16_orders_both_come_from_the_fast_path() -> None:
    document = corpus(KEY.did_key, per_shape=1)["minimal"][0]
    # Two names of one node: code-point order puts U+E000 first, UTF-16 order U+1F393.
    document["name"] = ["\U0001f393 astral", "\ue000 private use"]
    processor, fast, full = _fast_and_full(document)
    assert fast == full
    assert fast[1] is not None and fast[1] != fast[0]  # the two orders really differ
    assert _took_fast_path(processor)


def test_blank_nodes_sharing_first_degree_hashes_use_the_full_labelling() -> None:
    # Two evidence entries alike in everything, each a blank node: their first-degree
    # hashes are equal, so the labels come from the N-degree algorithm.
    document = corpus(KEY.did_key, per_shape=1)["minimal"][0]
    twin = {"type": ["Evidence"], "name": "Same", "narrative": "Same"}
    document["evidence"] = [twin, copy.deepcopy(twin), {**twin, "name": "Other"}]
    processor, fast, full = _fast_and_full(document)
    assert fast == full
    assert _took_fast_path(processor)


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        ({"name": None}, "UnsafeDocumentError"),
        ({"unknownTerm": "x"}, "UnsafeDocumentError"),
        ({"id": "relative/id"}, "UnsafeDocumentError"),
        ({"issuer": {"id": "not an iri", "type": "Profile"}}, "UnsafeDocumentError"),
        ({"name": "\ud83c lone surrogate"}, "MalformedDocumentError"),
        # Not JSON: the fast path used to read a tuple as the list it resembles.
        ({"@context": tuple(CONTEXT)}, "MalformedDocumentError"),
    ],
)
def test_refusals_are_those_of_full_expansion(change: dict[str, Any], refusal: str) -> None:
    document = {**corpus(KEY.did_key, per_shape=1)["minimal"][0], **change}
    processor, fast, full = _fast_and_full(document)
    assert fast == full
    assert fast[0] == refusal
    assert processor.fast_path is not None and processor.fast_path.fast == 0


def test_shapes_the_fast_path_leaves_to_full_expansion_still_canonicalize() -> None:
    document = corpus(KEY.did_key, per_shape=1)["aligned + evidence"][0]
    document["credentialSubject"]["achievement"]["creditsAvailable"] = 2.5  # a float
    document["evidence"][0]["@context"] = {"ex": "https://example.org/"}  # embedded context
    processor, fast, full = _fast_and_full(document)
    assert fast == full
    assert isinstance(fast[0], str) and fast[0].count("\n") > 20
    assert processor.fast_path is not None and processor.fast_path.fallback == 1
