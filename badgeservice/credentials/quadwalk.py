"""The fast path from a compact JSON-LD credential straight to RDF triples.

Expansion and RDF conversion spend nearly all their time processing the same few contexts
again and again and building expanded JSON-LD and a node map that are thrown away. Here
each context step is processed once and kept as a :class:`~.termtables.State` (a term
table), and the walk reads the compact document key by key, emitting serialized triples.

It follows pyld's expansion step for step for the shapes credentials use: node objects
with terms defined by the contexts, absolute IRIs, ``@set`` containers, strings, integers,
booleans, typed and language-tagged value objects, type coercion. Anything else — ``@list``,
``@graph``, ``@language``/``@index``/``@id``/``@type`` maps, ``@direction``, ``@json``,
``@reverse``, ``@nest``, ``@included``, blank node ids, compact IRIs, relative IRIs,
undefined or null terms, embedded contexts, floats, empty nodes or arrays, nulls — raises
:class:`~.termtables.Unsupported` and the caller falls back to full expansion, which
accepts or refuses the document as it always has. The walk never refuses a document.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .rdfc import _LITERAL_SPECIAL as _SPECIAL_CHARACTERS
from .rdfc import XSD_STRING, escape_literal
from .termtables import ID, UNSUPPORTED, PropertyPlan, State, plain_datatype

__all__ = ["QuadWalker"]

RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
_LANGUAGE = re.compile(r"^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$")
_LITERAL_SPECIAL = _SPECIAL_CHARACTERS.search
_MAX_INTEGER = 10**21  # from here on an integer converts as an xsd:double


def _literal(lexical: str, datatype: str | None) -> str:
    text = '"' + escape_literal(lexical) + '"'
    if datatype is None or datatype == XSD_STRING:
        return text
    return text + "^^<" + datatype + ">"


def _scalar_literal(value: Any, datatype: str | None) -> str:
    kind = type(value)
    if kind is str:
        return _literal(value, datatype)
    if kind is bool:
        return _literal("true" if value else "false", datatype or XSD_BOOLEAN)
    if kind is int and -_MAX_INTEGER < value < _MAX_INTEGER:
        return _literal(str(value), datatype or XSD_INTEGER)
    raise UNSUPPORTED  # floats, huge integers, anything else


def _value_object(element: Mapping[str, Any], state: State) -> str:
    value = element["@value"]
    size = len(element)
    if size == 1:
        return _scalar_literal(value, None)
    language = element.get("@language")
    if size == 2 and language is not None:
        if type(value) is not str or type(language) is not str or not _LANGUAGE.match(language):
            raise UNSUPPORTED
        return '"' + escape_literal(value) + '"@' + language.lower()
    datatype = element.get("@type")
    if size == 2 and datatype is not None:
        if type(datatype) is not str or datatype in state.mappings:
            raise UNSUPPORTED
        state.iri(datatype)  # an absolute IRI, not a compact one
        if not plain_datatype(datatype):
            raise UNSUPPORTED
        return _scalar_literal(value, datatype)
    raise UNSUPPORTED


class QuadWalker:
    """Walks one compact document to a set of serialized triples."""

    __slots__ = ("_count", "triples")

    def __init__(self) -> None:
        self._count = 0
        self.triples: set[tuple[str, str, str]] = set()

    def walk(self, document: Mapping[str, Any], state: State) -> set[tuple[str, str, str]]:
        """Triples of a document whose ``@context`` gave ``state``."""
        keys = tuple(key for key in document if key != "@context")
        if not keys or (len(keys) == 1 and state.term(keys[0]) == ID):
            raise UNSUPPORTED  # nothing to say, or a lone reference: expansion drops it
        self._node(document, keys, state)
        return self.triples

    def _element(self, element: dict[str, Any], plan: PropertyPlan) -> str:
        """A JSON object as a property value: pyld's ``_expand`` of a map."""
        if "@context" in element:
            raise UNSUPPORTED
        if "@value" in element:
            return _value_object(element, plan.object_state)
        keys = tuple(element)
        state = plan.node_state
        if plan.reverts and len(keys) == 1 and plan.scalar_state.meaning(keys[0]) == ID:
            state = plan.object_state  # a lone reference keeps the type-scoped context
        return self._node(element, keys, state)

    def _node(self, element: Mapping[str, Any], keys: tuple[str, ...], state: State) -> str:
        type_key = state.shape(keys)
        type_iris: tuple[str, ...] = ()
        final = state
        if type_key is not None:
            raw = element[type_key]
            final, type_iris = state.typed(tuple(raw) if type(raw) is list else (raw,))
        id_key, properties = final.plan(keys, type_key)
        if id_key is not None:
            subject = final.iri(element[id_key])
        elif type_iris or properties:
            self._count += 1
            subject = f"_:b{self._count}"
        else:
            raise UNSUPPORTED  # an empty node
        add = self.triples.add
        for type_iri in type_iris:
            add((subject, RDF_TYPE, type_iri))
        special = _LITERAL_SPECIAL
        for plan in properties:
            value = element[plan.key]
            items = value if type(value) is list else (value,)
            if not items:
                raise UNSUPPORTED
            predicate = plan.predicate
            for item in items:
                kind = type(item)
                if kind is str:
                    if plan.coerced:
                        add((subject, predicate, plan.string(item) or _literal(item, None)))
                    elif special(item) is None:  # nothing to escape
                        add((subject, predicate, '"' + item + '"' + plan.suffix))
                    else:
                        add((subject, predicate, _literal(item, plan.datatype)))
                elif kind is dict:
                    add((subject, predicate, self._element(item, plan)))
                elif kind is int or kind is bool:
                    add((subject, predicate, _scalar_literal(item, plan.datatype)))
                else:
                    raise UNSUPPORTED  # null, nested array, float, anything else
        return subject
