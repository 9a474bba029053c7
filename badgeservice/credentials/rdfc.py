"""RDFC-1.0 (RDF Dataset Canonicalization) producing canonical N-Quads.

pyld ships URDNA2015, but its N-Quads serializer leaves control characters such as
``\\b``, ``\\f`` and U+007F unescaped, which RDFC-1.0 requires to be escaped; the escaping
is part of what gets hashed (and it drives blank-node labelling), so the whole algorithm is
implemented here on pyld's RDF dataset shape. It also bounds the work spent on blank-node
labelling, as RDFC-1.0 asks implementations to, so a poisoned graph is refused instead of
hanging the process.

RDFC-1.0 sorts N-Quads by Unicode code point. The JavaScript canonicalizer (rdf-canonize,
used by most wallets and verifiers) sorts JavaScript strings, i.e. by UTF-16 code unit. The
two orders differ only where one string holds a character above U+FFFF and another, at
the same position, one in U+E000..U+FFFF; :func:`orderings_may_differ` tells when that is
possible and ``ordering="utf-16"`` reproduces the JavaScript output.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from .errors import UnsafeDocumentError

__all__ = [
    "DEFAULT_MAX_DEEP_ITERATIONS",
    "HASH_ALGORITHMS",
    "ORDERINGS",
    "Ordering",
    "canonicalize_dataset",
    "escape_literal",
    "issued_identifiers",
    "orderings_may_differ",
]

Ordering = Literal["code-point", "utf-16"]
ORDERINGS: tuple[Ordering, ...] = ("code-point", "utf-16")
# RDFC-1.0's hash algorithm is SHA-256 unless a caller names another (the W3C suite has a
# SHA-384 test); the eddsa-rdfc-2022 cryptosuite always uses SHA-256.
HASH_ALGORITHMS = ("sha256", "sha384")

RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"

# How many Hash N-Degree Quads invocations one canonicalization may make. Ordinary
# credentials need none; the bound exists to stop exponential blank-node puzzles.
DEFAULT_MAX_DEEP_ITERATIONS = 1000

_LITERAL_ESCAPES = {
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
    '"': '\\"',
    "\\": "\\\\",
}
_LITERAL_SPECIAL = re.compile('[\x00-\x1f\x7f"\\\\]')
_IRI_SPECIAL = re.compile('[\x00-\x20<>"{}|^`\\\\]')
_ASTRAL_LEADS = (b"\xf0", b"\xf1", b"\xf2", b"\xf3", b"\xf4")


def orderings_may_differ(nquads: str) -> bool:
    """Whether code-point and UTF-16 order could sort these N-Quads differently: only when
    they hold both a character above U+FFFF and one in U+E000..U+FFFF."""
    if nquads.isascii():
        return False
    # In UTF-8 a character above U+FFFF starts with a byte F0..F4 and one in U+E000..U+FFFF
    # with EE or EF; searching bytes is several times faster than two regular expressions.
    data = nquads.encode("utf-8", "surrogatepass")
    if not any(lead in data for lead in _ASTRAL_LEADS):
        return False
    return b"\xee" in data or b"\xef" in data


def _utf16_units(text: str) -> bytes:
    # Big-endian UTF-16 compares byte-wise exactly as its code units compare.
    return text.encode("utf-16-be", "surrogatepass")


def _sort_key(ordering: Ordering) -> Any:
    if ordering == "code-point":
        return None
    if ordering == "utf-16":
        return _utf16_units
    raise ValueError(f"ordering must be one of {ORDERINGS}, got {ordering!r}")


def _uchar(char: str) -> str:
    return f"\\u{ord(char):04X}"


def escape_literal(value: str) -> str:
    """Escape a literal's lexical form as canonical N-Quads requires (ECHAR, else UCHAR)."""
    if not _LITERAL_SPECIAL.search(value):
        return value
    return _LITERAL_SPECIAL.sub(lambda m: _LITERAL_ESCAPES.get(m[0]) or _uchar(m[0]), value)


def _escape_iri(value: str) -> str:
    if not _IRI_SPECIAL.search(value):
        return value
    return _IRI_SPECIAL.sub(lambda m: _uchar(m[0]), value)


# A term is ("I", iri) | ("B", blank node id) | ("L", lexical, datatype, language).
Term = tuple[str, ...]


def _term(component: Mapping[str, Any]) -> Term:
    kind = component["type"]
    if kind == "IRI":
        return ("I", component["value"])
    if kind == "blank node":
        return ("B", component["value"])
    return (
        "L",
        component["value"],
        component.get("datatype") or XSD_STRING,
        component.get("language") or "",
    )


def _serialize_term(term: Term) -> str:
    if term[0] == "I":
        return "<" + _escape_iri(term[1]) + ">"
    if term[0] == "B":
        return term[1]
    text = '"' + escape_literal(term[1]) + '"'
    if term[2] == RDF_LANGSTRING:
        return text + "@" + term[3] if term[3] else text
    if term[2] != XSD_STRING:
        return text + "^^<" + _escape_iri(term[2]) + ">"
    return text


@dataclass
class _Quad:
    s: Term
    p: Term
    o: Term
    g: Term | None
    # Serialized predicate and, when not blank nodes, the other positions: reused in every
    # hash computation involving the quad.
    text: list[str | None] = field(default_factory=list)


def _nquad(quad: _Quad, labels: Mapping[str, str]) -> str:
    parts = []
    for index, term in enumerate((quad.s, quad.p, quad.o, quad.g)):
        if term is None:
            continue
        cached = quad.text[index]
        parts.append(cached if cached is not None else labels[term[1]])
    return " ".join(parts) + " .\n"


class _IdentifierIssuer:
    __slots__ = ("counter", "issued", "prefix")

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.counter = 0
        self.issued: dict[str, str] = {}

    def issue(self, existing: str) -> str:
        found = self.issued.get(existing)
        if found is None:
            found = f"{self.prefix}{self.counter}"
            self.counter += 1
            self.issued[existing] = found
        return found

    def copy(self) -> _IdentifierIssuer:
        clone = _IdentifierIssuer(self.prefix)
        clone.counter = self.counter
        clone.issued = dict(self.issued)
        return clone


class _Canonicalizer:
    def __init__(
        self,
        quads: Sequence[_Quad],
        max_deep_iterations: int,
        ordering: Ordering,
        hash_algorithm: str = "sha256",
    ) -> None:
        if hash_algorithm not in HASH_ALGORITHMS:
            raise ValueError(f"hash_algorithm must be one of {HASH_ALGORITHMS}")
        self.hash_algorithm = hash_algorithm
        self.quads = quads
        self.sort_key = _sort_key(ordering)
        self.max_deep_iterations = max_deep_iterations
        self.deep_iterations = 0
        self.canonical = _IdentifierIssuer("_:c14n")
        self.bnode_quads: dict[str, list[_Quad]] = {}
        self.first_degree: dict[str, str] = {}
        for quad in quads:
            for term in (quad.s, quad.o, quad.g):
                if term is not None and term[0] == "B":
                    self.bnode_quads.setdefault(term[1], []).append(quad)

    def _hash(self, text: str) -> str:
        return hashlib.new(self.hash_algorithm, text.encode("utf-8")).hexdigest()

    def hash_first_degree(self, node: str) -> str:
        cached = self.first_degree.get(node)
        if cached is not None:
            return cached
        lines = []
        for quad in self.bnode_quads[node]:
            labels = {}
            for term in (quad.s, quad.o, quad.g):
                if term is not None and term[0] == "B":
                    labels[term[1]] = "_:a" if term[1] == node else "_:z"
            lines.append(_nquad(quad, labels))
        lines.sort(key=self.sort_key)
        digest = self._hash("".join(lines))
        self.first_degree[node] = digest
        return digest

    def hash_related(self, related: str, quad: _Quad, issuer: _IdentifierIssuer, pos: str) -> str:
        identifier = self.canonical.issued.get(related) or issuer.issued.get(related)
        if identifier is None:
            identifier = self.hash_first_degree(related)
        text = pos
        if pos != "g":
            text += quad.text[1] or ""
        return self._hash(text + identifier)

    def hash_n_degree(self, node: str, issuer: _IdentifierIssuer) -> tuple[str, _IdentifierIssuer]:
        self.deep_iterations += 1
        if self.deep_iterations > self.max_deep_iterations:
            raise UnsafeDocumentError(
                "$",
                "blank-node structure too complex to canonicalize "
                f"(more than {self.max_deep_iterations} deep iterations); refused as a "
                "possible dataset-poisoning attack",
            )
        related_by_hash: dict[str, list[str]] = {}
        for quad in self.bnode_quads[node]:
            for term, pos in ((quad.s, "s"), (quad.o, "o"), (quad.g, "g")):
                if term is not None and term[0] == "B" and term[1] != node:
                    digest = self.hash_related(term[1], quad, issuer, pos)
                    related_by_hash.setdefault(digest, []).append(term[1])
        data = ""
        for digest in sorted(related_by_hash):
            data += digest
            chosen_path = ""
            chosen_issuer: _IdentifierIssuer | None = None
            for permutation in itertools.permutations(related_by_hash[digest]):
                candidate = issuer.copy()
                path = ""
                recursion: list[str] = []
                skip = False
                for related in permutation:
                    canonical = self.canonical.issued.get(related)
                    if canonical is not None:
                        path += canonical
                    else:
                        if related not in candidate.issued:
                            recursion.append(related)
                        path += candidate.issue(related)
                    if chosen_path and len(path) >= len(chosen_path) and path > chosen_path:
                        skip = True
                        break
                if skip:
                    continue
                for related in recursion:
                    result_hash, result_issuer = self.hash_n_degree(related, candidate)
                    path += candidate.issue(related) + "<" + result_hash + ">"
                    candidate = result_issuer
                    if chosen_path and len(path) >= len(chosen_path) and path > chosen_path:
                        skip = True
                        break
                if skip:
                    continue
                if not chosen_path or path < chosen_path:
                    chosen_path = path
                    chosen_issuer = candidate
            data += chosen_path
            assert chosen_issuer is not None
            issuer = chosen_issuer
        return self._hash(data), issuer

    def run(self) -> str:
        self.label()
        lines = {_nquad(quad, self.canonical.issued) for quad in self.quads}
        return "".join(sorted(lines, key=self.sort_key))

    def label(self) -> None:
        """Issue every blank node its canonical identifier (RDFC-1.0 steps 3 to 6)."""
        by_hash: dict[str, list[str]] = {}
        for node in self.bnode_quads:
            by_hash.setdefault(self.hash_first_degree(node), []).append(node)
        shared: list[str] = []
        for digest in sorted(by_hash):
            nodes = by_hash[digest]
            if len(nodes) == 1:
                self.canonical.issue(nodes[0])
            else:
                shared.append(digest)
        for digest in shared:
            results = []
            for node in by_hash[digest]:
                if node in self.canonical.issued:
                    continue
                temporary = _IdentifierIssuer("_:b")
                temporary.issue(node)
                results.append(self.hash_n_degree(node, temporary))
            results.sort(key=lambda result: result[0])
            for _, issuer in results:
                for existing in issuer.issued:
                    self.canonical.issue(existing)


def _quads(dataset: Mapping[str, Iterable[Mapping[str, Any]]]) -> list[_Quad]:
    quads = []
    for graph_name, triples in dataset.items():
        graph: Term | None = None
        if graph_name != "@default":
            graph = ("B", graph_name) if graph_name.startswith("_:") else ("I", graph_name)
        for triple in triples:
            quad = _Quad(
                _term(triple["subject"]), _term(triple["predicate"]), _term(triple["object"]), graph
            )
            quad.text = [
                None
                if term is not None and term[0] == "B"
                else (_serialize_term(term) if term is not None else None)
                for term in (quad.s, quad.p, quad.o, quad.g)
            ]
            quads.append(quad)
    return quads


def canonicalize_dataset(
    dataset: Mapping[str, Iterable[Mapping[str, Any]]],
    *,
    max_deep_iterations: int = DEFAULT_MAX_DEEP_ITERATIONS,
    ordering: Ordering = "code-point",
    hash_algorithm: str = "sha256",
) -> str:
    """Canonical N-Quads (RDFC-1.0, SHA-256 unless ``hash_algorithm`` says ``"sha384"``) of
    a dataset in pyld's ``to_rdf`` shape.

    Duplicate quads collapse to one, as a dataset is a set. ``ordering="utf-16"`` sorts
    (the output and the first-degree hash input) as the JavaScript canonicalizer does.
    """
    quads = _quads(dataset)
    return _Canonicalizer(quads, max_deep_iterations, ordering, hash_algorithm).run()


def issued_identifiers(
    dataset: Mapping[str, Iterable[Mapping[str, Any]]],
    *,
    max_deep_iterations: int = DEFAULT_MAX_DEEP_ITERATIONS,
    hash_algorithm: str = "sha256",
) -> dict[str, str]:
    """RDFC-1.0's issued identifiers map: input blank node label (without ``_:``) to its
    canonical label (``c14nN``)."""
    canon = _Canonicalizer(_quads(dataset), max_deep_iterations, "code-point", hash_algorithm)
    canon.label()
    return {node[2:]: label[2:] for node, label in canon.canonical.issued.items()}
