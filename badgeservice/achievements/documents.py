"""The OB 3.0 ``Achievement`` of an achievement version: built once, here, as the
``credentials.ob3`` object that issuing embeds in credentials and that the public achievement
address serves (with an ``@context``)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..credentials import ob3
from ..frameworks.models import Competence, Framework
from ..languages import pick_language
from .models import AchievementVersion

__all__ = [
    "achievement_document",
    "document_language",
    "level_description_id",
    "levels",
    "version_achievement",
]

# "Proficiency level" in the languages the service speaks; others get the English.
_LEVEL = {"en": "Proficiency level", "fi": "Osaamistaso", "sv": "Kunskapsnivå"}


def document_language(
    version: AchievementVersion, wanted: Sequence[str | None], default: str
) -> str:
    """The language a reader who wants ``wanted`` (in order of preference) gets the
    version in: the first the version's name is written in, else the organisation's
    ``default`` (when it is written in that or has no translations), else its first."""
    written = version.languages_of("name")
    if not written:
        return default
    return pick_language(written, [*wanted, default]) or written[0]


def _level_label(language: str | None) -> str:
    return _LEVEL.get((language or "en").split("-", 1)[0].lower(), _LEVEL["en"])


def levels(version: AchievementVersion) -> list[int]:
    """The proficiency levels the version's alignments name."""
    return [int(entry["level"]) for entry in version.alignments if entry.get("level")]


def achievement_url(public_url: str, organisation_slug: str, slug: str) -> str:
    """The achievement's public URL (its id in every credential that embeds it)."""
    return f"{public_url.rstrip('/')}/achievements/{organisation_slug}/{slug}"


def level_description_id(url: str, version: AchievementVersion) -> str:
    """The id of the version's ``ResultDescription`` of the proficiency level."""
    return f"{url}/v{version.version}#level"


def version_achievement(
    session: Session, version: AchievementVersion, url: str, language: str | None = None
) -> ob3.Achievement:
    """The ``Achievement`` of ``version`` whose id is ``url`` (the achievement's public
    address) in ``language`` (then it says so in ``inLanguage``; None: the plain texts);
    alignments to competences no longer stored are left out."""
    aligned = _aligned(session, version)
    alignments = []
    for entry in version.alignments:
        found = aligned.get(uuid.UUID(str(entry["competence"])))
        if found is None:
            continue
        competence, framework = found
        level = entry.get("level")
        alignments.append(
            ob3.Alignment(
                target_name=competence.text("name", language),
                target_url=competence.uri,
                target_code=competence.code,
                target_framework=framework.text("name", language),
                target_description=f"{_level_label(language)} {level}" if level else None,
                target_type="CFItem" if framework.source == "case" else None,
            )
        )
    required = levels(version)
    descriptions = (
        (
            ob3.ResultDescription(
                id=level_description_id(url, version),
                name=_level_label(language),
                result_type="PerformanceLevel",
                required_value=str(max(required)),
            ),
        )
        if required
        else ()
    )
    caption = version.text("image_caption", language)
    return ob3.Achievement(
        id=url,
        name=version.text("name", language),
        description=version.text("description", language),
        criteria=ob3.Criteria(
            id=version.criteria_url, narrative=version.text("criteria_narrative", language)
        ),
        image=(
            ob3.Image(id=f"{url}/v{version.version}/image", caption=caption)
            if version.image
            else None
        ),
        achievement_type=version.achievement_type,
        alignments=tuple(alignments),
        result_descriptions=descriptions,
        tags=tuple(version.tags),
        version=str(version.version),
        in_language=language,
    )


def achievement_document(
    session: Session, version: AchievementVersion, url: str, language: str | None = None
) -> dict[str, Any]:
    """The public JSON-LD document of ``version`` in ``language``: the embedded
    ``Achievement`` with an ``@context``."""
    return ob3.achievement_document(version_achievement(session, version, url, language))


def _aligned(
    session: Session, version: AchievementVersion
) -> dict[uuid.UUID, tuple[Competence, Framework]]:
    """The version's aligned competences with their frameworks, in one query."""
    ids = {uuid.UUID(str(entry["competence"])) for entry in version.alignments}
    if not ids:
        return {}
    rows = session.execute(
        select(Competence, Framework)
        .join(Framework, Framework.id == Competence.framework_id)
        .where(Competence.id.in_(sorted(ids)))
    )
    return {competence.id: (competence, framework) for competence, framework in rows}
