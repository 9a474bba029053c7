"""The authorization server, on authlib's server components: the authorization-code grant
with PKCE S256 required, refresh-token rotation, revocation (RFC 7009) and registration
(RFC 7591). Codes and tokens are stored hashed; a code is spent by its first exchange,
and a code or refresh token presented again revokes every token that came of it."""

from __future__ import annotations

import hmac
import logging
import secrets
from typing import Any, ClassVar

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, InvalidRequestError
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant, RefreshTokenGrant
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from flask import Flask, current_app
from sqlalchemy import or_, select, update

from ..db import get_session, utcnow
from ..people.models import Person
from .models import OAuthClient, OAuthCode, OAuthGrant, OAuthToken
from .registration import Registration
from .store import (
    ACCESS_TOKEN_LIFETIME,
    CODE_LIFETIME,
    REFRESH_TOKEN_LIFETIME,
    digest,
    revoke_tokens,
)

__all__ = ["Client", "authorization_server", "init_app"]

_AUTH = ["client_secret_basic"]


class Client(ClientMixin):  # type: ignore[misc]
    """A registered client as authlib asks about it."""

    def __init__(self, row: OAuthClient) -> None:
        self.row = row
        self.client_id = row.client_id

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> None:
        return None  # the redirect URI is required in every request

    def get_allowed_scope(self, scope: str) -> str:
        allowed = set(self.row.scope.split())
        return " ".join(s for s in (scope or "").split() if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.row.redirect_uris  # matched exactly

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(digest(client_secret), self.row.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == "client_secret_basic"

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.row.client_metadata.get("grant_types", [])


class _Code:
    """A stored code with its grant, as the grant asks about it."""

    def __init__(self, row: OAuthCode, grant: OAuthGrant) -> None:
        self.row, self.grant = row, grant
        self.code_challenge = row.code_challenge
        self.code_challenge_method = row.code_challenge_method

    def get_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope


class _Token:
    """A stored token with its grant, as the refresh and revocation endpoints ask."""

    def __init__(self, row: OAuthToken, grant: OAuthGrant) -> None:
        self.row, self.grant = row, grant

    def check_client(self, client: Client) -> bool:
        return self.grant.client_id == client.row.id

    def get_scope(self) -> str:
        return self.row.scope

    def is_revoked(self) -> bool:
        return self.row.revoked_at is not None


def _person(grant: OAuthGrant) -> Person | None:
    if grant.revoked_at is not None:
        return None
    person = get_session().get(Person, grant.person_id)
    return person if person is not None and person.active else None


class S256Required(CodeChallenge):  # type: ignore[misc]
    """PKCE for every client, confidential ones too, and only with S256."""

    SUPPORTED_CODE_CHALLENGE_METHOD: ClassVar[list[str]] = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send code_challenge (S256)")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("code_challenge_method must be S256")
        super().validate_code_challenge(grant, redirect_uri)


class CodeGrant(AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = _AUTH

    def save_authorization_code(self, code: str, request: Any) -> None:
        session = get_session()
        person: Person = request.user
        client: Client = request.client
        grant = session.scalar(
            select(OAuthGrant).where(
                OAuthGrant.client_id == client.row.id, OAuthGrant.person_id == person.id
            )
        )
        if grant is None:
            grant = OAuthGrant(
                client_id=client.row.id,
                organisation_id=person.organisation_id,
                person_id=person.id,
                scope="",
            )
            session.add(grant)
        # What the person allowed and has not revoked: earlier tokens keep their scopes.
        kept = grant.scope.split() if grant.revoked_at is None else []
        grant.scope = " ".join(dict.fromkeys([*kept, *request.scope.split()]))
        grant.revoked_at = None
        grant.updated_at = utcnow()
        session.flush()
        data = request.payload.data
        session.add(
            OAuthCode(
                code_hash=digest(code),
                grant_id=grant.id,
                redirect_uri=request.payload.redirect_uri,
                scope=request.scope,
                code_challenge=data["code_challenge"],
                code_challenge_method=data["code_challenge_method"],
                expires_at=utcnow() + CODE_LIFETIME,
            )
        )

    def query_authorization_code(self, code: str, client: Client) -> _Code | None:
        session = get_session()
        row = session.scalar(select(OAuthCode).where(OAuthCode.code_hash == digest(code)))
        if row is None:
            return None
        grant = session.get(OAuthGrant, row.grant_id)
        if grant is None or grant.client_id != client.row.id:
            return None
        # Spent by this attempt, whatever its outcome; one of two racing attempts wins.
        claimed = session.execute(
            update(OAuthCode)
            .where(OAuthCode.id == row.id, OAuthCode.used_at.is_(None))
            .values(used_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if not getattr(claimed, "rowcount", 0):
            # Used before: deny, and revoke every token that came of it (RFC 6749 4.1.2).
            revoke_tokens(session, OAuthToken.code_id == row.id)
            current_app.logger.warning("oauth: a used authorization code was presented again")
            return None
        if row.expires_at <= utcnow():
            return None
        return _Code(row, grant)

    def delete_authorization_code(self, authorization_code: _Code) -> None:
        pass  # already marked used when it was claimed

    def authenticate_user(self, authorization_code: _Code) -> Person | None:
        return _person(authorization_code.grant)


class RotatingRefresh(RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = _AUTH
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> _Token | None:
        session = get_session()
        row = session.scalar(
            select(OAuthToken).where(OAuthToken.refresh_hash == digest(refresh_token))
        )
        if row is None:
            return None
        grant = session.get(OAuthGrant, row.grant_id)
        assert grant is not None
        if row.revoked_at is not None:
            # A rotated refresh token used again: someone holds a copy. End the family.
            if row.code_id is not None:
                revoke_tokens(session, OAuthToken.code_id == row.code_id)
            return None
        expires = row.refresh_expires_at
        if grant.revoked_at is not None or expires is None or expires <= utcnow():
            return None
        return _Token(row, grant)

    def authenticate_user(self, refresh_token: _Token) -> Person | None:
        return _person(refresh_token.grant)

    def revoke_old_credential(self, refresh_token: _Token) -> None:
        refresh_token.row.revoked_at = utcnow()


class Revocation(RevocationEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS = _AUTH

    def query_token(self, token_string: str, token_type_hint: str | None) -> _Token | None:
        session = get_session()
        hashed = digest(token_string)
        row = session.scalar(
            select(OAuthToken).where(
                or_(OAuthToken.access_hash == hashed, OAuthToken.refresh_hash == hashed)
            )
        )
        if row is None:
            return None
        grant = session.get(OAuthGrant, row.grant_id)
        assert grant is not None
        return _Token(row, grant)

    def revoke_token(self, token: _Token, request: Any) -> None:
        # The access token and its refresh token live and die together.
        if token.row.revoked_at is None:
            token.row.revoked_at = utcnow()


def _query_client(client_id: str) -> Client | None:
    row = get_session().scalar(select(OAuthClient).where(OAuthClient.client_id == client_id))
    return Client(row) if row is not None else None


def _save_token(token: dict[str, Any], request: Any) -> None:
    now = utcnow()
    if request.payload.grant_type == "refresh_token":
        source: Any = request.refresh_token
        code_id = source.row.code_id
    else:
        source = request.authorization_code
        code_id = source.row.id
    refresh = token.get("refresh_token")
    get_session().add(
        OAuthToken(
            grant_id=source.grant.id,
            code_id=code_id,
            access_hash=digest(token["access_token"]),
            refresh_hash=digest(refresh) if refresh else None,
            scope=token.get("scope", ""),
            expires_at=now + ACCESS_TOKEN_LIFETIME,
            refresh_expires_at=now + REFRESH_TOKEN_LIFETIME if refresh else None,
        )
    )


def _random(length: int) -> Any:
    def generate(*_args: Any, **_kwargs: Any) -> str:
        return secrets.token_urlsafe(length)

    return generate


def init_app(app: Flask) -> None:
    # authlib logs issued tokens and PKCE verifiers at DEBUG: never let them reach a log,
    # whatever level the deployment runs at.
    logging.getLogger("authlib").setLevel(logging.INFO)
    server = AuthorizationServer(query_client=_query_client, save_token=_save_token)
    lifetime = int(ACCESS_TOKEN_LIFETIME.total_seconds())
    server.register_token_generator(
        "default",
        BearerTokenGenerator(_random(32), _random(32), lambda _client, _grant: lifetime),
    )
    server.register_grant(CodeGrant, [S256Required(required=True)])
    server.register_grant(RotatingRefresh)
    server.register_endpoint(Revocation)
    server.register_endpoint(Registration)
    app.extensions["badgeservice.oauth"] = server


def authorization_server() -> AuthorizationServer:
    """The application's authorization server."""
    server: AuthorizationServer = current_app.extensions["badgeservice.oauth"]
    return server
