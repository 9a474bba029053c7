"""The badge image generator draws distinct, accessible, well-formed SVGs."""

from __future__ import annotations

from pathlib import Path

import pytest
from defusedxml import ElementTree as SafeET

from badgeservice.credentials.baking import bake, unbake
from badgeservice.definitions.badge_images import (
    AREA_COLOURS,
    PATH_COLOURS,
    main,
    regenerate,
    render_badge,
)

from .conftest import edit

SVG = "{http://www.w3.org/2000/svg}"
DASH = "\u2013"  # the en dash between English and Finnish names


def parse(svg: str) -> SafeET.Element:
    root = SafeET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def texts(root: SafeET.Element) -> list[str]:
    return [element.text or "" for element in root.iter(f"{SVG}text")]


def test_competence_badge() -> None:
    root = parse(
        render_badge("Protecting personal data", subtitle="Tietosuoja", area=4, code="4.2", level=3)
    )
    assert root.findtext(f"{SVG}title") == f"Protecting personal data {DASH} Tietosuoja"
    assert "level 3 of 8" in (root.findtext(f"{SVG}desc") or "")
    assert root.get("aria-labelledby") == "t d"
    assert "DIGCOMP 4.2" in texts(root)
    assert "Tietosuoja" in texts(root)
    assert AREA_COLOURS[4] in render_badge("x", area=4)
    pips = [c for c in root.iter(f"{SVG}circle") if c.get("r") == "5"]
    assert [c.get("fill") for c in pips].count("#ffffff") == 3
    assert len(pips) == 8


def test_path_badge() -> None:
    root = parse(render_badge("Digital Trainer"))
    assert root.find(f".//{SVG}polygon") is not None
    assert "PATH BADGE" in texts(root)
    assert PATH_COLOURS[0] in render_badge("Digital Trainer")


def test_text_is_escaped() -> None:
    root = parse(render_badge("Tools & <tricks>", subtitle="A & B", area=1))
    assert root.findtext(f"{SVG}title") == f"Tools & <tricks> {DASH} A & B"


def test_long_titles_wrap_and_shrink() -> None:
    long_title = "Troubleshooting classroom technology and video conference equipment"
    root = parse(render_badge(long_title, area=5, code="5.1", level=4))
    lines = [t for t in root.iter(f"{SVG}text") if t.get("font-weight") == "700"][1:]
    assert 2 <= len(lines) <= 3
    assert all(len(line.text or "") <= 22 for line in lines)


def test_area_colours_are_distinct() -> None:
    colours = [*AREA_COLOURS.values(), PATH_COLOURS[0]]
    assert len(set(colours)) == len(colours)
    assert sorted(AREA_COLOURS) == [1, 2, 3, 4, 5]


def test_deterministic() -> None:
    assert render_badge("A", area=2, code="2.1", level=4) == render_badge(
        "A", area=2, code="2.1", level=4
    )


@pytest.mark.parametrize(("area", "level"), [(0, None), (6, None), (1, 0), (1, 9)])
def test_rejects_out_of_range(area: int, level: int | None) -> None:
    with pytest.raises(ValueError, match="must be"):
        render_badge("x", area=area, level=level)


def test_badges_can_be_baked() -> None:
    """The SVGs are valid carriers for an OB 3.0 credential."""
    image = render_badge("Search strategies", area=1, code="1.1", level=3).encode()
    credential = {"type": ["VerifiableCredential", "OpenBadgeCredential"], "name": "x"}
    baked = bake(image, credential)
    assert unbake(baked).credential == credential


def test_regenerate_and_check(org_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--check", str(org_copy)]) == 0
    # Drawn in the organisation's default language (Finnish).
    edit(org_copy / "achievements.toml", 'fi = "Tiedonhaun strategiat"', 'fi = "Smarter searching"')
    assert main(["--check", str(org_copy)]) == 1
    assert "outdated" in capsys.readouterr().out
    assert regenerate(org_copy) == [org_copy / "images" / "search-strategies.svg"]
    assert "Smarter" in (org_copy / "images" / "search-strategies.svg").read_text(encoding="utf-8")
    assert regenerate(org_copy, check=True) == []
