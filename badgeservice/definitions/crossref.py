"""Cross-reference checks of a whole organisation folder, file by file.

Every function takes the entries one file declares and the :class:`References` of the whole
folder, and reports at the exact key that is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..graphs import find_cycles
from .checks import Known, Report, unique
from .model import (
    AchievementDefinition,
    ConnectionDefinition,
    FrameworkRef,
    HrEndpointDefinition,
    IssuerDefinition,
    PathDefinition,
    PersonDefinition,
    SubGoalDefinition,
    TeamDefinition,
)

__all__ = [
    "References",
    "check_achievements",
    "check_connections",
    "check_hr_endpoints",
    "check_issuers",
    "check_organisation",
    "check_paths",
    "check_people",
]

# Moodle completions arrive for a course or for one course module ("cm"), by numeric id.
_MOODLE_ACTIVITY = re.compile(r"(course|cm):[1-9][0-9]*")
_TRIGGER_CONNECTIONS = {"lms": ("moodle", "webhook"), "xapi": ("xapi",)}


@dataclass(frozen=True)
class References:
    """What the folder declares, for judging references to it.

    The mappings hold only entries from files that passed their schema; a name missing from
    a mapping is therefore not judged beyond its :class:`Known` check.
    """

    issuers: Known
    frameworks: Known
    achievements: Known
    teams: Known
    people: Known
    connections: Known
    codes: Mapping[str, frozenset[str] | None]
    code_hints: Mapping[str, str]
    connection_kinds: Mapping[str, str]
    team_parents: Mapping[str, str | None]
    supervisors: Mapping[str, tuple[str, ...]]
    person_teams: Mapping[str, tuple[str, ...]]

    def check_competence(
        self, report: Report, file: str, path: str, framework: str, code: str
    ) -> None:
        """Report an undeclared framework or a code the framework does not have."""
        if not self.frameworks.check(report, file, f"{path}.framework", framework):
            return
        codes = self.codes.get(framework)
        if codes is not None and code not in codes:
            hint = self.code_hints.get(framework, "")
            message = f"unknown competence {code!r} in framework {framework!r}{hint}"
            report.add(file, f"{path}.competence", message)

    def team_and_ancestors(self, team: str) -> list[str]:
        """``team`` and its parents up to the root; stops at a cycle."""
        chain: list[str] = []
        current: str | None = team
        while current is not None and current not in chain:
            chain.append(current)
            current = self.team_parents.get(current)
        return chain


def check_organisation(report: Report, slug: str) -> None:
    """The organisation's slug names its folder."""
    if slug != report.folder.name:
        message = f"slug {slug!r} must equal the folder name {report.folder.name!r}"
        report.add("organisation.toml", "organisation.slug", message)


def check_issuers(
    report: Report,
    issuers: Sequence[tuple[int, IssuerDefinition]],
    frameworks: Sequence[tuple[int, FrameworkRef]],
) -> None:
    """Issuer and framework slugs are unique."""
    file = "organisation.toml"
    unique(report, file, issuers, lambda i: i.slug, "issuers[{}].slug", "issuer")
    unique(report, file, frameworks, lambda f: f.slug, "frameworks[{}].slug", "framework")


def check_achievements(
    report: Report, achievements: Sequence[tuple[int, AchievementDefinition]], refs: References
) -> None:
    """Unique slugs, known issuers, alignments to declared frameworks and existing codes."""
    file = "achievements.toml"
    unique(
        report,
        file,
        achievements,
        lambda a: a.slug,
        "achievements[{}].slug",
        "achievement",
    )
    for index, achievement in achievements:
        where = f"achievements[{index}]"
        refs.issuers.check(report, file, f"{where}.issuer", achievement.issuer)
        for number, alignment in enumerate(achievement.alignments):
            refs.check_competence(
                report,
                file,
                f"{where}.alignments[{number}]",
                alignment.framework,
                alignment.competence,
            )
        unique(
            report,
            file,
            enumerate(achievement.alignments),
            lambda a: f"{a.framework}:{a.competence}",
            f"{where}.alignments[{{}}]",
            "alignment",
        )


def check_people(
    report: Report,
    teams: Sequence[tuple[int, TeamDefinition]],
    people: Sequence[tuple[int, PersonDefinition]],
    refs: References,
) -> None:
    """Unique teams and people, known parents and supervisors, no parent cycles, and each
    LMS account belonging to one person only."""
    file = "people.toml"
    unique(report, file, teams, lambda t: t.slug, "teams[{}].slug", "team")
    position = {team.slug: index for index, team in teams}
    for index, team in teams:
        refs.teams.check(report, file, f"teams[{index}].parent", team.parent)
        for number, supervisor in enumerate(team.supervisors):
            refs.people.check(report, file, f"teams[{index}].supervisors[{number}]", supervisor)
    parents = {team.slug: [team.parent] if team.parent else [] for _, team in teams}
    for cycle in find_cycles(parents):
        where = f"teams[{position[cycle[0]]}].parent"
        report.add(file, where, f"parent teams form a cycle: {' → '.join(cycle)}")

    unique(
        report,
        file,
        people,
        lambda p: p.employee_number,
        "people[{}].employee_number",
        "employee number",
    )
    unique(report, file, people, lambda p: p.email, "people[{}].email", "email", fold=str.lower)
    owners: dict[tuple[str, str], str] = {}
    for index, person in people:
        for number, slug in enumerate(person.teams):
            refs.teams.check(report, file, f"people[{index}].teams[{number}]", slug)
        for number, account in enumerate(person.lms_accounts):
            where = f"people[{index}].lms_accounts[{number}]"
            refs.connections.check(report, file, f"{where}.connection", account.connection)
            key = (account.connection, account.account)
            if key in owners and owners[key] != person.employee_number:
                message = f"account {account.account!r} already belongs to {owners[key]}"
                report.add(file, f"{where}.account", message)
            owners.setdefault(key, person.employee_number)


def check_connections(
    report: Report, connections: Sequence[tuple[int, ConnectionDefinition]]
) -> None:
    """Connection names are unique."""
    unique(
        report,
        "connections.toml",
        connections,
        lambda c: c.name,
        "connections[{}].name",
        "connection",
    )


def check_hr_endpoints(
    report: Report, endpoints: Sequence[tuple[int, HrEndpointDefinition]]
) -> None:
    """HR endpoint names are unique."""
    unique(
        report,
        "connections.toml",
        endpoints,
        lambda e: e.name,
        "hr_endpoints[{}].name",
        "HR endpoint",
    )


def check_paths(
    report: Report,
    paths: Sequence[tuple[int, PathDefinition]],
    achievements: Mapping[str, AchievementDefinition],
    refs: References,
) -> None:
    """References of each path, its targets and sub-goals; prerequisites without cycles."""
    file = "paths.toml"
    unique(report, file, paths, lambda p: p.slug, "paths[{}].slug", "path")
    for index, path in paths:
        where = f"paths[{index}]"
        refs.teams.check(report, file, f"{where}.team", path.team)
        refs.people.check(report, file, f"{where}.person", path.person)
        refs.achievements.check(report, file, f"{where}.achievement", path.achievement)
        if refs.people.check(report, file, f"{where}.approved_by", path.approved_by):
            _check_approver(report, refs, path, f"{where}.approved_by")
        for number, target in enumerate(path.targets):
            at = f"{where}.targets[{number}]"
            refs.check_competence(report, file, at, target.framework, target.competence)
            refs.teams.check(report, file, f"{at}.team", target.team)
            if path.kind == "team" and target.team not in (None, path.team):
                message = f"a target of team path {path.slug!r} can only be for team {path.team!r}"
                report.add(file, f"{at}.team", message)
        _check_subgoals(report, path, where, achievements, refs)


def _check_approver(report: Report, refs: References, path: PathDefinition, where: str) -> None:
    approver = path.approved_by
    if approver is None or path.kind == "organisation":
        return
    if path.kind == "team" and path.team is not None:
        teams = [path.team]
    elif path.person is not None and path.person in refs.person_teams:
        teams = list(refs.person_teams[path.person])
    else:
        return
    chains = [refs.team_and_ancestors(team) for team in teams]
    if any(team not in refs.team_parents for chain in chains for team in chain):
        return  # a team we do not know is reported where it is named
    if not any(approver in refs.supervisors.get(team, ()) for chain in chains for team in chain):
        whose = f"team {path.team!r}" if path.kind == "team" else f"{path.person}'s teams"
        message = f"{approver} does not supervise {whose} or a team above them"
        report.add("paths.toml", where, message)


def _check_subgoals(
    report: Report,
    path: PathDefinition,
    where: str,
    achievements: Mapping[str, AchievementDefinition],
    refs: References,
) -> None:
    file = "paths.toml"
    subgoals = path.subgoals
    unique(
        report,
        file,
        enumerate(subgoals),
        lambda s: s.slug,
        f"{where}.subgoals[{{}}].slug",
        "sub-goal",
    )
    unique(
        report,
        file,
        enumerate(subgoals),
        lambda s: s.achievement,
        f"{where}.subgoals[{{}}].achievement",
        "sub-goal achievement",
    )
    slugs = {subgoal.slug for subgoal in subgoals}
    for number, subgoal in enumerate(subgoals):
        at = f"{where}.subgoals[{number}]"
        if refs.achievements.check(report, file, f"{at}.achievement", subgoal.achievement):
            if subgoal.achievement == path.achievement:
                message = "the path badge cannot also complete one of the path's sub-goals"
                report.add(file, f"{at}.achievement", message)
            _check_subgoal_competence(report, subgoal, at, achievements, refs)
        for position, prerequisite in enumerate(subgoal.prerequisites):
            if prerequisite not in slugs:
                message = (
                    f"unknown sub-goal {prerequisite!r} "
                    "(prerequisites name sub-goals of the same path)"
                )
                report.add(file, f"{at}.prerequisites[{position}]", message)
        _check_triggers(report, subgoal, at, refs)
    index = {subgoal.slug: number for number, subgoal in enumerate(subgoals)}
    graph = {subgoal.slug: list(subgoal.prerequisites) for subgoal in subgoals}
    for cycle in find_cycles(graph):
        at = f"{where}.subgoals[{index[cycle[0]]}].prerequisites"
        report.add(file, at, f"prerequisites form a cycle: {' → '.join(cycle)}")


def _check_subgoal_competence(
    report: Report,
    subgoal: SubGoalDefinition,
    where: str,
    achievements: Mapping[str, AchievementDefinition],
    refs: References,
) -> None:
    if subgoal.competence is None:
        return
    achievement = achievements.get(subgoal.achievement)
    aligned = achievement is not None and any(
        (alignment.framework, alignment.competence) == subgoal.competence
        for alignment in achievement.alignments
    )
    # An alignment of the achievement (the default when the file says nothing) is judged in
    # achievements.toml, where it is written.
    if not aligned:
        framework, code = subgoal.competence
        refs.check_competence(report, "paths.toml", where, framework, code)


def _check_triggers(
    report: Report, subgoal: SubGoalDefinition, where: str, refs: References
) -> None:
    file = "paths.toml"
    unique(
        report,
        file,
        enumerate(subgoal.triggers),
        lambda t: f"{t.kind}|{t.connection}|{t.activity}",
        f"{where}.triggers[{{}}]",
        "trigger",
    )
    for number, trigger in enumerate(subgoal.triggers):
        at = f"{where}.triggers[{number}]"
        if trigger.connection is None:
            continue
        if not refs.connections.check(report, file, f"{at}.connection", trigger.connection):
            continue
        kind = refs.connection_kinds.get(trigger.connection)
        if kind is None:
            continue
        accepted = _TRIGGER_CONNECTIONS[trigger.kind]
        if kind not in accepted:
            message = (
                f"a {trigger.kind} trigger needs a {' or '.join(accepted)} connection; "
                f"{trigger.connection!r} is {kind}"
            )
            report.add(file, f"{at}.connection", message)
        elif kind == "moodle" and not _MOODLE_ACTIVITY.fullmatch(trigger.activity or ""):
            message = (
                f"a Moodle activity is 'course:<course id>' or 'cm:<course module id>' "
                f"(got {trigger.activity!r})"
            )
            report.add(file, f"{at}.activity", message)
