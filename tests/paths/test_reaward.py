"""Re-awards: a sub-goal whose credential was revoked or has expired can be reached again
(a new credential, a new occurrence), path progress follows the valid credential, and a
retried request or a replayed event still gets the same credential."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import update

from badgeservice.db import database, session_scope, utcnow
from badgeservice.issuing.models import Credential
from tests.factories import API, load_example, post_signed
from tests.factories import award_sub_goal as award
from tests.factories import completion as completion_event
from tests.paths import test_progress
from tests.paths.test_progress import _achieved, _progress

org = test_progress.org  # the same organisation fixture


def _revoke(client: Any, org: SimpleNamespace, credential_id: str) -> None:
    response = client.post(
        f"{API}/credentials/{credential_id}/revoke",
        json={"reason": "issued by mistake"},
        headers=org.tenant.headers,
    )
    assert response.status_code == 200, response.get_json()


def _award(client: Any, org: SimpleNamespace, goal: dict[str, Any]) -> Any:
    return client.post(
        f"{API}/awards",
        headers=org.tenant.headers,
        json={"subGoal": goal["id"], "person": org.aino["id"]},
    )


def test_a_revoked_sub_goal_is_awarded_again_as_a_new_credential(
    client: Any,
    org: SimpleNamespace,
) -> None:
    video = org.team["subGoals"][0]
    first = award(client, org.tenant, video["id"], org.aino["id"])
    _revoke(client, org, first["id"])
    assert _achieved(_progress(client, org, org.aino)["trainer-media"])["video"] is False

    again = _award(client, org, video)
    assert again.status_code == 201, again.get_json()
    second = again.get_json()
    assert second["id"] != first["id"]
    assert second["status"] == "active"
    assert second["credential"]["id"] != first["credential"]["id"]
    assert _achieved(_progress(client, org, org.aino)["trainer-media"])["video"] is True

    # A retry of the same request gets the same (valid) credential.
    retried = _award(client, org, video)
    assert (retried.status_code, retried.get_json()["id"]) == (200, second["id"])
    listed = client.get(
        f"{API}/credentials?person={org.aino['id']}", headers=org.tenant.headers
    ).get_json()["items"]
    assert sorted(c["status"] for c in listed) == ["active", "revoked"]


def test_an_expired_sub_goal_is_awarded_again(
    app: Any,
    client: Any,
    org: SimpleNamespace,
) -> None:
    video = org.team["subGoals"][0]
    first = award(client, org.tenant, video["id"], org.aino["id"])
    with app.app_context(), session_scope(database()) as session:
        session.execute(
            update(Credential)
            .where(Credential.id == uuid.UUID(first["id"]))
            .values(valid_until=utcnow() - timedelta(days=1))
        )
    assert _achieved(_progress(client, org, org.aino)["trainer-media"])["video"] is False
    again = _award(client, org, video)
    assert again.status_code == 201, again.get_json()
    assert again.get_json()["id"] != first["id"]
    assert _achieved(_progress(client, org, org.aino)["trainer-media"])["video"] is True


def test_a_path_badge_follows_the_path_being_completed_again(
    client: Any,
    org: SimpleNamespace,
) -> None:
    video, editing = org.team["subGoals"]
    award(client, org.tenant, video["id"], org.aino["id"])
    done = award(client, org.tenant, editing["id"], org.aino["id"])
    (badge,) = done["pathCredentials"]

    # The path's badge is still valid: re-earning a sub-goal issues no second badge.
    _revoke(client, org, done["id"])
    again = _award(client, org, editing).get_json()
    assert again["pathCredentials"] == []

    # Revoked, it stays revoked whatever else is awarded ...
    _revoke(client, org, badge["id"])
    other = _award(client, org, org.organisation["subGoals"][0]).get_json()
    assert [b["path"] for b in other["pathCredentials"]] == [org.organisation["id"]]
    assert _progress(client, org, org.aino)["trainer-media"]["complete"] is True
    # ... until the path is completed again.
    _revoke(client, org, again["id"])
    assert _progress(client, org, org.aino)["trainer-media"]["complete"] is False
    last = _award(client, org, editing).get_json()
    assert [(b["path"], b["status"]) for b in last["pathCredentials"]] == [
        (org.team["id"], "active")
    ]
    assert last["pathCredentials"][0]["id"] != badge["id"]


def test_a_replayed_event_keeps_its_credential(app: Any, client: Any, tmp_path: Path) -> None:
    example = load_example(app, tmp_path)
    assert post_signed(client, example, completion_event(example, "evt-1")).status_code == 202
    events = client.get("/api/v1/events", headers=example.admin_headers).get_json()["items"]
    (event,) = events
    assert event["state"] == "processed", event
    (credential_id,) = event["credentials"]
    revoked = client.post(
        f"/api/v1/credentials/{credential_id}/revoke",
        json={"reason": "mistake"},
        headers=example.admin_headers,
    )
    assert revoked.status_code == 200
    replayed = client.post(
        f"/api/v1/events/{event['id']}/replay", headers=example.admin_headers
    ).get_json()
    assert replayed["credentials"] == [credential_id]
    # A new event (a new completion) reaches the sub-goal again.
    post_signed(client, example, completion_event(example, "evt-2"), message_id="msg-2")
    events = client.get("/api/v1/events", headers=example.admin_headers).get_json()["items"]
    newer = next(e for e in events if e["id"] != event["id"])
    assert newer["state"] == "processed"
    assert len(newer["credentials"]) == 1 and newer["credentials"] != [credential_id]
