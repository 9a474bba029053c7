"""The fast path from a compact JSON-LD credential straight to RDF triples.

Expansion and RDF conversion spend nearly all their time processing the same few contexts
again and again and building expanded JSON-LD and a node map that are thrown away. Here
each context step (the document's ``@context``, a property-scoped context, the type-scoped
contexts of a node's types, a revert to the context before them) is processed once, by
pyld exactly as expansion would process it, and remembered as a :class:`State`: the
resulting active context with a table of what each term means in it. The walk then reads
the compact document key by key and emits serialized triples.

It follows pyld's expansion step for step for the shapes credentials use: node objects
with terms defined by the contexts, absolute IRIs, ``@set`` containers, strings, integers,
booleans, typed and language-tagged value objects, type coercion. Anything else — ``@list``,
``@graph``, ``@language``/``@index``/``@id``/``@type`` maps, ``@direction``, ``@json``,
``@reverse``, ``@nest``, ``@included``, blank node ids, compact IRIs, relative IRIs,
undefined or null terms, embedded contexts, floats, empty nodes or arrays, nulls — raises
:class:`Unsupported` and the caller falls back to full expansion, which accepts or refuses
the document as it always has. The walk never refuses a document on its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from .rdfc import XSD_STRING, escape_literal

__all__ = ["Process", "QuadWalker", "State", "Unsupported"]

RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
# Datatypes whose RDF conversion is more than copying the lexical form.
_SPECIAL_DATATYPES = frozenset(
    {
        "http://www.w3.org/2001/XMLSchema#double",
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString",
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#JSON",
    }
)
# An absolute IRI both this library's safe mode and pyld's RDF conversion take as it is.
_IRI = re.compile(r'^[A-Za-z][A-Za-z0-9+.\-]*:[^\x00-\x20<>"{}|^`\\\x7f\s]*$')
_LANGUAGE = re.compile(r"^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$")
_ID, _TYPE = "@id", "@type"
# A property: (serialized predicate, type coercion or None, property-scoped context).
Property = tuple[str, Any, Any]
# Processes a local context in an active context as expansion does:
# (active context, local context, override_protected, propagate) -> active context.
Process = Callable[[Any, Any, bool, bool], Any]


class Unsupported(Exception):
    """The fast path does not handle this shape; take the full path."""


_UNSUPPORTED = Unsupported()


class State:
    """One processed active context and what its terms mean, filled in as they are used."""

    __slots__ = ("_derived", "_previous", "_terms", "_typed", "ctx", "mappings")

    def __init__(self, ctx: Mapping[str, Any]) -> None:
        if "@language" in ctx or "@direction" in ctx:
            raise _UNSUPPORTED
        self.ctx = ctx
        self.mappings: Mapping[str, Any] = ctx["mappings"]
        self._terms: dict[str, str | Property | None] = {}
        self._derived: dict[tuple[int, bool, bool], tuple[Any, State]] = {}
        self._typed: dict[tuple[str, ...], State] = {}
        self._previous: State | None = None

    def meaning(self, key: str) -> str | Property | None:
        """``"@id"``, ``"@type"``, the property ``key`` names here, or None."""
        try:
            return self._terms[key]
        except KeyError:
            found = self._terms[key] = self._define(key)
            return found

    def term(self, key: str) -> str | Property:
        """:meth:`meaning`, which must be known."""
        found = self.meaning(key)
        if found is None:
            raise _UNSUPPORTED
        return found

    def _define(self, key: str) -> str | Property | None:
        if key not in self.mappings:
            return key if key in (_ID, _TYPE) else None
        definition = self.mappings[key]
        if definition is None or definition.get("reverse"):
            return None
        iri = definition["@id"]
        if iri in (_ID, _TYPE):
            return str(iri)
        if not isinstance(iri, str) or not _IRI.match(iri):
            return None
        if any(c != "@set" for c in definition.get("@container") or ()):
            return None
        if any(k in definition for k in ("@language", "@direction", "@nest", "@index")):
            return None
        coercion = definition.get("@type")
        if coercion not in (None, "@id", "@vocab", "@none") and not _plain_datatype(coercion):
            return None
        return ("<" + iri + ">", coercion, definition.get("@context"))

    def iri(self, value: Any) -> str:
        """``value`` as an IRI (document-relative expansion, which must leave it as it is)."""
        if type(value) is not str or not _IRI.match(value):
            raise _UNSUPPORTED
        prefix, _, suffix = value.partition(":")
        if prefix in self.mappings and not suffix.startswith("//"):
            raise _UNSUPPORTED  # a compact IRI
        return "<" + value + ">"

    def vocab_iri(self, value: Any) -> str:
        """``value`` expanded against the vocabulary: a term's IRI, else an absolute IRI."""
        if type(value) is str and value in self.mappings:
            definition = self.mappings[value]
            iri = None if definition is None else definition["@id"]
            if not isinstance(iri, str) or not _IRI.match(iri):
                raise _UNSUPPORTED
            return "<" + iri + ">"
        return self.iri(value)

    def derive(self, local: Any, process: Process, override: bool, propagate: bool) -> State:
        """The state after processing ``local`` (a context from a term definition)."""
        key = (id(local), override, propagate)
        found = self._derived.get(key)
        if found is None:
            state = State(process(self.ctx, local, override, propagate))
            found = self._derived[key] = (local, state)
        return found[1]

    @property
    def previous(self) -> State | None:
        """The state a type-scoped (non-propagated) context reverts to."""
        if self._previous is None and "previousContext" in self.ctx:
            self._previous = State(self.ctx["previousContext"])
        return self._previous

    def typed(self, types: tuple[str, ...], process: Process) -> State:
        """The state after the type-scoped contexts of ``types`` (sorted), as pyld applies
        them: looked up here, processed one after the other without propagation."""
        found = self._typed.get(types)
        if found is None:
            found = self
            for type_ in types:
                definition = self.mappings.get(type_)
                scoped = None if definition is None else definition.get("@context")
                if scoped is not None and scoped is not False:
                    found = found.derive(scoped, process, False, False)
            self._typed[types] = found
        return found


def _plain_datatype(value: Any) -> bool:
    return isinstance(value, str) and bool(_IRI.match(value)) and value not in _SPECIAL_DATATYPES


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
    if kind is int and abs(value) < 10**21:
        return _literal(str(value), datatype or XSD_INTEGER)
    raise _UNSUPPORTED  # floats, huge integers, anything else


class QuadWalker:
    """Walks one compact document to a set of serialized triples."""

    __slots__ = ("_count", "_process", "triples")

    def __init__(self, process: Process) -> None:
        self._process = process
        self._count = 0
        self.triples: set[tuple[str, str, str]] = set()

    def walk(self, document: Mapping[str, Any], state: State) -> set[tuple[str, str, str]]:
        """Triples of a document whose ``@context`` gave ``state``."""
        keys = [key for key in document if key != "@context"]
        if not keys or (len(keys) == 1 and state.term(keys[0]) == _ID):
            raise _UNSUPPORTED  # nothing to say, or a lone reference: expansion drops it
        self._node(document, state, skip_context=True)
        return self.triples

    def _element(self, element: dict[str, Any], term_state: State, key: str) -> str:
        """A JSON object as a property value: pyld's ``_expand`` of a map."""
        if "@context" in element:
            raise _UNSUPPORTED
        prop = term_state.term(key)
        if not isinstance(prop, tuple):
            raise _UNSUPPORTED
        scoped = prop[2]
        state = term_state
        if "@value" in element:
            if scoped is not None:
                state = state.derive(scoped, self._process, True, True)
            return self._value_object(element, state)
        previous = term_state.previous
        if previous is not None:
            lone_id = len(element) == 1 and term_state.meaning(next(iter(element))) == _ID
            if not lone_id:
                state = previous
        if scoped is not None:
            state = state.derive(scoped, self._process, True, True)
        return self._node(element, state)

    def _node(self, element: Mapping[str, Any], state: State, skip_context: bool = False) -> str:
        type_key = None
        for key in element:
            if not (skip_context and key == "@context") and state.meaning(key) == _TYPE:
                if type_key is not None:
                    raise _UNSUPPORTED
                type_key = key
        base = state
        types: tuple[str, ...] = ()
        if type_key is not None:
            raw = element[type_key]
            types = tuple(raw) if type(raw) is list else (raw,)
            if not types or any(type(t) is not str for t in types):
                raise _UNSUPPORTED
            state = base.typed(tuple(sorted(types)), self._process)
            if state.term(type_key) != _TYPE:
                raise _UNSUPPORTED
        subject = None
        properties = []
        for key, value in element.items():
            if skip_context and key == "@context":
                continue
            meaning = state.term(key)
            if meaning == _ID:
                if subject is not None:
                    raise _UNSUPPORTED
                subject = state.iri(value)
            elif meaning == _TYPE:
                if key != type_key:
                    raise _UNSUPPORTED
            else:
                properties.append((key, value, meaning))
        if subject is None:
            if not types and not properties:
                raise _UNSUPPORTED  # an empty node
            self._count += 1
            subject = f"_:b{self._count}"
        add = self.triples.add
        for type_ in types:
            add((subject, RDF_TYPE, base.vocab_iri(type_)))
        for key, value, prop in properties:
            self._property(subject, state, key, value, prop)  # type: ignore[arg-type]
        return subject

    def _property(self, subject: str, state: State, key: str, value: Any, prop: Property) -> None:
        predicate, _, scoped = prop
        term_state = state
        if scoped is not None:
            term_state = state.derive(scoped, self._process, True, True)
        values = value if type(value) is list else (value,)
        if not values:
            raise _UNSUPPORTED
        add = self.triples.add
        for item in values:
            kind = type(item)
            if kind is dict:
                add((subject, predicate, self._element(item, term_state, key)))
            elif kind is str or kind is int or kind is bool:
                add((subject, predicate, self._scalar(item, term_state, key)))
            else:
                raise _UNSUPPORTED  # null, nested array, float, anything else

    @staticmethod
    def _scalar(value: Any, term_state: State, key: str) -> str:
        prop = term_state.term(key)
        if not isinstance(prop, tuple):
            raise _UNSUPPORTED
        coercion = prop[1]
        if type(value) is str:
            if coercion == "@id":
                return term_state.iri(value)
            if coercion == "@vocab":
                if value in term_state.mappings:
                    raise _UNSUPPORTED
                return term_state.iri(value)
        if coercion in (None, "@id", "@vocab", "@none"):
            coercion = None
        return _scalar_literal(value, coercion)

    @staticmethod
    def _value_object(element: Mapping[str, Any], state: State) -> str:
        value = element["@value"]
        keys = len(element)
        if keys == 1:
            return _scalar_literal(value, None)
        language = element.get("@language")
        if keys == 2 and language is not None:
            if type(value) is not str or type(language) is not str:
                raise _UNSUPPORTED
            if not _LANGUAGE.match(language):
                raise _UNSUPPORTED
            return '"' + escape_literal(value) + '"@' + language.lower()
        datatype = element.get("@type")
        if keys == 2 and datatype is not None:
            if type(datatype) is not str or datatype in state.mappings:
                raise _UNSUPPORTED
            state.iri(datatype)  # an absolute IRI, not a compact one
            if not _plain_datatype(datatype):
                raise _UNSUPPORTED
            return _scalar_literal(value, datatype)
        raise _UNSUPPORTED
