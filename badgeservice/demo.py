"""``badgeservice demo``: issue an example credential end to end, with the library alone.

It makes an issuer key, builds an Open Badges 3.0 credential for a DigComp 2.2 competence,
allocates a status-list entry, signs the credential and the status list, bakes the
credential into an SVG badge, verifies it from the baked image, revokes it and verifies
again. Everything it writes goes to ``instance/demo/`` so the files can be inspected and
re-verified with ``badgeservice credentials verify``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from .credentials import baking
from .credentials.multikey import KeyPair
from .credentials.ob3 import (
    Achievement,
    Alignment,
    Criteria,
    Evidence,
    IdentityObject,
    Image,
    Profile,
    Recipient,
    build_credential,
)
from .credentials.proofs import sign
from .credentials.statuslist import StatusList, allocate_index, status_entry, status_list_credential
from .credentials.verify import VerificationReport, verify_credential

PUBLIC_URL = "https://badges.example.org"
STATUS_LIST_URL = f"{PUBLIC_URL}/status/1"

BADGE_SVG = """<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="240" height="240" viewBox="0 0 240 240">
  <circle cx="120" cy="120" r="110" fill="#1d4e89" stroke="#f2b134" stroke-width="10"/>
  <text x="120" y="112" font-family="sans-serif" font-size="40" fill="#fff"
        text-anchor="middle">3.1</text>
  <text x="120" y="150" font-family="sans-serif" font-size="16" fill="#fff"
        text-anchor="middle">Digital content</text>
</svg>
"""


def _summary(report: VerificationReport) -> str:
    checks = ", ".join(f"{c.name}: {c.outcome}" for c in report.checks)
    return f"verified={str(report.verified).lower()} ({checks})"


def _demo_credential(issuer_id: str, email: str, now: datetime, status: Any) -> dict[str, Any]:
    """The example credential: a DigComp 3.1 level-4 badge with one piece of evidence."""
    return build_credential(
        credential_id=f"urn:uuid:{uuid.uuid4()}",
        issuer=Profile(id=issuer_id, name="Esimerkkiopisto — Staff Academy", url=PUBLIC_URL),
        achievement=Achievement(
            id=f"{PUBLIC_URL}/achievements/digcomp-3-1-level-4",
            name="Developing digital content (level 4)",
            description="Creates and edits digital content in different formats and "
            "expresses themselves through digital means, independently.",
            criteria=Criteria(
                narrative="Complete the *Digital content* course on the "
                "learning platform and pass its final assignment."
            ),
            image=Image(id=f"{PUBLIC_URL}/achievements/digcomp-3-1-level-4/image.svg"),
            achievement_type="Competency",
            alignments=(
                Alignment(
                    target_name="3.1 Developing digital content",
                    target_url="https://joint-research-centre.ec.europa.eu/digcomp",
                    target_framework="DigComp 2.2",
                    target_code="3.1",
                ),
            ),
            tags=("DigComp", "digital content"),
        ),
        recipient=Recipient(identifiers=(IdentityObject.hashed_email(email),)),
        valid_from=now,
        valid_until=now + timedelta(days=3 * 365),
        evidence=(
            Evidence(
                id=f"{PUBLIC_URL}/evidence/demo-completion",
                name="Course completion",
                narrative="Completion reported by the learning platform.",
            ),
        ),
        credential_status=status,
    )


def run_demo(echo: Callable[[str], Any], out_dir: Path = Path("instance/demo")) -> bool:
    """Run the demo; ``echo`` prints a line. True when every step behaved as expected."""
    out_dir.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC).replace(microsecond=0)
    key = KeyPair.generate()
    issuer_id = key.did_key
    echo(f"issuer key     {issuer_id}")

    status_list = StatusList()
    index = allocate_index(set())
    email = "aino.learner@example.org"
    credential = _demo_credential(issuer_id, email, now, status_entry(STATUS_LIST_URL, index))
    signed = sign(credential, key)
    echo(f"credential     {signed['id']} for {email} (stored as a salted hash)")

    def signed_list() -> dict[str, Any]:
        return sign(
            status_list_credential(STATUS_LIST_URL, issuer_id, status_list, valid_from=now),
            key,
        )

    list_credential = signed_list()
    baked = baking.bake(BADGE_SVG.encode("utf-8"), signed)
    files = {
        "issuer-key.json": json.dumps(key.to_json(), indent=2),
        "credential.json": json.dumps(signed, indent=2, ensure_ascii=False),
        "status-list.json": json.dumps(list_credential, indent=2),
    }
    for name, text in files.items():
        (out_dir / name).write_text(text + "\n", encoding="utf-8")
    (out_dir / "issuer-key.json").chmod(0o600)
    (out_dir / "badge.svg").write_bytes(baked)
    echo(f"files          {out_dir}/credential.json, badge.svg, status-list.json")

    unbaked = baking.unbake(baked).credential
    first = verify_credential(unbaked, status_lists={STATUS_LIST_URL: list_credential})
    echo(f"verify (baked) {_summary(first)}")

    status_list.set(index, 1)
    revoked_list = signed_list()
    (out_dir / "status-list-revoked.json").write_text(json.dumps(revoked_list, indent=2) + "\n")
    second = verify_credential(signed, status_lists={STATUS_LIST_URL: revoked_list})
    echo(f"after revoke   {_summary(second)}")
    echo("")
    echo("Re-check yourself:")
    echo(
        f"  badgeservice credentials verify --status-list {out_dir}/status-list.json "
        f"{out_dir}/credential.json"
    )
    return first.verified and not second.verified
