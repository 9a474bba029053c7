"""Valid input that must be accepted, hostile input that must be refused precisely:
``@direction``, the undefined-terms context, the two N-Quads orderings, lone surrogates and
the bounds on the work one document may cause."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from badgeservice.credentials.contexts import CONTEXT_STORE, UNDEFINED_TERMS_V2, VC_V2
from badgeservice.credentials.errors import (
    DocumentTooLargeError,
    MalformedDocumentError,
    OrderingConflictError,
)
from badgeservice.credentials.jsonld import JsonLdProcessor, canonicalize
from badgeservice.credentials.limits import Limits, check_document
from badgeservice.credentials.multikey import KeyPair
from badgeservice.credentials.proofs import sign, verify_proof
from badgeservice.credentials.rdfc import orderings_may_differ
from tests.conftest import load_vector

CREATED = "2024-05-01T12:00:00Z"
BANG = "\uff01"  # FULLWIDTH EXCLAMATION MARK, in U+E000..U+FFFF
CAP = "\U0001f393"  # GRADUATION CAP, above U+FFFF


def ob_document() -> dict[str, Any]:
    return copy.deepcopy(load_vector("ob-v3p0/unsigned.json"))


def plain_vc(**extra: Any) -> dict[str, Any]:
    return {
        "@context": [VC_V2],
        "id": "urn:uuid:5b1a9a4e-31b3-4a8e-9a5e-2f1f3f0f5a11",
        "type": ["VerifiableCredential"],
        "issuer": "did:example:issuer",
        "validFrom": "2024-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:subject"},
        **extra,
    }


# -- @direction (VC 2.0 §11) ---------------------------------------------------------------


def test_direction_becomes_an_i18n_datatype() -> None:
    doc = plain_vc(name={"@value": "مهارة رقمية", "@language": "ar", "@direction": "rtl"})
    nquads = canonicalize(doc)
    assert '"مهارة رقمية"^^<https://www.w3.org/ns/i18n#ar_rtl> .' in nquads
    # Without a language the datatype keeps an empty language part, as JSON-LD 1.1 says.
    doc = plain_vc(name={"@value": "abc", "@direction": "ltr"})
    assert '"abc"^^<https://www.w3.org/ns/i18n#_ltr> .' in canonicalize(doc)


def test_direction_credential_signs_and_verifies_and_tampering_shows() -> None:
    key = KeyPair.generate()
    doc = plain_vc(name={"@value": "مهارة رقمية", "@language": "ar", "@direction": "rtl"})
    signed = sign(doc, key, created=CREATED)
    assert verify_proof(signed).verified
    flipped = copy.deepcopy(signed)
    flipped["name"]["@direction"] = "ltr"
    assert not verify_proof(flipped).verified


# -- the undefined-terms context ------------------------------------------------------------


def test_undefined_terms_context_is_pinned_and_gives_terms_an_iri() -> None:
    assert UNDEFINED_TERMS_V2 in CONTEXT_STORE.urls
    CONTEXT_STORE.verify_all()
    doc = plain_vc(favouriteColour="green")
    doc["@context"] = [VC_V2, UNDEFINED_TERMS_V2]
    nquads = canonicalize(doc)
    assert '<https://www.w3.org/ns/credentials/undefined-term#favouriteColour> "green"' in nquads
    signed = sign(doc, KeyPair.generate(), created=CREATED)
    assert verify_proof(signed).verified


# -- code-point versus UTF-16 ordering ------------------------------------------------------


def ordering_case() -> dict[str, Any]:
    """Two evidence items on one node whose names sort differently in the two orders."""
    doc = ob_document()
    doc["evidence"] = [
        {"id": "https://lms.example.org/e/1", "type": ["Evidence"], "name": f"Work sample {BANG}"},
        {"id": "https://lms.example.org/e/1", "type": ["Evidence"], "name": f"Work sample {CAP}"},
    ]
    return doc


def test_orderings_differ_only_with_astral_and_high_bmp_characters() -> None:
    assert not orderings_may_differ("plain ascii")
    assert not orderings_may_differ(f"only astral {CAP} and ä")
    assert not orderings_may_differ(f"only high bmp {BANG}")
    assert orderings_may_differ(f"both {CAP} and {BANG}")
    processor = JsonLdProcessor()
    assert processor.canonicalize_both(ob_document())[1] is None
    code_point, utf16 = processor.canonicalize_both(ordering_case())
    assert utf16 is not None
    assert code_point.index(f"Work sample {BANG}") < code_point.index(f"Work sample {CAP}")
    assert utf16.index(f"Work sample {CAP}") < utf16.index(f"Work sample {BANG}")
    assert sorted(code_point.splitlines()) == sorted(utf16.splitlines())


def test_signing_refuses_a_document_the_orderings_disagree_on_naming_the_fields() -> None:
    with pytest.raises(OrderingConflictError) as info:
        sign(ordering_case(), KeyPair.generate(), created=CREATED)
    assert info.value.fields == ["$.evidence[0].name", "$.evidence[1].name"]
    assert "$.evidence[0].name" in str(info.value)


@pytest.mark.parametrize("ordering", ["code-point", "utf-16"])
def test_a_chosen_ordering_signs_and_the_verifier_says_which_matched(ordering: Any) -> None:
    signed = sign(ordering_case(), KeyPair.generate(), created=CREATED, ordering=ordering)
    check = verify_proof(signed)
    assert check.verified, check.errors
    assert check.ordering == ordering
    tampered = copy.deepcopy(signed)
    tampered["evidence"][0]["name"] = "Work sample \uff1f"
    assert not verify_proof(tampered).verified


def test_documents_the_orderings_agree_on_verify_in_code_point_order() -> None:
    signed = sign(ob_document(), KeyPair.generate(), created=CREATED)
    assert verify_proof(signed).ordering == "code-point"


# -- lone surrogates ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda d: d.update(name="broken \ud83c"), "$.name"),
        (
            lambda d: d["credentialSubject"]["achievement"].update(description="x\udfff"),
            "$.credentialSubject.achievement.description",
        ),
        (lambda d: d.update({"na\ud800me": "x"}), "$['na\\ud800me']"),
        (lambda d: d["type"].append("\ud83c"), "$.type[2]"),
    ],
)
def test_lone_surrogates_are_refused_with_the_json_path(mutate: Any, path: str) -> None:
    doc = ob_document()
    mutate(doc)
    with pytest.raises(MalformedDocumentError) as info:
        canonicalize(doc)
    assert str(info.value).startswith(path + ":")
    assert "lone surrogate" in str(info.value)
    with pytest.raises(MalformedDocumentError):
        sign(doc, KeyPair.generate(), created=CREATED)


def test_lone_surrogates_in_a_signed_document_are_refused_by_the_verifier() -> None:
    signed = sign(ob_document(), KeyPair.generate(), created=CREATED)
    signed["name"] = "broken \ud83c"
    with pytest.raises(MalformedDocumentError, match=r"^\$\.name: .*lone surrogate"):
        verify_proof(signed)


# -- bounded work ---------------------------------------------------------------------------


def test_twenty_thousand_tags_are_refused_before_any_json_ld_work() -> None:
    doc = ob_document()
    doc["credentialSubject"]["achievement"]["tag"] = [f"t{i}" for i in range(20_000)]
    assert len(json.dumps(doc)) > 180_000
    with pytest.raises(DocumentTooLargeError) as info:
        canonicalize(doc)
    assert info.value.path == "$.credentialSubject.achievement.tag"
    assert info.value.limit == "max_array"
    with pytest.raises(DocumentTooLargeError):
        sign(doc, KeyPair.generate(), created=CREATED)


@pytest.mark.parametrize(
    ("build", "limit"),
    [
        (lambda: {"a": [{"b": i} for i in range(900)] * 3}, "max_array"),
        (lambda: {f"k{i}": [{"v": i}] for i in range(2_100)}, "max_nodes"),
        (lambda: {f"k{i}": list(range(10)) for i in range(1_000)}, "max_values"),
        (lambda: {"a": "x" * (4 * 1024 * 1024 + 1)}, "max_text"),
    ],
)
def test_each_bound_is_enforced(build: Any, limit: str) -> None:
    with pytest.raises(DocumentTooLargeError) as info:
        check_document(build())
    assert info.value.limit == limit
    assert f"Limits.{limit}" in str(info.value)


def test_depth_is_bounded_without_recursion() -> None:
    doc: dict[str, Any] = {}
    node = doc
    for _ in range(100_000):  # far deeper than Python's recursion limit
        node["n"] = {}
        node = node["n"]
    with pytest.raises(DocumentTooLargeError) as info:
        check_document(doc)
    assert info.value.limit == "max_depth"


def test_limits_are_configurable_per_processor() -> None:
    doc = ob_document()
    doc["credentialSubject"]["achievement"]["tag"] = [f"t{i}" for i in range(1_500)]
    with pytest.raises(DocumentTooLargeError):
        canonicalize(doc)
    roomy = JsonLdProcessor(limits=Limits(max_array=2_000))
    assert '"t1499"' in roomy.canonicalize(doc)
    tight = JsonLdProcessor(limits=Limits(max_values=10))
    with pytest.raises(DocumentTooLargeError):
        tight.canonicalize(ob_document())
    with pytest.raises(ValueError, match="max_nodes"):
        Limits(max_nodes=0)
