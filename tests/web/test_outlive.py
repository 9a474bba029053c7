"""Badges outlive the job: a learner confirms a personal e-mail (the link arrives at a
real SMTP server on loopback), has their badges re-issued to it — the copy verifies with
the new identity hash, the original still verifies — and, deactivated, signs in by a
mailed link to see both and nothing else. Links are single-use and expire; asking for
one tells nobody whether an address is known."""

from __future__ import annotations

import base64
import json
import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from badgeservice.credentials.did import default_resolver, did_web_to_url
from badgeservice.credentials.identity import identity_matches
from badgeservice.credentials.multikey import KeyPair
from badgeservice.credentials.verify import verify_credential
from badgeservice.db import database, session_scope, utcnow
from badgeservice.hr.models import CompetenceEvent, Recognition
from badgeservice.issuing.models import Credential
from badgeservice.notices.models import Notice
from badgeservice.organisations.models import AuditEvent
from badgeservice.portability.models import SignInToken
from tests.web.conftest import PUBLIC, Org, form_token, signed_in
from tests.web.test_notices import Inbox, _award, _steps, smtp  # noqa: F401
from tests.web.test_public_pages import BROWSER

pytestmark = pytest.mark.db

HOME = "aino.home@example.net"
WORK = "aino.virtanen@acme.example"
LINK = re.compile(r"http://127\.0\.0\.1:5999(/o/acme/[^\s\"<]+)")


def _page(client: Any, path: str) -> Any:
    return client.get(path, headers={"Accept": BROWSER})


def _post(client: Any, path: str, data: dict[str, str], form_page: str | None = None) -> Any:
    token = form_token(_page(client, form_page or path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data}, headers={"Accept": BROWSER})


def _mailed_link(web_app: Any, port: int, inbox: Inbox) -> str:
    assert _steps(web_app, port).send() == 1
    message = inbox.messages[-1]
    text = message.get_body(preferencelist=("plain",)).get_content()
    found = LINK.search(text)
    assert found, text
    return found.group(1)


def _confirm_personal_email(web_app: Any, aino: Any, port: int, inbox: Inbox) -> None:
    asked = _post(
        aino, "/o/acme/settings/personal-email", {"personal_email": HOME}, "/o/acme/settings"
    )
    assert asked.status_code == 303
    page = _page(aino, "/o/acme/settings").get_data(as_text=True)
    assert f"Waiting for confirmation: {HOME}" in page or HOME in page
    link = _mailed_link(web_app, port, inbox)
    assert inbox.messages[-1]["To"] == HOME
    # Nothing changes until the link's button is pressed (a mail scanner's GET).
    assert _page(aino, link).status_code == 200
    confirmed = _post(aino, link, {})
    assert confirmed.status_code == 200, confirmed.data[:300]
    assert HOME in confirmed.get_data(as_text=True)


def _verifies(client: Any, credential: dict[str, Any], verified: bool = True) -> None:
    did_url = did_web_to_url(credential["issuer"]["id"])
    did_document = client.get(did_url.removeprefix(PUBLIC)).get_json()
    list_url = credential["credentialStatus"]["statusListCredential"]
    status = client.get(list_url.removeprefix(PUBLIC)).get_json()
    report = verify_credential(
        credential, resolver=default_resolver([did_document]), status_lists={list_url: status}
    )
    assert report.verified is verified, report.errors


def _identifiers(credential: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = credential["credentialSubject"].get("identifier", [])
    return found


def _counts(web_app: Any) -> tuple[int, int, int]:
    with web_app.app_context(), session_scope(database()) as session:
        return (
            session.scalar(select(func.count()).select_from(Credential)) or 0,
            session.scalar(select(func.count()).select_from(Recognition)) or 0,
            session.scalar(select(func.count()).select_from(CompetenceEvent)) or 0,
        )


def _aino_id(aino: Any, acme: Org) -> str:
    found = aino.get("/api/v1/people?employeeNumber=E1003", headers=acme.headers).get_json()
    return str(found["items"][0]["id"])


def test_reissued_to_a_personal_email_then_signed_in_by_link_after_leaving(
    web_app: Any,
    acme: Org,
    provider: Any,
    smtp: tuple[Inbox, int],  # noqa: F811
) -> None:
    inbox, port = smtp
    aino = signed_in(web_app, acme, provider)
    awarded = _award(aino, acme, "data-protection")
    _steps(web_app, port).send()  # the "new badge" e-mail, to her work address
    _confirm_personal_email(web_app, aino, port, inbox)

    before = _counts(web_app)
    reissued = _post(aino, "/o/acme/badges/reissue", {"to": "email"}, "/o/acme/badges")
    assert reissued.status_code == 303
    assert reissued.headers["Location"].endswith("reissued=1#own-copies")
    again = _post(aino, "/o/acme/badges/reissue", {"to": "email"}, "/o/acme/badges")
    assert again.headers["Location"].endswith("reissued=0#own-copies")  # nothing twice
    credentials, recognitions, events = _counts(web_app)
    # One new credential, and nothing for HR: a copy is no new competence.
    assert (credentials, recognitions, events) == (before[0] + 1, before[1], before[2])
    assert _steps(web_app, port).send() == 0  # and no "new badge" e-mail

    with web_app.app_context(), session_scope(database()) as session:
        copy = session.scalar(select(Credential).where(Credential.reissued_from_id.is_not(None)))
        assert copy is not None and str(copy.reissued_from_id) == awarded["id"]
        copy_id = str(copy.id)
    original = aino.get(f"/credentials/{awarded['id']}").get_json()
    copied = aino.get(f"/credentials/{copy_id}").get_json()
    # The new credential verifies, and names her by the salted hash of her own address.
    _verifies(aino, copied)
    (identity,) = _identifiers(copied)
    assert identity["identityType"] == "emailAddress" and identity["hashed"] is True
    assert identity_matches(identity, HOME) and not identity_matches(identity, WORK)
    assert HOME not in str(copied)
    # The same achievement and dates as the original, which still verifies as it was.
    for key in ("validFrom", "validUntil", "issuer"):
        assert copied.get(key) == original.get(key)
    assert (
        copied["credentialSubject"]["achievement"] == original["credentialSubject"]["achievement"]
    )
    _verifies(aino, original)
    assert any(identity_matches(i, WORK) for i in _identifiers(original))
    page = _page(aino, f"/o/acme/badges/{copy_id}").get_data(as_text=True)
    assert f"/o/acme/badges/{awarded['id']}" in page  # linked to its original

    # She leaves: deactivated, her session ends.
    person_id = _aino_id(aino, acme)
    assert aino.delete(f"/api/v1/people/{person_id}", headers=acme.headers).status_code == 200
    assert _page(aino, "/o/acme/badges").status_code == 303

    visitor = web_app.test_client()
    asked = _post(visitor, "/o/acme/sign-in/email", {"email": HOME.upper()})
    assert asked.status_code == 200
    link = _mailed_link(web_app, port, inbox)
    assert inbox.messages[-1]["To"] == HOME
    assert link.startswith("/o/acme/sign-in/email/")
    landed = _post(visitor, link, {})
    assert landed.status_code == 303 and landed.headers["Location"].endswith("/o/acme/badges")
    badges = _page(visitor, "/o/acme/badges")
    assert badges.status_code == 200
    html = badges.get_data(as_text=True)
    assert awarded["id"] in html and copy_id in html  # both
    assert "/o/acme/path" not in html and "/o/acme/settings" not in html  # no way elsewhere
    for credential_id in (awarded["id"], copy_id):
        assert _page(visitor, f"/o/acme/badges/{credential_id}").status_code == 200
        download = visitor.get(f"/o/acme/badges/{credential_id}/badge.json")
        assert download.status_code == 200
    shared = _post(
        visitor,
        f"/o/acme/badges/{copy_id}/sharing",
        {"visibility": "public"},
        f"/o/acme/badges/{copy_id}",
    )
    assert shared.status_code == 303
    # Nothing else: her path, settings, start page, anyone's team, HR, admin, assessing.
    for path in (
        "/o/acme/home",
        "/o/acme/path",
        "/o/acme/settings",
        "/o/acme/teams",
        "/o/acme/hr/reserve",
        "/o/acme/admin",
        "/o/acme/assess",
    ):
        assert _page(visitor, path).status_code == 403, path
    token = form_token(_page(visitor, "/o/acme/badges").get_data(as_text=True))
    refused = visitor.post(
        "/o/acme/settings/personal-email",
        data={"csrf_token": token, "personal_email": "x@example.net"},
        headers={"Accept": BROWSER},
    )
    assert refused.status_code == 403
    # The API answers bearer tokens only, never the page session.
    assert visitor.get("/api/v1/people", headers={"Accept": "application/json"}).status_code == 401


def test_links_are_single_use_expire_and_unknown_ones_are_refused_clearly(
    web_app: Any,
    acme: Org,
    provider: Any,
    smtp: tuple[Inbox, int],  # noqa: F811
) -> None:
    inbox, port = smtp
    aino = signed_in(web_app, acme, provider)
    _confirm_personal_email(web_app, aino, port, inbox)
    verify_link = inbox.messages[-1].get_body(preferencelist=("plain",)).get_content()
    verify_path = LINK.search(verify_link).group(1)  # type: ignore[union-attr]
    used = _post(aino, verify_path, {}, "/o/acme/settings")
    assert used.status_code == 410
    assert "already been used" in used.get_data(as_text=True)

    visitor = web_app.test_client()
    _post(visitor, "/o/acme/sign-in/email", {"email": HOME})
    link = _mailed_link(web_app, port, inbox)
    with web_app.app_context(), session_scope(database()) as session:
        row = session.scalar(select(SignInToken).where(SignInToken.purpose == "sign-in"))
        assert row is not None
        assert row.expires_at - row.created_at == timedelta(minutes=15)
        assert link.rsplit("/", 1)[1] not in (row.token_hash, str(row.id))
        row.expires_at = utcnow() - timedelta(seconds=1)
    expired = _page(visitor, link)
    assert expired.status_code == 410
    assert "The link has expired." in expired.get_data(as_text=True)
    unknown = _page(visitor, "/o/acme/sign-in/email/not-a-token")
    assert unknown.status_code == 404
    assert "not known here" in unknown.get_data(as_text=True)
    assert _page(visitor, "/o/acme/badges").status_code == 303  # nobody signed in

    _post(visitor, "/o/acme/sign-in/email", {"email": HOME})
    link = _mailed_link(web_app, port, inbox)
    assert _post(visitor, link, {}).status_code == 303
    again = web_app.test_client()
    assert _post(again, link, {}, "/o/acme/sign-in/email").status_code == 410


def test_asking_for_a_link_tells_nobody_whether_the_address_is_known(
    web_app: Any,
    acme: Org,
    provider: Any,
    smtp: tuple[Inbox, int],  # noqa: F811
) -> None:
    inbox, port = smtp
    aino = signed_in(web_app, acme, provider)
    _confirm_personal_email(web_app, aino, port, inbox)
    visitor = web_app.test_client()

    def answer(address: str) -> tuple[int, str]:
        response = _post(visitor, "/o/acme/sign-in/email", {"email": address})
        main = response.get_data(as_text=True).split('<main id="main"', 1)[1]
        return response.status_code, main.split("</main>", 1)[0]

    known = answer(HOME)
    assert known == answer("nobody@example.net")
    assert known == answer(WORK)  # a work address is no personal e-mail
    assert known[0] == 200
    # Three links an address in 15 minutes; the fourth answer is the same, with no mail.
    assert answer(HOME) == known and answer(HOME) == known and answer(HOME) == known
    with web_app.app_context(), session_scope(database()) as session:
        links = session.scalars(select(Notice).where(Notice.kind == "sign-in")).all()
        assert len(links) == 3
    # Only the newest link is live; the worker sends it and drops the spent ones.
    assert _steps(web_app, port).send() == 1


def test_an_address_is_only_the_persons_once_they_confirm_it(
    web_app: Any,
    acme: Org,
    provider: Any,
    smtp: tuple[Inbox, int],  # noqa: F811
) -> None:
    inbox, port = smtp
    aino = signed_in(web_app, acme, provider)
    person_id = _aino_id(aino, acme)
    # An admin cannot write it onto the person silently…
    patched = aino.patch(
        f"/api/v1/people/{person_id}", json={"personalEmail": HOME}, headers=acme.headers
    )
    assert patched.status_code == 400
    assert "personalEmail" in patched.get_json()["detail"]
    # …only ask for the confirmation e-mail, which the learner follows.
    asked = aino.post(
        f"/api/v1/people/{person_id}/identities/email", json={"email": HOME}, headers=acme.headers
    )
    assert asked.status_code == 202, asked.get_json()
    assert asked.get_json() | {"pendingEmail": None} == {
        "personalEmail": None,
        "personalEmailVerifiedAt": None,
        "pendingEmail": None,
        "boundDid": None,
        "boundDidAt": None,
    }
    assert asked.get_json()["pendingEmail"] == HOME
    reissue = aino.post(
        f"/api/v1/people/{person_id}/reissue", json={"to": "email"}, headers=acme.headers
    )
    assert reissue.status_code == 400
    assert "verify a personal e-mail" in reissue.get_json()["detail"]
    link = _mailed_link(web_app, port, inbox)
    assert _post(web_app.test_client(), link, {}).status_code == 200
    identities = aino.get(f"/api/v1/people/{person_id}/identities", headers=acme.headers)
    assert identities.get_json()["personalEmail"] == HOME
    assert identities.get_json()["pendingEmail"] is None

    for bad, status in (({"email": "not an address"}, 400), ({"email": WORK}, 400)):
        answer = aino.post(
            f"/api/v1/people/{person_id}/identities/email", json=bad, headers=acme.headers
        )
        assert answer.status_code == status, answer.get_json()
        assert answer.headers["Content-Type"] == "application/problem+json"
    page = _post(
        aino, "/o/acme/settings/personal-email", {"personal_email": "nope"}, "/o/acme/settings"
    )
    assert page.status_code == 400
    assert "That is not an e-mail address." in page.get_data(as_text=True)


def _jws(key: KeyPair, payload: str, kid: str | None = None) -> str:
    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")

    header = part(
        json.dumps({"alg": "EdDSA", "kid": kid or key.did_key_verification_method}).encode()
    )
    body = part(payload.encode("ascii"))
    signature = part(key.sign(f"{header}.{body}".encode("ascii")))
    return f"{header}.{body}.{signature}"


def test_a_did_bound_by_proving_control_gets_the_badges_re_issued(
    web_app: Any, acme: Org, provider: Any
) -> None:
    aino = signed_in(web_app, acme, provider)
    awarded = _award(aino, acme, "data-protection")
    wallet, stranger = KeyPair.generate(), KeyPair.generate()
    _post(aino, "/o/acme/settings/did/challenge", {}, "/o/acme/settings")
    page = _page(aino, "/o/acme/settings").get_data(as_text=True)
    challenge = re.search(r'<code id="did-challenge">([^<]+)</code>', page).group(1)  # type: ignore[union-attr]

    # Signed by another key, for another challenge, or not a JWS: refused, nothing bound.
    for proof in (
        _jws(stranger, challenge, kid=wallet.did_key_verification_method),
        _jws(wallet, "some other challenge"),
        "not a proof",
    ):
        refused = _post(aino, "/o/acme/settings/did", {"proof": proof}, "/o/acme/settings")
        assert refused.status_code == 400
        assert "does not show that you control" in refused.get_data(as_text=True)

    bound = _post(
        aino, "/o/acme/settings/did", {"proof": _jws(wallet, challenge)}, "/o/acme/settings"
    )
    assert bound.status_code == 303
    assert wallet.did_key in _page(aino, "/o/acme/settings").get_data(as_text=True)
    # The challenge is spent.
    again = _post(
        aino, "/o/acme/settings/did", {"proof": _jws(wallet, challenge)}, "/o/acme/settings"
    )
    assert again.status_code == 400

    assert _post(aino, "/o/acme/badges/reissue", {"to": "did"}, "/o/acme/badges").status_code == 303
    with web_app.app_context(), session_scope(database()) as session:
        copy = session.scalar(select(Credential).where(Credential.reissued_from_id.is_not(None)))
        assert copy is not None and copy.occurrence == f"reissued:did:{awarded['id']}"
        copy_id = str(copy.id)
    copied = aino.get(f"/credentials/{copy_id}").get_json()
    assert copied["credentialSubject"]["id"] == wallet.did_key
    assert "identifier" not in copied["credentialSubject"]
    _verifies(aino, copied)
    _verifies(aino, aino.get(f"/credentials/{awarded['id']}").get_json())
    # Revoking the original revokes its copy: a copy stands for the same award.
    revoked = aino.post(
        f"/api/v1/credentials/{awarded['id']}/revoke",
        json={"reason": "awarded to the wrong person"},
        headers=acme.headers,
    )
    assert revoked.status_code == 200, revoked.get_json()
    _verifies(aino, copied, verified=False)
    with web_app.app_context(), session_scope(database()) as session:
        row = session.get(Credential, uuid.UUID(copy_id))
        assert row is not None and row.revoked_at is not None
        assert row.revocation_reason == (
            f"its original {awarded['id']} was revoked: awarded to the wrong person"
        )


def test_a_removed_address_signs_nobody_in(
    web_app: Any,
    acme: Org,
    provider: Any,
    smtp: tuple[Inbox, int],  # noqa: F811
) -> None:
    inbox, port = smtp
    aino = signed_in(web_app, acme, provider)
    _confirm_personal_email(web_app, aino, port, inbox)
    visitor = web_app.test_client()
    _post(visitor, "/o/acme/sign-in/email", {"email": HOME})
    link = _mailed_link(web_app, port, inbox)
    signed_by_link = web_app.test_client()
    _post(signed_by_link, "/o/acme/sign-in/email", {"email": HOME})
    assert _post(signed_by_link, _mailed_link(web_app, port, inbox), {}).status_code == 303
    assert _page(signed_by_link, "/o/acme/badges").status_code == 200
    removed = _post(aino, "/o/acme/settings/personal-email/remove", {}, "/o/acme/settings")
    assert removed.status_code == 303
    assert HOME not in _page(aino, "/o/acme/settings").get_data(as_text=True)
    assert _page(signed_by_link, "/o/acme/badges").status_code == 303  # its session ended
    # The links mailed before are dead (this one since a newer was asked for; the newer,
    # the address being gone), and no new one goes.
    assert _post(visitor, link, {}, "/o/acme/sign-in/email").status_code == 410
    _post(visitor, "/o/acme/sign-in/email", {"email": HOME})
    assert _steps(web_app, port).send() == 0
    person_id = _aino_id(aino, acme)
    identities = aino.get(f"/api/v1/people/{person_id}/identities", headers=acme.headers)
    assert identities.get_json()["personalEmail"] is None
    with web_app.app_context(), session_scope(database()) as session:
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.organisation_id == acme.id)
        ).all()
        assert {"person.personal_email_confirmed", "person.personal_email_removed"} <= set(actions)
