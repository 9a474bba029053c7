"""The errors of the credential library.

Every failure the library reports is a :class:`CredentialError`; callers (the CLI, the web
service) map the subclasses to exit codes and problem types once, in one place.
"""

from __future__ import annotations

__all__ = [
    "BakingError",
    "ContextIntegrityError",
    "CredentialError",
    "KeyFormatError",
    "MalformedDocumentError",
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
