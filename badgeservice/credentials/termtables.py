"""Processed contexts as term tables, for the fast path (:mod:`.quadwalk`).

A :class:`State` is one active context as pyld's expansion would hold it at some point of a
document — after the document's ``@context``, a property-scoped context, the type-scoped
contexts of a node's types, or a revert to the context before them. Each state is made
once, by pyld's own context processing, and remembers what its terms mean (an IRI, a type
coercion, a scoped context), the states that follow from it, and *plans* for the node
shapes (the tuple of a node's keys) met so far. Anything a state does not handle raises
:class:`Unsupported`, and the caller takes the full path.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["Plan", "Process", "PropertyPlan", "State", "Unsupported"]

ID, TYPE = "@id", "@type"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
# Datatypes whose RDF conversion is more than copying the lexical form.
_SPECIAL_DATATYPES = frozenset(
    {
        "http://www.w3.org/2001/XMLSchema#double",
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString",
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#JSON",
    }
)
# An absolute IRI both this library's safe mode and pyld's RDF conversion take as it is.
IRI = re.compile(r'^[A-Za-z][A-Za-z0-9+.\-]*:[^\x00-\x20<>"{}|^`\\\x7f\s]*$')
# Entries a state's memo tables hold before they start over (documents choose the keys).
_TABLE_SIZE = 512
# Processes a local context in an active context as expansion does:
# (active context, local context, override_protected, propagate) -> active context.
Process = Callable[[Any, Any, bool, bool], Any]
# A term's meaning: ID, TYPE, or (serialized predicate, type coercion, scoped context).
Meaning = str | tuple[str, Any, Any]


class Unsupported(Exception):
    """The fast path does not handle this shape; take the full path."""


UNSUPPORTED = Unsupported()


def plain_datatype(value: Any) -> bool:
    """An absolute IRI whose literals RDF conversion copies as they are."""
    return isinstance(value, str) and bool(IRI.match(value)) and value not in _SPECIAL_DATATYPES


def _remember(table: dict[Any, Any], key: Any, value: Any) -> Any:
    if len(table) >= _TABLE_SIZE:
        table.clear()
    table[key] = value
    return value


class PropertyPlan:
    """How the values of one key of a node shape are read, following pyld's expansion: the
    key's scoped context is processed for its values (``scalar_state``), and processed again
    inside an object value, after a type-scoped context is reverted for a node
    (``node_state``) but not for a value object or a lone reference (``object_state``)."""

    __slots__ = (
        "coerced",
        "coercion",
        "datatype",
        "key",
        "node_state",
        "object_state",
        "predicate",
        "reverts",
        "scalar_state",
        "suffix",
    )

    def __init__(self, key: str, predicate: str, scoped: Any, state: State) -> None:
        self.key = key
        self.predicate = predicate
        scalar_state = state.derive(scoped, True, True) if scoped is not None else state
        inner = scalar_state.term(key)
        if isinstance(inner, str):
            raise UNSUPPORTED
        coercion, scoped = inner[1], inner[2]
        self.coercion = coercion
        datatype = coercion if coercion not in (None, ID, "@vocab", "@none") else None
        self.datatype = datatype
        self.coerced = coercion in (ID, "@vocab")  # strings name IRIs
        # What follows a string literal's closing quote in N-Quads.
        plain = datatype is None or datatype == XSD_STRING
        self.suffix = "" if plain else "^^<" + str(datatype) + ">"
        self.scalar_state = scalar_state
        self.reverts = scalar_state.previous is not None
        reverted = scalar_state.previous or scalar_state
        if scoped is None:
            self.object_state, self.node_state = scalar_state, reverted
        else:
            self.object_state = scalar_state.derive(scoped, True, True)
            self.node_state = reverted.derive(scoped, True, True)

    def string(self, value: str) -> str | None:
        """The serialized IRI a coerced string names, or None when it is a literal."""
        coercion = self.coercion
        if coercion == ID:
            return self.scalar_state.iri(value)
        if coercion == "@vocab":
            return self.scalar_state.vocab_iri(value)
        return None


# A node shape's plan: the key holding its id (or None) and its properties.
Plan = tuple[str | None, tuple[PropertyPlan, ...]]


class State:
    """One processed active context, what its terms mean, and what follows from it."""

    __slots__ = (
        "_derived",
        "_iris",
        "_plans",
        "_previous",
        "_shapes",
        "_terms",
        "_typed",
        "_vocab",
        "ctx",
        "mappings",
        "process",
    )

    def __init__(self, ctx: Mapping[str, Any], process: Process) -> None:
        if "@language" in ctx or "@direction" in ctx:
            raise UNSUPPORTED
        self.ctx = ctx
        self.process = process
        self.mappings: Mapping[str, Any] = ctx["mappings"]
        self._terms: dict[str, Meaning | None] = {}
        self._derived: dict[tuple[int, bool, bool], tuple[Any, State]] = {}
        self._typed: dict[tuple[str, ...], tuple[State, tuple[str, ...]]] = {}
        self._shapes: dict[tuple[str, ...], str | None] = {}
        self._plans: dict[tuple[tuple[str, ...], str | None], Plan] = {}
        self._iris: dict[str, str] = {}
        self._vocab: dict[str, str] = {}
        self._previous: State | None = None

    def meaning(self, key: str) -> Meaning | None:
        """ID, TYPE, the property ``key`` names here, or None (not handled)."""
        try:
            return self._terms[key]
        except KeyError:
            meaning = self._define(key)
            _remember(self._terms, key, meaning)
            return meaning

    def term(self, key: str) -> Meaning:
        """:meth:`meaning`, which must be known."""
        found = self.meaning(key)
        if found is None:
            raise UNSUPPORTED
        return found

    def _define(self, key: str) -> Meaning | None:
        if key not in self.mappings:
            return key if key in (ID, TYPE) else None
        definition = self.mappings[key]
        if definition is None or definition.get("reverse"):
            return None
        iri = definition["@id"]
        if iri in (ID, TYPE):
            return str(iri)
        if not isinstance(iri, str) or not IRI.match(iri):
            return None
        if any(c != "@set" for c in definition.get("@container") or ()):
            return None
        if any(k in definition for k in ("@language", "@direction", "@nest", "@index")):
            return None
        coercion = definition.get("@type")
        if coercion not in (None, ID, "@vocab", "@none") and not plain_datatype(coercion):
            return None
        return ("<" + iri + ">", coercion, definition.get("@context"))

    def iri(self, value: Any) -> str:
        """``value`` as an IRI (document-relative expansion, which must leave it as it is)."""
        found = self._iris.get(value) if type(value) is str else None
        if found is None:
            if type(value) is not str or not IRI.match(value):
                raise UNSUPPORTED
            prefix, _, suffix = value.partition(":")
            if prefix in self.mappings and not suffix.startswith("//"):
                raise UNSUPPORTED  # a compact IRI
            found = _remember(self._iris, value, "<" + value + ">")
        return found

    def vocab_iri(self, value: Any) -> str:
        """``value`` expanded against the vocabulary: a term's IRI, else an absolute IRI."""
        found = self._vocab.get(value) if type(value) is str else None
        if found is None:
            if type(value) is str and value in self.mappings:
                definition = self.mappings[value]
                iri = None if definition is None else definition["@id"]
                if not isinstance(iri, str) or not IRI.match(iri):
                    raise UNSUPPORTED
                found = "<" + iri + ">"
            else:
                found = self.iri(value)
            _remember(self._vocab, value, found)
        return found

    def derive(self, local: Any, override: bool, propagate: bool) -> State:
        """The state after processing ``local`` (a context from a term definition)."""
        key = (id(local), override, propagate)
        found = self._derived.get(key)
        if found is None:
            state = State(self.process(self.ctx, local, override, propagate), self.process)
            found = _remember(self._derived, key, (local, state))
        return found[1]

    @property
    def previous(self) -> State | None:
        """The state a type-scoped (non-propagated) context reverts to."""
        if self._previous is None and "previousContext" in self.ctx:
            self._previous = State(self.ctx["previousContext"], self.process)
        return self._previous

    def typed(self, types: tuple[str, ...]) -> tuple[State, tuple[str, ...]]:
        """The state after the type-scoped contexts of ``types``, as pyld applies them
        (sorted, looked up here, processed one after the other without propagation), and
        the types' serialized IRIs (expanded here)."""
        try:
            found = self._typed.get(types)
        except TypeError:  # an unhashable type value
            raise UNSUPPORTED from None
        if found is None:
            if not types or any(type(t) is not str for t in types):
                raise UNSUPPORTED
            state = self
            for type_ in sorted(types):
                definition = self.mappings.get(type_)
                scoped = None if definition is None else definition.get("@context")
                if scoped is not None and scoped is not False:
                    state = state.derive(scoped, False, False)
            found = (state, tuple(self.vocab_iri(type_) for type_ in types))
            _remember(self._typed, types, found)
        return found

    def shape(self, keys: tuple[str, ...]) -> str | None:
        """The one key of a node with these keys that holds its types (None if none)."""
        try:
            return self._shapes[keys]
        except KeyError:
            pass
        found = [key for key in keys if self.meaning(key) == TYPE]
        if len(found) > 1:
            raise UNSUPPORTED
        type_key = found[0] if found else None
        _remember(self._shapes, keys, type_key)
        return type_key

    def plan(self, keys: tuple[str, ...], type_key: str | None) -> Plan:
        """How to read a node with these keys whose types (if any) led to this state."""
        found = self._plans.get((keys, type_key))
        if found is None:
            id_key = None
            properties = []
            for key in keys:
                meaning = self.term(key)
                if meaning == ID:
                    if id_key is not None:
                        raise UNSUPPORTED  # colliding keywords
                    id_key = key
                elif meaning == TYPE:
                    if key != type_key:
                        raise UNSUPPORTED
                else:
                    properties.append(PropertyPlan(key, meaning[0], meaning[2], self))
            if type_key is not None and self.term(type_key) != TYPE:
                raise UNSUPPORTED
            found = _remember(self._plans, (keys, type_key), (id_key, tuple(properties)))
        return found
