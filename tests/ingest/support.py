"""The example organisation loaded into the test database, with an events client."""

from __future__ import annotations

import json
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from badgeservice.db import database, session_scope
from badgeservice.definitions.loader import load_definitions
from badgeservice.organisations.services import create_client, organisation_by_slug
from badgeservice.paths.models import Path as PathRow
from badgeservice.paths.models import SubGoal, Trigger
from badgeservice.webhooks import sign
from tests.conftest import ROOT


@dataclass
class Example:
    organisation_id: uuid.UUID
    client_id: str
    token: str
    secret: str
    admin: str
    activity: str
    connection: str
    sub_goal_id: uuid.UUID
    achievement_id: uuid.UUID

    @property
    def admin_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin}"}


def load_example(
    app: Any, tmp_path: Path, connection: str = "moodle", kind: str = "lms"
) -> Example:
    shutil.copytree(ROOT / "issuers", tmp_path / "issuers")
    keystore = app.extensions["badgeservice.keystore"]
    with app.test_request_context(), session_scope(database()) as session:
        list(load_definitions(session, tmp_path / "issuers", app))
        org = organisation_by_slug(session, "esimerkkiopisto")
        trigger = session.scalars(
            select(Trigger)
            .join(SubGoal)
            .join(PathRow)
            .where(
                PathRow.kind == "organisation",
                Trigger.kind == kind,
                Trigger.connection == connection,
            )
            .order_by(SubGoal.position)
        ).first()
        assert trigger is not None and trigger.activity
        events = create_client(
            session,
            org,
            name="lms",
            scopes=["events:write"],
            keystore=keystore,
            connection=connection,
        )
        admin = create_client(session, org, name="admin", scopes=["admin"], keystore=keystore)
        return Example(
            org.id,
            str(events.client.id),
            events.token,
            events.secret,
            admin.token,
            trigger.activity,
            connection,
            trigger.sub_goal_id,
            trigger.sub_goal.achievement_id,
        )


def completion(example: Example, event_id: str = "evt-1", **person: str) -> dict[str, Any]:
    return {
        "id": event_id,
        "time": "2026-11-20T10:00:00+00:00",
        "source": {"connection": example.connection},
        "person": person or {"employeeNumber": "E1001"},
        "activity": {"id": example.activity, "name": "Course"},
        "result": {"completion": True, "success": True, "score": {"scaled": 0.9}},
    }


def signed_headers(
    example: Example, body: bytes, message_id: str = "msg-1", timestamp: int | None = None
) -> dict[str, str]:
    stamp = int(time.time()) if timestamp is None else timestamp
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": sign(example.secret, message_id, stamp, body),
        "Content-Type": "application/json",
    }


def post_signed(client: Any, example: Example, event: dict[str, Any], **kwargs: Any) -> Any:
    body = json.dumps(event).encode()
    return client.post(
        f"/api/v1/events?client={example.client_id}",
        data=body,
        headers=signed_headers(example, body, **kwargs),
    )
