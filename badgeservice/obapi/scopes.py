"""The four Open Badges 3.0 scopes."""

from __future__ import annotations

__all__ = [
    "ALL",
    "CREDENTIAL_READ",
    "CREDENTIAL_UPSERT",
    "PROFILE_READ",
    "PROFILE_UPDATE",
    "SCOPE_BASE",
    "short_name",
]

SCOPE_BASE = "https://purl.imsglobal.org/spec/ob/v3p0/scope/"
CREDENTIAL_READ = SCOPE_BASE + "credential.readonly"
CREDENTIAL_UPSERT = SCOPE_BASE + "credential.upsert"
PROFILE_READ = SCOPE_BASE + "profile.readonly"
PROFILE_UPDATE = SCOPE_BASE + "profile.update"
ALL = (CREDENTIAL_READ, CREDENTIAL_UPSERT, PROFILE_READ, PROFILE_UPDATE)


def short_name(scope: str) -> str:
    """``credential.readonly`` for its purl URI."""
    return scope.removeprefix(SCOPE_BASE)
