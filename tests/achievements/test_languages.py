"""Badges in the learner's language: translations through the API, one language per
credential (the person's, else the organisation's default), the public document in the
language asked for, and versions frozen per language."""

from __future__ import annotations

from typing import Any

from badgeservice.credentials.ob3 import validate_credential
from tests.factories import SVG, b64, create_achievement, insert_person, problem

TEXTS = {
    "name": {"fi": "Digisisällön tekijä", "sv": "Skapare av digitalt innehåll"},
    "description": {
        "fi": "Tekee ja muokkaa digitaalista sisältöä monessa muodossa.",
        "sv": "Skapar och redigerar digitalt innehåll i flera format.",
    },
    "criteria": {"fi": "Julkaise kolme opetusvideota.", "sv": "Publicera tre lärvideor."},
    "imageCaption": {"fi": "Kamera ja leikkauspöytä", "sv": "En kamera och ett klippbord"},
}


def _prefer(client: Any, tenant: Any, person: Any, language: str | None) -> None:
    response = client.patch(
        f"/api/v1/people/{person}", headers=tenant.headers, json={"preferredLanguage": language}
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["preferredLanguage"] == language


def _award(client: Any, tenant: Any, achievement: str, person: Any) -> dict[str, Any]:
    response = client.post(
        "/api/v1/awards",
        headers=tenant.headers,
        json={"achievement": achievement, "person": str(person)},
    )
    assert response.status_code == 201, response.get_json()
    credential: dict[str, Any] = response.get_json()["credential"]
    return credential


def _translated(client: Any, tenant: Any) -> dict[str, Any]:
    image = {"mediaType": "image/svg+xml", "data": b64(SVG)}
    return create_achievement(
        client, tenant, translations=TEXTS, imageCaption="A camera", image=image
    )


def test_translations_are_taken_and_returned_with_the_default_language_from_the_plain_fields(
    client: Any, make_tenant: Any
) -> None:
    tenant = make_tenant("acme")
    body = _translated(client, tenant)
    current = body["current"]
    assert current["name"] == "Digital content creator"  # the default language (en)
    assert current["translations"]["name"] == {
        "fi": "Digisisällön tekijä",
        "sv": "Skapare av digitalt innehåll",
        "en": "Digital content creator",
    }
    assert current["translations"]["criteria"]["en"] == "Publish three learning videos."
    assert current["translations"]["imageCaption"]["en"] == "A camera"
    assert current["languages"] == []  # nothing issued yet

    got = client.get(f"/api/v1/achievements/{body['id']}", headers=tenant.headers).get_json()
    assert got["current"]["translations"] == current["translations"]


def test_bad_translations_are_refused_with_the_field_named(client: Any, make_tenant: Any) -> None:
    tenant = make_tenant("acme")
    cases = [
        ({"title": {"fi": "x"}}, "translations"),
        ({"name": {"not a tag": "x"}}, "translations"),
        ({"name": {"fi": "   "}}, "blank"),
        ({"name": "Tekijä"}, "translations"),
    ]
    for translations, needle in cases:
        response = client.post(
            "/api/v1/achievements",
            headers=tenant.headers,
            json={
                "slug": "x",
                "issuer": str(tenant.issuer_id),
                "name": "N",
                "description": "D",
                "criteria": {"narrative": "C"},
                "translations": translations,
            },
        )
        assert needle in problem(response, 400)["detail"], translations


def test_a_credential_is_issued_in_the_persons_language(client: Any, make_tenant: Any) -> None:
    tenant = make_tenant("acme")
    achievement = _translated(client, tenant)["id"]
    swede = insert_person(client.application, tenant, "sven@example.org")
    finn = insert_person(client.application, tenant, "aino@example.org")
    nobody = insert_person(client.application, tenant, "ada@example.org")
    _prefer(client, tenant, swede, "sv-FI")
    _prefer(client, tenant, finn, "fi")

    swedish = _award(client, tenant, achievement, swede)
    badge = swedish["credentialSubject"]["achievement"]
    assert badge["inLanguage"] == "sv"  # sv-FI is served the sv text
    assert swedish["name"] == badge["name"] == "Skapare av digitalt innehåll"
    assert badge["description"] == TEXTS["description"]["sv"]
    assert badge["criteria"]["narrative"] == "Publicera tre lärvideor."
    assert badge["image"]["caption"] == "En kamera och ett klippbord"
    validate_credential({key: value for key, value in swedish.items() if key != "proof"})

    finnish = _award(client, tenant, achievement, finn)
    assert finnish["credentialSubject"]["achievement"]["inLanguage"] == "fi"
    assert finnish["name"] == "Digisisällön tekijä"

    default = _award(client, tenant, achievement, nobody)
    assert default["credentialSubject"]["achievement"]["inLanguage"] == "en"
    assert default["name"] == "Digital content creator"

    got = client.get(f"/api/v1/achievements/{achievement}", headers=tenant.headers).get_json()
    assert got["current"]["languages"] == ["en", "fi", "sv"]


def test_a_language_the_badge_is_not_written_in_gets_the_default(
    client: Any, make_tenant: Any
) -> None:
    tenant = make_tenant("acme")
    achievement = _translated(client, tenant)["id"]
    person = insert_person(client.application, tenant)
    _prefer(client, tenant, person, "de")
    credential = _award(client, tenant, achievement, person)
    assert credential["credentialSubject"]["achievement"]["inLanguage"] == "en"
    assert credential["name"] == "Digital content creator"


def test_preferred_language_must_be_a_tag(client: Any, make_tenant: Any) -> None:
    tenant = make_tenant("acme")
    person = insert_person(client.application, tenant)
    response = client.patch(
        f"/api/v1/people/{person}", headers=tenant.headers, json={"preferredLanguage": "Swedish!"}
    )
    assert "preferredLanguage" in problem(response, 400)["detail"]


def test_versions_are_frozen_per_language(client: Any, make_tenant: Any) -> None:
    tenant = make_tenant("acme")
    achievement = _translated(client, tenant)["id"]
    person = insert_person(client.application, tenant)
    _prefer(client, tenant, person, "sv")
    issued = _award(client, tenant, achievement, person)
    assert issued["credentialSubject"]["achievement"]["version"] == "1"

    def patch(**changes: Any) -> dict[str, Any]:
        response = client.patch(
            f"/api/v1/achievements/{achievement}", headers=tenant.headers, json=changes
        )
        assert response.status_code == 200, response.get_json()
        body: dict[str, Any] = response.get_json()
        return body

    # Only Swedish credentials exist: a new German translation and a corrected English
    # name leave what they show alone, so version 1 is edited in place.
    german = {key: {**table, "de": f"{table['fi']} (de)"} for key, table in TEXTS.items()}
    assert patch(translations=german)["change"] == "edited"
    assert patch(name="Digital content maker")["change"] == "edited"
    edited = patch(name="Digital content maker")
    assert edited["change"] == "unchanged"
    assert edited["current"]["translations"]["name"]["en"] == "Digital content maker"
    assert edited["current"]["translations"]["name"]["de"] == "Digisisällön tekijä (de)"

    # The Swedish text itself changes: a new version; version 1 keeps its Swedish name.
    corrected = {**german, "name": {**german["name"], "sv": "Skapare av digitala medier"}}
    body = patch(translations=corrected)
    assert body["change"] == "versioned"
    assert [v["version"] for v in body["versions"]] == [1, 2]
    first = client.get("/achievements/acme/content-creator/v1", headers={"Accept-Language": "sv"})
    assert first.get_json()["name"] == "Skapare av digitalt innehåll"

    # Anything the same in every language (here the tags) is a change in every language.
    assert patch(tags=["new"])["change"] == "edited"  # version 2 is not issued yet
    _award(client, tenant, achievement, person)
    assert patch(tags=["newer"])["change"] == "versioned"


def test_the_public_document_is_in_the_language_asked_for(client: Any, make_tenant: Any) -> None:
    tenant = make_tenant("acme")
    _translated(client, tenant)
    url = "/achievements/acme/content-creator"

    swedish = client.get(url, headers={"Accept-Language": "sv-FI, en;q=0.5"})
    assert swedish.status_code == 200
    assert swedish.headers["Content-Language"] == "sv"
    assert "Accept-Language" in swedish.headers["Vary"]
    assert swedish.get_json()["name"] == "Skapare av digitalt innehåll"
    assert swedish.get_json()["inLanguage"] == "sv"

    finnish = client.get(url, headers={"Accept-Language": "fi"}).get_json()
    assert finnish["description"] == TEXTS["description"]["fi"]

    for header in ({"Accept-Language": "de, ja;q=0.5"}, {}):
        other = client.get(url, headers=header)
        assert other.headers["Content-Language"] == "en"
        assert other.get_json()["name"] == "Digital content creator"
