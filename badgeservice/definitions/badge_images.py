"""Render simple, accessible SVG badge images, and regenerate those of an organisation folder.

A competence badge is a disc in its DigComp area's colour with the competence code on top,
the title in the middle and the proficiency level as eight pips below; a path badge is a
hexagon in slate and gold. The code and level are printed, so the badge never relies on
colour alone, and every image has a ``<title>`` and ``<desc>`` for screen readers.

    python -m badgeservice.definitions.badge_images issuers/esimerkkiopisto [--check]

Output is deterministic: the same inputs give the same bytes, so achievement content hashes
only change when a badge really changes.
"""

from __future__ import annotations

import argparse
import math
import sys
import textwrap
import tomllib
from pathlib import Path, PurePosixPath
from typing import Any
from xml.sax.saxutils import escape

from . import digcomp

__all__ = ["AREA_COLOURS", "PATH_COLOURS", "main", "regenerate", "render_badge"]

#: Fill colours per DigComp area; each keeps white text above a 4.5:1 contrast ratio.
AREA_COLOURS: dict[int, str] = {
    1: "#1d5fa6",
    2: "#0b7267",
    3: "#7b3fa0",
    4: "#b02a2a",
    5: "#a84a00",
}
#: Fill and accent of path badges.
PATH_COLOURS = ("#2f3e55", "#e8c15a")

_SIZE = 240
_CENTRE = _SIZE // 2
_FONT = "'Source Sans 3','Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif"
_TITLE_WIDTH = 176  # px across the badge face that titles may use
_SEPARATOR = " \u2013 "  # names read "English name, en dash, Finnish name"


def render_badge(
    title: str,
    *,
    subtitle: str | None = None,
    area: int | None = None,
    code: str | None = None,
    level: int | None = None,
) -> str:
    """An SVG badge: a competence badge when ``area`` is given, otherwise a path badge."""
    if area is not None and area not in AREA_COLOURS:
        raise ValueError(f"DigComp area must be 1-5, got {area}")
    top = digcomp.max_level()
    if level is not None and not 1 <= level <= top:
        raise ValueError(f"level must be 1-{top}, got {level}")
    full_title = f"{title}{_SEPARATOR}{subtitle}" if subtitle else title
    if area is None:
        fill, accent = PATH_COLOURS
        shape = _hexagon(fill, accent)
        label = "PATH BADGE"
        description = "Path badge: awarded for completing every required sub-goal of a path."
        footer: list[str] = []
    else:
        fill, accent = AREA_COLOURS[area], "#ffffff"
        shape = _disc(fill)
        label = f"DIGCOMP {code}" if code else f"DIGCOMP AREA {area}"
        description = f"DigComp 2.2 area {area}: {digcomp.area_title(str(area))}"
        description += f", competence {code}" if code else ""
        description += f", proficiency level {level} of {top}." if level else "."
        footer = _level_pips(level) if level else []
    body = [
        *shape,
        _text(_CENTRE, 58, label, size=13, weight=700, spacing=1.5, fill=accent),
        *_title_block(title, subtitle),
        *footer,
    ]
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{_SIZE}" height="{_SIZE}" '
            f'viewBox="0 0 {_SIZE} {_SIZE}" role="img" aria-labelledby="t d">',
            f'<title id="t">{escape(full_title)}</title>',
            f'<desc id="d">{escape(description)}</desc>',
            f'<g font-family="{_FONT}" text-anchor="middle">',
            *body,
            "</g>",
            "</svg>",
            "",
        ]
    )


def _disc(fill: str) -> list[str]:
    return [
        f'<circle cx="{_CENTRE}" cy="{_CENTRE}" r="116" fill="{fill}"/>',
        f'<circle cx="{_CENTRE}" cy="{_CENTRE}" r="105" fill="none" stroke="#ffffff" '
        'stroke-opacity="0.6" stroke-width="2"/>',
    ]


def _hexagon(fill: str, accent: str) -> list[str]:
    def points(radius: float) -> str:
        corners = (math.radians(30 + 60 * step) for step in range(6))
        return " ".join(
            f"{_CENTRE + radius * math.cos(a):.1f},{_CENTRE + radius * math.sin(a):.1f}"
            for a in corners
        )

    return [
        f'<polygon points="{points(118)}" fill="{fill}"/>',
        f'<polygon points="{points(106)}" fill="none" stroke="{accent}" stroke-width="3"/>',
    ]


def _title_block(title: str, subtitle: str | None) -> list[str]:
    size, lines = _fit(title)
    line_height = round(size * 1.2)
    sub_lines = textwrap.wrap(subtitle, width=30)[:2] if subtitle else []
    height = len(lines) * line_height + (len(sub_lines) * 14 + 4 if sub_lines else 0)
    # Centre the block between the label (y=58) and the level row (y=186); a baseline sits
    # about 0.75 em below the top of its line.
    y = 124 - height / 2 + size * 0.75
    parts = []
    for line in lines:
        parts.append(_text(_CENTRE, y, line, size=size, weight=700))
        y += line_height
    y += 4 - line_height + 14
    for line in sub_lines:
        parts.append(_text(_CENTRE, y, line, size=12, italic=True, opacity=0.92))
        y += 14
    return parts


def _fit(title: str) -> tuple[int, list[str]]:
    """The largest font size at which the title fits: two lines, or three at smaller sizes."""
    for size, most in ((19, 2), (17, 2), (16, 3), (14, 3)):
        lines = textwrap.wrap(title, width=int(_TITLE_WIDTH / (size * 0.6)))
        if len(lines) <= most:
            return size, lines
    lines = textwrap.wrap(title, width=int(_TITLE_WIDTH / (14 * 0.6)))
    return 14, [*lines[:2], textwrap.shorten(" ".join(lines[2:]), width=22, placeholder="…")]


def _level_pips(level: int) -> list[str]:
    spacing = 16
    top = digcomp.max_level()
    left = _CENTRE - spacing * (top - 1) / 2
    parts = [_text(_CENTRE, 188, f"LEVEL {level} · TASO {level}", size=11, weight=600, spacing=1)]
    for step in range(top):
        x = left + step * spacing
        style = 'fill="#ffffff"' if step < level else 'fill="none" stroke="#ffffff"'
        parts.append(f'<circle cx="{x:g}" cy="202" r="5" {style} stroke-width="1.5"/>')
    return parts


def _text(
    x: float,
    y: float,
    content: str,
    *,
    size: float,
    weight: int = 400,
    spacing: float = 0,
    italic: bool = False,
    opacity: float = 1,
    fill: str = "#ffffff",
) -> str:
    attributes = [f'x="{x:g}"', f'y="{y:g}"', f'font-size="{size:g}"', f'fill="{fill}"']
    if weight != 400:
        attributes.append(f'font-weight="{weight}"')
    if spacing:
        attributes.append(f'letter-spacing="{spacing:g}"')
    if italic:
        attributes.append('font-style="italic"')
    if opacity != 1:
        attributes.append(f'fill-opacity="{opacity:g}"')
    return f"<text {' '.join(attributes)}>{escape(content)}</text>"


def badge_for(achievement: dict[str, Any], language: str = "en") -> str:
    """The badge of one ``[[achievements]]`` entry of an achievements.toml. A name written
    in several languages is drawn in ``language`` (the organisation's default), else in
    the first it is written in; a plain "Title - Subtitle" name (an en dash between) as two lines.

    Competency achievements take area, code and level from their first alignment; every
    other type is drawn as a path badge.
    """
    name = achievement["name"]
    if isinstance(name, dict):
        title, subtitle = str(name.get(language) or next(iter(name.values()))), ""
    else:
        title, _, subtitle = str(name).partition(_SEPARATOR)
    alignments = achievement.get("alignments") or []
    if achievement.get("achievement_type", "Competency") != "Competency" or not alignments:
        return render_badge(title, subtitle=subtitle or None)
    first = alignments[0]
    code = str(first["competence"])
    return render_badge(
        title,
        subtitle=subtitle or None,
        area=int(digcomp.area_of(code)),
        code=code,
        level=first.get("level"),
    )


def regenerate(folder: Path, *, check: bool = False) -> list[Path]:
    """Write the SVG image of every achievement in ``folder``; return the files that changed.

    With ``check`` nothing is written: the result lists the files that are out of date.
    """
    data = tomllib.loads((folder / "achievements.toml").read_text(encoding="utf-8"))
    language = "en"
    if (folder / "organisation.toml").is_file():
        profile = tomllib.loads((folder / "organisation.toml").read_text(encoding="utf-8"))
        language = profile.get("organisation", {}).get("default_language", "en")
    changed = []
    for achievement in data.get("achievements", []):
        relative = PurePosixPath(achievement["image"])
        if relative.suffix != ".svg" or relative.is_absolute() or ".." in relative.parts:
            continue
        target = folder / relative
        content = badge_for(achievement, language).encode("utf-8")
        if target.is_file() and target.read_bytes() == content:
            continue
        changed.append(target)
        if not check:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
    return changed


def main(argv: list[str] | None = None) -> int:
    """Command line: regenerate (or ``--check``) the badge images of organisation folders."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("folders", nargs="+", type=Path, help="organisation folders")
    parser.add_argument("--check", action="store_true", help="only report outdated images")
    args = parser.parse_args(argv)
    outdated = False
    for folder in args.folders:
        for path in regenerate(folder, check=args.check):
            outdated = True
            print(f"{'outdated' if args.check else 'wrote'} {path}")
    return 1 if args.check and outdated else 0


if __name__ == "__main__":
    sys.exit(main())
