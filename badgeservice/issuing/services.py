"""Issuing: build the OB 3.0 credential for a person and an achievement version, sign it
with the issuer's key, give it a status-list entry, store it — exactly once."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import cast

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from ..achievements.documents import (
    achievement_url,
    document_language,
    version_achievement,
)
from ..achievements.models import Achievement, AchievementVersion
from ..audit.services import record, target_of
from ..credentials import ob3
from ..credentials.proofs import SigningOrdering, sign
from ..credentials.statuslist import status_entry
from ..db import get_session, utcnow
from ..errors import BadRequest, Conflict, NotFound
from ..issuers.models import Issuer, StatusList
from ..issuers.services import IssuerService, SigningKey
from ..keystore import KeyStore
from ..people.models import Person
from ..services import keystore
from .documents import Draft, level_results, profile_of, recipient_of
from .models import Credential
from .status import allocate_status

__all__ = ["Draft", "IssueResult", "IssuingService", "compact_jws", "is_valid", "issuing_service"]


@dataclass(frozen=True)
class IssueResult:
    credential: Credential
    created: bool


class IssuingService:
    """Issues and revokes credentials of one organisation's issuers."""

    def __init__(self, session: Session, *, public_url: str, keystore: KeyStore) -> None:
        self.session = session
        self.public_url = public_url.rstrip("/")
        self.issuers = IssuerService(session, public_url=public_url, keystore=keystore)
        # What one service (a request, a worker's batch) builds again and again, kept for
        # its life: unwrapped signing keys, issuer profiles and achievement documents by
        # language. Nothing here outlives the transaction it was read in.
        self._signing: dict[uuid.UUID, SigningKey] = {}
        self._profiles: dict[tuple[uuid.UUID, str], ob3.Profile] = {}
        self._achievements: dict[tuple[uuid.UUID, str], ob3.Achievement] = {}

    # -- URLs -------------------------------------------------------------------------

    def credential_url(self, credential_id: uuid.UUID) -> str:
        return f"{self.public_url}/credentials/{credential_id}"

    def achievement_url(self, organisation_slug: str, slug: str) -> str:
        return achievement_url(self.public_url, organisation_slug, slug)

    # -- issuing ----------------------------------------------------------------------

    def issue(
        self,
        *,
        person: Person,
        version: AchievementVersion,
        occurrence: str,
        sub_goal_id: uuid.UUID | None = None,
        path_id: uuid.UUID | None = None,
        awarded_by: str | None = None,
        evidence: Sequence[ob3.Evidence] = (),
        renew: bool = True,
    ) -> IssueResult:
        """Issue, or return the credential already issued for this occurrence.

        An occurrence whose credential was revoked or has expired is reached again: a new
        credential is issued as its next repetition (``achieved:2``, ``achieved:3``, …),
        unless ``renew`` is False (then the lapsed one is returned). The database's
        uniqueness rule makes concurrent issues of one repetition converge."""
        existing = self._latest(person.id, version.id, occurrence)
        if existing is not None and (not renew or is_valid(existing, utcnow())):
            return IssueResult(existing, False)
        repetition = _next_repetition(occurrence, existing)
        # Held until commit: an edit of this version (an exclusive lock, see
        # achievements.services.upsert_achievement) waits for the credential and then sees
        # it issued. A shared lock, so concurrent issues of one version do not queue.
        # (SQLite has no row locks and serialises writers: nothing to take there.)
        if self.session.get_bind().dialect.name != "sqlite":
            self.session.execute(
                select(AchievementVersion.id)
                .where(AchievementVersion.id == version.id)
                .with_for_update(read=True)
            )
        if not person.active:
            raise Conflict(f"person {person.id} is deactivated; nothing can be issued to them")
        achievement = self.session.get(Achievement, version.achievement_id)
        assert achievement is not None
        if achievement.organisation_id != person.organisation_id:
            raise NotFound("no such achievement in this organisation")
        # The issuer with its organisation (the URLs) and keys (the signing key): one query.
        issuer = self.session.get(
            Issuer,
            achievement.issuer_id,
            options=[joinedload(Issuer.organisation), joinedload(Issuer.keys)],
        )
        assert issuer is not None
        for _attempt in range(5):
            try:
                with self.session.begin_nested():
                    credential = self._issue_once(
                        issuer,
                        achievement,
                        version,
                        person,
                        repetition,
                        sub_goal_id,
                        path_id,
                        awarded_by,
                        evidence,
                    )
                return IssueResult(credential, True)
            except IntegrityError:
                # Either a concurrent issue of the same occurrence won (return its result)
                # or two issuers drew the same status index (draw again).
                won = self._existing(person.id, version.id, repetition)
                if won is not None:
                    return IssueResult(won, False)
        raise Conflict("could not allocate a status-list entry; try again")

    def _existing(
        self, person_id: uuid.UUID, version_id: uuid.UUID, occurrence: str
    ) -> Credential | None:
        return self.session.scalar(
            select(Credential).where(
                Credential.person_id == person_id,
                Credential.achievement_version_id == version_id,
                Credential.occurrence == occurrence,
            )
        )

    def _latest(
        self, person_id: uuid.UUID, version_id: uuid.UUID, occurrence: str
    ) -> Credential | None:
        """The newest repetition of ``occurrence`` (``occurrence``, ``occurrence:2``, …)."""
        rows = self.session.scalars(
            select(Credential).where(
                Credential.person_id == person_id,
                Credential.achievement_version_id == version_id,
                or_(
                    Credential.occurrence == occurrence,
                    Credential.occurrence.startswith(f"{occurrence}:", autoescape=True),
                ),
            )
        ).all()
        family = [row for row in rows if _repetition(occurrence, row.occurrence) is not None]
        return max(
            family, key=lambda row: _repetition(occurrence, row.occurrence) or 0, default=None
        )

    def _issue_once(
        self,
        issuer: Issuer,
        achievement: Achievement,
        version: AchievementVersion,
        person: Person,
        occurrence: str,
        sub_goal_id: uuid.UUID | None,
        path_id: uuid.UUID | None,
        awarded_by: str | None,
        evidence: Sequence[ob3.Evidence],
    ) -> Credential:
        now = utcnow().replace(microsecond=0)
        status_list, index = allocate_status(self.issuers, issuer)
        credential = self.build(
            Draft(issuer, achievement, version, person, occurrence, sub_goal_id, path_id),
            awarded_by,
            evidence,
            (status_list, index),
            now,
        )
        self.session.add(credential)
        self.session.flush()
        self.record_issued(credential, achievement, version)
        return credential

    def build(
        self,
        draft: Draft,
        awarded_by: str | None,
        evidence: Sequence[ob3.Evidence],
        status: tuple[StatusList, int],
        now: datetime,
    ) -> Credential:
        """The new credential of ``draft``, signed, with its status entry; not yet added to
        the session (:meth:`issue` adds it, the batch inserts many in one statement)."""
        issuer, achievement, version, person = (
            draft.issuer,
            draft.achievement,
            draft.version,
            draft.person,
        )
        days = version.valid_for_days
        valid_until = now + timedelta(days=days) if days else None
        credential_id = uuid.uuid4()
        status_list, index = status
        # One language per credential: the person's, where the badge is written in it.
        language = document_language(
            version, [person.preferred_language], issuer.organisation.default_language
        )
        document = ob3.build_credential(
            credential_id=self.credential_url(credential_id),
            issuer=self._profile(issuer, language),
            achievement=self._achievement(issuer, achievement, version, language),
            recipient=recipient_of(person),
            valid_from=now,
            valid_until=valid_until,
            evidence=tuple(evidence),
            results=level_results(self._achievement_id(issuer, achievement), version),
            credential_status=status_entry(
                self.issuers.status_list_url(issuer, status_list.number), index
            ),
        )
        signing = self._signing_key(issuer)
        # Where code-point and UTF-16 order disagree the organisation's choice decides;
        # by default such a credential is refused (OrderingConflictError, a 422).
        ordering = cast(SigningOrdering, issuer.organisation.nquads_ordering)
        signed = sign(
            document,
            signing.key,
            verification_method=signing.verification_method,
            created=now,
            ordering=ordering,
        )
        return Credential(
            id=credential_id,
            organisation_id=person.organisation_id,
            issuer_id=issuer.id,
            person_id=person.id,
            achievement_version_id=version.id,
            sub_goal_id=draft.sub_goal_id,
            path_id=draft.path_id,
            occurrence=draft.occurrence,
            status_list_id=status_list.id,
            status_index=index,
            document=signed,
            issued_at=now,
            valid_until=valid_until,
            awarded_by=awarded_by,
            language=language,
        )

    def _signing_key(self, issuer: Issuer) -> SigningKey:
        key = self._signing.get(issuer.id)
        if key is None:
            key = self._signing[issuer.id] = self.issuers.signing_key(issuer)
        return key

    def _profile(self, issuer: Issuer, language: str) -> ob3.Profile:
        key = (issuer.id, language)
        profile = self._profiles.get(key)
        if profile is None:
            profile = self._profiles[key] = profile_of(self.issuers.profile(issuer, language))
        return profile

    def record_issued(
        self, credential: Credential, achievement: Achievement, version: AchievementVersion
    ) -> None:
        """The credential's issue in the audit trail: one row in the same transaction."""
        details = {
            "person": str(credential.person_id),
            "achievement": achievement.slug,
            "version": version.version,
            "occurrence": credential.occurrence,
            "awarded_by": credential.awarded_by,
        }
        target = target_of("credential", credential.id)
        record(self.session, credential.organisation_id, "credential.issued", target, details)

    def _achievement_id(self, issuer: Issuer, achievement: Achievement) -> str:
        return self.achievement_url(issuer.organisation.slug, achievement.slug)

    def _achievement(
        self, issuer: Issuer, achievement: Achievement, version: AchievementVersion, language: str
    ) -> ob3.Achievement:
        key = (version.id, language)
        document = self._achievements.get(key)
        if document is None:
            url = self.achievement_url(issuer.organisation.slug, achievement.slug)
            document = version_achievement(self.session, version, url, language)
            self._achievements[key] = document
        return document

    # -- revocation -------------------------------------------------------------------

    def revoke(self, credential: Credential, reason: str) -> Credential:
        """Flip the credential's status bit; revoking twice is refused."""
        if not reason.strip():
            raise BadRequest("give a reason for the revocation")
        if credential.revoked_at is not None:
            raise Conflict(f"credential {credential.id} was already revoked")
        # Decided by the database, not by what this session read: of two concurrent
        # revocations exactly one changes the row (the other waits for its lock, then finds
        # it revoked), and the status list is read again under a lock, so revocations of
        # other credentials in the same list never overwrite each other's bits.
        now = datetime.now(UTC)
        changed = self.session.execute(
            update(Credential)
            .where(Credential.id == credential.id, Credential.revoked_at.is_(None))
            .values(revoked_at=now, revocation_reason=reason.strip())
            .execution_options(synchronize_session=False)
        )
        if not getattr(changed, "rowcount", 0):
            raise Conflict(f"credential {credential.id} was already revoked")
        set_committed_value(credential, "revoked_at", now)
        set_committed_value(credential, "revocation_reason", reason.strip())
        status_list = self.session.scalar(
            select(StatusList)
            .where(StatusList.id == credential.status_list_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        assert status_list is not None
        self.issuers.set_status(status_list, credential.status_index, 1)
        record(
            self.session,
            credential.organisation_id,
            "credential.revoked",
            target_of("credential", credential.id),
            {"person": str(credential.person_id), "reason": reason.strip()},
        )
        self.session.flush()
        return credential


def issuing_service(session: Session | None = None) -> IssuingService:
    """The service on the request's session (or ``session``), configured by the app."""
    return IssuingService(
        session or get_session(), public_url=current_app.config["PUBLIC_URL"], keystore=keystore()
    )


def compact_jws(issuers: IssuerService, credential: Credential) -> str:
    """The credential's VC-JWT: its signed document as a compact JWS by its issuer's JOSE
    key, signed the first time it is asked for and kept (the caller's transaction stores
    it). The Data Integrity proof stays inside; either proof verifies the credential."""
    if credential.compact_jws is None:
        issuer = issuers.session.get(Issuer, credential.issuer_id)
        assert issuer is not None
        credential.compact_jws = issuers.sign_vc_jwt(issuer, credential.document)
        issuers.session.flush()
    return credential.compact_jws


def is_valid(credential: Credential, now: datetime) -> bool:
    """Neither revoked nor past its ``validUntil``."""
    if credential.revoked_at is not None:
        return False
    return credential.valid_until is None or credential.valid_until > now


def _repetition(base: str, occurrence: str) -> int | None:
    """1 for ``base``, n for ``base:n``; None for another occurrence."""
    if occurrence == base:
        return 1
    suffix = occurrence.removeprefix(f"{base}:")
    if suffix != occurrence and suffix.isdigit() and not suffix.startswith("0"):
        return int(suffix)
    return None


def _next_repetition(base: str, latest: Credential | None) -> str:
    if latest is None:
        return base
    return f"{base}:{(_repetition(base, latest.occurrence) or 1) + 1}"
