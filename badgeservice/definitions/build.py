"""Turn schema-valid entries of the definition files into the model's dataclasses.

Each function takes one entry that already passed its JSON Schema, so keys the schema
requires are present and typed; defaults for optional keys are applied here. Files the
entries name (images, CASE packages) are read and checked on the way.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from ..frameworks.sources import FrameworkSourceError, parse_case_package
from ..languages import normal_tag
from . import digcomp
from .checks import Report, read_inside
from .hashing import achievement_content_hash
from .model import (
    AchievementDefinition,
    AlignmentDefinition,
    ConnectionDefinition,
    FrameworkRef,
    HrEndpointDefinition,
    IssuerDefinition,
    LmsAccountDefinition,
    PathDefinition,
    PersonDefinition,
    SignInDefinition,
    SubGoalDefinition,
    TargetDefinition,
    TeamDefinition,
    TriggerDefinition,
)
from .translations import Languages, Translator

__all__ = [
    "achievement",
    "connection",
    "frameworks",
    "hr_endpoint",
    "issuer",
    "path",
    "person",
    "profile",
    "sign_in",
    "team",
]

Data = dict[str, Any]
_IMAGES = frozenset({"png", "svg"})
_CASE = frozenset({"json"})


def profile(report: Report, data: Data | None, languages: Languages) -> dict[str, Any] | None:
    """The organisation's own fields, as OrganisationDefinition keywords."""
    if data is None:
        return None
    text = Translator(report, "organisation.toml", "organisation", languages)
    return {key: data[key] for key in ("slug", "url", "email")} | {
        "name": text("name", data["name"]),
        "description": text("description", data.get("description")),
        "accent_color": data["accent_color"].lower() if "accent_color" in data else None,
        "nquads_ordering": data.get("nquads_ordering", "refuse"),
        "reminder_days": tuple(int(days) for days in data.get("reminder_days", ())),
        "default_language": languages.default,
        "languages": languages.expected,
        "texts": text.texts,
    }


def sign_in(data: Data | None) -> SignInDefinition | None:
    """The ``[sign_in]`` table of organisation.toml."""
    if data is None:
        return None
    return SignInDefinition(
        issuer=data["issuer"],
        client_id=data["client_id"],
        client_secret_env=data.get("client_secret_env"),
        match=data["match"],
        claim=data.get("claim"),
    )


def issuer(report: Report, index: int, item: Data, languages: Languages) -> IssuerDefinition:
    """An ``[[issuers]]`` entry; its optional image is checked."""
    image = None
    if "image" in item:
        where = f"issuers[{index}].image"
        found = read_inside(report, "organisation.toml", where, item["image"], _IMAGES)
        image = found[0] if found else None
    text = Translator(report, "organisation.toml", f"issuers[{index}]", languages)
    return IssuerDefinition(
        slug=item["slug"],
        name=text("name", item["name"]),
        url=item["url"],
        email=item["email"],
        description=text("description", item.get("description")),
        image=image,
        texts=text.texts,
        vc_jwt_algorithm=item.get("vc_jwt_algorithm", "ES256"),
    )


def frameworks(
    report: Report, items: list[tuple[int, Data]]
) -> tuple[list[tuple[int, FrameworkRef]], dict[str, frozenset[str] | None]]:
    """The framework references, and each framework's competence codes (``None``: unknown)."""
    built = []
    codes: dict[str, frozenset[str] | None] = {}
    for index, item in items:
        file = None
        if item["source"] == "digcomp22":
            codes.setdefault(item["slug"], digcomp.codes())
        else:
            where = f"frameworks[{index}].file"
            found = read_inside(report, "organisation.toml", where, item["file"], _CASE)
            file = found[0] if found else None
            codes.setdefault(item["slug"], _case_codes(report, where, found))
        built.append((index, FrameworkRef(item["slug"], item["source"], file)))
    return built, codes


def _case_codes(
    report: Report, where: str, found: tuple[Path, bytes] | None
) -> frozenset[str] | None:
    """The item codes of a CASE package, read as the frameworks domain will install it."""
    if found is None:
        return None
    try:
        package = parse_case_package(json.loads(found[1]))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        report.add("organisation.toml", where, f"CASE package is not valid JSON: {exc}")
        return None
    except FrameworkSourceError as exc:
        report.add("organisation.toml", where, f"not a usable CASE package: {exc}")
        return None
    return frozenset(item.code for item in package.items)


def achievement(
    report: Report, index: int, item: Data, languages: Languages
) -> AchievementDefinition:
    """An ``[[achievements]]`` entry with its image checked and its content hash."""
    where = f"achievements[{index}].image"
    found = read_inside(report, "achievements.toml", where, item["image"], _IMAGES)
    # Without a readable image the hash is meaningless, but the folder is failing anyway.
    image, content = found if found else (report.folder / item["image"], b"")
    alignments = tuple(
        AlignmentDefinition(
            framework=alignment["framework"],
            competence=alignment["competence"],
            level=_level(alignment),
        )
        for alignment in item.get("alignments", ())
    )
    text = Translator(report, "achievements.toml", f"achievements[{index}]", languages)
    fields: dict[str, Any] = {
        "slug": item["slug"],
        "issuer": item["issuer"],
        "name": text("name", item["name"]),
        "description": text("description", item["description"]),
        "criteria_narrative": text("criteria_narrative", item["criteria"], key="criteria"),
        "criteria_url": item.get("criteria_url"),
        "achievement_type": item.get("achievement_type", "Competency"),
        "tags": tuple(item.get("tags", ())),
        "alignments": alignments,
        "valid_for_days": _days(item.get("valid_for_days")),
    }
    if "image_caption" in item:
        fields["image_caption"] = text("image_caption", item["image_caption"])
    fields["texts"] = text.texts
    content_hash = achievement_content_hash(
        **fields, image_format=image.suffix.lower().lstrip("."), image_bytes=content
    )
    return AchievementDefinition(**fields, image=image, content_hash=content_hash)


def _days(value: Any) -> int | None:
    # Like levels: TOML allows 365.0 where 365 is meant.
    return None if value is None else int(value)


def _level(item: Data) -> int | None:
    # TOML allows 4.0 where 4 is meant; the schema accepted it as an integer.
    level = item.get("level")
    return None if level is None else int(level)


def path(
    report: Report,
    index: int,
    item: Data,
    achievements: dict[str, AchievementDefinition],
    languages: Languages,
) -> PathDefinition:
    """A ``[[paths]]`` entry; sub-goal defaults come from ``achievements`` (by slug)."""
    text = Translator(report, "paths.toml", f"paths[{index}]", languages)
    name = text("name", item["name"])
    description = text("description", item.get("description"))
    return PathDefinition(
        slug=item["slug"],
        kind=item["kind"],
        name=name,
        description=description,
        texts=text.texts,
        team=item.get("team"),
        person=item.get("person"),
        achievement=item.get("achievement"),
        approved_by=item.get("approved_by"),
        out_of_order=item.get("out_of_order", "accept"),
        targets=tuple(
            TargetDefinition(
                framework=target["framework"],
                competence=target["competence"],
                level=int(target["level"]),
                share=float(target["share"]),
                due=date.fromisoformat(target["due"]),
                team=target.get("team"),
            )
            for target in item.get("targets", ())
        ),
        subgoals=tuple(
            _subgoal(
                Translator(
                    report, "paths.toml", f"paths[{index}].subgoals[{position - 1}]", languages
                ),
                subgoal,
                position,
                achievements.get(subgoal["achievement"]),
            )
            for position, subgoal in enumerate(item["subgoals"], start=1)
        ),
    )


def _subgoal(
    text: Translator, item: Data, position: int, achievement: AchievementDefinition | None
) -> SubGoalDefinition:
    competence: tuple[str, str] | None = None
    level = _level(item)
    if "competence" in item:
        competence = (item["framework"], item["competence"])
        if level is None and achievement is not None:
            level = next(
                (
                    alignment.level
                    for alignment in achievement.alignments
                    if (alignment.framework, alignment.competence) == competence
                ),
                None,
            )
    elif achievement is not None and achievement.alignments:
        first = achievement.alignments[0]
        competence = (first.framework, first.competence)
        level = first.level if level is None else level
    if "name" in item:
        name = text("name", item["name"])
    else:  # named by its badge, in the badge's languages
        name = achievement.name if achievement else item["slug"]
        text.inherit("name", achievement.texts if achievement else {}, "name")
    return SubGoalDefinition(
        slug=item["slug"],
        name=name,
        texts=text.texts,
        achievement=item["achievement"],
        required=item.get("required", True),
        position=position,
        prerequisites=tuple(item.get("prerequisites", ())),
        competence=competence,
        level=level,
        triggers=tuple(
            TriggerDefinition(
                kind=trigger["kind"],
                connection=trigger.get("connection"),
                activity=trigger.get("activity"),
            )
            for trigger in item["triggers"]
        ),
    )


def team(report: Report, index: int, item: Data, languages: Languages) -> TeamDefinition:
    """A ``[[teams]]`` entry."""
    text = Translator(report, "people.toml", f"teams[{index}]", languages)
    return TeamDefinition(
        slug=item["slug"],
        name=text("name", item["name"]),
        parent=item.get("parent"),
        supervisors=tuple(item.get("supervisors", ())),
        texts=text.texts,
    )


def person(item: Data) -> PersonDefinition:
    """A ``[[people]]`` entry."""
    return PersonDefinition(
        employee_number=item["employee_number"],
        email=item["email"],
        given_name=item["given_name"],
        family_name=item["family_name"],
        teams=tuple(item.get("teams", ())),
        lms_accounts=tuple(
            LmsAccountDefinition(connection=account["connection"], account=account["account"])
            for account in item.get("lms_accounts", ())
        ),
        roles=tuple(item.get("roles", ())),
        language=normal_tag(item["language"]) if "language" in item else None,
    )


def hr_endpoint(item: Data) -> HrEndpointDefinition:
    """An ``[[hr_endpoints]]`` entry of connections.toml."""
    return HrEndpointDefinition(
        name=item["name"], url=item["url"], description=item.get("description")
    )


def connection(item: Data) -> ConnectionDefinition:
    """A ``[[connections]]`` entry."""
    return ConnectionDefinition(
        name=item["name"],
        kind=item["kind"],
        description=item.get("description", ""),
        base_url=item.get("base_url"),
        unknown_person=item["unknown_person"],
    )
