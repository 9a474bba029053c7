"""organisation.toml chooses how credentials are signed when the two N-Quads orders differ."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from badgeservice.definitions import read_organisation

from .conftest import edit

SLUG_LINE = 'slug = "esimerkkiopisto"'


def test_the_default_is_refuse(org_copy: Path) -> None:
    assert read_organisation(org_copy).nquads_ordering == "refuse"


def test_an_ordering_can_be_chosen(org_copy: Path) -> None:
    edit(org_copy / "organisation.toml", SLUG_LINE, SLUG_LINE + '\nnquads_ordering = "utf-16"')
    assert read_organisation(org_copy).nquads_ordering == "utf-16"


def test_an_unknown_ordering_is_named(
    org_copy: Path, problems: Callable[[Path], list[str]]
) -> None:
    edit(org_copy / "organisation.toml", SLUG_LINE, SLUG_LINE + '\nnquads_ordering = "utf-8"')
    assert problems(org_copy) == [
        "issuers/esimerkkiopisto/organisation.toml: organisation.nquads_ordering: "
        "must be 'refuse', 'code-point' or 'utf-16' (got 'utf-8')"
    ]
