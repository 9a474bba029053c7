"""Offline JSON-LD processing: expansion in safe mode and RDFC-1.0 canonical N-Quads.

pyld does the JSON-LD algorithms; this module adds what signing needs on top of it:

* contexts come only from the pinned :data:`~.contexts.CONTEXT_STORE`;
* **safe mode** (pyld has none): a document in which expansion would drop a term, leave a
  relative or malformed IRI, or otherwise lose data is refused with the JSON path at fault,
  as the reference JavaScript stack refuses it;
* **bounded work**: a document is measured against :class:`~.limits.Limits` (and checked for
  strings that are not Unicode text) before pyld sees it;
* **base direction**: ``@direction`` becomes an ``https://www.w3.org/ns/i18n#`` datatype
  (``rdfDirection: i18n-datatype``), as the reference JavaScript cryptosuites convert it;
* **speed**: processed contexts are memoized per (active context, pinned local context), so
  the VC and OB contexts and their type-scoped contexts are processed once per process
  instead of once per document; and :meth:`JsonLdProcessor.canonicalize` first tries the
  fast path (:mod:`.fastpath`), which walks the compact document straight to triples and
  falls back to full expansion for any shape it does not handle. Output is byte-identical;
  only repeated work is skipped.
"""

from __future__ import annotations

import copy
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from cachetools import LRUCache
from frozendict import frozendict
from pyld import jsonld as pyld_jsonld
from pyld.context_resolver import ContextResolver
from pyld.identifier_issuer import IdentifierIssuer

from .contexts import CONTEXT_STORE, ContextStore
from .errors import CredentialError, MalformedDocumentError, UnsafeDocumentError
from .fastpath import FastPath, MemoTable
from .fastrdfc import canonical_nquads
from .limits import DEFAULT_LIMITS, Limits, check_document
from .rdfc import Ordering, canonicalize_dataset, orderings_may_differ

__all__ = ["JsonLdProcessor", "canonicalize", "expand", "is_valid_iri"]

T = TypeVar("T")

_KEYWORD = re.compile(r"^@[a-zA-Z]+$")
# An absolute IRI: a scheme, then no white space, controls or characters IRIs forbid.
_ABSOLUTE_IRI = re.compile(r'^[A-Za-z][A-Za-z0-9+.\-]*:[^\x00-\x20<>"{}|^`\\\x7f]*$')


def is_valid_iri(value: object) -> bool:
    """True for an absolute IRI that survives RDF conversion unchanged."""
    return isinstance(value, str) and _ABSOLUTE_IRI.match(value) is not None


def _is_node_id(value: object) -> bool:
    return isinstance(value, str) and (value.startswith("_:") or is_valid_iri(value))


def _json_path(root: Any, target: object) -> str:
    """Find ``target`` (by identity) inside ``root`` and spell its JSON path."""

    def walk(node: Any, path: str) -> Iterator[str]:
        if node is target:
            yield path
        if isinstance(node, dict):
            for key, value in node.items():
                yield from walk(
                    value, f"{path}.{key}" if _PLAIN_KEY.match(key) else f"{path}[{key!r}]"
                )
        elif isinstance(node, list):
            for index, value in enumerate(node):
                yield from walk(value, f"{path}[{index}]")

    return next(walk(root, "$"), "$")


_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class _Processor(pyld_jsonld.JsonLdProcessor):  # type: ignore[misc]
    """pyld's processor with memoized context processing and safe-mode checks."""

    def __init__(self, owner: JsonLdProcessor) -> None:
        super().__init__(on_property_dropped=self._property_dropped)
        self._owner = owner
        self._root: Any = None
        self._stack: list[tuple[Any, Any]] = []

    # -- context memo -----------------------------------------------------------------

    def _local_key(self, local_ctx: Any) -> tuple[Any, ...] | None:
        if isinstance(local_ctx, str):
            return ("url", local_ctx)
        if isinstance(local_ctx, dict | frozendict):
            return ("pinned", id(local_ctx)) if id(local_ctx) in self._owner.pinned_ids else None
        if isinstance(local_ctx, list):
            parts = [self._local_key(item) for item in local_ctx]
            if all(part is not None for part in parts):
                return ("list", *parts)
        return None

    def _process_context(
        self,
        active_ctx: Any,
        local_ctx: Any,
        options: Any,
        override_protected: bool = False,
        propagate: bool = True,
        validate_scoped: bool = True,
        cycles: Any = None,
    ) -> Any:
        def process() -> Any:
            return super(_Processor, self)._process_context(
                active_ctx, local_ctx, options, override_protected, propagate,
                validate_scoped, cycles,
            )  # fmt: skip

        local_key = None
        if isinstance(active_ctx, frozendict) and "_uuid" in active_ctx:
            local_key = self._local_key(local_ctx)
        if local_key is None:
            return process()
        key = (active_ctx["_uuid"], local_key, override_protected, propagate, validate_scoped)
        memo = self._owner.memo
        result = memo.get(key)
        if result is None:
            result = process()
            if isinstance(result, frozendict):
                memo.put(key, result, active_ctx, local_ctx)
        return result

    # -- safe mode --------------------------------------------------------------------

    def _unsafe(self, element: Any, key: str | None, reason: str) -> UnsafeDocumentError:
        path = _json_path(self._root, element)
        if key is not None:
            path += f".{key}" if _PLAIN_KEY.match(key) else f"[{key!r}]"
        return UnsafeDocumentError(path, reason)

    def _property_dropped(self, expanded_property: Any) -> None:
        element, active_ctx = self._stack[-1]
        for key in element:
            if key == "@context":
                continue
            expanded = self._expand_iri(active_ctx, key, vocab=True)
            if expanded is None or not (is_valid_iri(expanded) or _KEYWORD.match(expanded)):
                raise self._unsafe(
                    element, key, "term is not defined by any @context; it would be dropped"
                )
        raise self._unsafe(element, None, f"property {expanded_property!r} would be dropped")

    def _expand_object(
        self,
        active_ctx: Any,
        active_property: Any,
        expanded_active_property: Any,
        element: Any,
        expanded_parent: Any,
        options: Any,
        inside_list: bool = False,
        type_key: Any = None,
        type_scoped_ctx: Any = None,
    ) -> Any:
        for key, value in element.items():
            if value is None and key != "@context":
                raise self._unsafe(element, key, "null value would be dropped")
        self._stack.append((element, active_ctx))
        try:
            result = super()._expand_object(
                active_ctx,
                active_property,
                expanded_active_property,
                element,
                expanded_parent,
                options,
                inside_list,
                type_key,
                type_scoped_ctx,
            )
        finally:
            self._stack.pop()
        self._check_expanded(element, expanded_parent, active_ctx)
        return result

    def _check_expanded(self, element: Any, expanded: Any, active_ctx: Any) -> None:
        if "@id" in expanded and not _is_node_id(expanded["@id"]):
            raise self._unsafe(element, None, f"id {expanded['@id']!r} is not an absolute IRI")
        types = expanded.get("@type", []) if "@value" not in expanded else []
        for type_ in types if isinstance(types, list) else [types]:
            if not _is_node_id(type_):
                raise self._unsafe(element, None, f"type {type_!r} is not defined by any @context")
        for prop, values in expanded.items():
            if prop.startswith("@"):
                continue
            for value in values if isinstance(values, list) else [values]:
                if not isinstance(value, dict):
                    continue
                problem = None
                if set(value) == {"@id"} and not _is_node_id(value["@id"]):
                    problem = f"IRI value {value['@id']!r} is not an absolute IRI"
                if problem:
                    raise self._unsafe(element, self._key_for(element, prop, active_ctx), problem)

    def _key_for(self, element: Any, prop: str, active_ctx: Any) -> str | None:
        for key in element:
            if key != "@context" and self._expand_iri(active_ctx, key, vocab=True) == prop:
                return str(key)
        return None

    # -- operations -------------------------------------------------------------------

    def expand_document(self, document: Any, options: dict[str, Any]) -> list[Any]:
        self._root = copy.deepcopy(document)
        active_ctx = self._get_initial_context(options)
        expanded = self._expand(active_ctx, None, self._root, options, inside_list=False)
        if isinstance(expanded, dict) and "@graph" in expanded and len(expanded) == 1:
            expanded = expanded["@graph"]
        elif expanded is None:
            expanded = []
        return list(expanded) if isinstance(expanded, list) else [expanded]

    def to_dataset(self, expanded: list[Any], options: dict[str, Any]) -> dict[str, Any]:
        issuer = IdentifierIssuer("_:b")
        node_map: dict[str, Any] = {"@default": {}}
        self._create_node_map(expanded, node_map, "@default", issuer)
        dataset = {}
        for graph_name, graph in sorted(node_map.items()):
            if graph_name != "@default" and not _is_node_id(graph_name):
                raise UnsafeDocumentError("$", f"graph name {graph_name!r} is not an IRI")
            dataset[graph_name] = self._graph_to_rdf(graph, issuer, options)
        return dataset


class JsonLdProcessor:
    """Expands and canonicalizes documents against one :class:`ContextStore`."""

    def __init__(
        self,
        store: ContextStore = CONTEXT_STORE,
        limits: Limits = DEFAULT_LIMITS,
        *,
        fast: bool = True,
    ) -> None:
        self.store = store
        self.limits = limits
        self.memo = MemoTable()
        self._resolved: LRUCache[str, Any] = LRUCache(maxsize=256)
        self._pinned_ids: set[int] | None = None
        self._pinned_lock = threading.Lock()
        # None: every document takes full expansion (the reference the fast path must equal).
        self.fast_path = FastPath(self._initial_context, self._process) if fast else None

    def _initial_context(self) -> Any:
        return _Processor(self)._get_initial_context(self._options())

    def _process(self, active: Any, local: Any, override_protected: bool, propagate: bool) -> Any:
        self.pinned_ids  # noqa: B018 - the context memo needs the identity set
        return _Processor(self)._process_context(
            active, local, self._options(), override_protected, propagate
        )

    @property
    def pinned_ids(self) -> set[int]:
        """Identities of every object inside the pinned context documents."""
        if self._pinned_ids is None:
            with self._pinned_lock:
                if self._pinned_ids is None:
                    ids: set[int] = set()

                    def collect(node: Any) -> None:
                        if isinstance(node, dict):
                            ids.add(id(node))
                            for value in node.values():
                                collect(value)
                        elif isinstance(node, list):
                            for value in node:
                                collect(value)

                    for url in self.store.urls:
                        collect(self.store.document(url))
                    self._pinned_ids = ids
        return self._pinned_ids

    def _options(self) -> dict[str, Any]:
        return {
            "base": None,  # no document base: relative IRIs stay relative and are refused
            "documentLoader": self.store.load,
            "contextResolver": ContextResolver(self._resolved, self.store.load),
            "processingMode": "json-ld-1.1",
            "isFrame": False,
            "keepFreeFloatingNodes": False,
            "extractAllScripts": False,
            "produceGeneralizedRdf": False,
            "rdfDirection": "i18n-datatype",
        }

    def expand(self, document: Mapping[str, Any]) -> list[Any]:
        """Expand ``document`` in safe mode."""

        def run(proc: _Processor, opts: dict[str, Any]) -> list[Any]:
            return proc.expand_document(document, opts)

        return self._run(document, run)

    def canonicalize(self, document: Mapping[str, Any], ordering: Ordering = "code-point") -> str:
        """RDFC-1.0 canonical N-Quads of ``document`` (expanded in safe mode); ``ordering``
        ``"utf-16"`` sorts as JavaScript canonicalizers do."""

        def run(proc: _Processor, opts: dict[str, Any]) -> str:
            dataset = proc.to_dataset(proc.expand_document(document, opts), opts)
            return canonicalize_dataset(dataset, ordering=ordering)

        self._check(document)
        if self.fast_path is not None:
            triples = self.fast_path.triples(document)
            if triples is not None:
                return canonical_nquads(triples, ordering)
        return self._run(document, run, checked=True)

    def canonicalize_both(self, document: Mapping[str, Any]) -> tuple[str, str | None]:
        """The canonical N-Quads in code-point order, and in UTF-16 order when that differs
        (None when both orders give the same text, as they do for nearly every document)."""

        def run(proc: _Processor, opts: dict[str, Any]) -> tuple[str, str | None]:
            dataset = proc.to_dataset(proc.expand_document(document, opts), opts)
            code_point = canonicalize_dataset(dataset)
            if not orderings_may_differ(code_point):
                return code_point, None
            utf16 = canonicalize_dataset(dataset, ordering="utf-16")
            return code_point, (utf16 if utf16 != code_point else None)

        self._check(document)
        if self.fast_path is not None:
            triples = self.fast_path.triples(document)
            if triples is not None:
                code_point = canonical_nquads(triples)
                if not orderings_may_differ(code_point):
                    return code_point, None
                utf16 = canonical_nquads(triples, "utf-16")
                return code_point, (utf16 if utf16 != code_point else None)
        return self._run(document, run, checked=True)

    def _check(self, document: Mapping[str, Any]) -> None:
        if not isinstance(document, Mapping):
            raise MalformedDocumentError("a JSON-LD document must be a JSON object")
        if "@context" not in document:
            raise UnsafeDocumentError("$", "document has no @context")
        check_document(document, self.limits)

    def _run(
        self,
        document: Mapping[str, Any],
        operation: Callable[[_Processor, dict[str, Any]], T],
        *,
        checked: bool = False,
    ) -> T:
        if not checked:
            self._check(document)
        self.pinned_ids  # noqa: B018 - build the identity set before processing
        try:
            return operation(_Processor(self), self._options())
        except pyld_jsonld.JsonLdError as exc:
            raise _unwrap(exc) from None
        except RecursionError:
            raise MalformedDocumentError("document is nested too deeply") from None


def _unwrap(exc: BaseException) -> CredentialError:
    """Turn pyld's wrapped errors back into ours (an unknown context, an unsafe term)."""
    cause: BaseException | None = exc
    messages = []
    while cause is not None:
        if isinstance(cause, CredentialError):
            return cause
        if isinstance(cause, pyld_jsonld.JsonLdError):
            messages.append(str(getattr(cause, "message", cause)).split("\n")[0])
        cause = cause.__cause__ or cause.__context__
    return MalformedDocumentError("invalid JSON-LD: " + (messages[-1] if messages else str(exc)))


_DEFAULT = JsonLdProcessor()


def expand(document: Mapping[str, Any]) -> list[Any]:
    """Expand with the pinned contexts, in safe mode."""
    return _DEFAULT.expand(document)


def canonicalize(document: Mapping[str, Any], ordering: Ordering = "code-point") -> str:
    """Canonical N-Quads of a document, with the pinned contexts, in safe mode."""
    return _DEFAULT.canonicalize(document, ordering)
