"""The competence event in the vendor-neutral HR contract (integrations.md §2c).

One object per change of a recognition; the same object is pushed to HR endpoints and served
by the pull feed. Its JSON Schema is ``schemas/hr/competence-event.schema.json``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy.orm import Session

from ...frameworks.models import Competence, Framework
from ...frameworks.sources import load_digcomp22
from ...issuing.models import Credential
from ...paths.models import Path
from ...people.models import Person
from ..models import Recognition

__all__ = [
    "CREDENTIAL_FORMAT",
    "DIGCOMP_SCALE_ID",
    "VENDOR_HINT_8_TO_5",
    "competence_event",
    "erased_person",
    "person_block",
    "proficiency",
]

CREDENTIAL_FORMAT = "OpenBadgeCredential/3.0"
DIGCOMP_SCALE_ID = "digcomp-2.2-proficiency"
# The suggested 8 → 5 mapping for vendors with five-step scales (Workday): L1→1, L2→1.5,
# L3→2, L4→3, L5→3.5, L6→4, L7→4.5, L8→5, each rounded half up to an integer.
VENDOR_HINT_8_TO_5 = {
    level: int(Decimal(hint).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    for level, hint in enumerate(("1", "1.5", "2", "3", "3.5", "4", "4.5", "5"), start=1)
}
# DigComp groups its eight levels in four bands of two.
_DIGCOMP_BANDS = {1: "foundation", 3: "intermediate", 5: "advanced", 7: "highly_specialised"}
# A title whose language the framework does not state (BCP 47 "undetermined").
UNDETERMINED = "und"


def proficiency(framework: Framework, level: int | None) -> dict[str, Any]:
    """The ``proficiency`` block: the raw level, its band, ``(level-1)/(steps-1)`` (DigComp:
    ``/7``) and the 1-5 hint. Everything but the scale is null for an unleveled recognition."""
    scale_id = DIGCOMP_SCALE_ID if framework.source == "digcomp22" else f"{framework.slug}-levels"
    if level is None:
        return {
            "scale_id": scale_id,
            "level": None,
            "band": None,
            "normalized": None,
            "vendor_hint_1_5": None,
        }
    steps = max((int(entry["level"]) for entry in framework.levels), default=8)
    steps = max(steps, level, 2)
    normalized = (level - 1) / (steps - 1)
    if steps == 8:
        hint = VENDOR_HINT_8_TO_5[level]
    else:
        hint = int(Decimal(1 + 4 * normalized).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return {
        "scale_id": scale_id,
        "level": level,
        "band": _band(framework, level),
        "normalized": round(normalized, 2),
        "vendor_hint_1_5": hint,
    }


def _band(framework: Framework, level: int) -> str | None:
    if framework.source == "digcomp22":
        return _DIGCOMP_BANDS.get(level - (level + 1) % 2)
    for entry in framework.levels:
        if entry.get("level") == level and entry.get("band"):
            return str(entry["band"]).strip().lower().replace(" ", "_")
    return None


def _titles(framework: Framework, competence: Competence) -> dict[str, str]:
    """The competence's title in every language it is written in."""
    written = (competence.texts or {}).get("name")
    if written:
        return dict(written)
    if framework.source == "digcomp22":
        try:
            return dict(load_digcomp22().item(competence.code).titles)
        except KeyError:
            pass
    return {UNDETERMINED: competence.name}


def person_block(person_id: uuid.UUID, person: Person) -> dict[str, Any]:
    """Who the event is about, by every key HR may know them by."""
    return {
        "employee_number": person.employee_number,
        "scim_id": str(person_id),
        "external_id": person.external_id,
        "email": person.email,
    }


def erased_person(person_id: uuid.UUID) -> dict[str, Any]:
    """The person block of an erased person: their id here only, marked erased."""
    return {
        "employee_number": None,
        "scim_id": str(person_id),
        "external_id": None,
        "email": None,
        "erased": True,
    }


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _sources(awarded_by: str | None) -> list[dict[str, Any]]:
    """What led to the credential, as far as the credential itself tells: the inbound
    channel and connection of an LMS, xAPI, Moodle or webhook completion."""
    channel, _, connection = (awarded_by or "").partition(":")
    if channel in ("webhook", "xapi", "moodle") and connection:
        return [{"kind": channel, "connection": connection}]
    return []


def _learning_path(session: Session, recognition: Recognition) -> dict[str, str | None]:
    ids: dict[str, str | None] = {
        "organisation_goal_id": None,
        "team_goal_id": None,
        "plan_id": None,
        "subgoal_id": str(recognition.sub_goal_id) if recognition.sub_goal_id else None,
    }
    path = session.get(Path, recognition.path_id) if recognition.path_id else None
    if path is not None:
        key = {"organisation": "organisation_goal_id", "team": "team_goal_id"}.get(
            path.kind, "plan_id"
        )
        ids[key] = str(path.id)
    return ids


def competence_event(
    session: Session,
    recognition: Recognition,
    *,
    event_id: uuid.UUID,
    type: str,
    timestamp: datetime,
    method: str,
    assessor_id: str | None,
) -> dict[str, Any]:
    """The event object for ``recognition`` as it stands now (its status included)."""
    person = session.get(Person, recognition.person_id)
    competence = session.get(Competence, recognition.competence_id)
    credential = session.get(Credential, recognition.credential_id)
    assert person is not None
    assert competence is not None
    assert credential is not None
    framework = competence.framework
    document = credential.document
    subject = document.get("credentialSubject") or {}
    achievement = subject.get("achievement") or {}
    issuer = document.get("issuer") or {}
    return {
        "id": str(event_id),
        "type": type,
        "timestamp": _stamp(timestamp),
        "data": {
            "recognition_id": str(recognition.id),
            "person": person_block(person.id, person)
            if person.erased_at is None
            else erased_person(person.id),
            "competence": {
                "framework_id": framework.slug,
                "framework_uri": framework.uri,
                "item_code": competence.code,
                "item_uri": competence.uri,
                "esco_uri": competence.esco_uri,
                "title": _titles(framework, competence),
            },
            "proficiency": proficiency(framework, recognition.level),
            "evidence": {
                "credential_id": f"urn:uuid:{credential.id}",
                "credential_format": CREDENTIAL_FORMAT,
                "credential_url": document["id"],
                "badge_class_id": achievement.get("id"),
                "issuer": issuer.get("name") if isinstance(issuer, dict) else None,
                "issued_at": _stamp(credential.issued_at),
                # The public credential URL answers with the signed document, which any
                # verifier checks on its own (proof, issuer DID, status list).
                "verification_url": document["id"],
                "sources": _sources(credential.awarded_by),
            },
            "assessment": {"method": method, "assessor_id": assessor_id},
            "validity": {
                "valid_from": recognition.valid_from.date().isoformat(),
                "valid_until": (
                    recognition.valid_until.date().isoformat() if recognition.valid_until else None
                ),
                "status": recognition.status,
            },
            "learning_path": _learning_path(session, recognition),
        },
    }
