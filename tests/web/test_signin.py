"""Signing in to the pages through a real OpenID Provider on loopback (oidc-provider):
matching by a claim, remembering the IdP account, refusals, tenants, sign-out and the
idle timeout."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from tests.web.conftest import (
    Org,
    configure_sign_in,
    form_token,
    sign_in_through_provider,
)

ACME_PEOPLE = {
    "aino": ("Aino", "aino.virtanen@acme.example", "A-100", True),
    "olli": ("Olli", "olli@acme.example", "A-101", False),
}


def _db(app: Any) -> Any:
    from badgeservice.db import database

    return database().sessions()


def test_signing_in_by_email_lands_on_the_start_page_and_remembers_the_account(
    web_app: Any, browser: Any, make_org: Any, provider: Any
) -> None:
    from badgeservice.access.models import SignInIdentity, WebSession
    from badgeservice.people.models import Person

    acme: Org = make_org("acme", ACME_PEOPLE, supervises={"aino": "Trainers"})
    configure_sign_in(browser, acme, provider, match="email")

    answer = sign_in_through_provider(browser, "acme", "aino", next_path="/o/acme/home")
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/o/acme/home"
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie

    home = browser.get("/o/acme/home", headers={"Accept-Language": "en"})
    page = home.data.decode()
    assert home.status_code == 200
    assert "Welcome, Aino" in page
    assert "Supervisor" in page and "Learner" in page  # roles: learner + their team
    assert "Sign out" in page

    with web_app.app_context():
        db = _db(web_app)
        identity = db.scalar(select(SignInIdentity))
        assert identity.person_id == acme.people["aino"]
        assert identity.subject == "aino" and identity.issuer == provider.issuer
        assert db.scalar(select(WebSession)).method == "oidc"
        # The e-mail changes in the register; the remembered IdP account still finds her.
        person = db.get(Person, acme.people["aino"])
        person.email = "aino.new@acme.example"
        db.commit()
        db.close()

    fresh = web_app.test_client()
    fresh.environ_base["HTTP_ACCEPT"] = "text/html"
    again = sign_in_through_provider(fresh, "acme", "aino")
    assert again.status_code == 303 and again.headers["Location"] == "/o/acme/home"


def test_matching_by_employee_number_reads_the_claim_from_userinfo(
    web_app: Any, browser: Any, make_org: Any, provider: Any
) -> None:
    # oidc-provider puts only "sub" into the ID token; employee_number (scope profile)
    # comes from the UserInfo endpoint, which the service asks when the token lacks it.
    acme: Org = make_org("acme", ACME_PEOPLE)
    settings = configure_sign_in(browser, acme, provider, match="employee_number")
    assert settings["claim"] == "employee_number" and settings["clientSecretSet"] is True
    answer = sign_in_through_provider(browser, "acme", "aino")
    assert answer.status_code == 303
    assert "Aino Testinen" in browser.get("/o/acme/home").data.decode()


def test_refusals_sign_nobody_in(web_app: Any, browser: Any, make_org: Any, provider: Any) -> None:
    from badgeservice.access.models import SignInIdentity, WebSession

    acme: Org = make_org("acme", ACME_PEOPLE)
    configure_sign_in(browser, acme, provider, match="email")
    cases = {
        "stranger": "does not know you as a member of its staff",  # no such person
        "olli": "no longer active",  # deactivated
        "sly": "not verified",  # the IdP says the e-mail address is unverified
    }
    for login, words in cases.items():
        client = web_app.test_client()
        client.environ_base["HTTP_ACCEPT"] = "text/html"
        answer = sign_in_through_provider(client, "acme", login)
        assert answer.status_code == 403, login
        assert words in answer.data.decode(), login
        assert client.get("/o/acme/home").status_code == 303  # still signed out
    with web_app.app_context():
        db = _db(web_app)
        assert db.scalars(select(WebSession)).all() == []
        assert db.scalars(select(SignInIdentity)).all() == []
        db.close()


def test_a_forged_or_replayed_callback_is_refused(
    web_app: Any, browser: Any, make_org: Any, provider: Any
) -> None:
    acme: Org = make_org("acme", ACME_PEOPLE)
    configure_sign_in(browser, acme, provider)
    answer = sign_in_through_provider(browser, "acme", "aino")
    assert answer.status_code == 303
    callback = "/o/acme/sign-in/callback?code=forged&state=forged"
    other = web_app.test_client()
    other.environ_base["HTTP_ACCEPT"] = "text/html"
    refused = other.get(callback)
    assert refused.status_code == 400
    assert "could not be accepted" in refused.data.decode()
    assert other.get("/o/acme/home").status_code == 303


def test_people_of_one_organisation_never_get_into_anothers_pages(
    web_app: Any, browser: Any, make_org: Any, provider: Any
) -> None:
    # Both organisations use the same IdP. Aino exists in Acme only; Ville in Globex only.
    acme: Org = make_org("acme", ACME_PEOPLE)
    globex: Org = make_org("globex", {"ville": ("Ville", "ville@globex.example", "G-7", True)})
    configure_sign_in(browser, acme, provider, match="email")
    configure_sign_in(browser, globex, provider, match="email")

    assert sign_in_through_provider(browser, "acme", "aino").status_code == 303
    assert browser.get("/o/acme/home").status_code == 200
    # Signed in to Acme is signed out in Globex: its pages send her to Globex's sign-in.
    elsewhere = browser.get("/o/globex/home")
    assert elsewhere.status_code == 303
    assert elsewhere.headers["Location"].startswith("/o/globex/sign-in")
    # And Globex's sign-in does not let her in, though the IdP vouches for her.
    client = web_app.test_client()
    client.environ_base["HTTP_ACCEPT"] = "text/html"
    assert sign_in_through_provider(client, "globex", "aino").status_code == 403
    assert client.get("/o/globex/home").status_code == 303
    # Ville gets into Globex, never into Acme.
    assert sign_in_through_provider(client, "globex", "ville").status_code == 303
    assert "Ville" in client.get("/o/globex/home").data.decode()
    assert sign_in_through_provider(client, "acme", "ville").status_code == 403


def test_signing_out_ends_the_session_for_good(
    web_app: Any, browser: Any, make_org: Any, provider: Any
) -> None:
    acme: Org = make_org("acme", ACME_PEOPLE)
    configure_sign_in(browser, acme, provider)
    sign_in_through_provider(browser, "acme", "aino")
    home = browser.get("/o/acme/home")
    assert home.status_code == 200
    stolen = browser.get_cookie("badgeservice_session").value

    without_token = browser.post("/o/acme/sign-out")
    assert without_token.status_code == 400  # a form without its token: refused
    assert browser.get("/o/acme/home").status_code == 200

    out = browser.post("/o/acme/sign-out", data={"csrf_token": form_token(home.data.decode())})
    assert out.status_code == 303
    assert "reason=signed-out" in out.headers["Location"]
    assert browser.get("/o/acme/home").status_code == 303
    # The old cookie, replayed, is a dead session.
    replay = web_app.test_client()
    replay.set_cookie("badgeservice_session", stolen, domain="localhost")
    assert replay.get("/o/acme/home", headers={"Accept": "text/html"}).status_code == 303


def test_an_idle_session_ends_and_says_why(
    web_app: Any, browser: Any, make_org: Any, provider: Any
) -> None:
    from badgeservice.access.models import WebSession

    acme: Org = make_org("acme", ACME_PEOPLE)
    configure_sign_in(browser, acme, provider)
    sign_in_through_provider(browser, "acme", "aino")
    assert browser.get("/o/acme/home").status_code == 200
    with web_app.app_context():
        db = _db(web_app)
        row = db.scalar(select(WebSession))
        idle = web_app.config["SESSION_IDLE_TIMEOUT"]
        row.last_seen_at = row.last_seen_at - timedelta(seconds=idle + 1)
        db.commit()
        db.close()
    answer = browser.get("/o/acme/home")
    assert answer.status_code == 303
    assert "reason=idle" in answer.headers["Location"]
    page = browser.get(answer.headers["Location"], headers={"Accept-Language": "fi"})
    assert "30 minuutin toimettomuuden jälkeen" in page.data.decode()


def test_the_client_secret_is_stored_encrypted_and_never_shown(
    web_app: Any, browser: Any, make_org: Any, provider: Any
) -> None:
    from badgeservice.access.models import SignInSettings

    acme: Org = make_org("acme", ACME_PEOPLE)
    body = configure_sign_in(browser, acme, provider)
    assert "acme client secret" not in str(body)
    assert body["redirectUri"] == "http://127.0.0.1:5999/o/acme/sign-in/callback"
    with web_app.app_context():
        db = _db(web_app)
        row = db.scalar(select(SignInSettings))
        assert b"acme client secret" not in row.client_secret_ciphertext
        db.close()
