"""Full verification of a credential, reported check by check.

A report lists every check with its outcome, so a person (or the CLI's JSON) can see not
only *whether* a credential verifies but *why not*. Unusable input — not JSON-LD, an
unknown context, a document that would lose data — raises instead: it is not a credential
that failed, it is not a credential.

A credential that carries ``credentialStatus`` is verified only when its status was
checked: a status list that cannot be had fails the ``status`` check ("status could not be
checked: …"). Only a caller who says ``check_status=False`` gets a report without it, and
that report carries a warning saying so.
"""

# Size: the report, the steps that build it and the status lists it remembers, which are
# verified by those same steps (all but their validity window, checked on every use).

from __future__ import annotations

import hashlib
import pickle
import threading
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from cachetools import LRUCache

from .did import DocumentResolver, Resolver, VerificationMethod, default_resolver
from .errors import (
    CredentialError,
    MalformedDocumentError,
    ResolutionError,
    SchemaValidationError,
)
from .fetch import StatusListSource, SuppliedStatusLists
from .jose import EnvelopeProof, check_envelope, parse_vc_jwt
from .jsonld import _DEFAULT, JsonLdProcessor
from .proofs import format_datetime, parse_datetime, verify_proof
from .statuslist import check_status
from .validation import validate_credential

__all__ = [
    "REPORT_KEYS",
    "Check",
    "VerificationReport",
    "check_signable",
    "issuer_id",
    "verify_credential",
    "verify_vc_jwt",
]


class Outcome(StrEnum):
    """The outcome of one check."""

    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"


OB_TYPES = frozenset({"OpenBadgeCredential", "AchievementCredential"})
# The report's JSON keys, a documented format (README "The verification report").
REPORT_KEYS = (
    "verified",
    "credential",
    "issuer",
    "checkedAt",
    "nquadsOrdering",
    "checks",
    "errors",
    "warnings",
)
NO_STATUS_WARNING = (
    "credential status (revocation) was NOT checked, at the caller's request: a revoked "
    "credential passes such a verification"
)


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
    warnings: list[str] = field(default_factory=list)
    # The N-Quads order the proof was made in: "code-point" (RDFC-1.0) or "utf-16" (as
    # JavaScript canonicalizers sort); None when no proof verified.
    ordering: str | None = None

    @property
    def verified(self) -> bool:
        """No check failed, and the proof's passed."""
        proof_passed = False
        for check in self.checks:
            if check.outcome == Outcome.FAILED:
                return False
            proof_passed = proof_passed or (
                check.name == "proof" and check.outcome == Outcome.PASSED
            )
        return proof_passed

    @property
    def errors(self) -> list[str]:
        return [f"{c.name}: {c.message}" for c in self.checks if c.outcome == Outcome.FAILED]

    def add(self, name: str, outcome: Outcome, message: str) -> None:
        self.checks.append(Check(name, outcome, message))

    def to_json(self) -> dict[str, Any]:
        return {
            "verified": self.verified,
            "credential": self.credential_id,
            "issuer": self.issuer,
            "checkedAt": self.checked_at,
            "nquadsOrdering": self.ordering,
            "checks": [asdict(check) for check in self.checks],
            "errors": self.errors,
            "warnings": list(self.warnings),
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


def check_signable(document: Mapping[str, Any]) -> None:
    """Refuse, before signing, what :func:`verify_credential` would reject for its shape.

    A credential must be typed ``VerifiableCredential`` (a presentation is signed by its
    holder for ``authentication``, which this verifier does not check), and an Open Badges
    credential must satisfy the 1EdTech JSON Schema. Raises :class:`SchemaValidationError`
    with the JSON paths at fault.
    """
    if not isinstance(document, Mapping):
        raise MalformedDocumentError("a credential must be a JSON object")
    types = _types(document)
    if "VerifiablePresentation" in types:
        raise SchemaValidationError(
            [
                "$.type: a VerifiablePresentation is signed by its holder with proofPurpose "
                "authentication, not as a credential with assertionMethod; the verifier "
                "would reject it"
            ]
        )
    if "VerifiableCredential" not in types:
        raise SchemaValidationError(["$.type: type does not include VerifiableCredential"])
    if types & OB_TYPES:
        validate_credential(document)


def verify_credential(
    document: Any,
    *,
    resolver: Resolver | None = None,
    documents: Iterable[Mapping[str, Any]] = (),
    status_lists: Mapping[str, Mapping[str, Any]] | None = None,
    status_source: StatusListSource | None = None,
    check_status: bool = True,
    now: datetime | None = None,
    processor: JsonLdProcessor = _DEFAULT,
    envelope: EnvelopeProof | None = None,
) -> VerificationReport:
    """Verify proof, key controller and purpose, validity window, status and schema.

    ``envelope`` is the checked signature of a VC-JWT holding ``document``
    (:func:`verify_vc_jwt`): it is the proof then, and its claims are reported as the
    ``claims`` check; an embedded Data Integrity proof is not needed besides.

    ``documents`` are controller (DID) documents to resolve keys from, in addition to
    did:key; ``status_lists`` maps status-list URLs to their (signed) list credentials, and
    ``status_source`` supplies the others (e.g. a :class:`~.fetch.Fetcher`). Without
    either, a credential with a ``credentialStatus`` does not verify: its status could
    not be checked. ``check_status=False`` skips status checks and says so in the report.
    """
    if not isinstance(document, Mapping):
        raise MalformedDocumentError("a credential must be a JSON object")
    if resolver is None:
        resolver = default_resolver(documents)
    statuses: StatusListSource | None
    if not check_status:
        statuses = None
    elif status_source is None:
        statuses = SuppliedStatusLists(status_lists or {})
    else:
        statuses = _Layered(status_lists or {}, status_source)
    now = now or datetime.now(UTC)
    return _verify(document, resolver, statuses, now, format_datetime(now), processor, envelope)


def _verify(
    document: Mapping[str, Any],
    resolver: Resolver,
    statuses: StatusListSource | None,
    now: datetime,
    checked_at: str,
    processor: JsonLdProcessor,
    envelope: EnvelopeProof | None,
) -> VerificationReport:
    """The report of :func:`verify_credential`; ``statuses`` is None when status checking
    is turned off, ``checked_at`` is ``now`` as the report writes it."""
    # Size: the verification's steps in the order a reader checks them against VC 2.0
    # and the cryptosuite, each a few lines; a report is built as they go.
    issuer = issuer_id(document)
    credential_id = document.get("id")
    report = VerificationReport(
        credential_id=credential_id if isinstance(credential_id, str) else None,
        issuer=issuer,
        checked_at=checked_at,
    )
    types = _types(document)
    if "VerifiableCredential" in types:
        report.add("type", Outcome.PASSED, ", ".join(sorted(types)))
    else:
        report.add("type", Outcome.FAILED, "type does not include VerifiableCredential")

    if envelope is None:
        controller = _check_proof(document, resolver, processor, report)
    else:
        # Unusable JSON-LD raises whatever proof the credential has (canonicalized as a
        # Data Integrity proof's check would, on the fast path where it applies).
        processor.canonicalize({k: v for k, v in document.items() if k != "proof"})
        report.add(
            "proof", Outcome.PASSED if envelope.verified else Outcome.FAILED, envelope.message
        )
        controller = envelope.controller

    if issuer is None:
        report.add("issuer", Outcome.FAILED, "credential has no issuer id")
    elif controller is None:
        report.add("issuer", Outcome.SKIPPED, "no verification method was resolved")
    elif controller == issuer:
        report.add("issuer", Outcome.PASSED, f"key is controlled by the issuer {issuer}")
    else:
        report.add(
            "issuer",
            Outcome.FAILED,
            f"key controller {controller} is not the issuer {issuer}",
        )
    if envelope is not None:
        if envelope.claim_errors:
            report.add("claims", Outcome.FAILED, "; ".join(envelope.claim_errors))
        else:
            report.add(
                "claims", Outcome.PASSED, "iss, jti, nbf, exp and sub agree with the credential"
            )

    _check_validity(document, now, report)
    if statuses is not None:
        _check_status(document, statuses, resolver, now, processor, report)
    elif document.get("credentialStatus") is not None:
        report.add("status", Outcome.SKIPPED, "NOT checked: status checking was turned off")
        report.warnings.append(NO_STATUS_WARNING)
    else:
        report.add("status", Outcome.SKIPPED, "credential has no credentialStatus")

    if types & OB_TYPES:
        try:
            validate_credential(document, nesting=_nesting(document, processor))
        except SchemaValidationError as exc:
            report.add("schema", Outcome.FAILED, str(exc))
        else:
            report.add("schema", Outcome.PASSED, "1EdTech OB 3.0 AchievementCredential JSON Schema")
    else:
        report.add("schema", Outcome.SKIPPED, "not an Open Badges credential")
    return report


def _check_proof(
    document: Mapping[str, Any],
    resolver: Resolver,
    processor: JsonLdProcessor,
    report: VerificationReport,
) -> str | None:
    """The embedded Data Integrity proof's check; the controller of its key, if resolved."""
    proof = verify_proof(document, resolver, processor=processor)
    if not proof.document_processed:
        # Unusable JSON-LD must raise even when there is no proof to check.
        processor.expand({k: v for k, v in document.items() if k != "proof"})
    if proof.verified:
        report.ordering = proof.ordering
        order = (
            " (N-Quads in UTF-16 code-unit order, as JavaScript canonicalizers sort)"
            if proof.ordering == "utf-16"
            else ""
        )
        report.add(
            "proof",
            Outcome.PASSED,
            f"eddsa-rdfc-2022 signature by {proof.verification_method}{order}",
        )
    else:
        report.add("proof", Outcome.FAILED, "; ".join(proof.errors))
    return proof.controller


def verify_vc_jwt(
    token: str,
    *,
    resolver: Resolver | None = None,
    documents: Iterable[Mapping[str, Any]] = (),
    status_lists: Mapping[str, Mapping[str, Any]] | None = None,
    status_source: StatusListSource | None = None,
    check_status: bool = True,
    now: datetime | None = None,
    processor: JsonLdProcessor = _DEFAULT,
) -> VerificationReport:
    """Verify a VC-JWT (a compact JWS, OB 3.0 §8.2): its signature with the key its
    ``kid`` names, its claims against the credential inside, then the credential as
    :func:`verify_credential` does. The report has the same shape, with a ``claims``
    check. Raises: MalformedDocumentError when ``token`` is no VC-JWT at all."""
    parsed = parse_vc_jwt(token)
    if resolver is None:
        resolver = default_resolver(documents)
    return verify_credential(
        parsed.credential,
        resolver=resolver,
        status_lists=status_lists,
        status_source=status_source,
        check_status=check_status,
        now=now,
        processor=processor,
        envelope=check_envelope(parsed, resolver),
    )


def _nesting(document: Mapping[str, Any], processor: JsonLdProcessor) -> int | None:
    """How deep a document being verified nests at most, as verification has measured it
    already: all but its proof passed the processor's limits on the way (its proof was
    checked or it was expanded, either after :func:`~.limits.check_document`), and a proof
    of strings alone (or a list of such proofs) adds nothing deeper. None otherwise."""
    proofs = document.get("proof")
    for proof in proofs if isinstance(proofs, list) else [proofs]:
        if proof is not None and not (
            isinstance(proof, dict) and all(type(value) is str for value in proof.values())
        ):
            return None
    return max(processor.limits.max_depth, 3)


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
        report.add("validity", Outcome.FAILED, "; ".join(problems))
    else:
        report.add("validity", Outcome.PASSED, ", ".join(window) or "no validity window")


class _Layered:
    """Supplied lists first, then the caller's source."""

    def __init__(self, lists: Mapping[str, Mapping[str, Any]], source: StatusListSource) -> None:
        self._lists, self._source = lists, source

    def status_list(self, url: str) -> Mapping[str, Any]:
        found = self._lists.get(url)
        return found if found is not None else self._source.status_list(url)


class _VerifiedLists:
    """Status list credentials that verified, so that a list shared by many credentials
    is not canonicalized and verified again for each of them.

    A list is found only by the very same content, the same keys and the same processor:
    the key is a SHA-256 of the list's pickle (its exact values and their Python types,
    so a tuple is not taken for a list) together with the verification methods its proofs
    resolve to now, and a list is verified with exactly those methods. Every check of a
    list's report depends on these alone but its validity window, which is checked on
    every use. A list changed in any way, or a key its controller has since withdrawn,
    misses and is verified afresh; only lists that verified are kept, so any failure is
    found and worded by the full verification. Bounded: the most recently used lists per
    processor.
    """

    def __init__(self, size: int = 64) -> None:
        self._size = size
        self._verified: weakref.WeakKeyDictionary[
            JsonLdProcessor, LRUCache[tuple[Any, ...], bool]
        ] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def errors(
        self,
        document: Mapping[str, Any],
        resolver: Resolver,
        now: datetime,
        checked_at: str,
        processor: JsonLdProcessor,
    ) -> list[str]:
        """The errors of the list's report (none when it verifies)."""
        try:
            content = hashlib.sha256(pickle.dumps(document, protocol=5)).digest()
        except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
            # Not plain data: verified every time.
            return _verify(document, resolver, None, now, checked_at, processor, None).errors
        resolved = _Resolved(document, resolver)
        key = (content, resolved.methods)
        with self._lock:
            verified = self._verified.get(processor)
            if verified is None:
                verified = self._verified[processor] = LRUCache(maxsize=self._size)
            known = verified.get(key, False)
        if known:
            window = VerificationReport(None, None, checked_at)
            _check_validity(document, now, window)
            if not window.errors:
                return []
        errors = _verify(document, resolved, None, now, checked_at, processor, None).errors
        if not errors:
            with self._lock:
                verified[key] = True
        return errors


class _Resolved:
    """A resolver's answers for the verification methods a document's proofs name, read
    once and given again (so a check and its cache key rest on the same answers)."""

    def __init__(self, document: Mapping[str, Any], resolver: Resolver) -> None:
        self._answers: dict[str, VerificationMethod | CredentialError] = {}
        proofs = document.get("proof")
        for proof in proofs if isinstance(proofs, list) else [proofs]:
            method = proof.get("verificationMethod") if isinstance(proof, Mapping) else None
            if isinstance(method, str) and method not in self._answers:
                try:
                    self._answers[method] = resolver.resolve(method)
                except CredentialError as exc:
                    self._answers[method] = exc
        self.methods = tuple(
            (name, answer if isinstance(answer, VerificationMethod) else None)
            for name, answer in self._answers.items()
        )

    def resolve(self, verification_method: str) -> VerificationMethod:
        answer = self._answers.get(verification_method)
        if isinstance(answer, VerificationMethod):
            return answer
        raise answer or ResolutionError(f"cannot resolve {verification_method!r}")


_VERIFIED_LISTS = _VerifiedLists()


def _check_status(
    document: Mapping[str, Any],
    source: StatusListSource,
    resolver: Resolver,
    now: datetime,
    processor: JsonLdProcessor,
    report: VerificationReport,
) -> None:
    entries = document.get("credentialStatus")
    if entries is None:
        report.add("status", Outcome.SKIPPED, "credential has no credentialStatus")
        return
    unchecked = "status could not be checked: "
    for entry in entries if isinstance(entries, list) else [entries]:
        if not isinstance(entry, Mapping) or entry.get("type") != "BitstringStatusListEntry":
            kind = entry.get("type") if isinstance(entry, Mapping) else entry
            report.add(
                "status", Outcome.FAILED, f"{unchecked}status type {kind!r} is not supported"
            )
            continue
        url = entry.get("statusListCredential")
        if not isinstance(url, str):
            report.add(
                "status", Outcome.FAILED, f"{unchecked}statusListCredential {url!r} is not a URL"
            )
            continue
        try:
            list_credential = source.status_list(url)
            if not isinstance(list_credential, Mapping):
                raise MalformedDocumentError("a credential must be a JSON object")
            errors = _VERIFIED_LISTS.errors(
                list_credential, resolver, now, report.checked_at, processor
            )
        except CredentialError as exc:
            report.add("status", Outcome.FAILED, f"{unchecked}{exc}")
            continue
        if errors:
            report.add(
                "status",
                Outcome.FAILED,
                f"{unchecked}status list {url} does not verify: {'; '.join(errors)}",
            )
            continue
        result = check_status(entry, list_credential)
        if result.error:
            report.add("status", Outcome.FAILED, f"{result.error}: {result.message}")
        elif not result.valid:
            report.add("status", Outcome.FAILED, f"{result.purpose}: {result.message}")
        else:
            report.add("status", Outcome.PASSED, result.message)


__all__ += ["DocumentResolver"]
