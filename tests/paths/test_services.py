"""The path services called with plain data, as the organisation-definition loader does."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from badgeservice.db import Outcome, database, session_scope
from badgeservice.errors import BadRequest, Conflict
from badgeservice.paths.data import PathData, SubGoalData, TriggerData
from badgeservice.paths.services import approve_individual_path, upsert_path
from badgeservice.people.services import PersonData, create_person
from badgeservice.people.teams import MemberData, TeamData
from badgeservice.people.teams import create_team as create_team_service
from tests.factories import seed_achievements


def test_upsert_path_creates_then_updates(app: Any, make_tenant: Any) -> None:
    tenant = make_tenant("acme")
    ids = {k: uuid.UUID(v) for k, v in seed_achievements(app, tenant, "a", "b").items()}
    org = tenant.organisation_id
    lms = TriggerData("lms", "moodle", "course:7")
    first = PathData(
        slug="basics",
        kind="organisation",
        name="Basics",
        sub_goals=(SubGoalData("a", "A", ids["a"], triggers=(lms,)),),
    )
    with app.app_context(), session_scope(database()) as session:
        path, outcome = upsert_path(session, org, first)
        assert outcome == Outcome.CREATED
        goal_id = path.sub_goals[0].id
    second = PathData(
        slug="basics",
        kind="organisation",
        name="Basics 2",
        sub_goals=(
            SubGoalData("a", "A", ids["a"], triggers=(lms,)),
            SubGoalData("b", "B", ids["b"], prerequisites=("a",)),
        ),
    )
    with app.app_context(), session_scope(database()) as session:
        path, outcome = upsert_path(session, org, second)
        assert outcome == Outcome.UPDATED
        assert path.name == "Basics 2"
        assert [g.slug for g in path.sub_goals] == ["a", "b"]
        assert path.sub_goals[0].id == goal_id
        assert [(t.kind, t.connection, t.activity) for t in path.sub_goals[0].triggers] == [
            ("lms", "moodle", "course:7")
        ]
        assert [p.slug for p in path.sub_goals[1].prerequisites] == ["a"]
        trigger_id = path.sub_goals[0].triggers[0].id
    with app.app_context(), session_scope(database()) as session:
        path, outcome = upsert_path(session, org, second)
        assert outcome == Outcome.UNCHANGED
        assert path.sub_goals[0].triggers[0].id == trigger_id  # kept, not rewritten
    with app.app_context(), session_scope(database()) as session:
        with pytest.raises(Conflict, match="another kind"):
            upsert_path(session, org, PathData(slug="basics", kind="team", name="Basics"))
        with pytest.raises(BadRequest) as error:
            upsert_path(
                session,
                org,
                PathData(
                    slug="other",
                    kind="organisation",
                    name="Other",
                    sub_goals=(
                        SubGoalData("x", "X", uuid.uuid4(), triggers=(TriggerData("lms"),)),
                    ),
                ),
            )
        assert set(error.value.extensions["errors"]["subGoals"]["0"]) == {"achievement", "triggers"}


def test_approve_with_plain_data(app: Any, make_tenant: Any) -> None:
    tenant = make_tenant("acme")
    org = tenant.organisation_id
    when = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
    with app.app_context(), session_scope(database()) as session:
        aino = create_person(session, org, PersonData(employee_number="E-1"))
        sami = create_person(session, org, PersonData(employee_number="E-2"))
        create_team_service(
            session,
            org,
            TeamData(
                "trainers",
                "Trainers",
                members=(MemberData(aino.id), MemberData(sami.id, "supervisor")),
            ),
        )
        path, _ = upsert_path(
            session, org, PathData(slug="aino", kind="individual", name="Aino", person_id=aino.id)
        )
        approve_individual_path(session, path, sami.id, at=when)
        assert (path.approved_by_id, path.approved_at) == (sami.id, when)
        with pytest.raises(Conflict, match="approved already"):
            approve_individual_path(session, path, sami.id)
