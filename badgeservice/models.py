"""Every table, imported in one place for metadata-wide tools (Alembic, tests)."""

from .access.models import RoleGrant, SignInIdentity, SignInSettings, WebSession
from .achievements.models import Achievement, AchievementVersion
from .bulkawards.models import BulkAward, BulkRow
from .db import Base
from .evidence.models import EvidenceClaim, EvidenceFile
from .frameworks.models import Competence, Framework
from .hr.models import (
    CompetenceEvent,
    CompetenceHolding,
    Delivery,
    DeliveryAttempt,
    HrEndpoint,
    Recognition,
)
from .ingest.models import InboundEvent
from .issuers.models import Issuer, IssuerJoseKey, IssuerKey, StatusList
from .issuing.models import Credential
from .notices.models import Notice
from .obapi.models import OAuthClient, OAuthCode, OAuthGrant, OAuthToken, StoredCredential
from .organisations.models import ApiClient, AuditEvent, Connection, Organisation
from .paths.models import Path, PathReview, PathTarget, SubGoal, Trigger
from .people.models import LmsAccount, Person, Team, TeamMember
from .portability.models import SignInToken
from .sharing.models import CredentialShare

__all__ = [
    "Achievement",
    "AchievementVersion",
    "ApiClient",
    "AuditEvent",
    "Base",
    "BulkAward",
    "BulkRow",
    "Competence",
    "CompetenceEvent",
    "CompetenceHolding",
    "Connection",
    "Credential",
    "CredentialShare",
    "Delivery",
    "DeliveryAttempt",
    "EvidenceClaim",
    "EvidenceFile",
    "Framework",
    "HrEndpoint",
    "InboundEvent",
    "Issuer",
    "IssuerJoseKey",
    "IssuerKey",
    "LmsAccount",
    "Notice",
    "OAuthClient",
    "OAuthCode",
    "OAuthGrant",
    "OAuthToken",
    "Organisation",
    "Path",
    "PathReview",
    "PathTarget",
    "Person",
    "Recognition",
    "RoleGrant",
    "SignInIdentity",
    "SignInSettings",
    "SignInToken",
    "StatusList",
    "StoredCredential",
    "SubGoal",
    "Team",
    "TeamMember",
    "Trigger",
    "WebSession",
]
