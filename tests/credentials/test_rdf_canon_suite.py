"""The W3C RDF Dataset Canonicalization (RDFC-1.0) test suite, every test of it.

The suite (manifest, inputs, expected results and its licence) is copied into
tests/data/rdf-canon/ from https://github.com/w3c/rdf-canon (tests/).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from badgeservice.credentials.errors import UnsafeDocumentError
from badgeservice.credentials.rdfc import canonicalize_dataset, issued_identifiers
from tests.conftest import ROOT
from tests.credentials.nquads import parse

SUITE = ROOT / "tests" / "data" / "rdf-canon"
ENTRIES: list[dict[str, Any]] = json.loads((SUITE / "manifest.jsonld").read_text("utf-8"))[
    "entries"
]
# The poison test's bound: enough for every positive test, far below the clique's need.
NEGATIVE_BOUND = 1000


def _entries(kind: str) -> list[Any]:
    chosen = [entry for entry in ENTRIES if entry["type"] == kind]
    return [pytest.param(entry, id=entry["id"].lstrip("#")) for entry in chosen]


def _input(entry: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    return parse((SUITE / entry["action"]).read_text("utf-8"))


def _algorithm(entry: dict[str, Any]) -> str:
    return {"SHA256": "sha256", "SHA384": "sha384"}[entry.get("hashAlgorithm", "SHA256")]


def test_the_whole_suite_is_here() -> None:
    kinds = [entry["type"] for entry in ENTRIES]
    assert len(ENTRIES) == 86
    assert kinds.count("rdfc:RDFC10EvalTest") == 64
    assert kinds.count("rdfc:RDFC10MapTest") == 21
    assert kinds.count("rdfc:RDFC10NegativeEvalTest") == 1
    assert (SUITE / "LICENCE.md").is_file()


@pytest.mark.parametrize("entry", _entries("rdfc:RDFC10EvalTest"))
def test_eval(entry: dict[str, Any]) -> None:
    expected = (SUITE / entry["result"]).read_text("utf-8")
    assert canonicalize_dataset(_input(entry), hash_algorithm=_algorithm(entry)) == expected


@pytest.mark.parametrize("entry", _entries("rdfc:RDFC10MapTest"))
def test_issued_identifiers_map(entry: dict[str, Any]) -> None:
    expected = json.loads((SUITE / entry["result"]).read_text("utf-8"))
    assert issued_identifiers(_input(entry), hash_algorithm=_algorithm(entry)) == expected


@pytest.mark.parametrize("entry", _entries("rdfc:RDFC10NegativeEvalTest"))
def test_poison_is_refused(entry: dict[str, Any]) -> None:
    with pytest.raises(UnsafeDocumentError, match="too complex"):
        canonicalize_dataset(_input(entry), max_deep_iterations=NEGATIVE_BOUND)
