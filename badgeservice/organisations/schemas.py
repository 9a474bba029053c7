"""Organisation API schemas."""

from __future__ import annotations

from marshmallow import Schema, fields

__all__ = ["OrganisationSchema"]


class OrganisationSchema(Schema):
    id = fields.UUID(required=True)
    slug = fields.String(required=True)
    name = fields.String(required=True)
    url = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    nquads_ordering = fields.String(
        data_key="nquadsOrdering",
        metadata={
            "enum": ["refuse", "code-point", "utf-16"],
            "description": "How credentials are signed when code-point and UTF-16 order of "
            "their canonical statements differ (organisation.toml).",
        },
    )
    created_at = fields.DateTime(data_key="createdAt")
