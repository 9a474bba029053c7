"""Competence reserve, holders and team overview API schemas."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from marshmallow import RAISE, Schema, fields, validate

from ...api import MAX_OFFSET, Ref
from .supervision import MAX_LATEST
from .targets import MAX_LEVEL, MAX_MONTHS

__all__ = [
    "HolderSchema",
    "HoldersQuery",
    "OverviewQuery",
    "ReserveQuery",
    "ReserveSchema",
    "TeamOverviewSchema",
]

# -- input -------------------------------------------------------------------------------


class ReserveQuery(Schema):
    class Meta:
        unknown = RAISE

    team = Ref("a team slug", metadata={"description": "only this team's targets and members"})
    months = fields.Integer(
        load_default=12,
        validate=validate.Range(min=0, max=MAX_MONTHS),
        metadata={"description": "trend points: the last N completed months (0: none)"},
    )


class HoldersQuery(Schema):
    class Meta:
        unknown = RAISE

    competence = Ref("framework-slug:code, e.g. digcomp22:4.2", shape=r"[^:]+:.+", required=True)
    min_level = fields.Integer(
        data_key="minLevel",
        load_default=0,
        validate=validate.Range(min=0, max=MAX_LEVEL),
        metadata={"description": "0 (default) also finds holdings that state no level"},
    )
    team = Ref("a team slug")
    valid_at = fields.Date(data_key="validAt")
    format = fields.String(validate=validate.OneOf(["json", "csv", "xlsx"]))
    separator = fields.String(load_default="comma", validate=validate.OneOf(["comma", "semicolon"]))
    # No default: JSON pages by 100, a CSV export has every row unless a limit is given.
    limit = fields.Integer(validate=validate.Range(min=1, max=1000))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_OFFSET))


class OverviewQuery(Schema):
    class Meta:
        unknown = RAISE

    since = fields.AwareDateTime(default_timezone=UTC)
    latest = fields.Integer(load_default=5, validate=validate.Range(min=0, max=MAX_LATEST))


# -- output ------------------------------------------------------------------------------


class TeamRefSchema(Schema):
    id = fields.UUID(required=True)
    slug = fields.String(required=True)
    name = fields.String(required=True)


class CompetenceRefSchema(Schema):
    id = fields.UUID(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)
    uri = fields.String(required=True)
    framework = fields.String(attribute="framework.slug", required=True)


class PathRefSchema(Schema):
    id = fields.UUID(required=True)
    slug = fields.String(required=True)
    kind = fields.String(required=True)
    name = fields.String(required=True)


class LevelCountSchema(Schema):
    level = fields.Integer(required=True)
    holders = fields.Integer(required=True)


class TrendPointSchema(Schema):
    month = fields.String(required=True, metadata={"description": "YYYY-MM"})
    at = fields.DateTime(
        required=True, metadata={"description": "the month's end: first instant of the next"}
    )
    reached = fields.Integer(required=True)
    share = fields.Float(required=True)


class TargetReserveSchema(Schema):
    """One target of a path with its population's holders."""

    id = fields.UUID(attribute="target.id", required=True)
    path = fields.Nested(PathRefSchema, required=True)
    team = fields.UUID(
        attribute="target.team_id",
        allow_none=True,
        metadata={"description": "the team the target is for (none: everyone)"},
    )
    competence = fields.Nested(CompetenceRefSchema, required=True)
    level = fields.Integer(attribute="target.level", required=True)
    target_share = fields.Float(attribute="target.share", data_key="targetShare", required=True)
    due = fields.Date(attribute="target.due", required=True)
    population = fields.Integer(required=True)
    holders = fields.Integer(attribute="holder_count", required=True)
    levels = fields.Method("_levels", metadata={"description": "holders by level"})
    reached = fields.Integer(
        required=True, metadata={"description": "holders at or above the target level"}
    )
    share = fields.Float(required=True, metadata={"description": "reached / population"})
    gap = fields.Integer(required=True, metadata={"description": "people still needed"})
    met = fields.Boolean(required=True)
    trend = fields.List(fields.Nested(TrendPointSchema))

    def _levels(self, item: Any) -> list[dict[str, int]]:
        return [{"level": n + 1, "holders": count} for n, count in enumerate(item.by_level)]


class ReserveSchema(Schema):
    team = fields.Nested(TeamRefSchema, allow_none=True)
    population = fields.Integer(required=True)
    at = fields.DateTime(required=True)
    targets = fields.List(fields.Nested(TargetReserveSchema))


class HolderSchema(Schema):
    id = fields.UUID(required=True)
    employee_number = fields.String(allow_none=True, data_key="employeeNumber")
    given_name = fields.String(allow_none=True, data_key="givenName")
    family_name = fields.String(allow_none=True, data_key="familyName")
    display_name = fields.String(data_key="displayName")
    email = fields.String(allow_none=True)
    teams = fields.List(fields.Nested(TeamRefSchema))
    level = fields.Integer(required=True)
    since = fields.DateTime(required=True)
    valid_until = fields.DateTime(allow_none=True, data_key="validUntil")


class PathProgressSchema(Schema):
    id = fields.UUID(required=True)
    slug = fields.String(required=True)
    kind = fields.String(required=True)
    name = fields.String(required=True)
    required_total = fields.Integer(data_key="requiredTotal", required=True)
    required_achieved = fields.Integer(data_key="requiredAchieved", required=True)
    share = fields.Float(metadata={"description": "share of required sub-goals achieved"})
    complete = fields.Boolean(required=True)


class LatestSchema(Schema):
    credential = fields.UUID(required=True)
    achievement = fields.UUID(required=True)
    name = fields.String(required=True)
    issued_at = fields.DateTime(data_key="issuedAt", required=True)
    revoked_at = fields.DateTime(data_key="revokedAt", allow_none=True)


class MemberOverviewSchema(Schema):
    id = fields.UUID(required=True)
    employee_number = fields.String(allow_none=True, data_key="employeeNumber")
    display_name = fields.String(data_key="displayName")
    email = fields.String(allow_none=True)
    active = fields.Boolean(required=True)
    roles = fields.List(fields.String())
    paths = fields.List(fields.Nested(PathProgressSchema))
    latest = fields.List(fields.Nested(LatestSchema))


class TeamOverviewSchema(Schema):
    """The supervisor's overview (serialised by hand in the view, for speed; the tests
    load every answer with this schema)."""

    team = fields.Nested(TeamRefSchema, required=True)
    generated_at = fields.DateTime(data_key="generatedAt", required=True)
    cursor = fields.DateTime(
        required=True, metadata={"description": "pass as `since` to get only later changes"}
    )
    since = fields.DateTime(allow_none=True)
    member_ids = fields.List(
        fields.UUID(),
        data_key="memberIds",
        metadata={"description": "the whole current membership, also with `since`"},
    )
    members = fields.List(fields.Nested(MemberOverviewSchema))
