"""Pinned JSON-LD contexts and the offline document loader.

Only the context files listed in ``schemas/contexts/manifest.json`` are ever loaded, each
checked against its recorded sha256 before first use. Any other URL is refused with
:class:`UnknownContextError`; the library never touches the network.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ContextIntegrityError, UnknownContextError
from .resources import schemas_dir

__all__ = [
    "CONTEXT_STORE",
    "DATA_INTEGRITY_V2",
    "DID_V1",
    "MULTIKEY_V1",
    "OB_V3P0",
    "OB_V3P0_EXTENSIONS",
    "UNDEFINED_TERMS_V2",
    "VC_V2",
    "ContextStore",
    "PinnedContext",
]

VC_V2 = "https://www.w3.org/ns/credentials/v2"
UNDEFINED_TERMS_V2 = "https://www.w3.org/ns/credentials/undefined-terms/v2"
OB_V3P0 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_V3P0_EXTENSIONS = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
DATA_INTEGRITY_V2 = "https://w3id.org/security/data-integrity/v2"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"
DID_V1 = "https://www.w3.org/ns/did/v1"


@dataclass(frozen=True)
class PinnedContext:
    """One context document: the URL it answers for, its file and recorded hash."""

    url: str
    path: Path
    sha256: str


class ContextStore:
    """Serves pinned context documents by URL, hash-checked once, parsed once.

    The parsed documents are shared between calls on purpose: the JSON-LD processor caches
    processed contexts by document identity, which is what makes repeated signing fast.
    Callers must treat returned documents as read-only.
    """

    def __init__(self, manifest: Path) -> None:
        data = json.loads(manifest.read_text(encoding="utf-8"))
        self._pinned = {
            entry["url"]: PinnedContext(
                url=entry["url"], path=manifest.parent / entry["file"], sha256=entry["sha256"]
            )
            for entry in data["contexts"]
        }
        self._documents: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    @property
    def urls(self) -> frozenset[str]:
        """The URLs this store answers for."""
        return frozenset(self._pinned)

    def pinned(self, url: str) -> PinnedContext:
        """Return the pin record for ``url`` or raise :class:`UnknownContextError`."""
        try:
            return self._pinned[url]
        except KeyError:
            raise UnknownContextError(url) from None

    def document(self, url: str) -> dict[str, Any]:
        """Return the parsed context document for ``url`` (shared; do not mutate)."""
        doc = self._documents.get(url)
        if doc is not None:
            return doc
        pin = self.pinned(url)
        with self._lock:
            doc = self._documents.get(url)
            if doc is None:
                raw = pin.path.read_bytes()
                digest = hashlib.sha256(raw).hexdigest()
                if digest != pin.sha256:
                    raise ContextIntegrityError(
                        f"pinned context {url!r} ({pin.path.name}) has sha256 {digest}, "
                        f"expected {pin.sha256}"
                    )
                doc = json.loads(raw)
                self._documents[url] = doc
        return doc

    def verify_all(self) -> None:
        """Hash-check every pinned file now (raises on the first mismatch)."""
        for url in self._pinned:
            self.document(url)

    def load(self, url: str, options: object = None) -> dict[str, Any]:
        """A pyld document loader: the remote-document shape, marked static for caching."""
        return {
            "contextUrl": None,
            "documentUrl": url,
            "document": self.document(url),
            "tag": "static",
        }


CONTEXT_STORE = ContextStore(schemas_dir() / "contexts" / "manifest.json")
