"""Path API schemas: inputs load into the services' plain data."""

from __future__ import annotations

from typing import Any

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from ..api import Page, Ref, Translations
from ..people.schemas import SLUG, StrictBoolean, text_field
from .checks import MAX_SUB_GOALS
from .data import PathData, SubGoalData, TargetData, TriggerData
from .models import OUT_OF_ORDER, PATH_KINDS, TRIGGER_KINDS

__all__ = [
    "ApproveSchema",
    "InheritedSubGoalSchema",
    "PathInSchema",
    "PathListQuery",
    "PathPatchSchema",
    "PathSchema",
    "SubGoalInSchema",
    "SubGoalSchema",
    "TargetInSchema",
    "TargetSchema",
    "TriggerSchema",
]

LEVEL = validate.Range(min=1, max=8, error="must be a level from 1 to 8")


class TriggerSchema(Schema):
    """``lms``/``xapi`` name a connection and an activity; ``manual``/``evidence`` neither
    (then both are null)."""

    class Meta:
        unknown = RAISE

    kind = fields.String(required=True, validate=validate.OneOf(TRIGGER_KINDS))
    connection = fields.String(load_default=None, allow_none=True, validate=SLUG)
    activity = fields.String(
        load_default=None,
        allow_none=True,
        validate=[
            validate.Length(min=1, max=2000),
            validate.Regexp(r"^\S+\Z", error="must be an activity id without spaces"),
        ],
    )

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> TriggerData:
        return TriggerData(**data)


# The texts of paths and sub-goals in the API and as stored.
_PATH_TEXTS = {"name": "name", "description": "description"}
_GOAL_TEXTS = {"name": "name"}


class SubGoalInSchema(Schema):
    class Meta:
        unknown = RAISE

    slug = fields.String(required=True, validate=SLUG)
    name = text_field(300, required=True)
    achievement_id = Ref("an achievement slug", required=True, data_key="achievement")
    competence_id = Ref(
        "framework-slug:code", shape=r"[^:]+:.+", data_key="competence", allow_none=True
    )
    level = fields.Integer(allow_none=True, strict=True, validate=LEVEL)
    required = StrictBoolean()
    position = fields.Integer(strict=True, validate=validate.Range(min=0, max=100_000))
    prerequisites = fields.List(
        fields.String(validate=SLUG), validate=validate.Length(max=MAX_SUB_GOALS)
    )
    triggers = fields.List(fields.Nested(TriggerSchema), validate=validate.Length(max=50))
    texts = Translations(_GOAL_TEXTS, limit=300, data_key="translations")

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> SubGoalData:
        return SubGoalData(**data)


class TargetInSchema(Schema):
    class Meta:
        unknown = RAISE

    competence_id = Ref(
        "framework-slug:code", shape=r"[^:]+:.+", required=True, data_key="competence"
    )
    level = fields.Integer(required=True, strict=True, validate=LEVEL)
    share = fields.Float(
        required=True,
        validate=validate.Range(
            min=0,
            min_inclusive=False,
            max=1,
            error="must be above 0 and at most 1 (0.8 means 80 %)",
        ),
    )
    due = fields.Date(required=True)
    team_id = Ref("a team slug", data_key="team", allow_none=True)

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> TargetData:
        return TargetData(**data)


def OUT_OF_ORDER_FIELD() -> fields.String:  # noqa: N802 - used like a field class
    return fields.String(
        data_key="outOfOrder",
        validate=validate.OneOf(OUT_OF_ORDER),
        metadata={
            "description": "a completion before the sub-goal's prerequisites: accept "
            "(default: the credential is issued, progress shows it done out of order) or "
            "wait (held back until the prerequisites are achieved: an LMS event is parked, "
            "a manual award refused with 409)"
        },
    )


_SUB_GOALS = validate.Length(max=MAX_SUB_GOALS, error=f"at most {MAX_SUB_GOALS} sub-goals")


class PathInSchema(Schema):
    """A new path: ``team`` for kind team, ``person`` for kind individual, neither for kind
    organisation."""

    class Meta:
        unknown = RAISE

    slug = fields.String(required=True, validate=SLUG)
    kind = fields.String(required=True, validate=validate.OneOf(PATH_KINDS))
    name = text_field(300, required=True)
    description = fields.String(allow_none=True, validate=validate.Length(max=20_000))
    team_id = Ref("a team slug", data_key="team", allow_none=True)
    person_id = Ref("an employee number or e-mail", data_key="person", allow_none=True)
    achievement_id = Ref(
        "an achievement slug",
        data_key="achievement",
        allow_none=True,
        metadata={"description": "the path badge, issued when every required sub-goal is achieved"},
    )
    targets = fields.List(fields.Nested(TargetInSchema), validate=validate.Length(max=100))
    sub_goals = fields.List(
        fields.Nested(SubGoalInSchema), data_key="subGoals", validate=_SUB_GOALS
    )
    out_of_order = OUT_OF_ORDER_FIELD()
    texts = Translations(_PATH_TEXTS, data_key="translations")

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> PathData:
        return PathData(**data)


class PathPatchSchema(Schema):
    """Fields to change; ``subGoals`` replaces the sub-goals (matched by slug, so kept ones
    keep their ids), ``addSubGoals`` appends."""

    class Meta:
        unknown = RAISE

    name = text_field(300)
    description = fields.String(allow_none=True, validate=validate.Length(max=20_000))
    achievement_id = Ref("an achievement slug", data_key="achievement", allow_none=True)
    targets = fields.List(fields.Nested(TargetInSchema), validate=validate.Length(max=100))
    sub_goals = fields.List(
        fields.Nested(SubGoalInSchema), data_key="subGoals", validate=_SUB_GOALS
    )
    add_sub_goals = fields.List(
        fields.Nested(SubGoalInSchema), data_key="addSubGoals", validate=_SUB_GOALS
    )
    out_of_order = OUT_OF_ORDER_FIELD()
    texts = Translations(_PATH_TEXTS, data_key="translations")

    @validates_schema
    def _check(self, data: dict[str, Any], **_: Any) -> None:
        if not data:
            raise ValidationError("give at least one field to change", "_schema")
        if "sub_goals" in data and "add_sub_goals" in data:
            raise ValidationError("give subGoals (replace all) or addSubGoals, not both", "_schema")


class ApproveSchema(Schema):
    class Meta:
        unknown = RAISE

    supervisor = Ref(
        "an employee number or e-mail",
        required=True,
        metadata={"description": "a person who supervises one of the path person's teams"},
    )


class PathListQuery(Page):
    class Meta:
        unknown = RAISE

    kind = fields.String(validate=validate.OneOf(PATH_KINDS))
    team = Ref("a team slug", metadata={"description": "the paths of this team"})
    person = Ref("an employee number or e-mail", metadata={"description": "this person's paths"})


# -- output ----------------------------------------------------------------------------


class TargetSchema(Schema):
    competence = fields.UUID(required=True)
    level = fields.Integer(required=True)
    share = fields.Float(required=True)
    due = fields.Date(required=True)
    team = fields.UUID(allow_none=True)
    position = fields.Integer()


class SubGoalSchema(Schema):
    id = fields.UUID(required=True)
    slug = fields.String(required=True)
    name = fields.String(required=True)
    achievement = fields.UUID(required=True)
    competence = fields.UUID(allow_none=True)
    level = fields.Integer(allow_none=True)
    position = fields.Integer(required=True)
    required = fields.Boolean(required=True)
    prerequisites = fields.List(
        fields.String(),
        metadata={"description": "slugs of sub-goals of the same path to achieve first"},
    )
    triggers = fields.List(fields.Nested(TriggerSchema))
    texts = Translations(_GOAL_TEXTS, data_key="translations")


class InheritedSubGoalSchema(SubGoalSchema):
    path = fields.UUID(required=True, metadata={"description": "the path that defines it"})


class PathSchema(Schema):
    id = fields.UUID(required=True)
    slug = fields.String(required=True)
    kind = fields.String(required=True)
    name = fields.String(required=True)
    description = fields.String(allow_none=True)
    team = fields.UUID(allow_none=True)
    person = fields.UUID(allow_none=True)
    achievement = fields.UUID(allow_none=True)
    approved_by = fields.UUID(allow_none=True, data_key="approvedBy")
    approved_at = fields.DateTime(allow_none=True, data_key="approvedAt")
    out_of_order = fields.String(
        required=True, data_key="outOfOrder", validate=validate.OneOf(OUT_OF_ORDER)
    )
    created_at = fields.DateTime(data_key="createdAt")
    texts = Translations(_PATH_TEXTS, data_key="translations")
    targets = fields.List(fields.Nested(TargetSchema))
    sub_goals = fields.List(fields.Nested(SubGoalSchema), data_key="subGoals")
    inherited = fields.List(
        fields.Nested(InheritedSubGoalSchema),
        metadata={
            "description": "individual paths: the required sub-goals of the person's "
            "organisation and team paths (in GET /paths/{id} only)"
        },
    )
