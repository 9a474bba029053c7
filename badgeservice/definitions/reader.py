"""Read organisation folders (``issuers/<slug>/``) into checked definitions.

Each TOML file is parsed, checked against its JSON Schema, turned into dataclasses, and then
the folder is checked as a whole (references, cycles, files). Every problem is collected and
raised together as one :class:`DefinitionErrors`, so an operator sees everything at once.
"""

from __future__ import annotations

import json
import re
import tomllib
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from ..frameworks.sources import FrameworkSourceError, parse_case_package
from . import crossref, digcomp
from .checks import Known, Report, read_inside
from .errors import DefinitionError, DefinitionErrors
from .hashing import achievement_content_hash
from .model import (
    AchievementDefinition,
    AlignmentDefinition,
    ConnectionDefinition,
    FrameworkRef,
    IssuerDefinition,
    LmsAccountDefinition,
    OrganisationDefinition,
    PathDefinition,
    PersonDefinition,
    SubGoalDefinition,
    TargetDefinition,
    TeamDefinition,
    TriggerDefinition,
)
from .validation import FILE_KINDS, format_path, jsonable, schema_problems

__all__ = ["FILES", "read_all", "read_organisation"]

#: The files of an organisation folder; organisation.toml and achievements.toml must exist,
#: a missing other file declares nothing.
FILES = {kind: f"{kind}.toml" for kind in FILE_KINDS}
_REQUIRED = frozenset({"organisation", "achievements"})
_IMAGES = frozenset({"png", "svg"})
_CASE = frozenset({"json"})
# The tables in the order the files (and the README) present them.
_TABLES = ("organisation", "issuers", "frameworks", "teams", "people")
_DIGCOMP_HINT = " (DigComp 2.2 has areas '1' to '5' and competences '1.1' to '5.4')"

Data = dict[str, Any]
_T = TypeVar("_T")


def read_all(root: Path) -> list[OrganisationDefinition]:
    """Read every subfolder of ``root`` that has an organisation.toml, sorted by slug.

    Raises:
        DefinitionErrors: the problems of every folder, together.
    """
    organisations: list[OrganisationDefinition] = []
    problems: list[DefinitionError] = []
    for folder in sorted(root.iterdir()):
        if not (folder / FILES["organisation"]).is_file():
            continue
        try:
            organisations.append(read_organisation(folder))
        except DefinitionErrors as exc:
            problems.extend(exc.errors)
    if problems:
        raise DefinitionErrors(problems)
    return sorted(organisations, key=lambda organisation: organisation.slug)


def read_organisation(folder: Path) -> OrganisationDefinition:
    """Read and check one organisation folder.

    Raises:
        DefinitionErrors: every problem found in the folder.
    """
    report = Report(folder)
    if not folder.is_dir():
        raise DefinitionErrors([DefinitionError(report.label, "", "organisation folder not found")])
    raw = {kind: _load(report, kind) for kind in FILE_KINDS}
    _check_stray_files(report)
    # Entries that break their schema are left out of the build, the rest are still
    # cross-checked: one typo must not hide the other problems of the file.
    entries = _Entries(report, raw)

    profile = _profile(entries.table("organisation", "organisation"))
    rows = entries.items
    issuers = [(n, _issuer(report, n, row)) for n, row in rows("organisation", "issuers")]
    frameworks, codes = _frameworks(report, rows("organisation", "frameworks"))
    achievements = [
        (n, _achievement(report, n, row)) for n, row in rows("achievements", "achievements")
    ]
    teams = [(n, _team(row)) for n, row in rows("people", "teams")]
    people = [(n, _person(row)) for n, row in rows("people", "people")]
    connections = [(n, _connection(row)) for n, row in rows("connections", "connections")]
    by_slug = {achievement.slug: achievement for _, achievement in achievements}
    paths = [(n, _path(row, by_slug)) for n, row in rows("paths", "paths")]

    refs = _references(report, raw, frameworks, codes, teams, people, connections)
    if profile is not None:
        crossref.check_organisation(report, profile["slug"])
    crossref.check_issuers(report, issuers, frameworks)
    crossref.check_achievements(report, achievements, refs)
    crossref.check_people(report, teams, people, refs)
    crossref.check_connections(report, connections)
    crossref.check_paths(report, paths, by_slug, refs)

    if report.errors or profile is None:
        raise DefinitionErrors(sorted(report.errors, key=_error_order))
    return OrganisationDefinition(
        **profile,
        folder=folder,
        issuers=_bare(issuers),
        frameworks=_bare(frameworks),
        achievements=_bare(achievements),
        paths=_bare(paths),
        teams=_bare(teams),
        people=_bare(people),
        connections=_bare(connections),
    )


def _bare(indexed: list[tuple[int, _T]]) -> tuple[_T, ...]:
    return tuple(item for _, item in indexed)


def _error_order(error: DefinitionError) -> tuple[int, int, list[str | int]]:
    """File order, then document order (``paths[10]`` after ``paths[9]``)."""
    name = error.file.rsplit("/", 1)[-1]
    files = list(FILES.values())
    rank = files.index(name) if name in files else len(files)
    tokens = re.split(r"\[(\d+)\]", error.path)
    table = tokens[0].split(".", 1)[0]
    position = _TABLES.index(table) if table in _TABLES else len(_TABLES)
    return rank, position, [int(token) if odd % 2 else token for odd, token in enumerate(tokens)]


def _load(report: Report, kind: str) -> Data | None:
    """The file as JSON-model data; ``{}`` for a missing optional file, ``None`` if unusable."""
    name = FILES[kind]
    path = report.folder / name
    if not path.is_file():
        if kind in _REQUIRED:
            report.add(name, "", "file not found")
            return None
        return {}
    try:
        parsed = tomllib.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        report.add(name, "", f"not UTF-8 text (byte {exc.start})")
        return None
    except tomllib.TOMLDecodeError as exc:
        report.add(name, "", f"malformed TOML: {exc}")
        return None
    return jsonable(parsed)  # type: ignore[no-any-return]


def _check_stray_files(report: Report) -> None:
    # A misspelt file name would otherwise read as "declares nothing".
    for path in sorted(report.folder.glob("*.toml")):
        if path.name not in FILES.values():
            known = ", ".join(FILES.values())
            report.add(path.name, "", f"unexpected file; an organisation folder holds {known}")


class _Entries:
    """The schema-valid parts of the files: whole tables, or single entries of a list."""

    def __init__(self, report: Report, raw: dict[str, Data | None]) -> None:
        self._data: dict[str, Data] = {}
        self._bad: set[tuple[str, str, int | None]] = set()
        for kind, data in raw.items():
            if data is None:
                continue
            self._data[kind] = data
            for location, message in schema_problems(kind, data):
                report.add(FILES[kind], format_path(location), message)
                table = str(location[0]) if location else ""
                entry = location[1] if len(location) > 1 else None
                self._bad.add((kind, table, entry if isinstance(entry, int) else None))

    def table(self, kind: str, table: str) -> Data | None:
        """A table that passed its schema as a whole, else ``None``."""
        if kind not in self._data or self._broken(kind, table):
            return None
        value = self._data[kind].get(table)
        return value if isinstance(value, dict) else None

    def items(self, kind: str, table: str) -> list[tuple[int, Data]]:
        """The schema-valid entries of an array of tables, with their index in the file."""
        if kind not in self._data or self._broken(kind, table):
            return []
        items = self._data[kind].get(table, [])
        return [
            (index, item)
            for index, item in enumerate(items)
            if (kind, table, index) not in self._bad
        ]

    def _broken(self, kind: str, table: str) -> bool:
        # A problem at the top of the file or of the table itself spoils every entry.
        return (kind, "", None) in self._bad or (kind, table, None) in self._bad


def _profile(data: Data | None) -> dict[str, str] | None:
    """The organisation's own fields, as OrganisationDefinition keywords."""
    if data is None:
        return None
    keys = ("slug", "name", "url", "email")
    return {key: data[key] for key in keys} | {"description": data.get("description", "")}


def _issuer(report: Report, index: int, item: Data) -> IssuerDefinition:
    image = None
    if "image" in item:
        where = f"issuers[{index}].image"
        found = read_inside(report, FILES["organisation"], where, item["image"], _IMAGES)
        image = found[0] if found else None
    return IssuerDefinition(
        slug=item["slug"],
        name=item["name"],
        url=item["url"],
        email=item["email"],
        description=item.get("description", ""),
        image=image,
    )


def _frameworks(
    report: Report, items: list[tuple[int, Data]]
) -> tuple[list[tuple[int, FrameworkRef]], dict[str, frozenset[str] | None]]:
    """The framework references, and each framework's competence codes (``None``: unknown)."""
    frameworks = []
    codes: dict[str, frozenset[str] | None] = {}
    for index, item in items:
        file = None
        if item["source"] == "digcomp22":
            codes.setdefault(item["slug"], digcomp.codes())
        else:
            where = f"frameworks[{index}].file"
            found = read_inside(report, FILES["organisation"], where, item["file"], _CASE)
            file = found[0] if found else None
            codes.setdefault(item["slug"], _case_codes(report, where, found))
        frameworks.append((index, FrameworkRef(item["slug"], item["source"], file)))
    return frameworks, codes


def _case_codes(
    report: Report, where: str, found: tuple[Path, bytes] | None
) -> frozenset[str] | None:
    """The item codes of a CASE package, read as the frameworks domain will install it."""
    if found is None:
        return None
    try:
        package = parse_case_package(json.loads(found[1]))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        report.add(FILES["organisation"], where, f"CASE package is not valid JSON: {exc}")
        return None
    except FrameworkSourceError as exc:
        report.add(FILES["organisation"], where, f"not a usable CASE package: {exc}")
        return None
    return frozenset(item.code for item in package.items)


def _achievement(report: Report, index: int, item: Data) -> AchievementDefinition:
    where = f"achievements[{index}].image"
    found = read_inside(report, FILES["achievements"], where, item["image"], _IMAGES)
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
    fields: dict[str, Any] = {
        "slug": item["slug"],
        "issuer": item["issuer"],
        "name": item["name"],
        "description": item["description"],
        "criteria_narrative": item["criteria"],
        "criteria_url": item.get("criteria_url"),
        "achievement_type": item.get("achievement_type", "Competency"),
        "tags": tuple(item.get("tags", ())),
        "alignments": alignments,
    }
    content_hash = achievement_content_hash(
        **fields, image_format=image.suffix.lower().lstrip("."), image_bytes=content
    )
    return AchievementDefinition(**fields, image=image, content_hash=content_hash)


def _level(item: Data) -> int | None:
    # TOML allows 4.0 where 4 is meant; the schema accepted it as an integer.
    level = item.get("level")
    return None if level is None else int(level)


def _path(item: Data, achievements: dict[str, AchievementDefinition]) -> PathDefinition:
    return PathDefinition(
        slug=item["slug"],
        kind=item["kind"],
        name=item["name"],
        description=item.get("description", ""),
        team=item.get("team"),
        person=item.get("person"),
        achievement=item.get("achievement"),
        approved_by=item.get("approved_by"),
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
            _subgoal(subgoal, position, achievements.get(subgoal["achievement"]))
            for position, subgoal in enumerate(item["subgoals"], start=1)
        ),
    )


def _subgoal(
    item: Data, position: int, achievement: AchievementDefinition | None
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
    return SubGoalDefinition(
        slug=item["slug"],
        name=item.get("name") or (achievement.name if achievement else item["slug"]),
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


def _team(item: Data) -> TeamDefinition:
    return TeamDefinition(
        slug=item["slug"],
        name=item["name"],
        parent=item.get("parent"),
        supervisors=tuple(item.get("supervisors", ())),
    )


def _person(item: Data) -> PersonDefinition:
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
    )


def _connection(item: Data) -> ConnectionDefinition:
    return ConnectionDefinition(
        name=item["name"],
        kind=item["kind"],
        description=item.get("description", ""),
        base_url=item.get("base_url"),
        unknown_person=item["unknown_person"],
    )


def _references(
    report: Report,
    raw: dict[str, Data | None],
    frameworks: list[tuple[int, FrameworkRef]],
    codes: dict[str, frozenset[str] | None],
    teams: list[tuple[int, TeamDefinition]],
    people: list[tuple[int, PersonDefinition]],
    connections: list[tuple[int, ConnectionDefinition]],
) -> crossref.References:
    def known(what: str, kind: str, table: str, key: str) -> Known:
        missing = not (report.folder / FILES[kind]).is_file()
        hint = f" ({FILES[kind]} is missing)" if missing else ""
        return Known(what, _names(raw[kind], table, key), hint)

    return crossref.References(
        issuers=known("issuer", "organisation", "issuers", "slug"),
        frameworks=known("framework", "organisation", "frameworks", "slug"),
        achievements=known("achievement", "achievements", "achievements", "slug"),
        teams=known("team", "people", "teams", "slug"),
        people=known("person", "people", "people", "employee_number"),
        connections=known("connection", "connections", "connections", "name"),
        codes=codes,
        code_hints={f.slug: _DIGCOMP_HINT for _, f in frameworks if f.source == "digcomp22"},
        connection_kinds={c.name: c.kind for _, c in connections},
        team_parents={t.slug: t.parent for _, t in teams},
        supervisors={t.slug: t.supervisors for _, t in teams},
        person_teams={p.employee_number: p.teams for _, p in people},
    )


def _names(data: Data | None, table: str, key: str) -> frozenset[str] | None:
    """The names a file declares, best effort even when the file broke its schema."""
    if data is None:
        return None
    items = data.get(table, [])
    if not isinstance(items, list):
        return None
    return frozenset(
        item[key] for item in items if isinstance(item, dict) and isinstance(item.get(key), str)
    )
