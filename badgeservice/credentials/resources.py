"""Locate the machine-readable contracts in ``schemas/`` (contexts, JSON Schemas)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

__all__ = ["schemas_dir"]


@cache
def schemas_dir() -> Path:
    """Return the ``schemas/`` folder.

    In a source checkout (and an editable install) it sits beside the package; a built
    wheel carries a copy inside the package.
    """
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "schemas", package.parent / "schemas"):
        if (candidate / "contexts" / "manifest.json").is_file():
            return candidate
    raise FileNotFoundError("badgeservice schemas/ folder not found beside the package")
