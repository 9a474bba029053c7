"""What a client of the Open Badges API does, for the tests that play one: PKCE, the
registration it sends, the authorization URL it builds, and how it reads errors."""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any
from urllib.parse import urlencode

SCOPE_BASE = "https://purl.imsglobal.org/spec/ob/v3p0/scope/"
ALL_SCOPES = " ".join(
    SCOPE_BASE + name
    for name in ("credential.readonly", "credential.upsert", "profile.readonly", "profile.update")
)


def pkce() -> tuple[str, str]:
    """A code verifier and its S256 challenge."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def registration(redirect_uri: str, scope: str = ALL_SCOPES, **extra: Any) -> dict[str, Any]:
    """A registration as the 1EdTech Security Framework profiles it."""
    body = {
        "client_name": "Test Backpack",
        "client_uri": "https://backpack.example/",
        "logo_uri": "https://backpack.example/logo.png",
        "tos_uri": "https://backpack.example/terms",
        "policy_uri": "https://backpack.example/privacy",
        "software_id": "c1a8f7e0-5a3b-4b43-9c61-7d5f1b2e0a11",
        "software_version": "1.0",
        "redirect_uris": [redirect_uri],
        "scope": scope,
        "token_endpoint_auth_method": "client_secret_basic",
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
    }
    body.update(extra)
    return body


def authorize_url(
    base: str, client_id: str, redirect_uri: str, challenge: str, state: str, scope: str
) -> str:
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return f"{base}?{urlencode(query)}"


def minor_code(body: dict[str, Any]) -> str:
    """The ``imsx_codeMinorFieldValue`` of an ``Imsx_StatusInfo``, after checking its shape."""
    assert body["imsx_codeMajor"] == "failure", body
    assert body["imsx_severity"] == "error", body
    assert body["imsx_description"], body
    fields = body["imsx_codeMinor"]["imsx_codeMinorField"]
    assert fields[0]["imsx_codeMinorFieldName"] == "TargetEndSystem"
    value: str = fields[0]["imsx_codeMinorFieldValue"]
    return value
