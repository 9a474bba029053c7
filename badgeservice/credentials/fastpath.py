"""Canonical N-Quads without full JSON-LD expansion, for the documents that allow it.

:class:`FastPath` turns a credential into triples with :mod:`.quadwalk` (the caller labels
them with :mod:`.fastrdfc`). It answers None for any document the walk does not understand,
and the caller then runs the full expansion — so safe mode refuses and accepts exactly what
it did.
It counts how many documents took each path (``fast`` and ``fallback``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from cachetools import LRUCache
from pyld.jsonld import JsonLdError

from .errors import CredentialError
from .fastrdfc import Triple
from .quadwalk import QuadWalker
from .termtables import Process, State, Unsupported

__all__ = ["FastPath", "MemoTable"]


class MemoTable:
    """Bounded, thread-safe memo of processed contexts, pinning the objects keyed by id."""

    def __init__(self, size: int = 2048) -> None:
        self._table: LRUCache[tuple[Any, ...], tuple[Any, ...]] = LRUCache(maxsize=size)
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> Any:
        with self._lock:
            hit = self._table.get(key)
        return None if hit is None else hit[0]

    def put(self, key: tuple[Any, ...], value: Any, *pinned: Any) -> None:
        with self._lock:
            self._table[key] = (value, *pinned)


# How many distinct document contexts (``@context`` values) to remember.
_DOCUMENT_STATES = 64


class FastPath:
    """Per-processor memo of processed contexts and the fast canonicalization."""

    def __init__(self, initial: Callable[[], Any], process: Process) -> None:
        self._initial = initial
        self._process = process
        self._documents: dict[tuple[str, ...], State] = {}
        self._lock = threading.Lock()
        self.fast = 0
        self.fallback = 0

    def state(self, context: Any) -> State:
        """The state a document with this ``@context`` starts in (raises Unsupported)."""
        # Only what JSON gives: a string or a list of them. Anything else (an embedded
        # context, a tuple handed in by a caller) is the full path's to accept or refuse.
        if type(context) is str:
            key: tuple[Any, ...] = (context,)
        elif type(context) is list:
            key = tuple(context)
        else:
            raise Unsupported
        if any(type(url) is not str for url in key):
            raise Unsupported
        state = self._documents.get(key)
        if state is None:
            state = State(self._process(self._initial(), list(key), False, True), self._process)
            with self._lock:
                if len(self._documents) >= _DOCUMENT_STATES:
                    self._documents.clear()
                self._documents[key] = state
        return state

    def triples(self, document: Mapping[str, Any]) -> set[Triple] | None:
        """The document's triples, or None when it must take the full path."""
        try:
            state = self.state(document["@context"])
            found = QuadWalker().walk(document, state)
        except (Unsupported, JsonLdError, CredentialError, RecursionError):
            self.fallback += 1
            return None
        self.fast += 1
        return found
