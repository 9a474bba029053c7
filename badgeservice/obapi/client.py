"""The Open Badges API as a service consumer (Write): push a credential to another Host.

The steps the specification lays down, each a method of :class:`WriteClient`: discovery
(the Host's profiled OpenAPI document, whose ``OAuth2ACG`` scheme names the registration,
authorization and token URLs), dynamic registration (RFC 7591, ``client_secret_basic``),
the authorization URL (code grant with PKCE S256 and ``state``), the code exchange,
``upsertCredential`` and ``putProfile`` — with a refresh when the access token has expired
or the Host answers 401, and the request tried once more.

Every request goes through the egress policy (:mod:`badgeservice.egress`): a Host is a URL
somebody typed, so it is resolved and vetted at each connection, and plain HTTP is used
only towards loopback addresses the operator allowed (``BADGESERVICE_OUTBOUND_ALLOW``).
Secrets and tokens never appear in an exception's message.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, quote_plus, urlencode, urlsplit

from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from .. import __version__
from ..egress import EgressPolicy
from . import scopes
from .outbound import Answer, PushError, check_url, failure, send

__all__ = [
    "Authorization",
    "Host",
    "PushError",
    "PushResult",
    "Registration",
    "Tokens",
    "WriteClient",
]

DISCOVERY_PATH = "/ims/ob/v3p0/discovery"
# The 1EdTech Security Framework asks a client to name its software with a fixed UUID,
# the same in every deployment, and its version.
SOFTWARE_ID = "5f0c7d1e-3b6a-4f25-9a8e-2c4d7b91e0f3"
# A token within this many seconds of its expiry is refreshed before use.
_EXPIRY_MARGIN = 30


@dataclass(frozen=True)
class Host:
    """What discovery tells of a Host."""

    base_url: str
    api_url: str
    registration_url: str
    authorization_url: str
    token_url: str
    refresh_url: str
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class Registration:
    """Our registration at a Host (the secret is the Host's, kept encrypted by callers)."""

    client_id: str
    client_secret: str
    redirect_uri: str
    scope: str

    def __repr__(self) -> str:  # the secret never reaches a log
        return f"Registration(client_id={self.client_id!r}, redirect_uri={self.redirect_uri!r})"


@dataclass(frozen=True)
class Authorization:
    """An authorization request under way: the URL to send the learner to, and what the
    callback must be checked against (``state``) and the exchange must prove (verifier)."""

    url: str
    state: str
    verifier: str = field(repr=False)


@dataclass(frozen=True)
class Tokens:
    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_at: float | None
    scope: str

    def expired(self, now: float | None = None) -> bool:
        if self.expires_at is None:
            return False
        return (now if now is not None else time.time()) >= self.expires_at - _EXPIRY_MARGIN


@dataclass(frozen=True)
class PushResult:
    """The Host's answer to an upsert or a profile update: 201 created, 200 replaced; the
    tokens to keep (new ones when a refresh happened on the way)."""

    status: int
    body: str
    tokens: Tokens

    @property
    def created(self) -> bool:
        return self.status == 201


class WriteClient:
    """The consumer side of the Open Badges API, one Host at a time. ``client_name`` and
    ``client_uri`` (the service's public URL: Hosts require it) are what the Host's consent
    page shows the learner."""

    def __init__(
        self,
        egress: EgressPolicy | None = None,
        *,
        client_name: str = "badgeservice",
        client_uri: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.egress = egress or EgressPolicy()
        self.client_name = client_name
        self.client_uri = client_uri
        self.timeout = timeout

    # -- the steps --------------------------------------------------------------------------

    def discover(self, base_url: str) -> Host:
        """Read ``<base_url>/ims/ob/v3p0/discovery`` and the ``OAuth2ACG`` scheme in it."""
        base = self.check_base_url(base_url)
        answer = self._request("GET", base + DISCOVERY_PATH, headers={"Accept": "application/json"})
        if answer.status != 200:
            raise PushError(failure("discovery", answer), answer.status)
        document = answer.json()
        try:
            scheme = document["components"]["securitySchemes"]["OAuth2ACG"]
            flow = scheme["flows"]["authorizationCode"]
            servers = document.get("servers") or [{"url": base + "/ims/ob/v3p0"}]
            host = Host(
                base_url=base,
                api_url=str(servers[0]["url"]).rstrip("/"),
                registration_url=str(scheme["x-imssf-registrationUrl"]),
                authorization_url=str(flow["authorizationUrl"]),
                token_url=str(flow["tokenUrl"]),
                refresh_url=str(flow.get("refreshUrl") or flow["tokenUrl"]),
                scopes=tuple(str(name) for name in flow.get("scopes") or {}),
            )
        except (KeyError, TypeError, IndexError, AttributeError):
            raise PushError(
                "discovery: the Host's document has no OAuth2ACG security scheme with "
                "registration, authorization and token URLs"
            ) from None
        for url in (host.api_url, host.registration_url, host.authorization_url, host.token_url):
            self.check_base_url(url)
        if scopes.CREDENTIAL_UPSERT not in host.scopes:
            raise PushError("discovery: the Host does not offer the credential.upsert scope")
        return host

    def register(
        self,
        host: Host,
        redirect_uri: str,
        *,
        profile: bool = False,
        extra_scopes: tuple[str, ...] = (),
        **metadata: Any,
    ) -> Registration:
        """Register this service at ``host`` (RFC 7591) for ``redirect_uri`` exactly, asking
        for credential.upsert (and profile.update when ``profile``; ``extra_scopes`` for a
        caller that reads back what it wrote)."""
        scope = " ".join((_scope(profile), *extra_scopes))
        body = {
            "client_name": self.client_name,
            "redirect_uris": [redirect_uri],
            "scope": scope,
            "token_endpoint_auth_method": "client_secret_basic",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "software_id": SOFTWARE_ID,
            "software_version": __version__,
            **({"client_uri": self.client_uri} if self.client_uri else {}),
            **metadata,
        }
        answer = self._request(
            "POST",
            host.registration_url,
            json.dumps(body).encode(),
            {"Content-Type": "application/json", "Accept": "application/json"},
        )
        if answer.status not in (200, 201):
            raise PushError(failure("registration", answer), answer.status)
        registered = answer.json()
        if not isinstance(registered, dict) or not registered.get("client_id"):
            raise PushError("registration: the Host's answer has no client_id")
        if not registered.get("client_secret"):
            raise PushError(
                "registration: the Host issued no client secret for client_secret_basic"
            )
        return Registration(
            client_id=str(registered["client_id"]),
            client_secret=str(registered["client_secret"]),
            redirect_uri=redirect_uri,
            scope=str(registered.get("scope") or scope),
        )

    def authorization(self, host: Host, registration: Registration) -> Authorization:
        """The URL to send the learner's browser to, with a fresh ``state`` and PKCE pair."""
        verifier = generate_token(64)
        state = generate_token(32)
        query = {
            "response_type": "code",
            "client_id": registration.client_id,
            "redirect_uri": registration.redirect_uri,
            "scope": registration.scope,
            "state": state,
            "code_challenge": create_s256_code_challenge(verifier),
            "code_challenge_method": "S256",
        }
        separator = "&" if urlsplit(host.authorization_url).query else "?"
        return Authorization(host.authorization_url + separator + urlencode(query), state, verifier)

    def exchange(
        self,
        host: Host,
        registration: Registration,
        authorization: Authorization,
        callback_url: str,
    ) -> Tokens:
        """Check the callback (our redirect URI, the same ``state``, a code, no error), then
        trade the code and the PKCE verifier for tokens."""
        if callback_url.split("?", 1)[0] != registration.redirect_uri:
            raise PushError("authorization: the callback is not at our redirect URI")
        query = parse_qs(urlsplit(callback_url).query)
        if query.get("state", [""])[0] != authorization.state:
            raise PushError("authorization: the state does not match the request (not ours)")
        if "error" in query:
            why = query.get("error_description", [query["error"][0]])[0]
            raise PushError(f"authorization: the Host answered {query['error'][0]} ({why})")
        code = query.get("code", [""])[0]
        if not code:
            raise PushError("authorization: the callback carries no code")
        return self._token(
            host.token_url,
            registration,
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": registration.redirect_uri,
                "code_verifier": authorization.verifier,
            },
            registration.scope,
        )

    def refresh(self, host: Host, registration: Registration, tokens: Tokens) -> Tokens:
        """New tokens for the refresh token (the Host may rotate it)."""
        if not tokens.refresh_token:
            raise PushError("refresh: the access token has expired and there is no refresh token")
        renewed = self._token(
            host.refresh_url,
            registration,
            {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token},
            tokens.scope,
        )
        if renewed.refresh_token is None:
            return Tokens(
                renewed.access_token, tokens.refresh_token, renewed.expires_at, renewed.scope
            )
        return renewed

    def upsert_credential(
        self, host: Host, registration: Registration, tokens: Tokens, credential: Any
    ) -> PushResult:
        """``POST <api>/credentials``: a credential document as JSON, or a VC-JWT (a str,
        its compact JWS) as ``text/plain``."""
        if isinstance(credential, str):
            body, content_type = credential.strip().encode(), "text/plain"
        else:
            body, content_type = json.dumps(credential).encode(), "application/json"
        return self._resource(
            "upsertCredential",
            "POST",
            host,
            registration,
            tokens,
            host.api_url + "/credentials",
            body,
            content_type,
        )

    def put_profile(
        self, host: Host, registration: Registration, tokens: Tokens, profile: dict[str, Any]
    ) -> PushResult:
        """``PUT <api>/profile`` (needs the profile.update scope)."""
        return self._resource(
            "putProfile",
            "PUT",
            host,
            registration,
            tokens,
            host.api_url + "/profile",
            json.dumps(profile).encode(),
            "application/json",
        )

    # -- what the steps share ---------------------------------------------------------------

    def check_base_url(self, url: str) -> str:
        """``url`` without a trailing slash if the service may send to it (PushError saying
        why otherwise): see :func:`.outbound.check_url`."""
        return check_url(self.egress, url)

    def _request(
        self,
        method: str,
        url: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        return send(self.egress, self.timeout, method, url, body, headers)

    def _resource(
        self,
        step: str,
        method: str,
        host: Host,
        registration: Registration,
        tokens: Tokens,
        url: str,
        body: bytes,
        content_type: str,
    ) -> PushResult:
        if tokens.expired():
            tokens = self.refresh(host, registration, tokens)
        for attempt in (1, 2):
            answer = self._request(
                method,
                url,
                body,
                {
                    "Authorization": f"Bearer {tokens.access_token}",
                    "Content-Type": content_type,
                    "Accept": "application/json, text/plain",
                },
            )
            if answer.status == 401 and attempt == 1 and tokens.refresh_token:
                tokens = self.refresh(host, registration, tokens)
                continue
            break
        if answer.status not in (200, 201):
            raise PushError(failure(step, answer), answer.status)
        return PushResult(answer.status, answer.body.decode("utf-8", "replace"), tokens)

    def _token(
        self, url: str, registration: Registration, form: dict[str, str], scope: str
    ) -> Tokens:
        # RFC 6749 §2.3.1: both parts form-encoded before they are joined.
        pair = f"{quote_plus(registration.client_id)}:{quote_plus(registration.client_secret)}"
        answer = self._request(
            "POST",
            url,
            urlencode(form).encode(),
            {
                "Authorization": "Basic " + base64.b64encode(pair.encode()).decode("ascii"),
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
        )
        step = "refresh" if form["grant_type"] == "refresh_token" else "token"
        if answer.status != 200:
            raise PushError(failure(step, answer), answer.status)
        issued = answer.json()
        if not isinstance(issued, dict) or not issued.get("access_token"):
            raise PushError(f"{step}: the Host's answer has no access_token")
        if str(issued.get("token_type", "")).lower() != "bearer":
            raise PushError(f"{step}: the Host issued no bearer token")
        lifetime = issued.get("expires_in")
        expires_at = time.time() + float(lifetime) if isinstance(lifetime, int | float) else None
        refresh_token = issued.get("refresh_token")
        return Tokens(
            access_token=str(issued["access_token"]),
            refresh_token=str(refresh_token) if refresh_token else None,
            expires_at=expires_at,
            scope=str(issued.get("scope") or scope),
        )


def _scope(profile: bool) -> str:
    wanted = [scopes.CREDENTIAL_UPSERT]
    if profile:
        wanted.append(scopes.PROFILE_UPDATE)
    return " ".join(wanted)
