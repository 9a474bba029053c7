"""One accent colour per organisation, made safe to read.

The header is drawn in the organisation's accent colour with white or near-black text,
whichever contrasts more; a colour that reaches 4.5:1 with neither (mid greys, bright
oranges) is darkened until white text does. Links on white use a colour that reaches
4.5:1 on white too. All colours come out of here as CSS custom properties.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["DEFAULT_ACCENT", "Theme", "contrast", "is_colour", "theme_for"]

DEFAULT_ACCENT = "#1d4e89"
WHITE = "#ffffff"
INK = "#1b1f24"
MINIMUM = 4.5
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


def is_colour(value: str) -> bool:
    """``#rrggbb``."""
    return bool(_HEX.match(value))


def _channels(colour: str) -> tuple[float, float, float]:
    value = int(colour[1:], 16)
    return (value >> 16 & 255) / 255, (value >> 8 & 255) / 255, (value & 255) / 255


def _luminance(colour: str) -> float:
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in _channels(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """The WCAG 2 contrast ratio of two colours (1 to 21)."""
    first, second = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (first + 0.05) / (second + 0.05)


def _darken(colour: str, factor: float) -> str:
    r, g, b = (round(c * 255 * factor) for c in _channels(colour))
    return f"#{r:02x}{g:02x}{b:02x}"


def _darken_until(colour: str, against: str) -> str:
    factor = 1.0
    candidate = colour
    while contrast(candidate, against) < MINIMUM and factor > 0:
        factor -= 0.02
        candidate = _darken(colour, max(factor, 0.0))
    return candidate


@dataclass(frozen=True)
class Theme:
    accent: str  # the header's background
    on_accent: str  # text on it
    link: str  # the accent as text on white

    def css(self) -> str:
        return (
            ":root {\n"
            f"  --accent: {self.accent};\n"
            f"  --on-accent: {self.on_accent};\n"
            f"  --link: {self.link};\n"
            "}\n"
        )


def theme_for(accent: str | None) -> Theme:
    """The readable theme for an organisation's accent colour (the default when unset)."""
    colour = (accent or DEFAULT_ACCENT).lower()
    if not is_colour(colour):
        colour = DEFAULT_ACCENT
    if contrast(colour, WHITE) >= MINIMUM:
        background, text = colour, WHITE
    elif contrast(colour, INK) >= MINIMUM:
        background, text = colour, INK
    else:
        background, text = _darken_until(colour, WHITE), WHITE
    return Theme(background, text, _darken_until(colour, WHITE))
