"""What the public pages show of a badge, read from the signed document itself (what a
verifier sees), and the verdict of a live verification in words people use."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from markupsafe import Markup, escape

from ..credentials.verify import VerificationReport
from ..languages import direction, is_tag

__all__ = [
    "AchievementView",
    "AlignmentView",
    "CheckView",
    "Verdict",
    "achievement_view",
    "local_path",
    "parse_time",
    "verdict_for",
]


@dataclass(frozen=True)
class AlignmentView:
    name: str
    code: str | None
    framework: str | None
    url: str | None
    description: str | None


@dataclass(frozen=True)
class AchievementView:
    """An OB 3.0 ``Achievement`` as a page draws it."""

    id: str | None
    name: str
    description: str
    criteria: tuple[Markup, ...]  # the narrative's paragraphs, escaped
    criteria_url: str | None
    image: str | None  # absolute, as the document gives it
    alignments: tuple[AlignmentView, ...]
    tags: tuple[str, ...]
    version: str | None
    # The language its texts are written in (its inLanguage), when it says.
    language: str | None = None

    @property
    def text_attributes(self) -> Markup:
        """``lang`` and ``dir`` for the elements holding its texts (the page may be in
        another language; Arabic reads right to left)."""
        if not self.language:
            return Markup("")
        return Markup(' lang="{}" dir="{}"').format(self.language, direction(self.language))


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _node_id(value: Any) -> str | None:
    if isinstance(value, Mapping):
        value = value.get("id")
    return _text(value)


_EMPHASIS = re.compile(r"(?<![\w*])[*_]([^*_\n]+)[*_](?![\w*])")


def _paragraphs(text: str | None) -> tuple[Markup, ...]:
    """A Markdown narrative (as OB 3.0 defines it) in paragraphs, its text escaped; only
    emphasis (``*like this*``) is drawn, the rest shows as written."""
    if not text:
        return ()
    parts = text.replace("\r\n", "\n").split("\n\n")
    # Escaped first: the only markup in the result is the <em> added here.
    return tuple(
        Markup(_EMPHASIS.sub(r"<em>\1</em>", str(escape(part.strip()))))  # noqa: S704
        for part in parts
        if part.strip()
    )


def achievement_view(document: Any) -> AchievementView | None:
    """The page's view of an OB 3.0 Achievement, or None when it is not one (a pasted
    document may hold anything)."""
    if not isinstance(document, Mapping):
        return None
    criteria = document.get("criteria")
    criteria = criteria if isinstance(criteria, Mapping) else {}
    alignments = document.get("alignment")
    alignments = alignments if isinstance(alignments, list) else []
    tags = document.get("tag")
    return AchievementView(
        id=_text(document.get("id")),
        language=document["inLanguage"] if is_tag(document.get("inLanguage")) else None,
        name=_text(document.get("name")) or "—",
        description=_text(document.get("description")) or "",
        criteria=_paragraphs(_text(criteria.get("narrative"))),
        criteria_url=_web_url(criteria.get("id")),
        image=_node_id(document.get("image")),
        alignments=tuple(
            AlignmentView(
                name=_text(entry.get("targetName")) or "—",
                code=_text(entry.get("targetCode")),
                framework=_text(entry.get("targetFramework")),
                url=_web_url(entry.get("targetUrl")),
                description=_text(entry.get("targetDescription")),
            )
            for entry in alignments
            if isinstance(entry, Mapping)
        ),
        tags=tuple(t for t in tags if isinstance(t, str)) if isinstance(tags, list) else (),
        version=_text(document.get("version")),
    )


def _web_url(value: Any) -> str | None:
    """Only http(s) addresses become links (a pasted document could say ``javascript:``)."""
    text = _text(value)
    return text if text and text.lower().startswith(("https://", "http://")) else None


def local_path(url: str | None, public_url: str) -> str | None:
    """``url`` as a path on this service when it is one of ours (images under the page's
    ``img-src 'self'``), else None."""
    if url and url.startswith(public_url.rstrip("/") + "/"):
        return url[len(public_url.rstrip("/")) :]
    return None


def parse_time(value: Any) -> datetime | None:
    """An XML Schema dateTime as a credential writes it, or None."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass(frozen=True)
class CheckView:
    name: str  # type, proof, issuer, validity, status, schema
    outcome: str  # passed, failed, skipped
    message: str  # the verifier's own words (English)


@dataclass(frozen=True)
class Verdict:
    """The one-line answer: ``valid``, ``revoked`` (with the date when known), ``expired``
    (with the date) or ``invalid`` (it could not be verified), and every check behind it."""

    kind: str
    checked_at: datetime
    date: datetime | None = None
    checks: tuple[CheckView, ...] = field(default_factory=tuple)
    errors: tuple[str, ...] = ()

    @property
    def valid(self) -> bool:
        return self.kind == "valid"


def verdict_for(
    report: VerificationReport,
    document: Mapping[str, Any],
    *,
    revoked_at: datetime | None = None,
    now: datetime | None = None,
) -> Verdict:
    """Put the report in one word. A document whose proof does not hold is ``invalid``
    whatever else it says (it is not what the issuer signed); of a genuine one, revoked
    wins over expired, both over other failures. ``revoked_at`` is the date this service
    recorded (a status list has no dates)."""
    checked = now or datetime.now(UTC)
    checks = tuple(CheckView(c.name, c.outcome, c.message) for c in report.checks)
    failed = {c.name: c for c in checks if c.outcome == "failed"}
    genuine = any(c.name == "proof" and c.outcome == "passed" for c in checks)
    if not genuine:
        return Verdict("invalid", checked, None, checks, tuple(report.errors))
    status = failed.get("status")
    if revoked_at is not None or (status is not None and status.message.startswith("revocation:")):
        return Verdict("revoked", checked, revoked_at, checks, tuple(report.errors))
    valid_until = parse_time(document.get("validUntil"))
    if "validity" in failed and valid_until is not None and valid_until <= checked:
        return Verdict("expired", checked, valid_until, checks, tuple(report.errors))
    if report.verified:
        return Verdict("valid", checked, None, checks)
    return Verdict("invalid", checked, None, checks, tuple(report.errors))
