"""The public pages of badges, achievements and issuers, and /verify, through the real
application: content negotiation on the public URLs (machines keep the JSON), sharing
(private, public, the earner's name), live verdicts (valid, revoked, expired), tenants."""

from __future__ import annotations

import io
import re
import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from badgeservice.credentials import baking
from badgeservice.db import database, session_scope
from tests.conftest import ROOT
from tests.web.conftest import PUBLIC, form_token

ORG = "esimerkkiopisto"
HELSINKI = ZoneInfo("Europe/Helsinki")
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@dataclass
class Example:
    token: str
    other_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def example(web_app: Any, tmp_path: Path) -> Example:
    """The example organisation loaded from its files, and a second organisation."""
    from badgeservice.definitions.loader import load_definitions
    from badgeservice.organisations.services import create_client, organisation_by_slug

    shutil.copytree(ROOT / "issuers", tmp_path / "issuers")
    neighbour = tmp_path / "issuers" / "naapuriopisto"
    shutil.copytree(tmp_path / "issuers" / ORG, neighbour)
    profile = neighbour / "organisation.toml"
    text = profile.read_text(encoding="utf-8").replace(f'slug = "{ORG}"', 'slug = "naapuriopisto"')
    profile.write_text(text, encoding="utf-8")
    keystore = web_app.extensions["badgeservice.keystore"]
    with web_app.test_request_context(), session_scope(database()) as session:
        list(load_definitions(session, tmp_path / "issuers", web_app))
        tokens = [
            create_client(
                session,
                organisation_by_slug(session, slug),
                name="t",
                scopes=["admin"],
                keystore=keystore,
            ).token
            for slug in (ORG, "naapuriopisto")
        ]
    return Example(*tokens)


def award(
    client: Any,
    example: Example,
    achievement: str = "data-protection",
    person: str = "E1003",
    token: str | None = None,
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token or example.token}"}
    answer = client.post(
        "/api/v1/awards", headers=headers, json={"achievement": achievement, "person": person}
    )
    assert answer.status_code == 201, answer.get_json()
    body: dict[str, Any] = answer.get_json()
    return body


def share(
    client: Any,
    example: Example,
    credential: dict[str, Any],
    *,
    public: bool = True,
    name: bool = False,
) -> None:
    answer = client.put(
        f"/api/v1/credentials/{credential['id']}/sharing",
        headers=example.headers,
        json={"visibility": "public" if public else "private", "showName": name},
    )
    assert answer.status_code == 200, answer.get_json()


def page(client: Any, path: str, language: str = "en", status: int = 200) -> str:
    answer = client.get(path, headers={"Accept": BROWSER, "Accept-Language": language})
    assert answer.status_code == status, (path, answer.status_code, answer.data[:300])
    assert answer.mimetype == "text/html"
    return str(answer.get_data(as_text=True))


def text_of(html: str) -> str:
    main = html.split('<main id="main" tabindex="-1">', 1)[1].split("</main>", 1)[0]
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", main))).strip()


def path_of(credential: dict[str, Any]) -> str:
    return str(credential["url"]).removeprefix(PUBLIC)


# -- content negotiation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        (None, "application/ld+json"),
        ("*/*", "application/ld+json"),
        ("application/ld+json", "application/ld+json"),
        ("application/json", "application/json"),
        ("application/json, text/html;q=0.5", "application/json"),
        ("text/html;q=0.5, application/ld+json", "application/ld+json"),
        ("text/html", "text/html"),
        (BROWSER, "text/html"),
    ],
)
def test_the_credential_url_answers_machines_and_browsers(
    web_app: Any, example: Example, accept: str | None, media_type: str
) -> None:
    client = web_app.test_client()
    credential = award(client, example)
    share(client, example, credential)
    headers = {"Accept": accept} if accept else {}
    answer = client.get(path_of(credential), headers=headers)
    assert answer.status_code == 200
    assert answer.mimetype == media_type
    assert "Accept" in answer.headers["Vary"]
    if media_type == "text/html":
        assert "Link" not in answer.headers
        assert "Verify another badge" in answer.get_data(as_text=True)
    else:
        assert answer.get_json() == credential["credential"]
        assert answer.headers["Credential-Status"] == "active"
        assert any("status" in link for link in answer.headers.getlist("Link"))


def test_private_badges_keep_their_json_but_their_page_says_not_shared(
    web_app: Any, example: Example
) -> None:
    client = web_app.test_client()
    credential = award(client, example)
    html = page(client, path_of(credential), status=404)
    words = text_of(html)
    assert "This badge has not been shared" in words
    assert "Data protection" not in html and "Aino" not in html
    assert 'name="robots" content="noindex"' in html
    assert 'rel="alternate" type="application/ld+json"' in html
    machine = client.get(path_of(credential), headers={"Accept": "application/ld+json"})
    assert machine.status_code == 200
    assert machine.get_json() == credential["credential"]


def test_a_shared_badge_page_shows_the_badge_and_the_name_only_when_allowed(
    web_app: Any, example: Example
) -> None:
    client = web_app.test_client()
    credential = award(client, example)
    share(client, example, credential, name=False)
    html = page(client, path_of(credential))
    words = text_of(html)
    achievement = credential["credential"]["credentialSubject"]["achievement"]
    # The badge as issued (the organisation's Finnish), its language marked on the page.
    assert achievement["inLanguage"] == "fi"
    assert f'<h1 lang="fi" dir="ltr">{achievement["name"]}</h1>' in html
    assert achievement["description"] in unescape(html)
    assert "Valid — issued by" in words
    assert "Aino" not in words and "Earned by" not in words
    (alignment,) = achievement["alignment"]
    assert f'href="{alignment["targetUrl"]}"' in html
    assert alignment["targetName"] in unescape(html)
    assert alignment["targetFramework"] in unescape(html)
    # Its image from this service, the preview tags, the JSON as the alternate.
    image = achievement["image"]["id"]
    assert f'src="{image.removeprefix(PUBLIC)}"' in html
    assert f'<meta property="og:image" content="{image}">' in html
    assert f'<meta property="og:title" content="{achievement["name"]}">' in html
    assert '<meta name="twitter:card" content="summary">' in html
    assert f'<link rel="alternate" type="application/ld+json" href="{credential["url"]}">' in html
    for check in ("Signature", "Issuer's key", "Revocation status", "Validity period"):
        assert check in unescape(html)

    share(client, example, credential, name=True)
    words = text_of(page(client, path_of(credential)))
    assert "Earned by Aino Virtanen" in words
    # In Finnish: the verdict and the date in Finnish.
    finnish = text_of(page(client, path_of(credential), "fi"))
    issued = datetime.fromisoformat(credential["issuedAt"]).astimezone(HELSINKI)
    assert "Voimassa" in finnish
    assert f"{issued.day}.{issued.month}.{issued.year}" in finnish


def test_a_revoked_badge_says_revoked_on_its_date(web_app: Any, example: Example) -> None:
    client = web_app.test_client()
    credential = award(client, example)
    share(client, example, credential)
    revoked = client.post(
        f"/api/v1/credentials/{credential['id']}/revoke",
        headers=example.headers,
        json={"reason": "issued in error"},
    )
    assert revoked.status_code == 200
    # The page gives the date where the organisation is (Helsinki), not in UTC.
    revoked_at = datetime.fromisoformat(revoked.get_json()["revokedAt"]).astimezone(HELSINKI)
    day = revoked_at.strftime("%-d %b %Y")
    words = text_of(page(client, path_of(credential)))
    assert f"Revoked on {day}" in words
    assert "Valid —" not in words
    fi = text_of(page(client, path_of(credential), "fi"))
    assert "Peruttu" in fi
    # The JSON keeps its headers.
    machine = client.get(path_of(credential))
    assert machine.headers["Credential-Status"] == "revoked"


def test_an_expired_badge_says_expired_on_its_date(web_app: Any, example: Example) -> None:
    client = web_app.test_client()
    credential = award(client, example)
    share(client, example, credential)
    ended = _expire(web_app, credential["id"], days_ago=3)
    words = text_of(page(client, path_of(credential)))
    assert f"Expired on {ended.astimezone(HELSINKI).strftime('%-d %b %Y')}" in words
    assert "Valid —" not in words


def _expire(app: Any, credential_id: str, *, days_ago: int) -> datetime:
    """Re-sign the credential with its issuer's real key as one that ran out days ago (a
    credential issued last year for a year), as the database would hold it."""
    from badgeservice.credentials.proofs import sign
    from badgeservice.issuers.models import Issuer
    from badgeservice.issuing.models import Credential

    ended = datetime.now(UTC).replace(microsecond=0) - timedelta(days=days_ago)
    start = ended - timedelta(days=365)
    with app.test_request_context(), session_scope(database()) as session:
        from badgeservice.services import issuer_service

        row = session.get(Credential, uuid.UUID(credential_id))
        assert row is not None
        issuer = session.get(Issuer, row.issuer_id)
        assert issuer is not None
        document = {k: v for k, v in row.document.items() if k != "proof"}
        document["validFrom"] = start.isoformat().replace("+00:00", "Z")
        document["validUntil"] = ended.isoformat().replace("+00:00", "Z")
        signing = issuer_service().signing_key(issuer)
        row.document = sign(
            document, signing.key, verification_method=signing.verification_method, created=start
        )
        row.issued_at, row.valid_until = start, ended
    return ended


def test_unknown_credentials_are_404_pages(web_app: Any, example: Example) -> None:
    client = web_app.test_client()
    for path in (f"/credentials/{uuid.uuid4()}", "/credentials/not-a-uuid"):
        assert "Page not found" in page(client, path, status=404)
        machine = client.get(path, headers={"Accept": "application/ld+json"})
        assert machine.status_code == 404
        assert machine.mimetype == "application/problem+json"


def test_another_organisations_token_cannot_share_or_read_sharing(
    web_app: Any, example: Example
) -> None:
    client = web_app.test_client()
    credential = award(client, example)
    other = {"Authorization": f"Bearer {example.other_token}"}
    url = f"/api/v1/credentials/{credential['id']}/sharing"
    assert client.get(url, headers=other).status_code == 404
    body = {"visibility": "public", "showName": True}
    assert client.put(url, headers=other, json=body).status_code == 404
    assert page(client, path_of(credential), status=404)


# -- issuer and achievement pages ----------------------------------------------------------


def test_achievement_and_issuer_pages_for_browsers_json_for_machines(
    web_app: Any, example: Example
) -> None:
    client = web_app.test_client()
    credential = award(client, example)
    achievement = credential["credential"]["credentialSubject"]["achievement"]
    path = achievement["id"].removeprefix(PUBLIC)
    # The definition in the page's language: Finnish, as the credential was issued.
    html = page(client, path, language="fi")
    assert f'<h1 lang="fi" dir="ltr">{achievement["name"]}</h1>' in html
    english = page(client, path, language="en")
    assert '<h1 lang="en" dir="ltr">' in english and achievement["name"] not in english
    assert achievement["alignment"][0]["targetUrl"] in html
    from badgeservice import __version__

    assert f"badgeservice {__version__}</p>" in html  # the footer's, not shadowed
    assert page(client, f"{path}/v1").count("<h1") == 1
    machine = client.get(path, headers={"Accept": "application/ld+json"})
    assert machine.mimetype == "application/ld+json"
    assert machine.get_json()["name"] == achievement["name"]
    assert "Accept" in machine.headers["Vary"]

    issuer_path = re.search(r'href="(/issuers/[^"]+)"', html)
    assert issuer_path
    issuer_html = page(client, issuer_path[1], language="fi")
    assert f"<h1>{credential['credential']['issuer']['name']}</h1>" in issuer_html
    assert f'href="{path}"' in issuer_html
    assert credential["credential"]["issuer"]["id"] in issuer_html
    profile = client.get(issuer_path[1])
    assert profile.mimetype == "application/ld+json"
    assert profile.get_json()["id"] == credential["credential"]["issuer"]["id"]
    assert page(client, "/achievements/esimerkkiopisto/no-such-badge", status=404)
    assert page(client, "/issuers/esimerkkiopisto/no-such-issuer", status=404)


# -- /verify -------------------------------------------------------------------------------


def _verify(
    client: Any, data: dict[str, Any], language: str = "en", status: int = 200, **kwargs: Any
) -> str:
    token = form_token(page(client, "/verify", language))
    answer = client.post(
        "/verify",
        data={"csrf_token": token, **data},
        headers={"Accept": BROWSER, "Accept-Language": language},
        **kwargs,
    )
    assert answer.status_code == status, answer.data[:500]
    return text_of(answer.get_data(as_text=True))


def test_verify_by_pasting_uploading_or_giving_the_address(web_app: Any, example: Example) -> None:
    import json

    client = web_app.test_client()
    credential = award(client, example)
    document = credential["credential"]
    pasted = _verify(client, {"way": "json", "credential": json.dumps(document)})
    assert "Valid — issued by" in pasted
    assert document["credentialSubject"]["achievement"]["name"] in pasted

    canvas = io.BytesIO()
    Image.new("RGB", (16, 16), "white").save(canvas, format="PNG")
    baked = baking.bake(canvas.getvalue(), document)
    uploaded = _verify(
        client,
        {"way": "file", "image": (io.BytesIO(baked), "badge.png")},
        content_type="multipart/form-data",
    )
    assert "Valid — issued by" in uploaded

    by_address = _verify(client, {"way": "url", "url": credential["url"]}, "fi")
    assert "Voimassa" in by_address

    client.post(
        f"/api/v1/credentials/{credential['id']}/revoke",
        headers=example.headers,
        json={"reason": "issued in error"},
    )
    assert "Revoked on" in _verify(client, {"way": "json", "credential": json.dumps(document)})

    tampered = json.loads(json.dumps(document))
    tampered["credentialSubject"]["achievement"]["name"] = "Something grander"
    words = _verify(client, {"way": "json", "credential": json.dumps(tampered)})
    assert "Not valid" in words


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"way": "json", "credential": ""}, "Paste the badge's JSON"),
        ({"way": "json", "credential": "{not json"}, "This is not valid JSON."),
        ({"way": "json", "credential": '{"name": "x"}'}, "This JSON is not a badge"),
        ({"way": "json", "credential": "[" * 200 + "]" * 200}, "This is not valid JSON."),
        ({"way": "url", "url": "https://elsewhere.example/credentials/1"}, "not a badge of this"),
        ({"way": "url", "url": f"{PUBLIC}/credentials/{uuid.uuid4()}"}, "not a badge of this"),
        ({"way": "file"}, "Choose a badge file"),
        ({"way": "carrier pigeon"}, "Choose one of the three ways"),
    ],
)
def test_verify_explains_unusable_input(
    web_app: Any, example: Example, data: dict[str, Any], message: str
) -> None:
    words = _verify(web_app.test_client(), data, status=400)
    assert "The badge could not be checked." in words
    assert message in words


def test_verify_explains_an_image_without_a_badge_and_too_large_uploads(
    web_app: Any, example: Example
) -> None:
    client = web_app.test_client()
    canvas = io.BytesIO()
    Image.new("RGB", (16, 16), "white").save(canvas, format="PNG")
    words = _verify(
        client,
        {"way": "file", "image": (io.BytesIO(canvas.getvalue()), "plain.png")},
        content_type="multipart/form-data",
        status=400,
    )
    assert "No badge was found in this file." in words
    huge = b"\x89PNG\r\n\x1a\n" + b"\0" * (web_app.config["MAX_CONTENT_LENGTH"] + 10)
    words = _verify(
        client,
        {"way": "file", "image": (io.BytesIO(huge), "huge.png")},
        content_type="multipart/form-data",
        status=413,
    )
    assert "Too much data" in words


def test_verify_needs_its_form_token(web_app: Any, example: Example) -> None:
    answer = web_app.test_client().post(
        "/verify", data={"way": "url", "url": "x"}, headers={"Accept": BROWSER}
    )
    assert answer.status_code == 400
    assert "The form has expired" in answer.get_data(as_text=True)


def test_narratives_are_escaped_and_only_emphasis_is_drawn() -> None:
    from badgeservice.web.badges import achievement_view

    view = achievement_view(
        {
            "name": "X",
            "criteria": {
                "narrative": "Pass *the quiz* <script>alert(1)</script>\n\nsnake_case_name",
                "id": "javascript:alert(1)",
            },
            "alignment": [{"targetName": "Y", "targetUrl": "javascript:alert(2)"}],
        }
    )
    assert view is not None
    assert [str(p) for p in view.criteria] == [
        "Pass <em>the quiz</em> &lt;script&gt;alert(1)&lt;/script&gt;",
        "snake_case_name",
    ]
    assert view.criteria_url is None  # only http(s) addresses become links
    assert view.alignments[0].url is None
    assert achievement_view("not an achievement") is None


def test_the_holder_signed_in_sees_their_private_badge_and_nobody_else_does(
    web_app: Any, acme: Any, provider: Any
) -> None:
    """The example organisation under the slug the test provider knows (acme), Aino's
    e-mail the provider's: signed in, she sees her private badge whole, with a note."""
    from tests.web.conftest import signed_in

    example = Example(acme.token, acme.token)
    client = signed_in(web_app, acme, provider)
    credential = award(client, example, person="E1003")
    words = text_of(page(client, path_of(credential)))
    assert "Only you can see this page" in words
    assert "Valid — issued by" in words
    other = award(client, example, person="E1001")  # Helena's, private
    assert "has not been shared" in text_of(page(client, path_of(other), status=404))
    stranger = web_app.test_client()
    assert "has not been shared" in text_of(page(stranger, path_of(credential), status=404))


def test_verify_is_rate_limited_with_a_page(database_url: str, tmp_path: Path) -> None:
    from badgeservice.db import database
    from tests.conftest import _empty_tables
    from tests.web.conftest import make_app

    app = make_app(database_url, tmp_path, VERIFY_RATE_LIMIT="2/minute")
    try:
        client = app.test_client()
        for _ in range(2):
            _verify(client, {"way": "url", "url": "nowhere"}, status=400)
        words = _verify(client, {"way": "url", "url": "nowhere"}, status=429)
        assert "Too many requests" in words
    finally:
        with app.app_context():
            _empty_tables(database().engine)
            database().engine.dispose()
