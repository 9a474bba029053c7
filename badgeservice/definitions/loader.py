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
from pathlib import Path

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..access.roles import sync_file_grants
from ..access.signin import (
    SignInSpec,
    check_issuer_url,
    delete_settings,
    get_settings,
    put_settings,
)
from ..achievements.services import AchievementContent, upsert_achievement
from ..db import utcnow
from ..errors import BadRequest
from ..frameworks.models import Competence, Framework
from ..frameworks.services import install_framework
from ..frameworks.sources import FrameworkSourceError, load_digcomp22, parse_case_package
from ..hr.endpoints import declare_endpoint
from ..issuers.models import Issuer
from ..issuers.services import IssuerService
from ..keystore import KeyStore
from ..organisations.models import Connection
from ..organisations.services import upsert_organisation
from ..paths.sync import PathSpec, SubGoalSpec, TargetSpec, sync_path
from ..people.sync import PersonSpec, Skipped, TeamSpec, sync_people, sync_teams
from .errors import DefinitionErrors
from .model import OrganisationDefinition
from .reader import read_all

__all__ = ["apply_organisation", "load_definitions"]

MEDIA_TYPES = {".svg": "image/svg+xml", ".png": "image/png"}


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
        yield apply_organisation(session, definition, issuers)


def apply_organisation(
    session: Session, definition: OrganisationDefinition, issuers: IssuerService
) -> str:
    """Apply one organisation folder; returns a one-line summary of what changed and of
    what the files declare but do not own any more (provisioned by SCIM, deactivated)."""
    counts: Counter[str] = Counter()
    organisation = upsert_organisation(
        session,
        slug=definition.slug,
        name=definition.name,
        url=definition.url,
        email=definition.email,
        description=definition.description,
        accent_color=definition.accent_color,
        nquads_ordering=definition.nquads_ordering,
    )
    org_id = organisation.id
    counts[f"sign-in {_apply_sign_in(session, org_id, definition, issuers.keystore)}"] += 1

    issuer_rows = {
        i.slug: i for i in session.scalars(select(Issuer).where(Issuer.organisation_id == org_id))
    }
    for item in definition.issuers:
        issuer = issuer_rows.get(item.slug)
        if issuer is None:
            issuer = Issuer(organisation_id=org_id, slug=item.slug, name=item.name)
            session.add(issuer)
            issuer_rows[item.slug] = issuer
            counts["issuers created"] += 1
        issuer.name, issuer.url, issuer.email = item.name, item.url, item.email
        issuer.description = item.description
        issuer.image_path = str(item.image.relative_to(definition.folder)) if item.image else None
        session.flush()
        issuers.ensure_key(issuer)

    for ref in definition.frameworks:
        if ref.source == "digcomp22":
            source = load_digcomp22()
        else:
            assert ref.file is not None
            try:
                source = parse_case_package(json.loads(ref.file.read_text(encoding="utf-8")))
            except (ValueError, FrameworkSourceError) as exc:
                raise BadRequest(f"{ref.file}: {exc}") from None
        _, outcome = install_framework(session, org_id, source, ref.slug)
        counts[f"frameworks {outcome}"] += 1
    competences = {
        (framework.slug, competence.code): competence.id
        for framework, competence in session.execute(
            select(Framework, Competence)
            .join(Competence)
            .where(Framework.organisation_id == org_id)
        ).all()
    }

    existing = {
        c.name: c
        for c in session.scalars(select(Connection).where(Connection.organisation_id == org_id))
    }
    for conn in definition.connections:
        row = existing.get(conn.name) or Connection(organisation_id=org_id, name=conn.name)
        if conn.name not in existing:
            session.add(row)
        row.kind, row.description = conn.kind, conn.description
        row.base_url, row.unknown_person = conn.base_url, conn.unknown_person
    for hr in definition.hr_endpoints:
        outcome = declare_endpoint(
            session,
            org_id,
            name=hr.name,
            url=hr.url,
            description=hr.description,
            keystore=issuers.keystore,
        )
        counts[f"HR endpoints {outcome}"] += outcome != "unchanged"

    skipped: list[Skipped] = []
    teams, created, updated = sync_teams(
        session, org_id, [TeamSpec(t.slug, t.name, t.parent) for t in definition.teams], skipped
    )
    counts["teams created"] += created
    counts["teams updated"] += updated
    supervises: dict[str, list[str]] = {}
    for team in definition.teams:
        for number in team.supervisors:
            supervises.setdefault(number, []).append(team.slug)
    people, created, updated = sync_people(
        session,
        org_id,
        teams,
        [
            PersonSpec(
                p.employee_number,
                p.email,
                p.given_name,
                p.family_name,
                p.teams,
                supervises.get(p.employee_number, []),
                [(a.connection, a.account) for a in p.lms_accounts],
            )
            for p in definition.people
        ],
        skipped,
    )
    counts["people created"] += created
    counts["people updated"] += updated
    counts["role grants changed"] += sync_file_grants(
        session, org_id, {people[p.employee_number].id: p.roles for p in definition.people}
    )

    achievements = {}
    for badge in definition.achievements:
        content = AchievementContent(
            name=badge.name,
            description=badge.description,
            criteria_narrative=badge.criteria_narrative,
            criteria_url=badge.criteria_url,
            achievement_type=badge.achievement_type,
            tags=list(badge.tags),
            alignments=[
                {"competence": str(competences[(a.framework, a.competence)]), "level": a.level}
                for a in badge.alignments
            ],
            image=badge.image.read_bytes(),
            image_media_type=MEDIA_TYPES[badge.image.suffix.lower()],
            valid_for_days=badge.valid_for_days,
        )
        achievement, outcome = upsert_achievement(
            session,
            organisation_id=org_id,
            issuer_id=issuer_rows[badge.issuer].id,
            slug=badge.slug,
            content=content,
        )
        achievements[badge.slug] = achievement.id
        counts[f"achievements {outcome}"] += 1

    now = utcnow()
    for path in definition.paths:
        spec = PathSpec(
            slug=path.slug,
            kind=path.kind,
            name=path.name,
            description=path.description,
            team_id=teams[path.team].id if path.team else None,
            person_id=people[path.person].id if path.person else None,
            achievement_id=achievements[path.achievement] if path.achievement else None,
            out_of_order=path.out_of_order,
            approved_by_id=people[path.approved_by].id if path.approved_by else None,
            targets=[
                TargetSpec(
                    competences[(t.framework, t.competence)],
                    t.level,
                    t.share,
                    t.due,
                    teams[t.team].id if t.team else None,
                )
                for t in path.targets
            ],
            sub_goals=[
                SubGoalSpec(
                    slug=g.slug,
                    name=g.name,
                    achievement_id=achievements[g.achievement],
                    competence_id=competences[g.competence] if g.competence else None,
                    level=g.level,
                    position=g.position,
                    required=g.required,
                    prerequisites=g.prerequisites,
                    triggers=[(t.kind, t.connection, t.activity) for t in g.triggers],
                )
                for g in path.subgoals
            ],
        )
        _, outcome = sync_path(session, org_id, spec, now)
        counts[f"paths {outcome}"] += 1
    session.flush()
    counts.pop("sign-in unchanged", None)
    counts.pop("sign-in none", None)
    summary = ", ".join(f"{n} {what}" for what, n in sorted(counts.items()) if n)
    line = f"{definition.slug}: {summary or 'unchanged'}"
    reasons: dict[str, list[str]] = {}
    for note in skipped:
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
        if existing is not None and existing.source == "file":
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
            session, org_id, spec, keystore=keystore, source="file", keep_secret=keep
        )
    except BadRequest as exc:
        raise BadRequest(f"{where}: {exc.detail}") from None
    return outcome
