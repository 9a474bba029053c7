"""Full verification of a credential, reported check by check.

A report lists every check with its outcome, so a person (or the CLI's JSON) can see not
only *whether* a credential verifies but *why not*. Unusable input — not JSON-LD, an
unknown context, a document that would lose data — raises instead: it is not a credential
that failed, it is not a credential.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from .did import DocumentResolver, Resolver, default_resolver
from .errors import MalformedDocumentError, SchemaValidationError
from .jsonld import _DEFAULT, JsonLdProcessor
from .proofs import format_datetime, parse_datetime, verify_proof
from .statuslist import check_status
from .validation import validate_credential

__all__ = ["Check", "VerificationReport", "issuer_id", "verify_credential"]

Outcome = Literal["passed", "failed", "skipped"]
OB_TYPES = frozenset({"OpenBadgeCredential", "AchievementCredential"})


@dataclass
class Check:
    """One named check and its outcome."""

    name: str
    outcome: Outcome
    message: str


@dataclass
class VerificationReport:
    """Every check run on one credential; ``verified`` when none failed."""

    credential_id: str | None
    issuer: str | None
    checked_at: str
    checks: list[Check] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        return all(check.outcome != "failed" for check in self.checks) and any(
            check.name == "proof" and check.outcome == "passed" for check in self.checks
        )

    @property
    def errors(self) -> list[str]:
        return [f"{c.name}: {c.message}" for c in self.checks if c.outcome == "failed"]

    def add(self, name: str, outcome: Outcome, message: str) -> None:
        self.checks.append(Check(name, outcome, message))

    def to_json(self) -> dict[str, Any]:
        return {
            "verified": self.verified,
            "credential": self.credential_id,
            "issuer": self.issuer,
            "checkedAt": self.checked_at,
            "checks": [asdict(check) for check in self.checks],
            "errors": self.errors,
        }


def issuer_id(document: Mapping[str, Any]) -> str | None:
    """The credential's issuer id (the issuer is a URI or a Profile object)."""
    issuer = document.get("issuer")
    if isinstance(issuer, Mapping):
        issuer = issuer.get("id")
    return issuer if isinstance(issuer, str) else None


def _types(document: Mapping[str, Any]) -> set[str]:
    value = document.get("type")
    values = value if isinstance(value, list) else [value]
    return {v for v in values if isinstance(v, str)}


def verify_credential(
    document: Any,
    *,
    resolver: Resolver | None = None,
    documents: Iterable[Mapping[str, Any]] = (),
    status_lists: Mapping[str, Mapping[str, Any]] | None = None,
    now: datetime | None = None,
    processor: JsonLdProcessor = _DEFAULT,
) -> VerificationReport:
    """Verify proof, key controller and purpose, validity window, status and schema.

    ``documents`` are controller (DID) documents to resolve keys from, in addition to
    did:key; ``status_lists`` maps status-list URLs to their (signed) list credentials.
    """
    if not isinstance(document, Mapping):
        raise MalformedDocumentError("a credential must be a JSON object")
    now = now or datetime.now(UTC)
    if resolver is None:
        resolver = default_resolver(documents)
    issuer = issuer_id(document)
    credential_id = document.get("id")
    report = VerificationReport(
        credential_id=credential_id if isinstance(credential_id, str) else None,
        issuer=issuer,
        checked_at=format_datetime(now),
    )
    types = _types(document)
    if "VerifiableCredential" in types:
        report.add("type", "passed", ", ".join(sorted(types)))
    else:
        report.add("type", "failed", "type does not include VerifiableCredential")

    proof = verify_proof(document, resolver, processor=processor)
    if not proof.document_processed:
        # Unusable JSON-LD must raise even when there is no proof to check.
        processor.expand({k: v for k, v in document.items() if k != "proof"})
    if proof.verified:
        report.add("proof", "passed", f"eddsa-rdfc-2022 signature by {proof.verification_method}")
    else:
        report.add("proof", "failed", "; ".join(proof.errors))

    if issuer is None:
        report.add("issuer", "failed", "credential has no issuer id")
    elif proof.controller is None:
        report.add("issuer", "skipped", "no verification method was resolved")
    elif proof.controller == issuer:
        report.add("issuer", "passed", f"key is controlled by the issuer {issuer}")
    else:
        report.add(
            "issuer", "failed", f"key controller {proof.controller} is not the issuer {issuer}"
        )

    _check_validity(document, now, report)
    _check_status(document, status_lists or {}, resolver, now, processor, report)

    if types & OB_TYPES:
        try:
            validate_credential(document)
        except SchemaValidationError as exc:
            report.add("schema", "failed", str(exc))
        else:
            report.add("schema", "passed", "1EdTech OB 3.0 AchievementCredential JSON Schema")
    else:
        report.add("schema", "skipped", "not an Open Badges credential")
    return report


def _check_validity(document: Mapping[str, Any], now: datetime, report: VerificationReport) -> None:
    problems = []
    window = []
    for name in ("validFrom", "validUntil"):
        value = document.get(name)
        if value is None:
            continue
        try:
            moment = parse_datetime(value)
        except ValueError as exc:
            problems.append(f"{name}: {exc}")
            continue
        window.append(f"{name} {value}")
        if name == "validFrom" and now < moment:
            problems.append(f"not yet valid (validFrom {value})")
        if name == "validUntil" and now > moment:
            problems.append(f"expired (validUntil {value})")
    if problems:
        report.add("validity", "failed", "; ".join(problems))
    else:
        report.add("validity", "passed", ", ".join(window) or "no validity window")


def _check_status(
    document: Mapping[str, Any],
    status_lists: Mapping[str, Mapping[str, Any]],
    resolver: Resolver,
    now: datetime,
    processor: JsonLdProcessor,
    report: VerificationReport,
) -> None:
    entries = document.get("credentialStatus")
    if entries is None:
        report.add("status", "skipped", "credential has no credentialStatus")
        return
    for entry in entries if isinstance(entries, list) else [entries]:
        if not isinstance(entry, Mapping) or entry.get("type") != "BitstringStatusListEntry":
            kind = entry.get("type") if isinstance(entry, Mapping) else entry
            report.add("status", "skipped", f"status type {kind!r} is not checked")
            continue
        url = entry.get("statusListCredential")
        list_credential = status_lists.get(url) if isinstance(url, str) else None
        if list_credential is None:
            report.add("status", "skipped", f"status list {url!r} was not supplied")
            continue
        list_report = verify_credential(
            list_credential, resolver=resolver, now=now, processor=processor
        )
        if not list_report.verified:
            report.add(
                "status",
                "failed",
                f"status list {url} does not verify: {'; '.join(list_report.errors)}",
            )
            continue
        result = check_status(entry, list_credential)
        if result.error:
            report.add("status", "failed", f"{result.error}: {result.message}")
        elif not result.valid:
            report.add("status", "failed", f"{result.purpose}: {result.message}")
        else:
            report.add("status", "passed", result.message)


__all__ += ["DocumentResolver"]
