"""Read-only figures the first pages show: what an organisation offers, and a person's
own latest badges. (The learner's path and badge pages read the awards services.)"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from ..achievements.models import Achievement
from ..db import utcnow
from ..issuing.models import Credential
from ..people.models import Person, Team, TeamMember

__all__ = ["BadgeLine", "OrganisationFigures", "organisation_figures", "person_badges", "teams_of"]


@dataclass(frozen=True)
class OrganisationFigures:
    badges: int
    people: int
    issued: int


@dataclass(frozen=True)
class BadgeLine:
    credential_id: uuid.UUID
    name: str
    issued_at: datetime
    status: str  # "valid", "revoked" or "expired"


def organisation_figures(session: Session, organisation_id: uuid.UUID) -> OrganisationFigures:
    def count(query: Select[Any]) -> int:
        return int(session.scalar(query) or 0)

    return OrganisationFigures(
        badges=count(
            select(func.count())
            .select_from(Achievement)
            .where(Achievement.organisation_id == organisation_id)
        ),
        people=count(
            select(func.count())
            .select_from(Person)
            .where(Person.organisation_id == organisation_id, Person.active.is_(True))
        ),
        issued=count(
            select(func.count())
            .select_from(Credential)
            .where(Credential.organisation_id == organisation_id)
        ),
    )


def person_badges(
    session: Session, person_id: uuid.UUID, limit: int = 5
) -> tuple[int, list[BadgeLine]]:
    """How many credentials the person has, and the newest ``limit`` of them."""
    total = int(
        session.scalar(
            select(func.count()).select_from(Credential).where(Credential.person_id == person_id)
        )
        or 0
    )
    now = utcnow()
    lines = []
    rows = session.execute(
        select(
            Credential.id,
            Credential.document,
            Credential.issued_at,
            Credential.revoked_at,
            Credential.valid_until,
        )
        .where(Credential.person_id == person_id)
        .order_by(Credential.issued_at.desc())
        .limit(limit)
    )
    for credential_id, document, issued_at, revoked_at, valid_until in rows:
        achievement = document.get("credentialSubject", {}).get("achievement", {})
        name = achievement.get("name") if isinstance(achievement, dict) else None
        status = "valid"
        if revoked_at is not None:
            status = "revoked"
        elif valid_until is not None and valid_until <= now:
            status = "expired"
        lines.append(BadgeLine(credential_id, str(name or ""), issued_at, status))
    return total, lines


def teams_of(session: Session, person_id: uuid.UUID) -> list[tuple[str, str]]:
    """The person's teams as (name, role) pairs, role ``member`` or ``supervisor``."""
    rows = session.execute(
        select(Team.name, TeamMember.role)
        .join(TeamMember, TeamMember.team_id == Team.id)
        .where(TeamMember.person_id == person_id)
        .order_by(Team.name, TeamMember.role)
    )
    return [(name, role) for name, role in rows]
