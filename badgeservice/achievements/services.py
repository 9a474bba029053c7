"""Achievements and their versions: a changed definition that was already issued becomes a
new version; an unissued one is edited in place; an unchanged one is left alone.

Also the public OB 3.0 ``Achievement`` document of a version, built to match what issuing
embeds in credentials."""

from __future__ import annotations

import copy
import hashlib
import json
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from ..audit.services import record, target_of
from ..errors import BadRequest, Conflict, NotFound
from ..frameworks.services import competences_by_id
from ..issuers.models import Issuer
from ..languages import pick, reconcile
from ..organisations.models import Organisation
from ..references import held, held_values
from .models import Achievement, AchievementVersion

__all__ = [
    "AchievementContent",
    "achievements_query",
    "aligned_competence_ids",
    "create_achievement",
    "get_achievement",
    "get_version",
    "is_issued",
    "issued_languages",
    "issued_version_ids",
    "public_achievement",
    "update_achievement",
    "upsert_achievement",
]

IMAGE_TYPES = {"image/png", "image/svg+xml"}
#: The fields people read, each possibly in several languages.
TRANSLATED = ("name", "description", "criteria_narrative", "image_caption")


@dataclass(frozen=True)
class AchievementContent:
    """Everything that ends up in an issued badge's ``achievement``."""

    name: str
    description: str
    criteria_narrative: str | None = None
    criteria_url: str | None = None
    achievement_type: str | None = "Competency"
    tags: list[str] = field(default_factory=list)
    # [{"competence": "<competence uuid>", "level": int | None}]
    alignments: list[dict[str, Any]] = field(default_factory=list)
    image: bytes | None = None
    image_media_type: str | None = None
    # Credentials are valid this many days from issue (validUntil); None: no end.
    valid_for_days: int | None = None
    image_caption: str | None = None
    # The texts in every language written, {field: {language: text}}; the plain fields
    # above hold the organisation's default language.
    texts: dict[str, dict[str, str]] = field(default_factory=dict)

    def content_hash(self) -> str:
        data = asdict(self)
        image = data.pop("image")
        # Hashed only when set, so versions from before these fields keep their hashes.
        for key in ("valid_for_days", "image_caption"):
            if data[key] is None:
                del data[key]
        if not data["texts"]:
            del data["texts"]
        data["image_sha256"] = hashlib.sha256(image).hexdigest() if image else None
        canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def seen_in(self, language: str) -> dict[str, Any]:
        """What a reader of ``language`` gets: each text in their language (else the
        default's) beside everything that is the same in every language."""
        data = asdict(self)
        texts = data.pop("texts")
        data["image"] = hashlib.sha256(self.image).hexdigest() if self.image else None
        for key in TRANSLATED:
            data[key] = pick(texts.get(key), language) or data[key]
        return data

    def languages(self) -> set[str]:
        """Every language some text is written in."""
        return {language for table in self.texts.values() for language in table}

    def check(self) -> None:
        if not self.criteria_narrative and not self.criteria_url:
            message = "an achievement needs criteria: a narrative or a URL"
            raise BadRequest(f"criteria: {message}", errors={"criteria": [message]})
        if self.image is not None and self.image_media_type not in IMAGE_TYPES:
            message = "the badge image must be PNG or SVG"
            raise BadRequest(f"image: {message}", errors={"image": [message]})


def get_achievement(
    session: Session, organisation_id: uuid.UUID, achievement_id: uuid.UUID | str
) -> Achievement:
    """The achievement by id, or by its slug."""
    if isinstance(achievement_id, str):
        found = session.scalar(
            select(Achievement).where(
                Achievement.organisation_id == organisation_id, Achievement.slug == achievement_id
            )
        )
        if found is None:
            raise NotFound(f"no achievement {achievement_id!r}")
        return found
    achievement = session.get(Achievement, achievement_id)
    if achievement is None or achievement.organisation_id != organisation_id:
        raise NotFound(f"no achievement {achievement_id}")
    return achievement


def is_issued(session: Session, version: AchievementVersion) -> bool:
    """Whether any credential cites this version (then it is frozen)."""
    return bool(held(session, AchievementVersion.id, [version.id]))


def upsert_achievement(
    session: Session,
    *,
    organisation_id: uuid.UUID,
    issuer_id: uuid.UUID,
    slug: str,
    content: AchievementContent,
) -> tuple[Achievement, str]:
    """Create or update; returns the achievement and what happened:
    ``created``, ``unchanged``, ``edited`` (unissued version changed in place) or
    ``versioned`` (a new version, because the old one was issued)."""
    content.check()
    digest = content.content_hash()
    achievement = session.scalar(
        select(Achievement).where(
            Achievement.organisation_id == organisation_id, Achievement.slug == slug
        )
    )
    values = asdict(content) | {"content_hash": digest}
    if achievement is None:
        achievement = Achievement(organisation_id=organisation_id, issuer_id=issuer_id, slug=slug)
        achievement.versions.append(AchievementVersion(version=1, **values))
        session.add(achievement)
        session.flush()
        return achievement, "created"
    achievement.issuer_id = issuer_id
    current = achievement.current
    # Lock the version against a concurrent award (which locks it too) so an edit in place
    # can never slip under a credential being signed with the old content.
    session.execute(
        select(AchievementVersion.id).where(AchievementVersion.id == current.id).with_for_update()
    )
    if current.content_hash == digest:
        return achievement, "unchanged"
    if _changes_issued_text(session, current, content):
        achievement.versions.append(AchievementVersion(version=current.version + 1, **values))
        session.flush()
        return achievement, "versioned"
    for key, value in values.items():
        setattr(current, key, value)
    session.flush()
    return achievement, "edited"


def issued_languages(session: Session, version: AchievementVersion) -> set[str]:
    """The languages credentials of ``version`` were issued in (those from before languages
    count as the organisation's default)."""
    issued = held_values(session, AchievementVersion.id, [version.id], "language")
    if None in issued:
        issued.discard(None)
        issued.add(_default_language(session, version.achievement.organisation_id))
    return {str(value) for value in issued}


def _default_language(session: Session, organisation_id: uuid.UUID) -> str:
    organisation = session.get(Organisation, organisation_id)
    return organisation.default_language if organisation else "en"


def _changes_issued_text(
    session: Session, current: AchievementVersion, content: AchievementContent
) -> bool:
    """Whether ``content`` changes what a credential of ``current`` shows: its text in a
    language some credential of it was issued in, or anything the same in every language.
    A translation added or corrected in a language none was issued in is an edit."""
    before = _content_of(current)
    return any(
        before.seen_in(language) != content.seen_in(language)
        for language in issued_languages(session, current)
    )


def _agreeing(
    session: Session, organisation_id: uuid.UUID, content: AchievementContent, given: Any
) -> AchievementContent:
    """``content`` with its plain texts and translations agreeing on the default language
    (the plain fields ``given`` by the caller win there)."""
    plain = {key: getattr(content, key) for key in TRANSLATED}
    default = _default_language(session, organisation_id)
    values, texts = reconcile(plain, content.texts, default, given)
    return replace(content, **values, texts=texts)


# -- checks on references ---------------------------------------------------------------


def _check_issuer(session: Session, organisation_id: uuid.UUID, issuer_id: uuid.UUID) -> None:
    issuer = session.get(Issuer, issuer_id)
    if issuer is None or issuer.organisation_id != organisation_id:
        message = f"no issuer {issuer_id} in this organisation"
        raise BadRequest(f"issuer: {message}", errors={"issuer": [message]})


def _check_alignments(
    session: Session, organisation_id: uuid.UUID, alignments: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The alignments in stored form; each must name a competence of the organisation."""
    ids = [uuid.UUID(str(entry["competence"])) for entry in alignments]
    known = competences_by_id(session, organisation_id, ids)
    errors: dict[str, dict[str, list[str]]] = {}
    for index, competence_id in enumerate(ids):
        if competence_id not in known:
            message = f"no competence {competence_id} in this organisation's frameworks"
        elif competence_id in ids[:index]:
            message = f"competence {competence_id} is aligned twice"
        else:
            continue
        errors[str(index)] = {"competence": [message]}
    if errors:
        first, messages = next(iter(errors.items()))
        raise BadRequest(
            f"alignments.{first}.competence: {messages['competence'][0]}",
            errors={"alignments": errors},
        )
    return [
        {"competence": str(competence_id), "level": entry.get("level")}
        for competence_id, entry in zip(ids, alignments, strict=True)
    ]


# -- creating, changing, finding ---------------------------------------------------------


def create_achievement(
    session: Session,
    organisation_id: uuid.UUID,
    *,
    slug: str,
    issuer_id: uuid.UUID,
    content: AchievementContent,
) -> Achievement:
    """A new achievement with version 1, issued by one of the organisation's issuers.

    Raises:
        BadRequest: the issuer or an aligned competence is not the organisation's.
        Conflict: the organisation already has an achievement ``slug``.
    """
    _check_issuer(session, organisation_id, issuer_id)
    content = _agreeing(session, organisation_id, content, TRANSLATED)
    if (
        session.scalar(
            select(Achievement.id).where(
                Achievement.organisation_id == organisation_id, Achievement.slug == slug
            )
        )
        is not None
    ):
        raise Conflict(f"an achievement with the slug {slug!r} already exists")
    content = replace(
        content, alignments=_check_alignments(session, organisation_id, content.alignments)
    )
    try:
        with session.begin_nested():
            achievement, _ = upsert_achievement(
                session,
                organisation_id=organisation_id,
                issuer_id=issuer_id,
                slug=slug,
                content=content,
            )
    except IntegrityError:  # a concurrent create of the same slug won
        raise Conflict(f"an achievement with the slug {slug!r} already exists") from None
    _audit(session, achievement, "achievement.created", "created")
    return achievement


def _audit(session: Session, achievement: Achievement, action: str, outcome: str) -> None:
    record(
        session,
        achievement.organisation_id,
        action,
        target_of("achievement", achievement.id, achievement.slug),
        {"outcome": outcome, "version": achievement.current.version},
    )


def _content_of(version: AchievementVersion) -> AchievementContent:
    # Copies: the ORM's JSON lists must not be shared with the new content.
    values = {
        spec.name: copy.deepcopy(getattr(version, spec.name)) for spec in fields(AchievementContent)
    }
    return AchievementContent(**values)


def update_achievement(
    session: Session,
    organisation_id: uuid.UUID,
    achievement_id: uuid.UUID | str,
    changes: Mapping[str, Any],
) -> tuple[Achievement, str]:
    """Apply ``changes`` (fields of :class:`AchievementContent`) to the current version:
    ``edited`` in place while unissued, else a new version (``versioned``); ``unchanged``
    when nothing differs."""
    achievement = get_achievement(session, organisation_id, achievement_id)
    content = replace(_content_of(achievement.current), **changes)
    content = _agreeing(session, organisation_id, content, set(changes) & set(TRANSLATED))
    if "alignments" in changes:
        alignments = _check_alignments(session, organisation_id, content.alignments)
        content = replace(content, alignments=alignments)
    try:
        with session.begin_nested():
            achievement, outcome = upsert_achievement(
                session,
                organisation_id=organisation_id,
                issuer_id=achievement.issuer_id,
                slug=achievement.slug,
                content=content,
            )
    except IntegrityError:  # a concurrent change made the same new version number
        raise Conflict(f"achievement {achievement_id} was changed concurrently; retry") from None
    if outcome != "unchanged":
        _audit(session, achievement, "achievement.updated", outcome)
    return achievement, outcome


def achievements_query(organisation_id: uuid.UUID) -> Select[Achievement]:
    """The organisation's achievements by slug, versions loaded."""
    return (
        select(Achievement)
        .where(Achievement.organisation_id == organisation_id)
        .options(selectinload(Achievement.versions))
        .order_by(Achievement.slug)
    )


def issued_version_ids(session: Session, version_ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
    """Those of ``version_ids`` that some credential cites."""
    return set(held(session, AchievementVersion.id, version_ids))


def aligned_competence_ids(session: Session, organisation_id: uuid.UUID) -> set[uuid.UUID]:
    """Every competence some version of the organisation's achievements aligns to."""
    rows = session.scalars(
        select(AchievementVersion.alignments)
        .join(Achievement, Achievement.id == AchievementVersion.achievement_id)
        .where(Achievement.organisation_id == organisation_id)
    )
    return {uuid.UUID(str(entry["competence"])) for alignments in rows for entry in alignments}


def public_achievement(session: Session, organisation_slug: str, slug: str) -> Achievement:
    """An achievement by its public address; unknown organisations look the same."""
    achievement = session.scalar(
        select(Achievement)
        .join(Organisation, Organisation.id == Achievement.organisation_id)
        .where(Organisation.slug == organisation_slug, Achievement.slug == slug)
    )
    if achievement is None:
        raise NotFound(f"no achievement {organisation_slug}/{slug}")
    return achievement


def get_version(achievement: Achievement, number: int) -> AchievementVersion:
    for version in achievement.versions:
        if version.version == number:
            return version
    raise NotFound(f"achievement {achievement.slug!r} has no version {number}")
