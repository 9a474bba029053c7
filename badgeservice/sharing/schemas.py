"""The sharing API's bodies."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

__all__ = ["SharingSchema", "SharingUpdateSchema"]


class SharingUpdateSchema(Schema):
    class Meta:
        unknown = RAISE

    visibility = fields.String(required=True, validate=validate.OneOf(["private", "public"]))
    show_name = fields.Boolean(required=True, data_key="showName")


class SharingSchema(Schema):
    credential = fields.UUID(required=True)
    visibility = fields.String(required=True, validate=validate.OneOf(["private", "public"]))
    show_name = fields.Boolean(required=True, data_key="showName")
    page = fields.String(
        required=True,
        metadata={"description": "the credential's URL; a browser opening it sees the page"},
    )
    updated_at = fields.DateTime(allow_none=True, required=True, data_key="updatedAt")
