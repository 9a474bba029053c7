"""Read organisation folders (``issuers/<slug>/``) into checked definitions.

Each TOML file is parsed, checked against its JSON Schema, turned into dataclasses, and then
the folder is checked as a whole (references, cycles, files). Every problem is collected and
raised together as one :class:`DefinitionErrors`, so an operator sees everything at once.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, TypeVar

from . import build, crossref
from .checks import Known, Report
from .errors import DefinitionError, DefinitionErrors
from .model import (
    ConnectionDefinition,
    FrameworkRef,
    OrganisationDefinition,
    PersonDefinition,
    TeamDefinition,
)
from .translations import Languages
from .validation import FILE_KINDS, format_path, jsonable, schema_problems

__all__ = ["FILES", "read_all", "read_organisation"]

#: The files of an organisation folder; organisation.toml and achievements.toml must exist,
#: a missing other file declares nothing.
FILES = {kind: f"{kind}.toml" for kind in FILE_KINDS}
_REQUIRED = frozenset({"organisation", "achievements"})
# The tables in the order the files (and the README) present them.
_TABLES = ("organisation", "sign_in", "issuers", "frameworks", "teams", "people")
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

    organisation = entries.table("organisation", "organisation")
    languages = Languages.of(organisation)
    profile = build.profile(report, organisation, languages)
    sign_in = build.sign_in(entries.table("organisation", "sign_in"))
    retention = tuple(sorted((entries.table("organisation", "retention") or {}).items()))
    rows = entries.items
    issuers = [
        (n, build.issuer(report, n, row, languages)) for n, row in rows("organisation", "issuers")
    ]
    frameworks, codes = build.frameworks(report, rows("organisation", "frameworks"))
    achievements = [
        (n, build.achievement(report, n, row, languages))
        for n, row in rows("achievements", "achievements")
    ]
    teams = [(n, build.team(report, n, row, languages)) for n, row in rows("people", "teams")]
    people = [(n, build.person(row)) for n, row in rows("people", "people")]
    connections = [(n, build.connection(row)) for n, row in rows("connections", "connections")]
    hr_endpoints = [(n, build.hr_endpoint(row)) for n, row in rows("connections", "hr_endpoints")]
    by_slug = {achievement.slug: achievement for _, achievement in achievements}
    paths = [
        (n, build.path(report, n, row, by_slug, languages)) for n, row in rows("paths", "paths")
    ]

    refs = _references(report, raw, frameworks, codes, teams, people, connections)
    if profile is not None:
        crossref.check_organisation(report, profile["slug"])
    crossref.check_issuers(report, issuers, frameworks)
    crossref.check_achievements(report, achievements, refs)
    crossref.check_people(report, teams, people, refs)
    crossref.check_connections(report, connections)
    crossref.check_hr_endpoints(report, hr_endpoints)
    crossref.check_paths(report, paths, by_slug, refs)

    if report.errors or profile is None:
        raise DefinitionErrors(sorted(report.errors, key=_error_order))
    return OrganisationDefinition(
        **profile,
        sign_in=sign_in,
        retention=retention,
        folder=folder,
        issuers=_bare(issuers),
        frameworks=_bare(frameworks),
        achievements=_bare(achievements),
        paths=_bare(paths),
        teams=_bare(teams),
        people=_bare(people),
        connections=_bare(connections),
        hr_endpoints=_bare(hr_endpoints),
        warnings=tuple(sorted(report.warnings, key=_error_order)),
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
    data: Data = jsonable(parsed)
    return data


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
