"""The service description document (``GET /ims/ob/v3p0/discovery``): the Open Badges
API's OpenAPI 3.0 document as the 1EdTech Security Framework profiles it — terms of
service, privacy policy, and the ``OAuth2ACG`` scheme with the registration,
authorization, token and refresh URLs and the four scopes."""

from __future__ import annotations

from typing import Any

from .. import __version__
from . import scopes

__all__ = ["BASE", "service_description"]

BASE = "/ims/ob/v3p0"
_PLAIN = {
    scopes.CREDENTIAL_READ: "Permission to read AchievementCredentials for the authenticated "
    "entity.",
    scopes.CREDENTIAL_UPSERT: "Permission to create or update AchievementCredentials for the "
    "authenticated entity.",
    scopes.PROFILE_READ: "Permission to read the profile for the authenticated entity.",
    scopes.PROFILE_UPDATE: "Permission to update the profile for the authenticated entity.",
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: str) -> dict[str, Any]:
    texts = {
        "400": "Bad request",
        "401": "No, an expired or a revoked access token",
        "403": "The access token lacks the operation's scope",
        "404": "Not found",
        "405": "Method not allowed",
        "415": "Unsupported media type",
        "500": "Internal error",
        "503": "Busy; try again after Retry-After",
    }
    return {status: _json(_ref("Imsx_StatusInfo"), texts[status]) for status in statuses}


def _paging_parameters() -> list[dict[str, Any]]:
    return [
        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1}},
        {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}},
        {"name": "since", "in": "query", "schema": {"type": "string", "format": "date-time"}},
    ]


_COMMON = ("400", "401", "403", "405", "500", "503")


def _stored(description: str) -> dict[str, Any]:
    """What upsertCredential answers: the credential as kept, JSON or a compact JWS."""
    return {
        "description": description,
        "content": {
            "application/json": {"schema": _ref("AchievementCredential")},
            "text/plain": {"schema": {"type": "string", "description": "A VC-JWT"}},
        },
    }


def _credentials_item() -> dict[str, Any]:
    paging = {
        "X-Total-Count": {"schema": {"type": "integer"}},
        "Link": {"schema": {"type": "string"}},
    }
    credential_body = {
        "required": True,
        "content": {
            "application/json": {"schema": _ref("AchievementCredential")},
            "text/plain": {"schema": {"type": "string"}},
        },
    }
    return {
        "get": {
            "operationId": "getCredentials",
            "tags": ["OpenBadgeCredentials"],
            "parameters": _paging_parameters(),
            "security": [{"OAuth2ACG": [scopes.CREDENTIAL_READ]}],
            "responses": {
                "200": {
                    **_json(_ref("GetOpenBadgeCredentialsResponse"), "The credentials"),
                    "headers": paging,
                },
                **_errors(*_COMMON),
            },
        },
        "post": {
            "operationId": "upsertCredential",
            "tags": ["OpenBadgeCredentials"],
            "requestBody": credential_body,
            "security": [{"OAuth2ACG": [scopes.CREDENTIAL_UPSERT]}],
            "responses": {
                "200": _stored("Replaced"),
                "201": _stored("Created"),
                **_errors(*_COMMON, "415"),
            },
        },
    }


def _profile_item() -> dict[str, Any]:
    return {
        "get": {
            "operationId": "getProfile",
            "tags": ["Profile"],
            "security": [{"OAuth2ACG": [scopes.PROFILE_READ]}],
            "responses": {
                "200": _json(_ref("Profile"), "The profile"),
                **_errors(*_COMMON, "404"),
            },
        },
        "put": {
            "operationId": "putProfile",
            "tags": ["Profile"],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("Profile")}},
            },
            "security": [{"OAuth2ACG": [scopes.PROFILE_UPDATE]}],
            "responses": {
                "200": _json(_ref("Profile"), "The profile"),
                **_errors(*_COMMON, "415"),
            },
        },
    }


def _paths() -> dict[str, Any]:
    return {
        "/credentials": _credentials_item(),
        "/profile": _profile_item(),
        "/discovery": {
            "get": {
                "operationId": "getServiceDescription",
                "tags": ["Discovery"],
                "security": [],
                "responses": {
                    "200": _json({"type": "object"}, "This document (OpenAPI 3.0)"),
                },
            }
        },
    }


def _schemas() -> dict[str, Any]:
    minor = {
        "type": "object",
        "required": ["imsx_codeMinorFieldName", "imsx_codeMinorFieldValue"],
        "properties": {
            "imsx_codeMinorFieldName": {"type": "string"},
            "imsx_codeMinorFieldValue": {"type": "string"},
        },
    }
    return {
        "AchievementCredential": {"type": "object", "additionalProperties": True},
        "Profile": {
            "type": "object",
            "required": ["id", "type"],
            "properties": {
                "id": {"type": "string", "format": "uri"},
                "type": {"type": "array", "items": {"type": "string"}},
                "name": {"type": "string"},
                "givenName": {"type": "string"},
                "familyName": {"type": "string"},
                "email": {"type": "string"},
            },
            "additionalProperties": True,
        },
        "GetOpenBadgeCredentialsResponse": {
            "type": "object",
            "properties": {
                "credential": {"type": "array", "items": _ref("AchievementCredential")},
                "compactJwsString": {"type": "array", "items": {"type": "string"}},
            },
        },
        "Imsx_StatusInfo": {
            "type": "object",
            "required": ["imsx_codeMajor", "imsx_severity"],
            "properties": {
                "imsx_codeMajor": {
                    "type": "string",
                    "enum": ["failure", "processing", "success", "unsupported"],
                },
                "imsx_severity": {"type": "string", "enum": ["error", "status", "warning"]},
                "imsx_description": {"type": "string"},
                "imsx_codeMinor": {
                    "type": "object",
                    "properties": {"imsx_codeMinorField": {"type": "array", "items": minor}},
                },
            },
        },
    }


def service_description(config: Any) -> dict[str, Any]:
    """The document for this deployment (its public URL and policies)."""
    public = str(config["PUBLIC_URL"])
    api = public + BASE
    return {
        "openapi": "3.0.1",
        "info": {
            "title": "badgeservice: Open Badges 3.0 API",
            "description": "The learner's credentials and profile, for backpacks, wallets "
            "and other hosts, after the learner's consent.",
            "version": __version__,
            "termsOfService": config.get("TERMS_URL") or public + "/",
            "x-imssf-privacyPolicyUrl": config.get("PRIVACY_URL") or public + "/",
        },
        "servers": [{"url": api, "description": "this deployment"}],
        "tags": [
            {"name": "OpenBadgeCredentials"},
            {"name": "Profile"},
            {"name": "Discovery"},
        ],
        "paths": _paths(),
        "components": {
            "securitySchemes": {
                "OAuth2ACG": {
                    "type": "oauth2",
                    "description": "OAuth 2.0 Authorization Code Grant with PKCE (S256)",
                    "x-imssf-registrationUrl": api + "/oauth/register",
                    "flows": {
                        "authorizationCode": {
                            "authorizationUrl": api + "/oauth/authorize",
                            "tokenUrl": api + "/oauth/token",
                            "refreshUrl": api + "/oauth/token",
                            "scopes": dict(_PLAIN),
                        }
                    },
                }
            },
            "schemas": _schemas(),
        },
    }
