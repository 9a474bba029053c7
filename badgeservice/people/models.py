"""Person, LMS account, team and membership tables."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, TimestampMixin, new_id, utcnow
from ..languages import TranslatedMixin

__all__ = [
    "LmsAccount",
    "Person",
    "PublicName",
    "Team",
    "TeamMember",
    "TeamRole",
]


class PublicName(StrEnum):
    """How a person's name shows on the public page of a badge they share."""

    FULL = "full"
    GIVEN = "given"
    INITIALS = "initials"


class TeamRole(StrEnum):
    """A person's role in a team."""

    MEMBER = "member"
    SUPERVISOR = "supervisor"


class Person(TimestampMixin, Base):
    """A learner/employee of one organisation."""

    __tablename__ = "people"
    __table_args__ = (
        UniqueConstraint("organisation_id", "employee_number"),
        UniqueConstraint("organisation_id", "email"),
        UniqueConstraint("organisation_id", "external_id"),
        UniqueConstraint("organisation_id", "user_name"),
        UniqueConstraint("organisation_id", "personal_email"),
        # The few deactivated people: the reserve counts "everyone but these".
        Index(
            "ix_people_inactive",
            "organisation_id",
            postgresql_where=text("active IS false"),
            sqlite_where=text("active = 0"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    employee_number: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(320))
    given_name: Mapped[str | None] = mapped_column(String(200))
    family_name: Mapped[str | None] = mapped_column(String(200))
    did: Mapped[str | None] = mapped_column(String(500))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # From HR/IdP provisioning (SCIM): the IdP's id, the login name, the reporting line.
    external_id: Mapped[str | None] = mapped_column(String(300))
    user_name: Mapped[str | None] = mapped_column(String(300))
    manager_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    department: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(200))
    # The language the person chose for pages (fi, sv, en); None: the browser's.
    locale: Mapped[str | None] = mapped_column(String(10))
    # Notices by e-mail the person turned on or off ({"issued": false, "digest": true});
    # a kind not named has its default (issued and expiry on, the weekly digest off).
    notice_settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The language their badges are issued in (a BCP 47 tag: SCIM preferredLanguage, the
    # API, the definition files, their settings); None: the organisation's default.
    preferred_language: Mapped[str | None] = mapped_column(String(35))
    # How the person's name shows on the public pages of badges they share (PublicName).
    public_name: Mapped[str] = mapped_column(String(10), default="full", server_default="full")
    # Identities of the person's own, for their badges to outlive the job: a personal
    # e-mail (set only once they confirmed it from its inbox) and a DID they proved they
    # control. Badges can be re-issued to either; the e-mail also signs them in by link.
    personal_email: Mapped[str | None] = mapped_column(String(320))
    personal_email_verified_at: Mapped[datetime | None]
    bound_did: Mapped[str | None] = mapped_column(String(500))
    bound_did_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # When an admin erased the person's personal data (the row stays as an anonymised
    # tombstone, so credentials, revocation and path history keep their references).
    erased_at: Mapped[datetime | None]

    lms_accounts: Mapped[list[LmsAccount]] = relationship(
        back_populates="person", cascade="all, delete-orphan"
    )
    memberships: Mapped[list[TeamMember]] = relationship(
        back_populates="person", cascade="all, delete-orphan"
    )

    @property
    def display_name(self) -> str:
        names = " ".join(n for n in (self.given_name, self.family_name) if n)
        return names or self.email or self.employee_number or str(self.id)

    @property
    def public_display_name(self) -> str:
        """The name a shared badge's public page shows, as the person chose: the full
        name, the given name only, or initials. Never an e-mail or an employee number."""
        given, family = self.given_name or "", self.family_name or ""
        if self.public_name == PublicName.GIVEN and given:
            return given
        if self.public_name == PublicName.INITIALS and (given or family):
            return " ".join(f"{name[0]}." for name in (given, family) if name)
        return " ".join(name for name in (given, family) if name) or "—"


class LmsAccount(Base):
    """A person's account id in one LMS connection."""

    __tablename__ = "lms_accounts"
    __table_args__ = (UniqueConstraint("organisation_id", "connection", "account"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    connection: Mapped[str] = mapped_column(String(63))
    account: Mapped[str] = mapped_column(String(300))

    person: Mapped[Person] = relationship(back_populates="lms_accounts")


class Team(TimestampMixin, TranslatedMixin, Base):
    """An organisational unit; supervisors are members with the supervisor role."""

    __tablename__ = "teams"
    __table_args__ = (
        UniqueConstraint("organisation_id", "slug"),
        UniqueConstraint("organisation_id", "external_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    slug: Mapped[str] = mapped_column(String(63))
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("teams.id"))
    # The IdP's group id when the team is provisioned over SCIM.
    external_id: Mapped[str | None] = mapped_column(String(300))
    # Written over SCIM: the IdP owns its name and its members (definition files do not).
    provisioned: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    members: Mapped[list[TeamMember]] = relationship(
        back_populates="team", cascade="all, delete-orphan"
    )


class TeamMember(Base):
    """A person in a team, as a member or a supervisor."""

    __tablename__ = "team_members"
    __table_args__ = (UniqueConstraint("team_id", "person_id", "role"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    team_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(20), default=TeamRole.MEMBER)

    team: Mapped[Team] = relationship(back_populates="members")
    person: Mapped[Person] = relationship(back_populates="memberships")
