"""The parts of a new credential that come from the rows it is of: the issuer's profile, the
recipient (hashed identifiers), the level results, and the :class:`Draft` naming them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from ..achievements.documents import level_description_id, levels
from ..achievements.models import Achievement, AchievementVersion
from ..credentials import ob3
from ..credentials.identity import IdentityObject
from ..errors import BadRequest
from ..issuers.models import Issuer
from ..people.models import Person

__all__ = ["Draft", "level_results", "profile_of", "recipient_of"]


@dataclass(frozen=True)
class Draft:
    """What a new credential is of: the issuer, the achievement version, the person and
    the occurrence it records (with the sub-goal and path that led to it)."""

    issuer: Issuer
    achievement: Achievement
    version: AchievementVersion
    person: Person
    occurrence: str
    sub_goal_id: uuid.UUID | None = None
    path_id: uuid.UUID | None = None


def profile_of(profile: dict[str, str]) -> ob3.Profile:
    return ob3.Profile(
        id=profile["id"],
        name=profile.get("name"),
        url=profile.get("url"),
        email=profile.get("email"),
        description=profile.get("description"),
    )


def recipient_of(person: Person) -> ob3.Recipient:
    identifiers = []
    if person.email:
        identifiers.append(IdentityObject.hashed_email(person.email))
    if person.employee_number:
        identifiers.append(IdentityObject.hashed_employee_number(person.employee_number))
    if not identifiers and not person.did:
        raise BadRequest(f"person {person.id} has no e-mail, employee number or DID")
    return ob3.Recipient(id=person.did, identifiers=tuple(identifiers))


def level_results(url: str, version: AchievementVersion) -> tuple[ob3.Result, ...]:
    required = levels(version)
    if not required:
        return ()
    return (
        ob3.Result(result_description=level_description_id(url, version), value=str(max(required))),
    )
