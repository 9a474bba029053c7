"""Credentials of the shapes the service issues, built with the service's own builder.

Each shape is a function of ``n`` (so no two documents are alike) returning an unsigned
OpenBadgeCredential from :func:`badgeservice.credentials.ob3.build_credential`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from badgeservice.credentials.identity import IdentityObject
from badgeservice.credentials.ob3 import (
    Achievement,
    Alignment,
    Criteria,
    Evidence,
    Image,
    Profile,
    Recipient,
    Result,
    ResultDescription,
    RubricCriterionLevel,
    build_credential,
)
from badgeservice.credentials.statuslist import status_entry

ISSUED = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
SITE = "https://badges.example.org"


def _issuer(did: str, n: int) -> Profile:
    return Profile(id=did, name=f"Esimerkkiopisto {n % 3}", url=SITE, email="badges@example.org")


def _alignment(code: str, name: str) -> Alignment:
    return Alignment(
        target_name=name,
        target_url=f"https://example.org/digcomp/{code}",
        target_code=code,
        target_framework="DigComp 2.2",
        target_type="CFItem",
    )


def _achievement(n: int, **extra: Any) -> Achievement:
    return Achievement(
        id=f"{SITE}/achievements/{n}",
        name=f"3.1 Developing digital content ({n})",
        description="Creates and edits digital content in different formats.",
        criteria=Criteria(narrative="Complete the module and its assessment. " * 3),
        achievement_type="Competency",
        **extra,
    )


def _recipient(n: int) -> Recipient:
    email = IdentityObject.hashed_email(f"learner{n}@example.org", salt=f"salt{n:08d}")
    return Recipient(identifiers=(email,))


def minimal(did: str, n: int) -> dict[str, Any]:
    """Issuer, achievement with criteria, one hashed e-mail address."""
    return build_credential(
        credential_id=f"urn:uuid:00000000-0000-4000-8000-{n:012d}",
        issuer=_issuer(did, n),
        achievement=_achievement(n),
        recipient=_recipient(n),
        valid_from=ISSUED,
    )


def aligned(did: str, n: int) -> dict[str, Any]:
    """Alignments to a framework, LMS evidence, a schema entry, an image and an end date."""
    return build_credential(
        credential_id=f"urn:uuid:00000000-0000-4000-8001-{n:012d}",
        issuer=_issuer(did, n),
        achievement=_achievement(
            n,
            alignments=(
                _alignment("3.1", "Developing digital content"),
                _alignment("3.2", "Integrating and re-elaborating digital content"),
            ),
            image=Image(id=f"{SITE}/images/{n % 5}.png", caption="Badge image"),
        ),
        recipient=_recipient(n),
        valid_from=ISSUED,
        valid_until=ISSUED + timedelta(days=3 * 365),
        evidence=(
            Evidence(id=f"https://lms.example.org/completions/{n}", name="LMS completion"),
            Evidence(narrative="Demonstrated in the final project.", genre="Project"),
        ),
    )


def with_results(did: str, n: int) -> dict[str, Any]:
    """Result descriptions with a rubric, results naming them, and a revocation status."""
    levels = tuple(
        RubricCriterionLevel(id=f"{SITE}/levels/{n}/{k}", name=name, level=str(k))
        for k, name in enumerate(("Perustaso", "Hyvä", "Erinomainen"))
    )
    description = ResultDescription(
        id=f"{SITE}/results/{n}/grade",
        name="Arvosana",
        result_type="RubricCriterionLevel",
        rubric_criterion_levels=levels,
    )
    score = ResultDescription(
        id=f"{SITE}/results/{n}/score", name="Pisteet", result_type="ext:Points"
    )
    return build_credential(
        credential_id=f"urn:uuid:00000000-0000-4000-8002-{n:012d}",
        issuer=_issuer(did, n),
        achievement=_achievement(n, result_descriptions=(description, score)),
        recipient=_recipient(n),
        valid_from=ISSUED,
        awarded_date=ISSUED,
        results=(
            Result(result_description=description.id, achieved_level=levels[n % 3].id),
            Result(result_description=score.id, value=str(60 + n % 40)),
        ),
        credential_status=status_entry(f"{SITE}/status/1", 1000 + n),
    )


def multilingual(did: str, n: int) -> dict[str, Any]:
    """Finnish, Swedish and other non-ASCII text, a DID subject and an employee number."""
    employee = IdentityObject.hashed_employee_number(f"E{n:06d}", salt=f"s{n}")
    return build_credential(
        credential_id=f"urn:uuid:00000000-0000-4000-8003-{n:012d}",
        issuer=_issuer(did, n),
        achievement=Achievement(
            id=f"{SITE}/achievements/fi/{n}",
            name=f"Työturvallisuus \u2013 perusteet {n} / Arbetssäkerhet \u2013 grunder",
            description="Tunnistaa työn vaarat ja toimii ohjeiden mukaan. Känner igen risker.",
            criteria=Criteria(narrative="Suorita moduuli ✓ ja tentti; “lainausmerkit” ja €."),
            achievement_type="Certificate",
            in_language="fi",
            tags=("työturvallisuus", "säkerhet"),
        ),
        recipient=Recipient(id=f"did:example:learner{n}", identifiers=(employee,)),
        valid_from=ISSUED,
        narrative="Myönnetty Åbo Akademin yhteistyökurssilta \u2013 🎓",
    )


SHAPES: dict[str, Callable[[str, int], dict[str, Any]]] = {
    "minimal": minimal,
    "aligned + evidence": aligned,
    "results + status": with_results,
    "multilingual": multilingual,
}


def corpus(did: str, per_shape: int = 10) -> dict[str, list[dict[str, Any]]]:
    """``per_shape`` credentials of every shape, by shape name."""
    return {name: [make(did, n) for n in range(per_shape)] for name, make in SHAPES.items()}
