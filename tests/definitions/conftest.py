"""Fixtures: the example organisation, and editable copies of it."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from badgeservice.definitions import DefinitionErrors, OrganisationDefinition, read_organisation

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "issuers" / "esimerkkiopisto"
LABEL = "issuers/esimerkkiopisto"


@pytest.fixture(scope="session")
def example() -> OrganisationDefinition:
    return read_organisation(EXAMPLE)


@pytest.fixture
def org_copy(tmp_path: Path) -> Path:
    """A copy of the example at ``<tmp>/issuers/esimerkkiopisto`` (same error labels)."""
    target = tmp_path / "issuers" / "esimerkkiopisto"
    shutil.copytree(EXAMPLE, target)
    return target


def edit(file: Path, old: str, new: str, *, count: int = 1) -> None:
    """Replace the first ``count`` occurrences of ``old``, which must exist."""
    text = file.read_text(encoding="utf-8")
    assert text.count(old) >= count, f"{old!r} not found {count} times in {file.name}"
    file.write_text(text.replace(old, new, count), encoding="utf-8")


def append(file: Path, text: str) -> None:
    with file.open("a", encoding="utf-8") as handle:
        handle.write("\n" + text)


@pytest.fixture
def problems() -> Callable[[Path], list[str]]:
    """Read a folder that must be broken; its problems as strings."""

    def read(folder: Path) -> list[str]:
        with pytest.raises(DefinitionErrors) as caught:
            read_organisation(folder)
        return [str(error) for error in caught.value.errors]

    return read
