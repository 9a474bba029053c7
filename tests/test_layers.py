"""The layers of the house, read from the import graph (function-local imports included):
a package may not reach, through any chain of imports, a package above it.

    ingest · evidence channels → a typed Completion → matching → awards · evidence claims
    obapi             the Open Badges API as a Host: beside awards, reading what was issued
    awards            award, revoke, complete a path, path progress
    portability       own identities, re-issued copies, sign-in links (never a new award,
                      never HR: a copy is no new competence)
    issuing · hr      build, sign, store credentials · recognitions, delivery, reserve
    paths · people    the catalogue: organisations, issuers, frameworks, achievements
    audit             the audit trail: every floor records to it, it knows none of them
    credentials       the standalone credential library: nothing else of the project
"""

from __future__ import annotations

import pytest

from tests.test_import_cycles import _imports, _modules

CATALOGUE = ("organisations", "issuers", "frameworks", "achievements")
BELOW_AWARDS = ("issuing", "hr", "paths", "people", *CATALOGUE)
# Packages at the edge that nothing below the awards layer may know of.
EDGES = ("privacy", "obapi", "portability")

# package -> the packages it may not reach
FORBIDDEN: dict[str, set[str]] = {
    "awards": {"ingest", "evidence", "bulkawards", *EDGES},
    "portability": {"awards", "ingest", "evidence", "bulkawards", "hr", "privacy", "obapi"},
    **{below: {"awards", "ingest", "evidence", "bulkawards", *EDGES} for below in BELOW_AWARDS},
    "issuing": {"hr", "ingest", "awards", "paths", "evidence", "bulkawards", *EDGES},
    "hr": {"ingest", "awards", "evidence", "bulkawards", *EDGES},
    **{
        lower: {"issuing", "awards", "ingest", "hr", "evidence", "bulkawards", *EDGES}
        for lower in ("paths", "people", *CATALOGUE)
    },
    # Personal data reads every table and erases across them: only the edges use it.
    **{edge: {"privacy"} for edge in ("ingest", "evidence", "bulkawards", "scim", "sharing")},
    # The Open Badges API reads what was issued and verifies what is brought; it never
    # awards, ingests or delivers, and nothing below it knows of it.
    "obapi": {"awards", "ingest", "evidence", "bulkawards", "hr", "web", "privacy"},
    # The audit trail is recorded to from every floor, so it reaches none of them.
    "audit": {"issuing", "awards", "ingest", "hr", "evidence", "bulkawards", *BELOW_AWARDS, *EDGES},
}


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, file, modules) for name, file in modules.items()}


def _reach(graph: dict[str, set[str]], start: str) -> dict[str, str]:
    """Every module reachable from ``start``, each with the module that imported it."""
    came_from: dict[str, str] = {}
    todo = [start]
    while todo:
        node = todo.pop()
        for target in graph.get(node, ()):
            if target not in came_from and target != start:
                came_from[target] = node
                todo.append(target)
    return came_from


def _chain(came_from: dict[str, str], start: str, end: str) -> str:
    chain = [end]
    while chain[-1] != start:
        chain.append(came_from[chain[-1]])
    return " → ".join(reversed(chain))


def violations(graph: dict[str, set[str]]) -> list[str]:
    found = []
    for module in sorted(graph):
        package = _package(module)
        if package == "credentials" and module != "badgeservice":
            came_from = _reach(graph, module)
            found += [
                _chain(came_from, module, target)
                for target in sorted(came_from)
                if _package(target) != "credentials" and target != "badgeservice"
            ]
            continue
        forbidden = FORBIDDEN.get(package, set())
        if not forbidden:
            continue
        came_from = _reach(graph, module)
        found += [
            _chain(came_from, module, target)
            for target in sorted(came_from)
            if _package(target) in forbidden
        ]
    return found


def test_no_package_reaches_a_layer_above_it() -> None:
    found = violations(_graph())
    assert found == [], "\n".join(found)


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("badgeservice.issuing.x", "badgeservice.hr.y"),
        ("badgeservice.paths.x", "badgeservice.awards.y"),
        ("badgeservice.credentials.x", "badgeservice.db"),
    ],
)
def test_the_check_sees_a_layer_broken(source: str, target: str) -> None:
    graph = {source: {target}, target: set()}
    assert violations(graph) == [f"{source} → {target}"]


def test_the_check_follows_chains() -> None:
    graph = {
        "badgeservice.people.views": {"badgeservice.services"},
        "badgeservice.services": {"badgeservice.ingest.services"},
        "badgeservice.ingest.services": set(),
    }
    assert violations(graph) == [
        "badgeservice.people.views → badgeservice.services → badgeservice.ingest.services"
    ]


def test_an_allowed_import_passes() -> None:
    graph = {"badgeservice.awards.x": {"badgeservice.issuing.y"}, "badgeservice.issuing.y": set()}
    assert violations(graph) == []
