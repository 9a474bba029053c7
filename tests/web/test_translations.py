"""The Finnish, Swedish and English catalogs are complete and current: every message the
pages' sources use (extracted afresh with pybabel) is in each catalog, translated, not
fuzzy, and the compiled .mo files say the same as the .po files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tests.conftest import ROOT

TRANSLATIONS = ROOT / "badgeservice" / "web" / "translations"
LANGUAGES = ("fi", "sv", "en")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> set[object]:
    target = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "--no-location",
            "-o",
            str(target),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with target.open("rb") as handle:
        catalog = read_po(handle)
    ids = {message.id for message in catalog if message.id}
    assert len(ids) > 50  # the extraction found the pages' messages
    return ids


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_is_complete_and_current(language: str, extracted: set[object]) -> None:
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle)
    ids = {message.id for message in catalog if message.id}
    missing = sorted(map(str, extracted - ids))
    stale = sorted(map(str, ids - extracted))
    assert not missing, f"{language}: not in the catalog (run pybabel update): {missing}"
    assert not stale, f"{language}: no longer in the sources: {stale}"
    untranslated = []
    fuzzy = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings) or len(strings) < (2 if message.pluralizable else 1):
            untranslated.append(message.id)
        if message.fuzzy:
            fuzzy.append(message.id)
    assert not untranslated, f"{language}: untranslated: {untranslated}"
    assert not fuzzy, f"{language}: fuzzy: {fuzzy}"
    assert not catalog.fuzzy, f"{language}: the catalog header is marked fuzzy"
    assert catalog.plural_forms == "nplurals=2; plural=(n != 1);"


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalog_matches_its_source(language: str) -> None:
    folder = TRANSLATIONS / language / "LC_MESSAGES"

    def entries(catalog: object) -> dict[object, object]:
        return {
            tuple(m.id) if isinstance(m.id, list | tuple) else m.id: tuple(m.string)
            if isinstance(m.string, list | tuple)
            else m.string
            for m in catalog  # type: ignore[attr-defined]
            if m.id
        }

    with (folder / "messages.po").open("rb") as handle:
        source = entries(read_po(handle))
    with (folder / "messages.mo").open("rb") as handle:
        compiled = entries(read_mo(handle))
    assert compiled == source, f"{language}: messages.mo is stale (run make translations)"


def test_the_finnish_and_swedish_catalogs_are_not_english(extracted: set[object]) -> None:
    # A catalog "translated" by copying the English would pass the completeness check.
    for language in ("fi", "sv"):
        with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
            catalog = read_po(handle)
        same = [m.id for m in catalog if m.id and m.string == m.id and len(str(m.id)) > 12]
        assert not same, f"{language}: left in English: {same}"


def test_the_template_is_current(extracted: set[object]) -> None:
    with (TRANSLATIONS / "messages.pot").open("rb") as handle:
        committed = {m.id for m in read_po(handle) if m.id}
    assert committed == extracted, "messages.pot is stale (run make translations)"


def test_compiled_catalogs_ship_with_the_package() -> None:
    for language in LANGUAGES:
        assert Path(TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo").is_file()
