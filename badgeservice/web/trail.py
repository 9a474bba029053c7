"""A path drawn as a trail: its sub-goals as stations left to right, wrapping in a snake so
the order reads on, each station's state shown by shape and word (never colour alone).
Server-rendered SVG with a title and a description; the page lists the same stations as
text beside it."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

from markupsafe import Markup, escape

from .i18n import current_language
from .learner_data import PathView, Station, StationState

__all__ = ["trail_svg"]

_COLUMN = 190
_ROW = 200
_MARGIN = 16
_RADIUS = 38
_LOCK = "M-9 -2h18v14h-18z M-6 -2v-6a6 6 0 0 1 12 0v6"
_CHECK = "M-12 0l8 8l16 -16"


def _centre(index: int, per_row: int) -> tuple[int, int]:
    row, column = divmod(index, per_row)
    if row % 2:
        column = per_row - 1 - column  # the snake turns back on odd rows
    x = _MARGIN + column * _COLUMN + _COLUMN // 2
    y = _MARGIN + row * _ROW + _RADIUS + 8
    return x, y


def _lines(text: str, width: int = 20, most: int = 2) -> list[str]:
    lines = textwrap.wrap(text, width) or [""]
    if len(lines) > most:
        lines = lines[:most]
        lines[-1] = lines[-1][: width - 1].rstrip() + "…"
    return lines


def _station(index: int, station: Station, per_row: int, words: Mapping[str, str]) -> str:
    x, y = _centre(index, per_row)
    state = station.state
    classes = f"station station-{state}" + ("" if station.goal.required else " station-optional")
    parts = [f'<g class="{classes}" transform="translate({x} {y})">']
    clip = f"clip-{station.goal.id.hex[:12]}-{per_row}"
    if station.image and state in (StationState.ACHIEVED, StationState.EXPIRED):
        parts.append(
            f'<clipPath id="{clip}"><circle r="{_RADIUS - 3}"/></clipPath>'
            f'<image href="{escape(station.image)}" x="{-_RADIUS}" y="{-_RADIUS}" '
            f'width="{2 * _RADIUS}" height="{2 * _RADIUS}" clip-path="url(#{clip})"/>'
        )
        parts.append(f'<circle class="station-ring" r="{_RADIUS}"/>')
    else:
        parts.append(f'<circle class="station-disc" r="{_RADIUS}"/>')
        if state == StationState.ACHIEVED:
            parts.append(f'<path class="station-mark" d="{_CHECK}"/>')
        elif state == StationState.LOCKED:
            parts.append(f'<path class="station-mark" d="{_LOCK}"/>')
    text_y = _RADIUS + 22
    for line in _lines(station.goal.text("name", current_language())):
        parts.append(f'<text class="station-name" y="{text_y}">{escape(line)}</text>')
        text_y += 18
    word = words[state] if station.goal.required else f"{words[state]} · {words['optional']}"
    parts.append(f'<text class="station-state" y="{text_y + 2}">{escape(word)}</text>')
    if state == StationState.LOCKED and station.after:
        after = words["after"].format(names=", ".join(station.after))
        for line in _lines(after, 24, 1):
            parts.append(f'<text class="station-after" y="{text_y + 20}">{escape(line)}</text>')
    parts.append("</g>")
    return "".join(parts)


def trail_svg(
    view: PathView, *, per_row: int, words: Mapping[str, str], title: str, description: str
) -> Markup:
    """The path's trail as an inline SVG, ``per_row`` stations to a row."""
    count = max(1, len(view.stations))
    rows = (count + per_row - 1) // per_row
    width = 2 * _MARGIN + min(count, per_row) * _COLUMN
    height = 2 * _MARGIN + rows * _ROW
    ident = f"trail-{view.path.id.hex[:12]}-{per_row}"
    points = " ".join("{},{}".format(*_centre(i, per_row)) for i in range(len(view.stations)))
    body = [
        f'<svg class="trail trail-{per_row}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(description)}</desc>',
    ]
    if len(view.stations) > 1:
        body.append(f'<polyline class="trail-line" points="{points}"/>')
    body += [_station(i, s, per_row, words) for i, s in enumerate(view.stations)]
    body.append("</svg>")
    return Markup("".join(body))  # noqa: S704 - every text and attribute above is escaped
