"""What a learner may attach as evidence, judged by the bytes, not by what the browser says:
PDF, PNG, JPEG, WebP and plain text, at most :data:`MAX_FILE_BYTES` each and
:data:`MAX_FILES` per claim. HTML, SVG, scripts and everything else are refused, and even an
accepted file is only ever served as a download."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["MAX_FILES", "MAX_FILE_BYTES", "Upload", "UploadError", "checked_upload"]

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_FILES = 3

# Signature → media type. Plain text is what is left when the bytes are UTF-8 text.
_SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
_MARKUP = re.compile(rb"<\s*(!doctype|html|svg|script|\?xml|body|iframe)", re.IGNORECASE)
_UNSAFE_NAME = re.compile(r"[^\w.\- ]+")


class UploadError(ValueError):
    """Why a file cannot be taken: ``reason`` is ``empty``, ``too-large`` or ``type``
    (the pages say it in the learner's language), ``filename`` as sent."""

    def __init__(self, reason: str, filename: str) -> None:
        super().__init__(f"{filename}: {reason}")
        self.reason = reason
        self.filename = filename


@dataclass(frozen=True)
class Upload:
    filename: str
    media_type: str
    data: bytes


def _media_type(data: bytes) -> str | None:
    for signature, media_type in _SIGNATURES:
        if data.startswith(signature):
            return media_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "\x00" in text or _MARKUP.search(data[:4096]):
        return None  # markup is never taken as "text": a browser could render it
    return "text/plain"


def _safe_name(name: str, media_type: str) -> str:
    """A file name that is safe in a Content-Disposition header and on any disk."""
    base = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1]).strip()
    base = _UNSAFE_NAME.sub("_", base).strip("._ ")[:120] or "evidence"
    extension = {
        "application/pdf": ".pdf",
        "image/png": ".png",
        "image/jpeg": ".jpg",
        "image/webp": ".webp",
        "text/plain": ".txt",
    }[media_type]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return f"{stem or 'evidence'}{extension}"


def checked_upload(name: str, data: bytes) -> Upload:
    """The upload as it will be stored, or :class:`UploadError` saying what is wrong."""
    if not data:
        raise UploadError("empty", name)
    if len(data) > MAX_FILE_BYTES:
        raise UploadError("too-large", name)
    media_type = _media_type(data)
    if media_type is None:
        raise UploadError("type", name)
    return Upload(_safe_name(name, media_type), media_type, data)
