"""Prerequisites: what a completion before them does is the path's choice — "accept" (the
default: the credential is issued, progress shows the sub-goal done out of order) or
"wait" (a manual award is refused with 409 naming what is missing; an LMS completion is
parked with the reason and processed as soon as the prerequisites are achieved)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

from tests.factories import API, completion, load_example, post_signed
from tests.factories import award_sub_goal as award
from tests.paths import test_progress
from tests.paths.test_progress import _progress

org = test_progress.org  # the same organisation fixture


def _goals(client: Any, org: SimpleNamespace) -> dict[str, dict[str, Any]]:
    path = _progress(client, org, org.aino)["trainer-media"]
    return {goal["slug"]: goal for goal in path["subGoals"]}


def test_accept_issues_and_shows_the_sub_goal_done_out_of_order(
    client: Any, org: SimpleNamespace
) -> None:
    video, editing = org.team["subGoals"]
    assert org.team["outOfOrder"] == "accept"
    award(client, org.tenant, editing["id"], org.aino["id"])  # before its prerequisite
    goals = _goals(client, org)
    assert (goals["editing"]["achieved"], goals["editing"]["outOfOrder"]) == (True, True)
    assert goals["video"]["outOfOrder"] is False
    award(client, org.tenant, video["id"], org.aino["id"])
    assert _goals(client, org)["editing"]["outOfOrder"] is False


def test_wait_refuses_a_manual_award_until_the_prerequisites_are_achieved(
    client: Any, org: SimpleNamespace
) -> None:
    video, editing = org.team["subGoals"]
    changed = client.patch(
        f"{API}/paths/{org.team['id']}", json={"outOfOrder": "wait"}, headers=org.tenant.headers
    )
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["outOfOrder"] == "wait"
    body = {"subGoal": editing["id"], "person": org.aino["id"]}
    early = client.post(f"{API}/awards", json=body, headers=org.tenant.headers)
    assert early.status_code == 409, early.get_json()
    assert early.get_json()["missing"] == ["video"]
    assert "video" in early.get_json()["detail"]
    assert _goals(client, org)["editing"]["achieved"] is False
    award(client, org.tenant, video["id"], org.aino["id"])
    late = client.post(f"{API}/awards", json=body, headers=org.tenant.headers)
    assert late.status_code == 201, late.get_json()


def test_wait_parks_an_lms_completion_until_its_prerequisite_arrives(
    app: Any, client: Any, tmp_path: Path
) -> None:
    example = load_example(app, tmp_path)
    headers = example.admin_headers
    path = client.patch(
        f"{API}/paths/trainers-digital-2027", json={"outOfOrder": "wait"}, headers=headers
    )
    assert path.status_code == 200
    trainer = {"employeeNumber": "E1003"}

    def send(event_id: str, activity: str) -> dict[str, Any]:
        event = completion(example, event_id, **trainer)
        event["activity"]["id"] = activity
        response = post_signed(client, example, event, message_id=f"msg-{event_id}")
        assert response.status_code == 202, response.get_json()
        return dict(response.get_json()["event"])

    # Course design (course:102) needs accessible materials (course:101) first.
    early = send("design", "course:102")
    assert early["state"] == "parked", early
    assert "accessible-materials" in early["reason"]
    assert early["credentials"] == []
    # The prerequisite arrives: it is issued, and the waiting completion with it.
    prerequisite = send("materials", "course:101")
    assert prerequisite["state"] == "processed"
    waited = client.get(f"{API}/events/{early['id']}", headers=headers).get_json()
    assert waited["state"] == "processed", waited
    assert len(waited["credentials"]) == 1
    progress = client.get(f"{API}/people/E1003/paths", headers=headers).get_json()["items"]
    goals = {
        goal["slug"]: goal
        for item in progress
        if item["slug"] == "trainers-digital-2027"
        for goal in item["subGoals"]
    }
    assert goals["moodle-course-design"]["achieved"] is True
    assert goals["moodle-course-design"]["outOfOrder"] is False
