"""The attributes this server supports, and the discovery documents built from them.

One definition serves three readers: the ``/Schemas`` document (RFC 7643 §7), the PATCH
engine (which needs to know what is complex or multi-valued) and the normalisation of
request bodies (attribute names are case-insensitive; the canonical spelling is kept).
Attributes of the RFC's core User and enterprise schemas that are not stored here
(``phoneNumbers``, ``password``, ``costCenter`` …) are listed in ``ignored``: an IdP may send
them and they are accepted without effect, while a name that no schema knows is an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .filters import CORE_GROUP, CORE_USER, ENTERPRISE_USER

__all__ = [
    "CORE_GROUP",
    "CORE_USER",
    "ENTERPRISE_USER",
    "GROUP",
    "LIST_RESPONSE",
    "MAX_RESULTS",
    "PATCH_OP",
    "USER",
    "Attribute",
    "ResourceType",
    "resource_types",
    "schemas_documents",
    "service_provider_config",
]

LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
MAX_RESULTS = 200


@dataclass(frozen=True)
class Attribute:
    name: str
    type: str = "string"
    description: str = ""
    multi_valued: bool = False
    required: bool = False
    case_exact: bool = False
    mutability: str = "readWrite"
    returned: str = "default"
    uniqueness: str = "none"
    sub_attributes: tuple[Attribute, ...] = ()
    reference_types: tuple[str, ...] = ()

    @property
    def is_complex(self) -> bool:
        return self.type == "complex"

    def sub(self, name: str) -> Attribute | None:
        return next((a for a in self.sub_attributes if a.name.lower() == name.lower()), None)

    def document(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "multiValued": self.multi_valued,
            "description": self.description,
            "required": self.required,
            "caseExact": self.case_exact,
            "mutability": self.mutability,
            "returned": self.returned,
            "uniqueness": self.uniqueness,
        }
        if self.sub_attributes:
            body["subAttributes"] = [a.document() for a in self.sub_attributes]
        if self.reference_types:
            body["referenceTypes"] = list(self.reference_types)
        return body


@dataclass(frozen=True)
class Schema:
    id: str
    name: str
    description: str
    attributes: tuple[Attribute, ...]
    # Names (lower case) of the RFC's attributes that are accepted and not stored.
    ignored: frozenset[str] = frozenset()

    def attribute(self, name: str) -> Attribute | None:
        return next((a for a in self.attributes if a.name.lower() == name.lower()), None)


@dataclass(frozen=True)
class ResourceType:
    name: str
    endpoint: str
    schema: Schema
    extensions: tuple[Schema, ...] = ()
    # Common attributes (RFC 7643 §3.1) the resource stores besides its schema's.
    common: tuple[Attribute, ...] = field(default=())

    def schema_for(self, urn: str | None) -> Schema | None:
        if urn is None or urn == self.schema.id:
            return self.schema
        return next((s for s in self.extensions if s.id == urn), None)


def _text(name: str, description: str, **kwargs: Any) -> Attribute:
    return Attribute(name, "string", description, **kwargs)


EXTERNAL_ID = _text(
    "externalId", "The IdP's identifier of the resource.", case_exact=True, uniqueness="server"
)

_USER_SCHEMA = Schema(
    CORE_USER,
    "User",
    "A person of the organisation (a learner or employee).",
    (
        _text(
            "userName",
            "Unique login name within the organisation (case-insensitive).",
            required=True,
            uniqueness="server",
        ),
        Attribute(
            "name",
            "complex",
            "The person's name.",
            sub_attributes=(
                _text("givenName", "Given name."),
                _text("familyName", "Family name."),
                _text(
                    "formatted",
                    "Full name; derived from givenName and familyName (a value sent is not "
                    "stored).",
                ),
            ),
        ),
        _text(
            "displayName",
            "Name to display; derived from the name (a value sent is not stored).",
        ),
        _text("title", "Job title."),
        _text(
            "preferredLanguage",
            "The language the person's badges are issued in: a language tag (fi, sv-FI) or "
            "a list such as 'sv-FI, en;q=0.8', of which the most preferred is stored.",
        ),
        Attribute("active", "boolean", "Whether the person is active."),
        Attribute(
            "emails",
            "complex",
            "E-mail addresses. One is stored: the primary one, else the work one, else the "
            "first; it must be unique in the organisation.",
            multi_valued=True,
            sub_attributes=(
                _text("value", "The address."),
                _text("type", "work, home or other.", case_exact=False),
                Attribute("primary", "boolean", "The preferred address."),
                _text("display", "Display form (not stored)."),
            ),
        ),
    ),
    frozenset(
        {
            "nickname",
            "profileurl",
            "usertype",
            "locale",
            "timezone",
            "password",
            "phonenumbers",
            "ims",
            "photos",
            "addresses",
            "groups",
            "entitlements",
            "roles",
            "x509certificates",
            "name.middlename",
            "name.honorificprefix",
            "name.honorificsuffix",
        }
    ),
)

_ENTERPRISE_SCHEMA = Schema(
    ENTERPRISE_USER,
    "EnterpriseUser",
    "Enterprise User: the HR key, department and reporting line.",
    (
        _text(
            "employeeNumber",
            "The HR system's key of the person; unique in the organisation.",
            case_exact=True,
            uniqueness="server",
        ),
        _text("department", "Department name."),
        Attribute(
            "manager",
            "complex",
            "The person's manager. value is the manager's id here, or (until the manager is "
            "provisioned) the manager's externalId, employeeNumber or userName: the reference "
            "is resolved when that user arrives. Managers supervise the teams of their "
            "reports.",
            sub_attributes=(
                Attribute("value", "string", "The manager's id.", case_exact=True),
                Attribute(
                    "$ref",
                    "reference",
                    "URI of the manager's User resource.",
                    mutability="readOnly",
                    reference_types=("User",),
                ),
                _text("displayName", "The manager's display name.", mutability="readOnly"),
            ),
        ),
    ),
    frozenset({"costcenter", "organization", "division", "manager.displayname", "manager.$ref"}),
)

_GROUP_SCHEMA = Schema(
    CORE_GROUP,
    "Group",
    "A team of the organisation. Its supervisors are the managers of its members.",
    (
        _text("displayName", "The team's name.", required=True),
        Attribute(
            "members",
            "complex",
            "The team's members (users; nested groups are not supported).",
            multi_valued=True,
            sub_attributes=(
                Attribute("value", "string", "The member's id.", case_exact=True),
                Attribute(
                    "$ref",
                    "reference",
                    "URI of the member's User resource.",
                    mutability="readOnly",
                    reference_types=("User",),
                ),
                _text("display", "The member's display name.", mutability="readOnly"),
                _text("type", "Always User.", mutability="immutable"),
            ),
        ),
    ),
    frozenset({"members.display", "members.$ref"}),
)

USER = ResourceType("User", "/Users", _USER_SCHEMA, (_ENTERPRISE_SCHEMA,), (EXTERNAL_ID,))
GROUP = ResourceType("Group", "/Groups", _GROUP_SCHEMA, (), (EXTERNAL_ID,))


def _meta(base: str, resource_type: str, path: str) -> dict[str, str]:
    return {"resourceType": resource_type, "location": f"{base}{path}"}


def service_provider_config(base: str) -> dict[str, Any]:
    """``/ServiceProviderConfig`` (RFC 7643 §5)."""
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "documentationUri": "https://datatracker.ietf.org/doc/html/rfc7644",
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": False},
        "sort": {"supported": False},
        "etag": {"supported": True},
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "OAuth Bearer Token",
                "description": "A bearer token of an API client with the scope 'scim' "
                "(badgeservice clients create --organisation SLUG --scopes scim).",
                "specUri": "https://www.rfc-editor.org/info/rfc6750",
                "primary": True,
            }
        ],
        "meta": _meta(base, "ServiceProviderConfig", "/ServiceProviderConfig"),
    }


def resource_types(base: str) -> list[dict[str, Any]]:
    """The ``/ResourceTypes`` documents (RFC 7643 §6)."""
    documents = []
    for resource in (USER, GROUP):
        document: dict[str, Any] = {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": resource.name,
            "name": resource.name,
            "endpoint": resource.endpoint,
            "description": resource.schema.description,
            "schema": resource.schema.id,
            "schemaExtensions": [{"schema": s.id, "required": False} for s in resource.extensions],
            "meta": _meta(base, "ResourceType", f"/ResourceTypes/{resource.name}"),
        }
        documents.append(document)
    return documents


def schemas_documents(base: str) -> list[dict[str, Any]]:
    """The ``/Schemas`` documents (RFC 7643 §7) of what is supported."""
    seen: dict[str, dict[str, Any]] = {}
    for resource in (USER, GROUP):
        for schema in (resource.schema, *resource.extensions):
            attributes = list(schema.attributes)
            if schema is resource.schema:
                attributes.extend(resource.common)
            seen[schema.id] = {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
                "id": schema.id,
                "name": schema.name,
                "description": schema.description,
                "attributes": [a.document() for a in attributes],
                "meta": _meta(base, "Schema", f"/Schemas/{schema.id}"),
            }
    return list(seen.values())


def lookup(documents: list[dict[str, Any]], key: str, value: str) -> Mapping[str, Any] | None:
    """The document whose ``key`` is ``value`` (``/Schemas/{id}``, ``/ResourceTypes/{id}``)."""
    return next((d for d in documents if str(d.get(key, "")).lower() == value.lower()), None)


__all__ += ["Schema", "lookup"]
