"""What an organisation folder says, as a tree of frozen dataclasses.

The reader returns these only when the whole folder is valid, so every reference in the tree
(issuer, achievement, team, person, connection, framework, competence) resolves and every
path inside ``folder`` exists. Tuples keep the order of the files, which is the order an
operator sees on screen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal, TypeVar

from .errors import DefinitionError

__all__ = [
    "AchievementDefinition",
    "AlignmentDefinition",
    "ConnectionDefinition",
    "ConnectionKind",
    "FrameworkRef",
    "FrameworkSource",
    "HrEndpointDefinition",
    "IssuerDefinition",
    "LmsAccountDefinition",
    "OrganisationDefinition",
    "PathDefinition",
    "PathKind",
    "PersonDefinition",
    "SignInDefinition",
    "SubGoalDefinition",
    "TargetDefinition",
    "TeamDefinition",
    "Translations",
    "TriggerDefinition",
    "TriggerKind",
    "UnknownPersonPolicy",
]

FrameworkSource = Literal["digcomp22", "case"]
PathKind = Literal["organisation", "team", "individual"]
TriggerKind = Literal["lms", "xapi", "manual", "evidence"]
ConnectionKind = Literal["moodle", "webhook", "xapi"]
UnknownPersonPolicy = Literal["create", "park"]

_T = TypeVar("_T")

#: The translations of an entry's texts: {field: {language: text}}; empty for a field
#: written as a plain string (then only the plain value, in the default language).
Translations = dict[str, dict[str, str]]


@dataclass(frozen=True, slots=True)
class IssuerDefinition:
    """An issuing unit of the organisation; becomes an OB 3.0 issuer ``Profile``."""

    slug: str
    name: str
    url: str
    email: str
    description: str
    image: Path | None
    texts: Translations = field(default_factory=dict, hash=False)
    # The JOSE algorithm of the issuer's VC-JWTs: ES256 (P-256) or RS256 (RSA).
    vc_jwt_algorithm: str = "ES256"


@dataclass(frozen=True, slots=True)
class FrameworkRef:
    """A competence framework the organisation aligns to.

    ``digcomp22`` is shipped with the service; ``case`` names a 1EdTech CASE package JSON
    file inside the organisation folder (``file`` is then its absolute path).
    """

    slug: str
    source: FrameworkSource
    file: Path | None


@dataclass(frozen=True, slots=True)
class AlignmentDefinition:
    """An achievement's alignment to one competence of a declared framework."""

    framework: str
    competence: str
    level: int | None


@dataclass(frozen=True, slots=True)
class AchievementDefinition:
    """A badge definition (OB 3.0 ``Achievement``).

    ``content_hash`` is a sha256 (hex) over everything that ends up in an issued badge,
    image bytes included: equal hashes mean "same achievement version", a new hash means a
    new version is due.
    """

    slug: str
    issuer: str
    name: str
    description: str
    criteria_narrative: str
    criteria_url: str | None
    image: Path
    achievement_type: str
    tags: tuple[str, ...]
    alignments: tuple[AlignmentDefinition, ...]
    content_hash: str
    # Credentials are valid this many days from issue (validUntil); None: no end.
    valid_for_days: int | None = None
    image_caption: str | None = None
    texts: Translations = field(default_factory=dict, hash=False)


@dataclass(frozen=True, slots=True)
class TargetDefinition:
    """A strategic target: ``share`` of the people (of ``team``, or all staff) reach
    ``level`` in ``competence`` by ``due``."""

    framework: str
    competence: str
    level: int
    share: float
    due: date
    team: str | None


@dataclass(frozen=True, slots=True)
class TriggerDefinition:
    """What completes a sub-goal.

    ``lms``: ``connection`` plus the LMS course or activity id (``course:101``, ``cm:2045``);
    ``xapi``: ``connection`` plus the activity IRI; ``manual`` and ``evidence``: neither.
    """

    kind: TriggerKind
    connection: str | None
    activity: str | None


@dataclass(frozen=True, slots=True)
class SubGoalDefinition:
    """One step of a path, recognised by its own achievement.

    ``position`` is the 1-based order in the file. ``competence`` is ``(framework, code)``;
    when the file leaves it out, it and ``level`` come from the achievement's first alignment.
    """

    slug: str
    name: str
    achievement: str
    required: bool
    position: int
    prerequisites: tuple[str, ...]
    competence: tuple[str, str] | None
    level: int | None
    triggers: tuple[TriggerDefinition, ...]
    texts: Translations = field(default_factory=dict, hash=False)


@dataclass(frozen=True, slots=True)
class PathDefinition:
    """An organisation, team or individual path.

    ``team`` is set for team paths, ``person`` (an employee number) for individual paths;
    ``achievement`` is the path badge issued when every required sub-goal is done.
    """

    slug: str
    kind: PathKind
    name: str
    description: str
    team: str | None
    person: str | None
    achievement: str | None
    approved_by: str | None
    targets: tuple[TargetDefinition, ...]
    subgoals: tuple[SubGoalDefinition, ...]
    # What a completion before the prerequisites does: "accept" or "wait".
    out_of_order: str = "accept"
    texts: Translations = field(default_factory=dict, hash=False)


@dataclass(frozen=True, slots=True)
class TeamDefinition:
    """An organisational unit; ``supervisors`` are employee numbers."""

    slug: str
    name: str
    parent: str | None
    supervisors: tuple[str, ...]
    texts: Translations = field(default_factory=dict, hash=False)


@dataclass(frozen=True, slots=True)
class LmsAccountDefinition:
    """A person's account name in a connected LMS or LRS."""

    connection: str
    account: str


@dataclass(frozen=True, slots=True)
class PersonDefinition:
    """A learner / employee, identified by employee number."""

    employee_number: str
    email: str
    given_name: str
    family_name: str
    teams: tuple[str, ...]
    lms_accounts: tuple[LmsAccountDefinition, ...]
    # Granted page roles besides learner and supervisor: "assessor", "hr", "admin".
    roles: tuple[str, ...] = ()
    # The language their badges are issued in; None: the organisation's default.
    language: str | None = None


@dataclass(frozen=True, slots=True)
class ConnectionDefinition:
    """A named inbound source of completion events.

    ``unknown_person`` says what happens to an event for someone the service does not know:
    ``create`` a person from the event, or ``park`` the event until an operator maps it.
    Secrets are never part of the definition files.
    """

    name: str
    kind: ConnectionKind
    description: str
    base_url: str | None
    unknown_person: UnknownPersonPolicy


@dataclass(frozen=True, slots=True)
class HrEndpointDefinition:
    """An HR endpoint competence events are pushed to; its signing secret is generated by
    the service, never part of the files."""

    name: str
    url: str
    description: str | None


@dataclass(frozen=True, slots=True)
class SignInDefinition:
    """The organisation's OpenID Connect identity provider. The client secret is read from
    the environment variable ``client_secret_env`` when the files are applied (``None``: a
    public client); ``match`` is ``employee_number``, ``email`` or ``sub``."""

    issuer: str
    client_id: str
    client_secret_env: str | None
    match: str
    claim: str | None


@dataclass(frozen=True, slots=True)
class OrganisationDefinition:
    """One organisation folder, read and checked."""

    slug: str
    name: str
    url: str
    email: str
    description: str
    folder: Path
    issuers: tuple[IssuerDefinition, ...]
    frameworks: tuple[FrameworkRef, ...]
    achievements: tuple[AchievementDefinition, ...]
    paths: tuple[PathDefinition, ...]
    teams: tuple[TeamDefinition, ...]
    people: tuple[PersonDefinition, ...]
    connections: tuple[ConnectionDefinition, ...]
    hr_endpoints: tuple[HrEndpointDefinition, ...] = ()
    accent_color: str | None = None
    sign_in: SignInDefinition | None = None
    # "refuse", "code-point" or "utf-16": see README "Canonical ordering".
    nquads_ordering: str = "refuse"
    # Days before validUntil an earner is reminded (empty: the default 30 and 7).
    reminder_days: tuple[int, ...] = ()
    # Declared retention periods: ("inbox_days", 90), … (undeclared ones are left alone).
    retention: tuple[tuple[str, int], ...] = ()
    # The language of plain texts and the fallback; the languages texts are written in.
    default_language: str = "en"
    languages: tuple[str, ...] = ("en",)
    texts: Translations = field(default_factory=dict, hash=False)
    # What is not wrong but probably unintended (a missing translation), for the operator.
    warnings: tuple[DefinitionError, ...] = field(default=(), hash=False, compare=False)

    def achievement(self, slug: str) -> AchievementDefinition:
        """The achievement with this slug; ``KeyError`` if there is none."""
        return _find(self.achievements, slug, lambda item: item.slug)

    def path(self, slug: str) -> PathDefinition:
        """The path with this slug; ``KeyError`` if there is none."""
        return _find(self.paths, slug, lambda item: item.slug)

    def team(self, slug: str) -> TeamDefinition:
        """The team with this slug; ``KeyError`` if there is none."""
        return _find(self.teams, slug, lambda item: item.slug)

    def person(self, employee_number: str) -> PersonDefinition:
        """The person with this employee number; ``KeyError`` if there is none."""
        return _find(self.people, employee_number, lambda item: item.employee_number)

    def connection(self, name: str) -> ConnectionDefinition:
        """The connection with this name; ``KeyError`` if there is none."""
        return _find(self.connections, name, lambda item: item.name)


def _find(items: tuple[_T, ...], key: str, key_of: Callable[[_T], str]) -> _T:
    for item in items:
        if key_of(item) == key:
            return item
    raise KeyError(key)
