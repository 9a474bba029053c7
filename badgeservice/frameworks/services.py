"""Frameworks of an organisation: install DigComp 2.2 or a CASE package idempotently, and
look frameworks and competences up — always within one organisation."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import replace
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..errors import BadRequest, Conflict, NotFound
from .models import Competence, Framework
from .sources import (
    CompetenceSource,
    FrameworkSource,
    FrameworkSourceError,
    load_digcomp22,
    parse_case_package,
)

__all__ = [
    "KNOWN_SOURCES",
    "competences_by_id",
    "frameworks_query",
    "get_competence",
    "get_framework",
    "import_case_package",
    "install_framework",
    "install_known_framework",
]

KNOWN_SOURCES: Mapping[str, Callable[[], FrameworkSource]] = {"digcomp22": load_digcomp22}
"""Frameworks shipped with the service, by the name the API accepts."""


def _framework_values(source: FrameworkSource) -> dict[str, Any]:
    return {
        "name": source.name,
        "version": source.version or None,
        "uri": source.uri or None,
        "publisher": source.publisher or None,
        "description": source.description or None,
        "source": source.source,
        "levels": [
            {"level": level.level, "band": level.band, "description": level.description}
            for level in source.levels
        ],
    }


def _assign(row: Any, values: Mapping[str, Any]) -> bool:
    """Set the attributes that differ; whether anything changed."""
    changed = False
    for key, value in values.items():
        if getattr(row, key) != value:
            setattr(row, key, value)
            changed = True
    return changed


def _competence_values(item: CompetenceSource, position: int) -> dict[str, Any]:
    return {
        "name": item.name,
        "description": item.description or None,
        "uri": item.uri,
        "esco_uri": item.esco_uri,
        "parent_code": item.parent_code,
        "kind": item.kind,
        "position": position,
        # Its name in every language the source gives (DigComp: en, fi, sv).
        "texts": {"name": dict(item.titles)} if item.titles else {},
    }


def install_framework(
    session: Session,
    organisation_id: uuid.UUID,
    source: FrameworkSource,
    slug: str,
    *,
    in_use: Collection[uuid.UUID],
) -> tuple[Framework, str]:
    """Store ``source`` as the organisation's framework ``slug``: ``created``, ``updated`` or
    ``unchanged``.

    Competences are matched by code. An updated one keeps its id (alignments refer to it);
    one the source no longer has is deleted unless it is ``in_use`` (the caller asks the
    achievements, which align to competences:
    :func:`~badgeservice.achievements.services.aligned_competence_ids`) — then it is kept,
    after the source's items, so issued badges and their alignments stay meaningful.

    Raises:
        Conflict: ``slug`` already names a framework from another source or document, or a
            concurrent install of the same slug won.
    """
    framework = session.scalar(
        select(Framework).where(
            Framework.organisation_id == organisation_id, Framework.slug == slug
        )
    )
    if framework is not None and (
        framework.source != source.source or (framework.uri or "") != (source.uri or "")
    ):
        raise Conflict(
            f"the framework slug {slug!r} already holds {framework.name!r} "
            f"({framework.source}, {framework.uri}); choose another slug"
        )
    try:
        with session.begin_nested():
            if framework is None:
                framework = Framework(
                    organisation_id=organisation_id, slug=slug, **_framework_values(source)
                )
                framework.competences = [
                    Competence(code=item.code, **_competence_values(item, position))
                    for position, item in enumerate(source.items)
                ]
                session.add(framework)
                change = "created"
            else:
                changed = _update(framework, source, set(in_use))
                change = "updated" if changed else "unchanged"
            session.flush()
    except IntegrityError:
        raise Conflict(f"the framework {slug!r} was changed concurrently; retry") from None
    # The relationship is ordered by position only when loaded: reload it for the caller.
    session.expire(framework, ["competences"])
    return framework, change


def _update(framework: Framework, source: FrameworkSource, in_use: set[uuid.UUID]) -> bool:
    changed = _assign(framework, _framework_values(source))
    existing = {competence.code: competence for competence in framework.competences}
    for position, item in enumerate(source.items):
        competence = existing.pop(item.code, None)
        if competence is None:
            values = _competence_values(item, position)
            framework.competences.append(Competence(code=item.code, **values))
            changed = True
        else:
            changed = _assign(competence, _competence_values(item, position)) or changed
    if existing:
        retired = _retire(framework, existing, len(source.items), in_use)
        changed = retired or changed
    return changed


def _retire(
    framework: Framework, gone: Mapping[str, Competence], position: int, kept: set[uuid.UUID]
) -> bool:
    """Delete the competences the source dropped, except those ``kept`` (in use)."""
    changed = False
    for competence in sorted(gone.values(), key=lambda c: c.position):
        if competence.id in kept:
            changed = _assign(competence, {"position": position}) or changed
            position += 1
        else:
            framework.competences.remove(competence)
            changed = True
    codes = {competence.code for competence in framework.competences}
    for competence in framework.competences:
        if competence.parent_code is not None and competence.parent_code not in codes:
            competence.parent_code = None
            changed = True
    return changed


def install_known_framework(
    session: Session,
    organisation_id: uuid.UUID,
    name: str,
    slug: str | None = None,
    *,
    in_use: Collection[uuid.UUID],
) -> tuple[Framework, str]:
    """Install a shipped framework (``digcomp22``) under ``slug`` (default: the source name,
    which is also what organisation definition files call it, so both meet in one row)."""
    loader = KNOWN_SOURCES.get(name)
    if loader is None:
        raise BadRequest(f"unknown framework source {name!r}; known: {', '.join(KNOWN_SOURCES)}")
    return install_framework(session, organisation_id, loader(), slug or name, in_use=in_use)


def import_case_package(
    session: Session,
    organisation_id: uuid.UUID,
    package: Any,
    slug: str | None = None,
    *,
    in_use: Collection[uuid.UUID],
    translations: Mapping[str, Mapping[str, str]] | None = None,
) -> tuple[Framework, str]:
    """Install a 1EdTech CASE ``CFPackage`` (the request's ``package``), with the items'
    titles in further languages (``translations``: item code → language → title) beside
    the package's own (a CASE package is written in one language).

    Raises:
        BadRequest: the package is malformed (``path`` names the place in the request
        body), or a translation names an item the package does not have.
    """
    try:
        source = parse_case_package(package)
    except FrameworkSourceError as exc:
        path = "$.package" + exc.path.removeprefix("$")
        raise BadRequest(
            f"{path}: {exc.message}", path=path, errors={"package": [f"{path}: {exc.message}"]}
        ) from None
    if translations:
        source = _translated(source, translations)
    return install_framework(session, organisation_id, source, slug or source.slug, in_use=in_use)


def _translated(
    source: FrameworkSource, translations: Mapping[str, Mapping[str, str]]
) -> FrameworkSource:
    codes = {item.code for item in source.items}
    unknown = sorted(set(translations) - codes)
    if unknown:
        message = f"the package has no item {unknown[0]!r}"
        raise BadRequest(f"translations: {message}", errors={"translations": [message]})
    items = tuple(
        replace(item, titles={**item.titles, **translations.get(item.code, {})})
        for item in source.items
    )
    return replace(source, items=items)


def frameworks_query(organisation_id: uuid.UUID) -> Select[tuple[Framework, int]]:
    """The organisation's frameworks by slug, each with its number of competences."""
    count = (
        select(func.count(Competence.id))
        .where(Competence.framework_id == Framework.id)
        .correlate(Framework)
        .scalar_subquery()
    )
    return (
        select(Framework, count)
        .where(Framework.organisation_id == organisation_id)
        .order_by(Framework.slug)
    )


def get_framework(
    session: Session, organisation_id: uuid.UUID, framework_id: uuid.UUID
) -> Framework:
    """The organisation's framework; another organisation's is not found."""
    framework = session.get(Framework, framework_id)
    if framework is None or framework.organisation_id != organisation_id:
        raise NotFound(f"no framework {framework_id}")
    return framework


def get_competence(
    session: Session, organisation_id: uuid.UUID, framework_id: uuid.UUID, code: str
) -> tuple[Competence, list[Competence]]:
    """A competence of the organisation's framework by code, with its children."""
    framework = get_framework(session, organisation_id, framework_id)
    competence = session.scalar(
        select(Competence).where(Competence.framework_id == framework.id, Competence.code == code)
    )
    if competence is None:
        raise NotFound(f"framework {framework.slug!r} has no competence {code!r}")
    children = session.scalars(
        select(Competence)
        .where(Competence.framework_id == framework.id, Competence.parent_code == code)
        .order_by(Competence.position)
    )
    return competence, list(children)


def competences_by_id(
    session: Session, organisation_id: uuid.UUID, ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, Competence]:
    """Those of ``ids`` that are competences of the organisation's frameworks."""
    if not ids:
        return {}
    rows = session.scalars(
        select(Competence)
        .join(Framework, Framework.id == Competence.framework_id)
        .where(Framework.organisation_id == organisation_id, Competence.id.in_(list(ids)))
    )
    return {competence.id: competence for competence in rows}
