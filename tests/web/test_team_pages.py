"""The supervisor's pages through the real application: my teams, one team live (its rows
change after a completion, an unchanged poll is a 304), approving and returning a
member's own path with its history, awarding a step by hand with evidence; and who may
see what (a supervisor only their own teams, a learner none)."""

from __future__ import annotations

import re
from typing import Any

from tests.web.conftest import Org, form_token, signed_in
from tests.web.test_public_pages import BROWSER, Example, award, page, text_of


def _team_id(client: Any, name: str = "Trainers") -> str:
    html = page(client, "/o/acme/teams")
    found = re.search(rf'href="/o/acme/teams/([0-9a-f-]+)"><span class="card-title">{name}', html)
    assert found, "the team is listed"
    return found.group(1)


def _ask_approval(web_app: Any, acme: Org, provider: Any) -> None:
    """Aino adds an optional goal to her own path and asks for approval."""
    aino = signed_in(web_app, acme, provider)
    html = page(aino, "/o/acme/path")
    slug = re.findall(r'<option value="([^"]+)">', html.split('id="add-goal"')[1])[0]
    aino.post("/o/acme/path/goals", data={"csrf_token": form_token(html), "achievement": slug})
    added = page(aino, "/o/acme/path")
    asked = aino.post("/o/acme/path/approval", data={"csrf_token": form_token(added)})
    assert asked.status_code == 303


def test_the_team_page_lists_members_and_follows_a_completion(
    web_app: Any, acme: Org, provider: Any
) -> None:
    example = Example(acme.token, acme.token)
    mikko = signed_in(web_app, acme, provider, "mikko")
    team = _team_id(mikko)
    html = page(mikko, f"/o/acme/teams/{team}")
    words = text_of(html)
    assert "Aino Virtanen" in words and "Juha Nieminen" in words
    assert "Mikko Laaksonen" not in words.split("Members", 1)[1]  # the supervisor is not a row
    assert "No progress for 4 weeks" in words  # nobody has a badge yet
    assert "Refresh to see the latest" in words  # the page without JavaScript
    assert re.search(r'<svg class="progress"[^>]*role="img" aria-label="[^"]+"', html)
    assert "The team&#39;s targets" in html or "The team's targets" in words
    cursor = re.search(r'data-cursor="([^"]+)"', html)
    live = re.search(r'data-live="([^"]+)"', html)
    assert cursor and live
    address = live.group(1).replace("&amp;", "&") + "&since=" + cursor.group(1).replace("+", "%2B")
    first = mikko.get(address)
    assert first.status_code == 200 and first.is_json
    on_page = dict(re.findall(r'<tr id="member-([0-9a-f-]+)" data-digest="([0-9a-f]+)"', html))
    # A member changed shortly before the cursor may come again (never missed), unchanged.
    assert {i: r["digest"] for i, r in first.get_json()["rows"].items()}.items() <= on_page.items()
    assert mikko.get(address, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304

    award(mikko, example, "data-protection", "E1003")
    changed = mikko.get(address, headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200
    rows = changed.get_json()["rows"]
    different = [r for i, r in rows.items() if on_page[i] != r["digest"]]
    assert [r["name"] for r in different] == ["Aino Virtanen"]
    assert "Progressing" in different[0]["html"] and "No badges yet" not in different[0]["html"]
    again = mikko.get(address, headers={"If-None-Match": changed.headers["ETag"]})
    assert again.status_code == 304
    assert mikko.get(live.group(1).replace("&amp;", "&")).status_code == 400  # no cursor


def test_a_supervisor_sees_only_their_own_teams_and_a_learner_none(
    web_app: Any, acme: Org, provider: Any
) -> None:
    mikko = signed_in(web_app, acme, provider, "mikko")
    mine = _team_id(mikko)
    helena = signed_in(web_app, acme, provider, "helena")
    management = _team_id(helena, "Management")
    aino = signed_in(web_app, acme, provider)
    signed_out = web_app.test_client()
    for suffix in ("", "/live?since=2026-01-01T00:00:00%2B00:00", "/award"):
        answer = signed_out.get(f"/o/acme/teams/{mine}{suffix}", headers={"Accept": BROWSER})
        assert answer.status_code == 303
        assert "/o/acme/sign-in?next=" in answer.headers["Location"]
        page(mikko, f"/o/acme/teams/{management}{suffix}", status=404)
        page(helena, f"/o/acme/teams/{mine}{suffix}", status=404)
        page(aino, f"/o/acme/teams/{mine}{suffix}", status=403)
    page(aino, "/o/acme/teams", status=403)
    page(mikko, "/o/acme/teams/no-such-team", status=404)
    assert "Aino Virtanen" in text_of(page(mikko, f"/o/acme/teams/{mine}"))
    assert "My teams" not in text_of(page(aino, "/o/acme/home")).split("Welcome")[0]


def test_return_then_approve_a_members_own_path_with_its_history(
    web_app: Any, acme: Org, provider: Any
) -> None:
    _ask_approval(web_app, acme, provider)
    mikko = signed_in(web_app, acme, provider, "mikko")
    team = _team_id(mikko)
    html = page(mikko, f"/o/acme/teams/{team}")
    assert "1 path waits for your approval" in text_of(html)
    link = re.search(rf'href="(/o/acme/teams/{team}/paths/[0-9a-f-]+)">Aino Virtanen', html)
    assert link, "the queue links to the path"
    review = page(mikko, link.group(1))
    assert "Approval asked" in text_of(review)
    token = form_token(review)
    refused = mikko.post(link.group(1), data={"csrf_token": token, "decision": "return"})
    assert refused.status_code == 400  # returning needs a comment
    returned = mikko.post(
        link.group(1),
        data={"csrf_token": token, "decision": "return", "comment": "Add a goal on AI, please."},
    )
    assert returned.status_code == 303 and "decided=return" in returned.headers["Location"]
    assert "waits for your approval" not in text_of(page(mikko, f"/o/acme/teams/{team}"))
    told = text_of(page(signed_in(web_app, acme, provider), "/o/acme/path"))
    assert "Mikko Laaksonen returned your path" in told and "Add a goal on AI, please." in told
    _ask_approval(web_app, acme, provider)
    approved = mikko.post(
        link.group(1), data={"csrf_token": token, "decision": "approve", "comment": "Good plan."}
    )
    assert approved.status_code == 303
    history = text_of(page(mikko, link.group(1)))
    assert history.count("Approval asked") == 2
    assert "Returned" in history and "Add a goal on AI, please." in history
    assert "Good plan." in history and "Approved on" in history
    again = mikko.post(link.group(1), data={"csrf_token": token, "decision": "approve"})
    assert again.status_code == 409  # approved already
    aino = signed_in(web_app, acme, provider)
    assert "Approved on" in text_of(page(aino, "/o/acme/path"))


def test_award_a_step_by_hand_with_evidence(web_app: Any, acme: Org, provider: Any) -> None:
    from badgeservice.db import database, session_scope
    from badgeservice.issuing.models import Credential
    from badgeservice.people.models import Person

    mikko = signed_in(web_app, acme, provider, "mikko")
    team = _team_id(mikko)
    search = page(mikko, f"/o/acme/teams/{team}/award?q=aino")
    found = re.findall(rf'href="/o/acme/teams/{team}/award\?member=([0-9a-f-]+)">([^<]+)<', search)
    assert [name for _, name in found] == ["Aino Virtanen"]
    member = found[0][0]
    form = page(mikko, f"/o/acme/teams/{team}/award?member={member}")
    steps = re.findall(r'<option value="([0-9a-f-]+)">([^<]+)</option>', form)
    goal = next(value for value, name in steps if "plan" in name.lower())
    data = {"csrf_token": form_token(form), "member": member, "sub_goal": goal}
    bad_link = mikko.post(f"/o/acme/teams/{team}/award", data={**data, "evidence_url": "ftp://x"})
    assert bad_link.status_code == 400
    stranger = mikko.post(f"/o/acme/teams/{team}/award", data={**data, "sub_goal": member})
    assert stranger.status_code == 400
    done = mikko.post(
        f"/o/acme/teams/{team}/award",
        data={**data, "narrative": "Presented her plan.", "evidence_url": "https://e.example/p"},
    )
    assert done.status_code == 303
    back = text_of(page(mikko, done.headers["Location"]))
    assert "The badge was awarded to Aino Virtanen." in back
    forged = text_of(page(mikko, f"/o/acme/teams/{team}?awarded=Someone%20Else"))
    assert "awarded to" not in forged  # the notice names a member, never the address's text
    with web_app.app_context(), session_scope(database()) as session:
        aino = session.query(Person).filter_by(employee_number="E1003").one()
        (credential,) = session.query(Credential).filter_by(person_id=aino.id).all()
        evidence = credential.document["evidence"]
        assert any(item.get("narrative") == "Presented her plan." for item in evidence)
        assert any(item.get("id") == "https://e.example/p" for item in evidence)
    after = page(mikko, f"/o/acme/teams/{team}/award?member={member}")
    assert goal not in after  # achieved steps are not offered again
