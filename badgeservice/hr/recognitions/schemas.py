"""Schemas of the competence-event pull feed."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

__all__ = ["FeedPageSchema", "FeedQuery"]


class FeedQuery(Schema):
    """``after`` (a cursor from an earlier answer's ``next``) and ``limit``."""

    class Meta:
        unknown = RAISE

    after = fields.String(
        validate=validate.Length(min=1, max=200),
        metadata={"description": "the 'next' cursor of an earlier answer; omit to start"},
    )
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class FeedPageSchema(Schema):
    items = fields.List(
        fields.Dict(),
        required=True,
        metadata={
            "description": "competence events in feed order, each as in "
            "schemas/hr/competence-event.schema.json (the same objects the HR push sends)"
        },
    )
    next = fields.String(
        required=True,
        metadata={"description": "opaque cursor to continue from; the same one while idle"},
    )
