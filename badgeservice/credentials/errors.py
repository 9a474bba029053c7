"""The errors of the credential library.

Every failure the library reports is a :class:`CredentialError`; callers (the CLI, the web
service) map the subclasses to exit codes and problem types once, in one place.
"""

from __future__ import annotations

__all__ = [
    "BakingError",
    "ContextIntegrityError",
    "CredentialError",
    "DocumentTooLargeError",
    "KeyFormatError",
    "MalformedDocumentError",
    "OrderingConflictError",
    "ProofError",
    "ResolutionError",
    "SchemaValidationError",
    "StatusListError",
    "UnknownContextError",
    "UnsafeDocumentError",
]


class CredentialError(Exception):
    """Base class: something about a credential, key or document is unusable."""

    code = "credential-error"


class MalformedDocumentError(CredentialError):
    """The input is not the JSON-LD document shape the operation needs."""

    code = "malformed-document"


class UnknownContextError(CredentialError):
    """A document names a JSON-LD context that is not pinned; nothing is fetched."""

    code = "unknown-context"

    def __init__(self, url: str) -> None:
        super().__init__(f"unknown JSON-LD context {url!r}: only pinned contexts are loaded")
        self.url = url


class DocumentTooLargeError(MalformedDocumentError):
    """The document would cost more work than the :class:`~.limits.Limits` in force allow."""

    code = "document-too-large"

    def __init__(self, path: str, what: str, limit: str) -> None:
        super().__init__(
            f"{path}: document too large to process: {what} (raise Limits.{limit} to accept it)"
        )
        self.path = path
        self.limit = limit


class ContextIntegrityError(CredentialError):
    """A pinned context file does not match its recorded sha256."""

    code = "context-integrity"


class UnsafeDocumentError(CredentialError):
    """JSON-LD processing would drop or rewrite data (JSON-LD safe mode)."""

    code = "unsafe-document"

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class OrderingConflictError(CredentialError):
    """RDFC-1.0's code-point order and the UTF-16 order of JavaScript canonicalizers sort
    this document's statements differently, so a signature made under one fails under the
    other; ``fields`` are the JSON paths of the strings involved."""

    code = "ordering-conflict"

    def __init__(self, fields: list[str]) -> None:
        super().__init__(
            "the canonical statements of this document sort differently by Unicode code point "
            "(RDFC-1.0) and by UTF-16 code unit (JavaScript verifiers, e.g. wallets), so one of "
            "them would reject the signature; strings involved: "
            + (", ".join(fields) or "(not located)")
            + ". Change them, or choose an ordering explicitly"
        )
        self.fields = fields


class KeyFormatError(CredentialError):
    """A key is not an Ed25519 Multikey in the expected multibase form."""

    code = "key-format"


class ProofError(CredentialError):
    """A proof cannot be created, or is structurally unusable for verification."""

    code = "proof-error"


class ResolutionError(CredentialError):
    """A DID or verification method could not be resolved to a public key."""

    code = "resolution-error"


class StatusListError(CredentialError):
    """A status list or status entry is malformed or out of range."""

    code = "status-list-error"


class BakingError(CredentialError):
    """An image cannot be baked or holds no (or a malformed) credential."""

    code = "baking-error"


class SchemaValidationError(CredentialError):
    """A credential does not satisfy the pinned 1EdTech OB 3.0 JSON Schema."""

    code = "schema-validation"

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors
