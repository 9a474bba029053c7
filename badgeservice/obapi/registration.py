"""Dynamic client registration (RFC 7591) as the 1EdTech Security Framework profiles it:
no initial access token, no software statement, ``client_secret_basic``, the
authorization-code and refresh-token grants, the Open Badges scopes."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlsplit

from authlib.oauth2.rfc6749.requests import JsonPayload, JsonRequest
from authlib.oauth2.rfc7591 import ClientRegistrationEndpoint, InvalidClientMetadataError

from ..db import get_session
from ..egress import is_loopback_name
from . import scopes
from .models import OAuthClient
from .store import digest

__all__ = ["OFFLINE_ACCESS", "SERVER_METADATA", "ParsedJsonRequest", "Registration", "check_uri"]

#: Clients may ask for it as the spec's examples do; refresh tokens come either way.
OFFLINE_ACCESS = "offline_access"
SERVER_METADATA: dict[str, Any] = {
    "scopes_supported": [*scopes.ALL, OFFLINE_ACCESS],
    "response_types_supported": ["code"],
    "grant_types_supported": ["authorization_code", "refresh_token"],
    "token_endpoint_auth_methods_supported": ["client_secret_basic"],
}
_REQUIRED = ("client_name", "client_uri", "redirect_uris", "scope")
_URIS = ("client_uri", "logo_uri", "tos_uri", "policy_uri")


def check_uri(field: str, value: Any) -> str:
    """``value`` if it is an absolute https URL without a fragment (plain http only on a
    loopback host, for development and tests); else the RFC 7591 error naming ``field``."""
    if not isinstance(value, str) or len(value) > 2000:
        raise InvalidClientMetadataError(f"{field}: an absolute URL of at most 2000 characters")
    parts = urlsplit(value)
    host = parts.hostname or ""
    if parts.fragment or not host or parts.username or parts.password:
        raise InvalidClientMetadataError(f"{field}: {value!r} is not an absolute URL")
    if parts.scheme == "https" or (parts.scheme == "http" and is_loopback_name(host)):
        return value
    raise InvalidClientMetadataError(f"{field}: {value!r} must be an https URL")


class _Payload(JsonPayload):  # type: ignore[misc]
    def __init__(self, data: Any) -> None:
        self._data = data

    @property
    def data(self) -> Any:
        return self._data


class ParsedJsonRequest(JsonRequest):  # type: ignore[misc]
    """A JSON request whose body the service's own reader already parsed."""

    def __init__(self, method: str, uri: str, headers: Any, data: Any) -> None:
        super().__init__(method, uri, headers)
        self.payload = _Payload(data)


class Registration(ClientRegistrationEndpoint):  # type: ignore[misc]
    """Open registration: anyone may register a client; only a learner's consent lets it
    in to anything."""

    def authenticate_token(self, request: Any) -> bool:
        return True

    def get_server_metadata(self) -> dict[str, Any]:
        return SERVER_METADATA

    def extract_client_metadata(self, request: Any) -> dict[str, Any]:
        data = request.payload.data
        if not isinstance(data, dict):
            raise InvalidClientMetadataError("the body must be a JSON object")
        missing = [name for name in _REQUIRED if not data.get(name)]
        if missing:
            raise InvalidClientMetadataError(f"missing: {', '.join(missing)}")
        metadata: dict[str, Any] = super().extract_client_metadata(request)
        unknown = sorted(set(data) - set(metadata) - {"software_statement"})
        if unknown:
            raise InvalidClientMetadataError(f"not registered here: {', '.join(unknown)}")
        uris = metadata["redirect_uris"]
        if not isinstance(uris, list) or not uris or len(uris) > 10:
            raise InvalidClientMetadataError("redirect_uris: a list of 1 to 10 URLs")
        for uri in uris:
            check_uri("redirect_uris", uri)
        for field in _URIS:
            if field in metadata:
                check_uri(field, metadata[field])
        name = metadata["client_name"]
        if not isinstance(name, str) or not name.strip() or len(name) > 300:
            raise InvalidClientMetadataError("client_name: text of 1 to 300 characters")
        metadata.setdefault("token_endpoint_auth_method", "client_secret_basic")
        metadata.setdefault("grant_types", ["authorization_code", "refresh_token"])
        metadata.setdefault("response_types", ["code"])
        return metadata

    def generate_client_id(self, request: Any) -> str:
        return secrets.token_urlsafe(24)

    def generate_client_secret(self, request: Any) -> str:
        return secrets.token_urlsafe(32)

    def save_client(
        self, client_info: dict[str, Any], client_metadata: dict[str, Any], request: Any
    ) -> OAuthClient:
        client = OAuthClient(
            client_id=client_info["client_id"],
            secret_hash=digest(client_info["client_secret"]),
            name=client_metadata["client_name"].strip(),
            redirect_uris=list(client_metadata["redirect_uris"]),
            scope=client_metadata["scope"],
            client_metadata=dict(client_metadata),
        )
        session = get_session()
        session.add(client)
        session.flush()
        return client
