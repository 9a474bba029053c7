"""A small N-Quads reader for test data: each line to pyld's RDF dataset shape, with the
escapes (ECHAR and UCHAR, in IRIs too) undone."""

from __future__ import annotations

import re
from typing import Any

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

_TOKEN = re.compile(
    r'\s*(?:<(?P<iri>[^>]*)>|(?P<bnode>_:[^\s]+)|"(?P<lit>(?:[^"\\]|\\.)*)"'
    r"(?:@(?P<lang>[a-zA-Z]+(?:-[a-zA-Z0-9]+)*)|\^\^<(?P<dt>[^>]*)>)?|(?P<end>\.))"
)
_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))")
_ECHAR = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


def unescape(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        if match[1] or match[2]:
            return chr(int(match[1] or match[2], 16))
        return _ECHAR[match[3]]

    return _ESCAPE.sub(one, text)


def _term(match: re.Match[str]) -> dict[str, Any]:
    if match["iri"] is not None:
        return {"type": "IRI", "value": unescape(match["iri"])}
    if match["bnode"] is not None:
        return {"type": "blank node", "value": match["bnode"]}
    term: dict[str, Any] = {"type": "literal", "value": unescape(match["lit"])}
    if match["lang"]:
        term["datatype"] = RDF_LANGSTRING
        term["language"] = match["lang"]
    else:
        term["datatype"] = unescape(match["dt"]) if match["dt"] else XSD_STRING
    return term


def parse(text: str) -> dict[str, list[dict[str, Any]]]:
    """The dataset of an N-Quads document (one statement per line)."""
    dataset: dict[str, list[dict[str, Any]]] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        terms, position = [], 0
        while True:
            match = _TOKEN.match(line, position)
            if match is None:
                raise ValueError(f"line {number}: cannot read {line[position:]!r}")
            position = match.end()
            if match["end"]:
                break
            terms.append(_term(match))
        if line[position:].strip() or len(terms) not in (3, 4):
            raise ValueError(f"line {number}: not a statement: {line!r}")
        graph = terms[3]["value"] if len(terms) == 4 else "@default"
        triple = {"subject": terms[0], "predicate": terms[1], "object": terms[2]}
        dataset.setdefault(graph, []).append(triple)
    return dataset
