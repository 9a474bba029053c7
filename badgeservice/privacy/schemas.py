"""The personal-data API's bodies."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

__all__ = ["ErasureInSchema", "ErasureReportSchema"]


class ErasureInSchema(Schema):
    class Meta:
        unknown = RAISE

    confirm = fields.String(
        required=True,
        validate=validate.Length(min=1, max=400),
        metadata={"description": "the person's employee number or full name, typed again"},
    )


class ErasureReportSchema(Schema):
    person_id = fields.String(required=True, data_key="personId")
    erased_at = fields.DateTime(required=True, data_key="erasedAt")
    removed = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        required=True,
        metadata={"description": "what was removed or anonymised → how many rows"},
    )
    kept = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        required=True,
        metadata={"description": "what was kept → why"},
    )
    hr_event_id = fields.String(
        required=True,
        allow_none=True,
        data_key="hrEventId",
        metadata={"description": "the person.erased event queued for HR"},
    )
