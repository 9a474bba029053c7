"""Offline JSON-LD: pinned contexts only, safe mode, and byte-identical fast canonicalization."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyld import jsonld as pyld_jsonld

from badgeservice.credentials.contexts import CONTEXT_STORE, OB_V3P0, OB_V3P0_EXTENSIONS, VC_V2
from badgeservice.credentials.errors import (
    MalformedDocumentError,
    UnknownContextError,
    UnsafeDocumentError,
)
from badgeservice.credentials.jsonld import JsonLdProcessor, canonicalize, expand
from tests.conftest import load_vector


def ob_document() -> dict[str, Any]:
    return copy.deepcopy(load_vector("ob-v3p0/unsigned.json"))


def plain_pyld(document: dict[str, Any]) -> str:
    def loader(url: str, options: Any = None) -> dict[str, Any]:
        return {
            "contextUrl": None,
            "documentUrl": url,
            "document": copy.deepcopy(CONTEXT_STORE.document(url)),
        }

    result = pyld_jsonld.normalize(
        document,
        {"algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": loader},
    )
    assert isinstance(result, str)
    return result


def test_unknown_context_is_refused_by_name() -> None:
    doc = ob_document()
    doc["@context"].append("https://evil.example/context.json")
    with pytest.raises(UnknownContextError) as info:
        canonicalize(doc)
    assert info.value.url == "https://evil.example/context.json"


@pytest.mark.parametrize(
    ("mutate", "path", "reason"),
    [
        (
            lambda d: d["credentialSubject"].update(favouriteColour="blue"),
            "$.credentialSubject.favouriteColour",
            "not defined",
        ),
        (
            lambda d: d["credentialSubject"]["achievement"]["criteria"].update(extra=1),
            "$.credentialSubject.achievement.criteria.extra",
            "not defined",
        ),
        (lambda d: d.update(id="credentials/3527"), "$", "not an absolute IRI"),
        (
            lambda d: d["credentialSubject"]["achievement"].update(id="https://example.org/a b"),
            "$.credentialSubject.achievement",
            "not an absolute IRI",
        ),
        (lambda d: d["type"].append("MadeUpCredential"), "$", "MadeUpCredential"),
        (lambda d: d.update(name=None), "$.name", "null"),
        (
            lambda d: d.update(
                credentialSchema=[
                    {"id": "https://example.org/s.json", "type": "1EdTechJsonSchemaValidator2019"}
                ]
            ),
            "$.credentialSchema[0]",
            "1EdTechJsonSchemaValidator2019",
        ),
    ],
)
def test_safe_mode_names_the_json_path(mutate: Any, path: str, reason: str) -> None:
    doc = ob_document()
    mutate(doc)
    with pytest.raises(UnsafeDocumentError) as info:
        canonicalize(doc)
    assert info.value.path == path
    assert reason in str(info.value)


def test_extensions_context_defines_the_1edtech_schema_type() -> None:
    doc = ob_document()
    doc["@context"].append(OB_V3P0_EXTENSIONS)
    doc["credentialSchema"] = [
        {"id": "https://example.org/s.json", "type": "1EdTechJsonSchemaValidator2019"}
    ]
    assert "1EdTechJsonSchemaValidator2019" in canonicalize(doc)


def test_language_tagged_values_survive() -> None:
    doc = ob_document()
    doc["name"] = {"@value": "Tiimityö", "@language": "fi"}
    assert '"Tiimityö"@fi' in canonicalize(doc)


@pytest.mark.parametrize("bad", [[], "text", 3, None])
def test_non_object_documents_are_malformed(bad: Any) -> None:
    with pytest.raises(MalformedDocumentError):
        canonicalize(bad)


def test_document_without_context_is_refused() -> None:
    doc = ob_document()
    del doc["@context"]
    with pytest.raises(UnsafeDocumentError, match="no @context"):
        canonicalize(doc)


def test_invalid_json_ld_is_reported_as_malformed() -> None:
    doc = ob_document()
    doc["@context"] = [VC_V2, OB_V3P0, {"@version": 2.0}]
    with pytest.raises(MalformedDocumentError, match="invalid JSON-LD"):
        canonicalize(doc)


def test_input_is_not_mutated() -> None:
    doc = ob_document()
    before = copy.deepcopy(doc)
    canonicalize(doc)
    expand(doc)
    assert doc == before


def test_inline_contexts_are_processed_but_not_memoized() -> None:
    doc = ob_document()
    doc["@context"] = [*doc["@context"], {"nickname": "https://example.org/vocab#nickname"}]
    doc["credentialSubject"]["nickname"] = "Tiimi"
    processor = JsonLdProcessor()
    first = processor.canonicalize(doc)
    assert '<https://example.org/vocab#nickname> "Tiimi"' in first
    doc["@context"][-1] = {"nickname": "https://example.org/other#nickname"}
    assert "other#nickname" in processor.canonicalize(doc)
    assert first == plain_pyld(
        ob_document()
        | {
            "@context": [
                *ob_document()["@context"],
                {"nickname": "https://example.org/vocab#nickname"},
            ],
            "credentialSubject": {**ob_document()["credentialSubject"], "nickname": "Tiimi"},
        }
    )


texts = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40)


@settings(max_examples=60, deadline=None)
@given(name=texts, narrative=texts, description=texts, tags=st.lists(texts, max_size=3))
def test_memoized_processing_is_byte_identical_to_plain_pyld(
    name: str, narrative: str, description: str, tags: list[str]
) -> None:
    doc = ob_document()
    doc["name"] = name
    achievement = doc["credentialSubject"]["achievement"]
    achievement["criteria"]["narrative"] = narrative
    achievement["description"] = description
    if tags:
        achievement["tag"] = tags
    doc["evidence"] = [{"id": "https://example.org/evidence/1", "type": ["Evidence"], "name": name}]
    assert canonicalize(doc) == plain_pyld(doc)
    assert JsonLdProcessor().canonicalize(doc) == canonicalize(doc)
