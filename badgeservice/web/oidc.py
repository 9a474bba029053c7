"""OpenID Connect sign-in against an organisation's identity provider, with authlib.

Authorization code flow with PKCE (S256), ``state`` and ``nonce`` kept in the signed
session cookie by authlib; the ID token's signature (the IdP's JWKS), issuer, audience,
expiry and nonce are checked; claims missing from the ID token are read from UserInfo.
Discovery documents and key sets are cached for five minutes per issuer (a key the cache
does not know makes authlib fetch the set again).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import FlaskOAuth2App
from authlib.integrations.flask_client.integration import FlaskIntegration
from cachetools import TTLCache
from flask import Response
from joserfc.errors import JoseError

from ..access.models import SignInSettings

__all__ = ["IdentityProviderError", "begin", "finish"]

log = logging.getLogger(__name__)

SCOPE = "openid email profile"
TIMEOUT = 10
_metadata: TTLCache[str, dict[str, Any]] = TTLCache(maxsize=256, ttl=300)
_lock = threading.Lock()


class IdentityProviderError(Exception):
    """The sign-in could not be completed with the IdP. ``unreachable``: the IdP did not
    answer; ``refused``: it answered with an error (the person cancelled, for one);
    ``invalid``: its answer did not check out (state, token, signature)."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind


def provider_metadata(issuer: str) -> dict[str, Any]:
    """The IdP's discovery document with its key set under ``jwks`` (cached)."""
    with _lock:
        cached = _metadata.get(issuer)
    if cached is not None:
        return dict(cached)
    try:
        answer = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=TIMEOUT)
        answer.raise_for_status()
        metadata = answer.json()
        if not isinstance(metadata, dict):
            raise ValueError("the discovery document is not a JSON object")
        # OpenID Connect Discovery 1.0, 4.3: the document must name the issuer asked for.
        if str(metadata.get("issuer", "")).rstrip("/") != issuer.rstrip("/"):
            raise IdentityProviderError(
                "invalid", f"the discovery document names issuer {metadata.get('issuer')!r}"
            )
        for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(metadata.get(key), str):
                raise IdentityProviderError("invalid", f"the discovery document lacks {key}")
        keys = requests.get(metadata["jwks_uri"], timeout=TIMEOUT)
        keys.raise_for_status()
        metadata["jwks"] = keys.json()
    except requests.RequestException as exc:
        raise IdentityProviderError("unreachable", f"{issuer}: {exc}") from None
    except ValueError as exc:
        raise IdentityProviderError("invalid", f"{issuer}: {exc}") from None
    metadata["_loaded_at"] = 0  # authlib: do not load it again
    with _lock:
        _metadata[issuer] = metadata
    return dict(metadata)


def _client(name: str, settings: SignInSettings, secret: str | None) -> FlaskOAuth2App:
    metadata = provider_metadata(settings.issuer)
    client_kwargs: dict[str, Any] = {
        "scope": SCOPE,
        "code_challenge_method": "S256",
        "timeout": TIMEOUT,
    }
    if secret is None:
        client_kwargs["token_endpoint_auth_method"] = "none"  # noqa: S105 - a public client
    return FlaskOAuth2App(
        FlaskIntegration(name),
        name=name,
        client_id=settings.client_id,
        client_secret=secret,
        client_kwargs=client_kwargs,
        **metadata,
    )


def begin(name: str, settings: SignInSettings, secret: str | None, redirect_uri: str) -> Response:
    """The redirect to the IdP's authorization endpoint (state, nonce and PKCE verifier
    are kept in the session under ``name``)."""
    response: Response = _client(name, settings, secret).authorize_redirect(redirect_uri)
    return response


def finish(name: str, settings: SignInSettings, secret: str | None) -> dict[str, Any]:
    """The callback: exchange the code, check the ID token, and return its claims merged
    with the UserInfo answer when the matching claim is not in the token."""
    client = _client(name, settings, secret)
    metadata = client.server_metadata
    options = {
        "iss": {"essential": True, "values": [metadata["issuer"]]},
        "aud": {"essential": True, "values": [settings.client_id]},
    }
    try:
        token = client.authorize_access_token(claims_options=options, leeway=60)
        userinfo = token.get("userinfo")
        if not userinfo:
            raise IdentityProviderError("invalid", "the token response has no ID token")
        claims = dict(userinfo)
        if settings.claim not in claims and metadata.get("userinfo_endpoint"):
            answer = client.get(metadata["userinfo_endpoint"], token=token)
            answer.raise_for_status()
            extra = answer.json()
            # OpenID Connect Core 5.3.2: UserInfo is about the ID token's subject, or unusable.
            if not isinstance(extra, dict) or extra.get("sub") != claims.get("sub"):
                raise IdentityProviderError("invalid", "UserInfo is about another subject")
            claims = {**extra, **claims}
    except requests.RequestException as exc:
        raise IdentityProviderError("unreachable", str(exc)) from None
    except AuthlibBaseError as exc:
        error = getattr(exc, "error", "") or ""
        kind = "refused" if error in {"access_denied", "login_required"} else "invalid"
        raise IdentityProviderError(kind, f"{error}: {exc}") from None
    except (JoseError, ValueError) as exc:
        raise IdentityProviderError("invalid", str(exc)) from None
    return claims
