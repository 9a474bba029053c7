"""Apply organisation folders (``issuers/``) to the database, idempotently.

Each domain's own service does its part (organisations, issuers, frameworks, achievements,
people, paths); this module only maps the definition tree onto those calls, in dependency
order. A second run with unchanged files changes nothing; an achievement that changed after
it was issued becomes a new version.
"""

from __future__ import annotations

import json
import os
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..access.models import Source
from ..access.roles import sync_file_grants
from ..access.signin import (
    SignInSpec,
    check_issuer_url,
    delete_settings,
    get_settings,
    put_settings,
)
from ..achievements.services import (
    AchievementContent,
    aligned_competence_ids,
    upsert_achievement,
)
from ..audit.services import record, target_of
from ..db import Outcome, utcnow
from ..errors import BadRequest
from ..frameworks.models import Competence, Framework
from ..frameworks.services import install_framework
from ..frameworks.sources import FrameworkSourceError, load_digcomp22, parse_case_package
from ..hr.delivery.endpoints import declare_endpoint
from ..issuers.services import IssuerService
from ..keystore import KeyStore
from ..organisations.services import set_retention, upsert_connection, upsert_organisation
from ..paths.data import PathData, SubGoalData, TargetData, TriggerData
from ..paths.services import upsert_path
from ..people.models import Person, Team, TeamRole
from ..people.services import LmsAccountData, PersonData
from ..people.teams import TeamData
from ..people.upserts import Skipped, upsert_person, upsert_team
from .errors import DefinitionErrors
from .model import OrganisationDefinition, PathDefinition
from .reader import read_all

__all__ = ["WARNING", "apply_organisation", "load_definitions"]

MEDIA_TYPES = {".svg": "image/svg+xml", ".png": "image/png"}
#: How a line of :func:`load_definitions` that is a warning begins.
WARNING = "warning: "


def load_definitions(session: Session, root: Path, app: Flask) -> Iterator[str]:
    """Read every organisation under ``root`` (all problems reported together), then apply
    each; yields one summary line per organisation."""
    if not root.is_dir():
        raise BadRequest(f"{root}: no such folder")
    try:
        definitions = read_all(root)
    except DefinitionErrors as exc:
        raise BadRequest(str(exc)) from None
    issuers = IssuerService(
        session,
        public_url=app.config["PUBLIC_URL"],
        keystore=app.extensions["badgeservice.keystore"],
    )
    for definition in definitions:
        for warning in definition.warnings:
            yield f"{WARNING}{warning}"
        yield apply_organisation(session, definition, issuers)


def apply_organisation(
    session: Session, definition: OrganisationDefinition, issuers: IssuerService
) -> str:
    """Apply one organisation folder; returns a one-line summary of what changed and of
    what the files declare but do not own any more (provisioned by SCIM, deactivated)."""
    organisation = upsert_organisation(
        session,
        slug=definition.slug,
        name=definition.name,
        url=definition.url,
        email=definition.email,
        description=definition.description,
        accent_color=definition.accent_color,
        nquads_ordering=definition.nquads_ordering,
        default_language=definition.default_language,
        reminder_days=definition.reminder_days,
        languages=definition.languages,
        texts=definition.texts,
    )
    if definition.retention:
        days = {key.removesuffix("_days"): int(value) for key, value in definition.retention}
        set_retention(session, organisation, **days)
    load = _Load(session, organisation.id, definition, issuers)
    sign_in = _apply_sign_in(session, organisation.id, definition, issuers.keystore)
    load.counts[f"sign-in {sign_in}"] += 1
    load.issuers()
    load.frameworks()
    load.connections()
    load.teams()
    load.people()
    load.achievements()
    load.paths()
    session.flush()
    changes = {what: n for what, n in load.counts.items() if n and "unchanged" not in what}
    changes.pop("sign-in none", None)
    if changes:
        target = target_of("organisation", organisation.id, organisation.slug)
        record(session, organisation.id, "definitions.loaded", target, {"changes": changes})
    return load.summary()


@dataclass
class _Load:
    """One organisation folder on its way in: each step calls the domain's upsert service
    and counts what it did; later steps find earlier records by slug."""

    session: Session
    org_id: uuid.UUID
    definition: OrganisationDefinition
    issuer_service: IssuerService
    counts: Counter[str] = field(default_factory=Counter)
    skipped: list[Skipped] = field(default_factory=list)
    issuer_ids: dict[str, uuid.UUID] = field(default_factory=dict)
    competences: dict[tuple[str, str], uuid.UUID] = field(default_factory=dict)
    team_rows: dict[str, Team] = field(default_factory=dict)
    person_rows: dict[str, Person] = field(default_factory=dict)
    achievement_ids: dict[str, uuid.UUID] = field(default_factory=dict)

    def issuers(self) -> None:
        for item in self.definition.issuers:
            issuer, outcome = self.issuer_service.upsert_issuer(
                self.org_id,
                item.slug,
                name=item.name,
                url=item.url,
                email=item.email,
                description=item.description,
                image_path=(
                    str(item.image.relative_to(self.definition.folder)) if item.image else None
                ),
                texts=item.texts,
                vc_jwt_algorithm=item.vc_jwt_algorithm,
            )
            self.issuer_ids[item.slug] = issuer.id
            self.counts["issuers created"] += outcome == Outcome.CREATED

    def frameworks(self) -> None:
        for ref in self.definition.frameworks:
            if ref.source == "digcomp22":
                source = load_digcomp22()
            else:
                assert ref.file is not None
                try:
                    source = parse_case_package(json.loads(ref.file.read_text(encoding="utf-8")))
                except (ValueError, FrameworkSourceError) as exc:
                    raise BadRequest(f"{ref.file}: {exc}") from None
            in_use = aligned_competence_ids(self.session, self.org_id)
            _, outcome = install_framework(
                self.session, self.org_id, source, ref.slug, in_use=in_use
            )
            self.counts[f"frameworks {outcome}"] += 1
        self.competences = {
            (framework.slug, competence.code): competence.id
            for framework, competence in self.session.execute(
                select(Framework, Competence)
                .join(Competence)
                .where(Framework.organisation_id == self.org_id)
            ).all()
        }

    def connections(self) -> None:
        for conn in self.definition.connections:
            upsert_connection(
                self.session,
                self.org_id,
                conn.name,
                kind=conn.kind,
                description=conn.description,
                base_url=conn.base_url,
                unknown_person=conn.unknown_person,
            )
        for hr in self.definition.hr_endpoints:
            outcome = declare_endpoint(
                self.session,
                self.org_id,
                name=hr.name,
                url=hr.url,
                description=hr.description,
                keystore=self.issuer_service.keystore,
            )
            self.counts[f"HR endpoints {outcome}"] += outcome != "unchanged"

    def teams(self) -> None:
        """Parents before children (the reader refused cycles)."""
        declared = {team.slug: team for team in self.definition.teams}

        def upsert(slug: str) -> Team:
            if slug not in self.team_rows:
                spec = declared[slug]
                parent = upsert(spec.parent).id if spec.parent in declared else None
                data = TeamData(slug=spec.slug, name=spec.name, parent_id=parent, texts=spec.texts)
                team, outcome = upsert_team(self.session, self.org_id, data, self.skipped)
                self.team_rows[slug] = team
                self.counts[f"teams {outcome}"] += outcome != Outcome.UNCHANGED
            return self.team_rows[slug]

        for slug in declared:
            upsert(slug)

    def people(self) -> None:
        all_teams = list(
            self.session.scalars(select(Team).where(Team.organisation_id == self.org_id))
        )
        for person in self.definition.people:
            # Every file-owned team of the organisation: a role not declared goes.
            roles: dict[Team, set[str]] = {team: set() for team in all_teams}
            for slug in person.teams:
                roles[self.team_rows[slug]].add(TeamRole.MEMBER)
            for team in self.definition.teams:
                if person.employee_number in team.supervisors:
                    roles[self.team_rows[team.slug]].add(TeamRole.SUPERVISOR)
            data = PersonData(
                employee_number=person.employee_number,
                email=person.email,
                given_name=person.given_name,
                family_name=person.family_name,
                lms_accounts=[LmsAccountData(a.connection, a.account) for a in person.lms_accounts],
                preferred_language=person.language,
            )
            row, outcome = upsert_person(
                self.session, self.org_id, data, roles=roles, skipped=self.skipped
            )
            self.person_rows[person.employee_number] = row
            self.counts[f"people {outcome}"] += outcome != Outcome.UNCHANGED
        grants = {self.person_rows[p.employee_number].id: p.roles for p in self.definition.people}
        self.counts["role grants changed"] += sync_file_grants(self.session, self.org_id, grants)

    def achievements(self) -> None:
        for badge in self.definition.achievements:
            content = AchievementContent(
                name=badge.name,
                description=badge.description,
                criteria_narrative=badge.criteria_narrative,
                criteria_url=badge.criteria_url,
                achievement_type=badge.achievement_type,
                tags=list(badge.tags),
                alignments=[
                    {
                        "competence": str(self.competences[(a.framework, a.competence)]),
                        "level": a.level,
                    }
                    for a in badge.alignments
                ],
                image=badge.image.read_bytes(),
                image_media_type=MEDIA_TYPES[badge.image.suffix.lower()],
                valid_for_days=badge.valid_for_days,
                image_caption=badge.image_caption,
                texts={key: dict(value) for key, value in badge.texts.items()},
            )
            achievement, outcome = upsert_achievement(
                self.session,
                organisation_id=self.org_id,
                issuer_id=self.issuer_ids[badge.issuer],
                slug=badge.slug,
                content=content,
            )
            self.achievement_ids[badge.slug] = achievement.id
            self.counts[f"achievements {outcome}"] += 1

    def paths(self) -> None:
        now = utcnow()
        for path in self.definition.paths:
            approver = self.person_rows[path.approved_by].id if path.approved_by else None
            _, outcome = upsert_path(
                self.session, self.org_id, self._path_data(path), approved_by_id=approver, at=now
            )
            self.counts[f"paths {outcome}"] += 1

    def _path_data(self, path: PathDefinition) -> PathData:
        teams, people = self.team_rows, self.person_rows
        return PathData(
            slug=path.slug,
            kind=path.kind,
            name=path.name,
            description=path.description,
            texts=path.texts,
            team_id=teams[path.team].id if path.team else None,
            person_id=people[path.person].id if path.person else None,
            achievement_id=self.achievement_ids[path.achievement] if path.achievement else None,
            out_of_order=path.out_of_order,
            targets=[
                TargetData(
                    competence_id=self.competences[(t.framework, t.competence)],
                    level=t.level,
                    share=t.share,
                    due=t.due,
                    team_id=teams[t.team].id if t.team else None,
                )
                for t in path.targets
            ],
            sub_goals=[
                SubGoalData(
                    slug=g.slug,
                    name=g.name,
                    texts=g.texts,
                    achievement_id=self.achievement_ids[g.achievement],
                    competence_id=self.competences[g.competence] if g.competence else None,
                    level=g.level,
                    position=g.position,
                    required=g.required,
                    prerequisites=g.prerequisites,
                    triggers=[TriggerData(t.kind, t.connection, t.activity) for t in g.triggers],
                )
                for g in path.subgoals
            ],
        )

    def summary(self) -> str:
        self.counts.pop("sign-in unchanged", None)
        self.counts.pop("sign-in none", None)
        summary = ", ".join(f"{n} {what}" for what, n in sorted(self.counts.items()) if n)
        line = f"{self.definition.slug}: {summary or 'unchanged'}"
        reasons: dict[str, list[str]] = {}
        for note in self.skipped:
            reasons.setdefault(note.reason, []).append(note.what)
        for reason, what in reasons.items():
            line += f"; skipped, {reason}: {', '.join(what)}"
        return line


def _apply_sign_in(
    session: Session, org_id: uuid.UUID, definition: OrganisationDefinition, keystore: KeyStore
) -> str:
    """Make the stored sign-in settings match ``[sign_in]``: ``created``, ``updated``,
    ``unchanged``, ``removed`` (no longer declared) or ``none``. Settings made through the
    API are replaced by a declaration, and left alone when the file declares none."""
    declared = definition.sign_in
    existing = get_settings(session, org_id)
    if declared is None:
        if existing is not None and existing.source == Source.FILE:
            delete_settings(session, org_id)
            return "removed"
        return "none"
    where = f"{definition.folder / 'organisation.toml'}: sign_in"
    secret, keep = None, False
    if declared.client_secret_env is not None:
        secret = os.environ.get(declared.client_secret_env) or None
        same_client = (
            existing is not None
            and existing.client_secret_ciphertext is not None
            and existing.client_id == declared.client_id
            and existing.issuer == check_issuer_url(declared.issuer)
        )
        if secret is None and not same_client:
            raise BadRequest(
                f"{where}.client_secret_env: the environment variable "
                f"{declared.client_secret_env} is not set (it holds the client secret)"
            )
        keep = secret is None
    spec = SignInSpec(declared.issuer, declared.client_id, secret, declared.match, declared.claim)
    try:
        _, outcome = put_settings(
            session, org_id, spec, keystore=keystore, source=Source.FILE, keep_secret=keep
        )
    except BadRequest as exc:
        raise BadRequest(f"{where}: {exc.detail}") from None
    return outcome
