"""RDFC-1.0 labelling for the fast path: triples already serialized term by term.

A triple here is ``(subject, predicate, object)`` with each term in its canonical N-Quads
form (``<iri>``, a literal with its escapes and suffix) or a blank node id (``_:...``); the
fast path emits only default-graph triples. When every blank node's first-degree hash is
unique, as it is for nearly every credential, the canonical labels follow from sorting
those hashes and no N-degree hashing is needed; otherwise the triples go to the full
algorithm in :mod:`.rdfc`. Either way the output is what :func:`.rdfc.canonicalize_dataset`
gives for the same dataset.
"""

from __future__ import annotations

from collections.abc import Iterable
from hashlib import sha256

from .rdfc import DEFAULT_MAX_DEEP_ITERATIONS, Ordering, _Canonicalizer, _Quad, _sort_key

__all__ = ["Triple", "canonical_nquads", "label_blank_nodes", "serialize"]

Triple = tuple[str, str, str]


def _first_degree(node: str, triples: list[Triple], sort_key: object) -> str:
    lines = []
    for s, p, o in triples:
        if s[0] == "_":
            s = "_:a" if s == node else "_:z"
        if o[0] == "_":
            o = "_:a" if o == node else "_:z"
        lines.append(f"{s} {p} {o} .\n")
    lines.sort(key=sort_key)  # type: ignore[call-overload]
    return sha256("".join(lines).encode()).hexdigest()


def _full_labels(triples: Iterable[Triple], ordering: Ordering, bound: int) -> dict[str, str]:
    quads = []
    for s, p, o in triples:
        s_term = ("B", s) if s[0] == "_" else ("T", s)
        o_term = ("B", o) if o[0] == "_" else ("T", o)
        quad = _Quad(s_term, ("T", p), o_term, None)
        quad.text = [None if s[0] == "_" else s, p, None if o[0] == "_" else o, None]
        quads.append(quad)
    canon = _Canonicalizer(quads, bound, ordering)
    canon.label()
    return canon.canonical.issued


def label_blank_nodes(
    triples: set[Triple],
    ordering: Ordering = "code-point",
    max_deep_iterations: int = DEFAULT_MAX_DEEP_ITERATIONS,
) -> dict[str, str]:
    """Each blank node's canonical label (``_:c14nN``)."""
    sort_key = _sort_key(ordering)
    by_node: dict[str, list[Triple]] = {}
    for triple in triples:
        s, _, o = triple
        if s[0] == "_":
            by_node.setdefault(s, []).append(triple)
        if o[0] == "_" and o != s:
            by_node.setdefault(o, []).append(triple)
    if not by_node:
        return {}
    hashes = {_first_degree(node, own, sort_key): node for node, own in by_node.items()}
    if len(hashes) < len(by_node):  # shared first-degree hashes: the full algorithm
        return _full_labels(triples, ordering, max_deep_iterations)
    return {hashes[digest]: f"_:c14n{index}" for index, digest in enumerate(sorted(hashes))}


def serialize(triples: set[Triple], labels: dict[str, str], ordering: Ordering) -> str:
    """The canonical N-Quads document: relabelled statements, sorted."""
    lines = []
    for s, p, o in triples:
        if s[0] == "_":
            s = labels[s]
        if o[0] == "_":
            o = labels[o]
        lines.append(f"{s} {p} {o} .\n")
    lines.sort(key=_sort_key(ordering))
    return "".join(lines)


def canonical_nquads(
    triples: set[Triple],
    ordering: Ordering = "code-point",
    max_deep_iterations: int = DEFAULT_MAX_DEEP_ITERATIONS,
) -> str:
    """Canonical N-Quads of a set of serialized default-graph triples."""
    return serialize(triples, label_blank_nodes(triples, ordering, max_deep_iterations), ordering)
