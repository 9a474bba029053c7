"""Personal data on the pages: the learner downloads their data from their settings; an
admin finds a person, downloads their data, and erases them after typing their employee
number or name again (a wrong one erases nothing); the erased person's session ends; a
learner may not erase; another organisation's person is not found; in fi, sv and en."""

from __future__ import annotations

from typing import Any

from tests.privacy.test_export import validate_export
from tests.web.conftest import Org, form_token, signed_in
from tests.web.test_public_pages import BROWSER, page, text_of

AINO = "aino.virtanen@acme.example"


def _person_id(web_app: Any, acme: Org, ref: str = AINO) -> str:
    answer = web_app.test_client().get(f"/api/v1/people/{ref}", headers=acme.headers)
    assert answer.status_code == 200
    return str(answer.get_json()["id"])


def _post(client: Any, path: str, form_page: str, language: str = "en", **data: str) -> Any:
    token = form_token(page(client, form_page, language))
    return client.post(
        path,
        data={"csrf_token": token, **data},
        headers={"Accept": BROWSER, "Accept-Language": language},
    )


def test_the_learner_downloads_their_data_from_their_settings(
    web_app: Any, acme: Org, provider: Any
) -> None:
    aino = signed_in(web_app, acme, provider, "aino")
    expected = {"en": "Download my data", "fi": "Lataa tietoni", "sv": "Ladda ner mina uppgifter"}
    for language, button in expected.items():
        assert button in text_of(page(aino, "/o/acme/settings", language))
    answer = _post(aino, "/o/acme/settings/export", "/o/acme/settings")
    assert answer.status_code == 200
    assert answer.mimetype == "application/zip"
    assert answer.headers["Cache-Control"] == "no-store"
    document, _ = validate_export(web_app.test_client(), answer.data, web_app.config["PUBLIC_URL"])
    assert document["person"]["email"] == AINO
    # Without the form's token nothing is downloaded.
    refused = aino.post("/o/acme/settings/export", headers={"Accept": BROWSER})
    assert refused.status_code == 400


def test_the_admin_exports_and_erases_a_person(web_app: Any, acme: Org, provider: Any) -> None:
    aino = signed_in(web_app, acme, provider, "aino")
    admin = signed_in(web_app, acme, provider, "tuomas")
    person_id = _person_id(web_app, acme)
    listing = text_of(page(admin, "/o/acme/admin/people?q=virtanen"))
    assert "Aino Virtanen" in listing and "E1003" in listing
    assert "Nobody matches." in text_of(page(admin, "/o/acme/admin/people?q=zzzz"))
    person_page = f"/o/acme/admin/people/{person_id}"
    assert "Download their data" in text_of(page(admin, person_page))

    exported = _post(admin, f"{person_page}/export", person_page)
    assert exported.status_code == 200 and exported.mimetype == "application/zip"
    validate_export(web_app.test_client(), exported.data, web_app.config["PUBLIC_URL"])

    erase_page = f"{person_page}/erase"
    explained = text_of(page(admin, erase_page))
    for words in ("What will be removed", "What will be kept, and why", "salted hashes"):
        assert words in explained
    wrong = _post(admin, erase_page, erase_page, confirm="Aino Virtala")
    assert wrong.status_code == 400
    assert "Nothing was erased" in text_of(wrong.get_data(as_text=True))
    assert _person_id(web_app, acme, "E1003") == person_id  # still there

    done = _post(admin, erase_page, erase_page, confirm="E1003")
    assert done.status_code == 200
    report = text_of(done.get_data(as_text=True))
    assert "The person was erased" in report and "Accounts in learning environments" in report
    assert "Erased person" in text_of(page(admin, person_page))
    assert "Aino" not in text_of(page(admin, "/o/acme/admin/people"))
    # Her session ended with her: the page asks her to sign in again.
    assert aino.get("/o/acme/settings", headers={"Accept": BROWSER}).status_code in (302, 303)
    # Erased once: the erase page shows the person as erased, nothing is done again.
    assert "Erased person" in text_of(page(admin, erase_page))


def test_the_erasure_pages_in_finnish_and_swedish(web_app: Any, acme: Org, provider: Any) -> None:
    admin = signed_in(web_app, acme, provider, "tuomas")
    erase_page = f"/o/acme/admin/people/{_person_id(web_app, acme)}/erase"
    assert "Mitä poistetaan" in text_of(page(admin, erase_page, "fi"))
    assert "Vad som tas bort" in text_of(page(admin, erase_page, "sv"))
    done = _post(admin, erase_page, erase_page, "sv", confirm="aino virtanen")
    assert done.status_code == 200
    assert "Personen har raderats" in text_of(done.get_data(as_text=True))


def test_only_admins_of_the_organisation_erase(
    web_app: Any, acme: Org, provider: Any, make_org: Any
) -> None:
    person_id = _person_id(web_app, acme)
    for login in ("aino", "riikka", "helena"):
        visitor = signed_in(web_app, acme, provider, login)
        page(visitor, "/o/acme/admin/people", status=403)
        page(visitor, f"/o/acme/admin/people/{person_id}/erase", status=403)
        refused = _post(
            visitor, f"/o/acme/admin/people/{person_id}/erase", "/o/acme/home", confirm="E1003"
        )
        assert refused.status_code == 403
    other = make_org("muu", {"olli": ("Olli", "olli@muu.example", "M1", True)})
    admin = signed_in(web_app, acme, provider, "tuomas")
    page(admin, f"/o/acme/admin/people/{other.people['olli']}", status=404)
    page(admin, f"/o/acme/admin/people/{other.people['olli']}/erase", status=404)
    page(admin, "/o/acme/admin/people/not-an-id", status=404)
    page(admin, "/o/acme/admin/people?page=0", status=400)
    assert _person_id(web_app, acme, "E1003") == person_id
    # Nobody erases themselves.
    own = _person_id(web_app, acme, "tuomas.lehtonen@esimerkkiopisto.example.org")
    own_page = f"/o/acme/admin/people/{own}/erase"
    page(admin, own_page, status=400)
