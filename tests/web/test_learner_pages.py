"""The learner's pages through the real application: my badges (filters, one badge with its
downloads, sharing, LinkedIn and QR), my path, my settings; each the signed-in person's own."""

from __future__ import annotations

import io
import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from markupsafe import escape

from badgeservice.credentials import baking
from tests.web.conftest import PUBLIC, Org, form_token, signed_in
from tests.web.test_public_pages import BROWSER, Example, award, page, path_of, text_of

ORG = "esimerkkiopisto"


def test_my_badges_lists_mine_with_their_status_and_filters(
    web_app: Any, acme: Org, provider: Any
) -> None:
    example = Example(acme.token, acme.token)
    client = signed_in(web_app, acme, provider)
    kept = award(client, example, "data-protection", "E1003")
    revoked = award(client, example, "accessible-materials", "E1003")
    helenas = award(client, example, "data-protection", "E1001")
    answer = client.post(
        f"/api/v1/credentials/{revoked['id']}/revoke",
        json={"reason": "issued in error"},
        headers=example.headers,
    )
    assert answer.status_code == 200
    html = page(client, "/o/acme/badges")
    assert f"/o/acme/badges/{kept['id']}" in html
    assert f"/o/acme/badges/{revoked['id']}" in html
    assert helenas["id"] not in html  # someone else's badge is not mine
    words = text_of(html)
    assert "2 badges" in words
    assert "revoked" in words and "valid" in words
    only = page(client, "/o/acme/badges?status=revoked")
    assert revoked["id"] in only and kept["id"] not in only
    assert "1 badge" in text_of(only)
    finnish = text_of(page(client, "/o/acme/badges?status=revoked", language="fi"))
    assert "Omat osaamismerkit" in finnish
    page(client, "/o/acme/badges?status=lost", status=400)
    page(client, "/o/acme/badges?path=nowhere", status=400)


def test_one_badge_shares_downloads_and_goes_to_linkedin(
    web_app: Any, acme: Org, provider: Any
) -> None:
    example = Example(acme.token, acme.token)
    client = signed_in(web_app, acme, provider)
    credential = award(client, example, "data-protection", "E1003")
    mine = f"/o/acme/badges/{credential['id']}"
    html = page(client, mine)
    words = text_of(html)
    assert "Only me" in words and "Badge image (PNG)" in words
    assert "<svg" not in html.split('id="sharing"', 1)[1]  # no QR while private
    # a form without its token is refused, and nothing changes
    refused = client.post(f"{mine}/sharing", data={"visibility": "public"})
    assert refused.status_code == 400
    assert path_of(credential) and "has not been shared" in text_of(
        page(web_app.test_client(), path_of(credential), status=404)
    )
    answer = client.post(
        f"{mine}/sharing",
        data={"csrf_token": form_token(html), "visibility": "public", "show_name": "on"},
    )
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith(f"{mine}?saved=1#sharing")
    shared = page(client, mine + "?saved=1")
    assert "Your choices were saved." in text_of(shared)
    assert re.search(r'<figure class="qr"><svg[^>]*>.*<title>', shared, re.S)
    linkedin = re.search(r'href="(https://www.linkedin.com/profile/add\?[^"]+)"', shared)
    assert linkedin is not None
    query = parse_qs(urlsplit(linkedin.group(1).replace("&amp;", "&")).query)
    assert query["startTask"] == ["CERTIFICATION_NAME"]
    assert query["certUrl"] == [credential["url"]]
    assert query["certId"] == [credential["id"]]
    assert query["organizationName"][0]
    # the public page, signed out, names Aino as she allows
    public = text_of(page(web_app.test_client(), path_of(credential)))
    assert "Aino Virtanen" in public
    answer = client.post(
        f"{mine}/sharing", data={"csrf_token": form_token(shared), "visibility": "everyone"}
    )
    assert answer.status_code == 400


def test_downloads_carry_the_signed_badge_that_verifies(
    web_app: Any, acme: Org, provider: Any
) -> None:
    example = Example(acme.token, acme.token)
    client = signed_in(web_app, acme, provider)
    credential = award(client, example, "data-protection", "E1003")
    mine = f"/o/acme/badges/{credential['id']}"
    document = json.loads(client.get(f"{mine}/badge.json").get_data(as_text=True))
    assert document == credential["credential"]
    for kind, signature in (("png", b"\x89PNG"), ("svg", b"<")):
        answer = client.get(f"{mine}/badge.{kind}")
        assert answer.status_code == 200
        assert "attachment" in answer.headers["Content-Disposition"]
        assert answer.data.lstrip().startswith(signature)
        assert baking.unbake(answer.data).credential == document
        verified = client.post(
            "/api/v1/verify",
            data={"image": (io.BytesIO(answer.data), f"badge.{kind}")},
            content_type="multipart/form-data",
        )
        assert verified.status_code == 200, verified.get_json()
        assert verified.get_json()["verified"] is True
    assert client.get(f"{mine}/badge.gif").status_code == 404


def test_only_my_own_badges_and_only_signed_in(web_app: Any, acme: Org, provider: Any) -> None:
    example = Example(acme.token, acme.token)
    client = signed_in(web_app, acme, provider)
    helenas = award(client, example, "data-protection", "E1001")
    for suffix in ("", "/badge.json", "/badge.png"):
        assert client.get(f"/o/acme/badges/{helenas['id']}{suffix}").status_code == 404
    assert client.get("/o/acme/badges/not-an-id").status_code == 404
    stranger = web_app.test_client()
    for path in ("/o/acme/badges", "/o/acme/path", "/o/acme/settings"):
        answer = stranger.get(path, headers={"Accept": BROWSER})
        assert answer.status_code in (302, 303), path
        assert "/o/acme/sign-in" in answer.headers["Location"]


def test_my_path_draws_each_path_with_its_steps(web_app: Any, acme: Org, provider: Any) -> None:
    example = Example(acme.token, acme.token)
    client = signed_in(web_app, acme, provider)
    before = page(client, "/o/acme/path")
    assert before.count('role="img"') >= 2  # two drawings (wide and narrow) per path
    assert "Digital competence strategy" in text_of(before)
    # each target with where Aino stands on it
    assert "Not recognised for you yet." in text_of(before)
    progress = client.get("/api/v1/people/E1003/paths", headers=example.headers).get_json()
    goal = progress["items"][0]["subGoals"][0]
    award_body = {"subGoal": goal["id"], "person": "E1003"}
    answer = client.post("/api/v1/awards", json=award_body, headers=example.headers)
    assert answer.status_code == 201, answer.get_json()
    after = page(client, "/o/acme/path", language="fi")  # as the API names it: Finnish
    step = re.search(
        r'<li class="step step-achieved">\s*<span class="step-name">([^<]+)</span>', after
    )
    assert step is not None and step.group(1) == goal["name"]
    assert "station-achieved" in after
    assert "1/3 pakollisesta" in text_of(after)


def test_settings_choose_language_and_the_public_name(
    web_app: Any, acme: Org, provider: Any
) -> None:
    example = Example(acme.token, acme.token)
    client = signed_in(web_app, acme, provider)
    credential = award(client, example, "data-protection", "E1003")
    client.put(
        f"/api/v1/credentials/{credential['id']}/sharing",
        headers=example.headers,
        json={"visibility": "public", "showName": True},
    )
    html = page(client, "/o/acme/settings")
    assert "Aino Virtanen" in text_of(html) and "A. V." in text_of(html)
    answer = client.post(
        "/o/acme/settings",
        data={"csrf_token": form_token(html), "language": "sv", "public_name": "initials"},
    )
    assert answer.status_code == 303
    saved = text_of(page(client, "/o/acme/settings?saved=1", language="en"))
    assert "Mina inställningar" in saved  # the chosen language wins over the browser's
    public = text_of(page(web_app.test_client(), path_of(credential)))
    assert "A. V." in public and "Aino Virtanen" not in public
    for data in ({"public_name": "nickname"}, {"public_name": "full", "language": "de"}):
        refused = client.post("/o/acme/settings", data={"csrf_token": form_token(html), **data})
        assert refused.status_code == 400
    assert PUBLIC  # the public pages are addressed under the configured public URL


def test_settings_choose_the_language_of_new_badges(web_app: Any, acme: Org, provider: Any) -> None:
    example = Example(acme.token, acme.token)
    client = signed_in(web_app, acme, provider)
    finnish = award(client, example, "data-protection", "E1003")["credential"]
    assert finnish["credentialSubject"]["achievement"]["name"] == "Henkilötietojen suojaaminen"
    assert finnish["credentialSubject"]["achievement"]["inLanguage"] == "fi"
    html = page(client, "/o/acme/settings", language="en")
    assert '<option value="sv" lang="sv">svenska</option>' in html
    data = {"csrf_token": form_token(html), "public_name": "full"}
    refused = client.post("/o/acme/settings", data={**data, "badge_language": "de"})
    assert refused.status_code == 400
    answer = client.post("/o/acme/settings", data={**data, "badge_language": "sv"})
    assert answer.status_code == 303
    assert 'value="sv" lang="sv" selected' in page(client, "/o/acme/settings")
    issued = award(client, example, "accessible-materials", "E1003")
    badge = issued["credential"]["credentialSubject"]["achievement"]
    assert badge["inLanguage"] == "sv"
    # My badges: each badge named as it was issued, the earlier one still in Finnish.
    cards = text_of(page(client, "/o/acme/badges", language="en"))
    assert badge["name"] in cards
    assert finnish["name"] in cards
    one = page(client, f"/o/acme/badges/{issued['id']}", language="fi")
    assert f'<h1 lang="sv" dir="ltr">{escape(badge["name"])}</h1>' in one


def test_my_own_path_takes_optional_goals_and_asks_for_approval(
    web_app: Any, acme: Org, provider: Any
) -> None:
    example = Example(acme.token, acme.token)
    client = signed_in(web_app, acme, provider)
    html = page(client, "/o/acme/path")
    options = re.findall(
        r'<option value="([^"]+)">([^<]+)</option>', html.split('id="add-goal"')[1]
    )
    assert options, "the own path offers badges to add"
    slug, name = options[0]
    for wanted in ("no-such-badge", ""):
        data = {"csrf_token": form_token(html), "achievement": wanted}
        assert client.post("/o/acme/path/goals", data=data).status_code == 400
    answer = client.post(
        "/o/acme/path/goals", data={"csrf_token": form_token(html), "achievement": slug}
    )
    assert answer.status_code == 303
    added = page(client, "/o/acme/path?added=1")
    assert "The goal was added to your own path." in text_of(added)
    step = re.search(
        rf'<span class="step-name">{re.escape(name)}</span>\s*<span class="step-state">([^<]+)',
        added,
    )
    assert step is not None and "optional" in step.group(1)
    assert f'<option value="{slug}">' not in added.split('id="add-goal"')[1]  # not twice
    asked = client.post("/o/acme/path/approval", data={"csrf_token": form_token(added)})
    assert asked.status_code == 303
    waiting = text_of(page(client, "/o/acme/path?asked=1"))
    assert "Waiting for your supervisor's approval" in waiting
    # the supervisor (E1002) approves over the API; a new goal needs approving again
    paths = client.get("/api/v1/paths?kind=individual", headers=example.headers).get_json()
    own = next(p for p in paths["items"] if p["person"] and "Aino" in p["name"])
    approved = client.post(
        f"/api/v1/paths/{own['id']}/approve", json={"supervisor": "E1002"}, headers=example.headers
    )
    assert approved.status_code == 200, approved.get_json()
    assert "Approved on" in text_of(page(client, "/o/acme/path"))
    html = page(client, "/o/acme/path")
    second = re.findall(r'<option value="([^"]+)">', html.split('id="add-goal"')[1])[0]
    client.post("/o/acme/path/goals", data={"csrf_token": form_token(html), "achievement": second})
    assert "Not approved yet." in text_of(page(client, "/o/acme/path"))
