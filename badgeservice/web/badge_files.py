"""A badge to take away: the signed credential baked into its image, as PNG and as SVG
whatever the image was made as (an SVG badge is drawn to PNG; a PNG badge is wrapped in an
SVG), and a QR code of the address it is shared at."""

from __future__ import annotations

import base64
import io
from typing import Any

import resvg_py
import segno
from markupsafe import Markup

from ..credentials import baking

__all__ = ["as_png", "baked", "qr_svg"]

# Badge images are drawn at this size when a PNG is made from an SVG.
PNG_SIZE = 480


def _as_png(image: bytes, media_type: str) -> bytes:
    if media_type == "image/png":
        return image
    drawn = resvg_py.svg_to_bytes(svg_string=image.decode("utf-8"), width=PNG_SIZE)
    return bytes(drawn)


def as_png(image: bytes, media_type: str) -> bytes:
    """The badge image as PNG (an SVG drawn at the PNG size)."""
    return _as_png(image, media_type)


def _as_svg(image: bytes, media_type: str) -> bytes:
    if media_type == "image/svg+xml":
        return image
    encoded = base64.b64encode(image).decode("ascii")
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="240" height="240" '
        'viewBox="0 0 240 240"><image width="240" height="240" '
        f'href="data:image/png;base64,{encoded}"/></svg>'
    ).encode()


def baked(image: bytes, media_type: str, document: dict[str, Any], kind: str) -> bytes:
    """The credential baked into the badge image as ``kind`` (``png`` or ``svg``)."""
    if kind == "png":
        return baking.bake(_as_png(image, media_type), document)
    return baking.bake(_as_svg(image, media_type), document)


def qr_svg(address: str, title: str) -> Markup:
    """The address as a QR code, an inline SVG with a title (for screen readers too)."""
    code = segno.make(address, error="m")
    out = io.BytesIO()
    code.save(out, kind="svg", scale=5, border=2, xmldecl=False, svgns=True, title=title)
    return Markup(out.getvalue().decode("utf-8"))  # noqa: S704 - segno escapes the title
