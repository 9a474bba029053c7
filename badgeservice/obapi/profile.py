"""The learner's Open Badges ``Profile``. Its fields come from the organisation's
directory (the files, SCIM, the identity provider), so a client may read them but not
change them: ``PUT /profile`` accepts the profile as it is and refuses, naming the field,
any change or any field this service does not keep — nothing is silently dropped."""

from __future__ import annotations

from typing import Any

from ..people.models import Person
from .imsx import ImsxError

__all__ = ["check_put", "profile_of"]


def profile_of(person: Person) -> dict[str, Any]:
    profile: dict[str, Any] = {
        "id": f"urn:uuid:{person.id}",
        "type": ["Profile"],
        "name": person.display_name,
    }
    if person.given_name:
        profile["givenName"] = person.given_name
    if person.family_name:
        profile["familyName"] = person.family_name
    if person.email:
        profile["email"] = person.email
    return profile


def check_put(person: Person, body: Any) -> dict[str, Any]:
    """The profile after ``PUT`` with ``body``: the same, or a 400 saying what cannot
    change here."""
    if not isinstance(body, dict):
        raise ImsxError(400, "invalid_data", "the body must be a Profile (a JSON object)")
    current = profile_of(person)
    types = body.get("type")
    if not (types == "Profile" or (isinstance(types, list) and "Profile" in types)):
        raise ImsxError(400, "invalid_data", "type: a Profile's type includes 'Profile'")
    if body.get("id") != current["id"]:
        raise ImsxError(400, "invalid_data", f"id: this learner's profile is {current['id']}")
    problems = []
    for field, value in body.items():
        if field in ("@context", "type", "id"):
            continue
        if field not in current:
            problems.append(f"{field}: this service keeps no {field} for a learner")
        elif value != current[field]:
            problems.append(
                f"{field}: comes from the organisation's directory and cannot be changed here"
            )
    if problems:
        raise ImsxError(400, "invalid_data", "; ".join(problems))
    return current
