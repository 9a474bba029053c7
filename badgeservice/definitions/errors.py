"""The errors of reading an organisation folder.

``DefinitionError`` is one problem, located by file and by a path inside the file;
``DefinitionErrors`` carries every problem found in one run, so an operator fixes a folder in
one pass instead of one error per run.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["DefinitionError", "DefinitionErrors"]


class DefinitionError(Exception):
    """One problem in an issuer-definition file.

    ``file`` is the file as the operator knows it (``issuers/acme/paths.toml``); ``path``
    points inside it in the dotted/indexed form ``paths[2].subgoals[0].achievement`` and is
    empty when the problem concerns the whole file (missing, malformed).
    """

    def __init__(self, file: str, path: str, message: str) -> None:
        super().__init__(file, path, message)
        self.file = file
        self.path = path
        self.message = message

    def __str__(self) -> str:
        if self.path:
            return f"{self.file}: {self.path}: {self.message}"
        return f"{self.file}: {self.message}"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DefinitionError):
            return NotImplemented
        return (self.file, self.path, self.message) == (other.file, other.path, other.message)

    def __hash__(self) -> int:
        return hash((self.file, self.path, self.message))


class DefinitionErrors(Exception):
    """Every problem found while reading one or more organisation folders."""

    def __init__(self, errors: Iterable[DefinitionError]) -> None:
        collected = list(errors)
        if not collected:
            raise ValueError("DefinitionErrors needs at least one error")
        super().__init__(collected)
        self.errors = collected

    def __str__(self) -> str:
        count = len(self.errors)
        heading = f"{count} problem{'s' if count != 1 else ''} in issuer definitions:"
        return "\n".join([heading, *(f"  {error}" for error in self.errors)])
