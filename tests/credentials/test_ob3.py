"""Tests for the OB 3.0 credential builder, recipient hashing and schema validation."""

from __future__ import annotations

import copy
import hashlib
import json
import re
from datetime import UTC, datetime, timedelta, timezone
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyld import jsonld

from badgeservice.credentials.contexts import CONTEXT_STORE, OB_V3P0, OB_V3P0_EXTENSIONS, VC_V2
from badgeservice.credentials.errors import (
    MalformedDocumentError,
    SchemaValidationError,
    UnsafeDocumentError,
)
from badgeservice.credentials.jsonld import expand as safe_expand
from badgeservice.credentials.ob3 import (
    ACHIEVEMENT_CREDENTIAL_SCHEMA_URL,
    Achievement,
    Alignment,
    Criteria,
    Evidence,
    IdentityObject,
    Image,
    Profile,
    Recipient,
    Result,
    ResultDescription,
    RubricCriterionLevel,
    build_credential,
    hash_identity,
    identity_matches,
    validate_credential,
    validate_profile,
)
from badgeservice.credentials.resources import schemas_dir
from tests.conftest import load_vector

CRED = "https://www.w3.org/2018/credentials#"
OB = "https://purl.imsglobal.org/spec/vc/ob/vocab.html#"
KNOWN_HASH = "sha256$b5809d8a92f8858436d7e6b87c12ebc0ae1eac4baecc2c0b913aee2c922ef399"
SCORE_ID = "urn:uuid:9b0e5a43-5f8e-4d6a-8f7b-2c4d8e1f3a55"
STATUS_ID = "urn:uuid:5c3b1a9e-0d5f-4b8e-9f7e-1a2b3c4d5e6f"
LEVEL_ID = "https://badges.example.com/rubric/levels/mastered"
DID = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
T0 = datetime(2026, 11, 28, 11, 0, 0, 987654, tzinfo=timezone(timedelta(hours=2)))

# Multilingual Markdown: Finnish, Japanese, Arabic (right-to-left), emoji and a
# combining accent, so encoding problems anywhere in the chain show up.
NARRATIVE = (
    "## Näyttö / 実技 / إثبات\n\n"
    "* Suoritti **kaikki** moduulit \u2013 «työturvallisuus» ✅\n"
    "* 最終試験に合格しました。\n"
    "* اجتاز التقييم النهائي 🎓\n"
    "* Cafe\u0301 au lait\n"
)

ISSUER = Profile(
    id="did:web:badges.example.com",
    name="Esimerkki Oy Akatemia",
    url="https://badges.example.com",
    email="academy@example.com",
    description="Yrityksen sisäinen oppimisympäristö",
    image=Image(id="https://badges.example.com/logo.png", caption="Logo"),
    extra_types=("https://schema.org/Organization",),
)

SIMPLE_ACHIEVEMENT = Achievement(
    id="https://badges.example.com/achievements/path-42/goal-3",
    name="Data analysis basics",
    description="Recognises completion of sub-goal 3 of learning path 42.",
    criteria=Criteria(narrative="Complete all modules and pass the final assessment."),
)

FULL_ACHIEVEMENT = Achievement(
    id="https://badges.example.com/achievements/path-42/goal-3",
    name="Tietojen analysoinnin perusteet",
    description="Tunnistaa oppimispolun 42 osatavoitteen 3 suorittamisen \u2013 認定.",
    criteria=Criteria(
        id="https://badges.example.com/achievements/path-42/goal-3/criteria",
        narrative="Suorita kaikki moduulit ja läpäise loppukoe (≥ 70 %).",
    ),
    image=Image(id="https://badges.example.com/achievements/path-42/goal-3/image.png"),
    achievement_type="Competency",
    alignments=(
        Alignment(
            target_name="Analyse data",
            target_url="https://frameworks.example.com/competences/analyse-data",
            target_code="C-117",
            target_framework="Example competence framework",
            target_description="Käyttää tilastollisia menetelmiä",
            target_type="CFItem",
        ),
    ),
    result_descriptions=(
        ResultDescription(
            id=SCORE_ID,
            name="Final assessment score",
            result_type="Percent",
            value_min="0",
            value_max="100",
            required_value="70",
        ),
        ResultDescription(
            id=STATUS_ID,
            name="Rubric",
            result_type="Status",
            allowed_value=("Completed", "Failed"),
            required_level=LEVEL_ID,
            rubric_criterion_levels=(
                RubricCriterionLevel(id=LEVEL_ID, name="Mastered", level="3", points="10"),
            ),
            alignments=(
                Alignment(
                    target_name="Rubric criterion",
                    target_url="https://frameworks.example.com/rubrics/1",
                    target_type="ext:Rubric",
                ),
            ),
        ),
    ),
    tags=("data", "analytiikka", "データ"),
    version="2.1",
    human_code="DA-101",
    in_language="fi",
    creator=Profile(id="https://hr.example.com/org", name="HR"),
)

STATUS_ENTRY = {
    "id": "https://badges.example.com/status/1#48213",
    "type": "BitstringStatusListEntry",
    "statusPurpose": "revocation",
    "statusListIndex": "48213",
    "statusListCredential": "https://badges.example.com/status/1",
}


def email_recipient() -> Recipient:
    return Recipient(identifiers=(IdentityObject.hashed_email("Learner@Example.com"),))


def minimal_kwargs(**overrides: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "credential_id": "urn:uuid:2f1d4c1e-8a63-4b7e-9a3e-6c1f0f7d2a10",
        "issuer": Profile(id="did:web:badges.example.com"),
        "achievement": SIMPLE_ACHIEVEMENT,
        "recipient": Recipient(id=DID),
        "valid_from": T0,
    }
    kwargs.update(overrides)
    return kwargs


def full_kwargs(**overrides: Any) -> dict[str, Any]:
    return minimal_kwargs(
        issuer=ISSUER,
        achievement=FULL_ACHIEVEMENT,
        recipient=email_recipient(),
        valid_until=T0 + timedelta(days=730),
        awarded_date=T0 - timedelta(days=1),
        name="Tietojen analysoinnin perusteet \u2013 2026",
        description="Myönnetty LMS-suorituksen perusteella",
        evidence=(
            Evidence(
                id="https://lms.example.com/completions/77881",
                name="LMS completion record",
                narrative="Suoritettu 28.11.2026",
                description="Kurssisuoritus",
                genre="Completion record",
                audience="Employer",
            ),
        ),
        results=(
            Result(result_description=SCORE_ID, value="86"),
            Result(result_description=STATUS_ID, status="Completed", achieved_level=LEVEL_ID),
        ),
        credential_status=STATUS_ENTRY,
        narrative=NARRATIVE,
        image=Image(id="https://badges.example.com/awards/1.png", caption="Merkki"),
        **overrides,
    )


# --- JSON-LD helpers -------------------------------------------------------------------

_ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")


def expand(document: dict[str, Any]) -> tuple[list[Any], list[str | None]]:
    """Expand offline with the pinned contexts; also return every dropped property."""
    dropped: list[str | None] = []
    # base=None keeps relative IRIs relative; pyld otherwise resolves them against its
    # placeholder http://example.org/base/, which would hide them from relative_iris().
    expanded = jsonld.expand(
        copy.deepcopy(document),
        {"documentLoader": CONTEXT_STORE.load, "base": None},
        on_property_dropped=dropped.append,
    )
    return expanded, dropped


def relative_iris(node: Any) -> list[str]:
    """Properties, node types and ids in expanded output that are not absolute IRIs."""
    found: list[str] = []
    if isinstance(node, list):
        for item in node:
            found += relative_iris(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if not key.startswith("@") and not _ABSOLUTE.match(key):
                found.append(key)
            if key in ("@id", "@type"):
                for iri in value if isinstance(value, list) else [value]:
                    if not _ABSOLUTE.match(iri):
                        found.append(iri)
            elif key != "@value":
                found += relative_iris(value)
    return found


def assert_jsonld_clean(document: dict[str, Any]) -> list[Any]:
    expanded, dropped = expand(document)
    assert dropped == []
    assert relative_iris(expanded) == []
    return expanded


# --- identity hashing ------------------------------------------------------------------


def test_hash_identity_known_answer() -> None:
    assert hash_identity("a@example.com", "Kosher") == KNOWN_HASH


def test_hash_identity_is_sha256_of_identifier_then_salt() -> None:
    digest = hashlib.sha256("jörg@example.com".encode() + "sälz".encode()).hexdigest()
    assert hash_identity("jörg@example.com", "sälz") == f"sha256${digest}"
    assert hash_identity("x", "") == "sha256$" + hashlib.sha256(b"x").hexdigest()


def test_hash_identity_refuses_md5_for_issuing() -> None:
    with pytest.raises(ValueError, match="md5"):
        hash_identity("a@example.com", "Kosher", algorithm="md5")


def test_hashed_email_normalises_and_matches_known_answer() -> None:
    identity = IdentityObject.hashed_email("  A@Example.COM\n", salt="Kosher")
    assert identity.to_json() == {
        "type": "IdentityObject",
        "identityType": "emailAddress",
        "hashed": True,
        "identityHash": KNOWN_HASH,
        "salt": "Kosher",
    }


def test_hashed_email_draws_a_fresh_random_salt() -> None:
    first = IdentityObject.hashed_email("a@example.com")
    second = IdentityObject.hashed_email("a@example.com")
    assert first.salt
    assert second.salt
    assert re.fullmatch(r"[0-9a-f]{32}", first.salt)
    assert first.salt != second.salt
    assert first.identity_hash != second.identity_hash
    assert identity_matches(first.to_json(), "a@example.com")


def test_unsalted_hash_omits_salt() -> None:
    identity = IdentityObject.hashed_email("a@example.com", salt="")
    assert "salt" not in identity.to_json()
    assert identity.identity_hash == hash_identity("a@example.com", "")


def test_hashed_employee_number_uses_sourced_id() -> None:
    identity = IdentityObject.hashed_employee_number(" E-10042 ", salt="s")
    assert identity.identity_type == "sourcedId"
    assert identity.identity_hash == hash_identity("E-10042", "s")
    assert identity_matches(identity.to_json(), "E-10042", identity_type="sourcedId")
    assert not identity_matches(identity.to_json(), "e-10042")


@pytest.mark.parametrize("email", ["", "   ", "no-at-sign", "@example.com", "a b@example.com"])
def test_hashed_email_rejects_non_addresses(email: str) -> None:
    with pytest.raises(MalformedDocumentError):
        IdentityObject.hashed_email(email)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"identity_type": "employeeNumber", "identity_hash": KNOWN_HASH}, "identityType"),
        ({"identity_type": "emailAddress", "identity_hash": "sha256$xyz"}, "identityHash"),
        ({"identity_type": "emailAddress", "identity_hash": "sha1$" + "0" * 40}, "identityHash"),
        (
            {
                "identity_type": "emailAddress",
                "identity_hash": "a@x.org",
                "hashed": False,
                "salt": "s",
            },
            "salt",
        ),
    ],
)
def test_identity_object_rejects_inconsistent_fields(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(MalformedDocumentError, match=match):
        IdentityObject(**kwargs)


def test_identity_object_accepts_extension_types() -> None:
    assert IdentityObject("ext:employeeNumber", KNOWN_HASH, salt="Kosher").hashed


def _entry(**fields: Any) -> dict[str, Any]:
    entry = {"type": "IdentityObject", "identityType": "emailAddress", "hashed": True}
    entry.update(fields)
    return entry


@pytest.mark.parametrize(
    ("entry", "plaintext"),
    [
        (_entry(identityHash=KNOWN_HASH, salt="Kosher"), "a@example.com"),
        (
            _entry(identityHash=KNOWN_HASH.upper().replace("SHA256", "sha256"), salt="Kosher"),
            "a@example.com",
        ),
        (_entry(identityHash=KNOWN_HASH, salt="Kosher"), " A@Example.com "),
        (
            _entry(
                identityHash="md5$" + hashlib.md5(b"a@example.comKosher").hexdigest(), salt="Kosher"
            ),
            "a@example.com",
        ),
        (_entry(identityHash=hash_identity("a@example.com", "")), "a@example.com"),
        (_entry(identityHash="a@example.com", hashed=False), "A@example.com"),
        (_entry(identityType="sourcedId", identityHash=hash_identity("E1", "s"), salt="s"), "E1"),
    ],
)
def test_identity_matches_positive(entry: dict[str, Any], plaintext: str) -> None:
    assert identity_matches(entry, plaintext)


@pytest.mark.parametrize(
    ("entry", "plaintext", "identity_type"),
    [
        (_entry(identityHash=KNOWN_HASH, salt="Kosher"), "b@example.com", None),
        (_entry(identityHash=KNOWN_HASH, salt="kosher"), "a@example.com", None),
        (_entry(identityHash=KNOWN_HASH), "a@example.com", None),
        (_entry(identityHash=KNOWN_HASH, salt="Kosher"), "a@example.com", "sourcedId"),
        (_entry(identityHash="a@example.com", hashed=False), "b@example.com", None),
        (
            _entry(identityType="sourcedId", identityHash=hash_identity("E1", "s"), salt="s"),
            "e1",
            None,
        ),
    ],
)
def test_identity_matches_negative(
    entry: dict[str, Any], plaintext: str, identity_type: str | None
) -> None:
    assert not identity_matches(entry, plaintext, identity_type=identity_type)


@pytest.mark.parametrize(
    "entry",
    [
        _entry(identityHash=KNOWN_HASH, hashed="true"),
        _entry(identityHash="sha512$" + "0" * 128),
        _entry(identityHash=KNOWN_HASH[:-2]),
        _entry(identityHash=KNOWN_HASH, salt=42),
        _entry(),
    ],
)
def test_identity_matches_rejects_malformed_entries(entry: dict[str, Any]) -> None:
    with pytest.raises(MalformedDocumentError):
        identity_matches(entry, "a@example.com")


@settings(max_examples=100, deadline=None)
@given(identifier=st.text(min_size=1), salt=st.text())
def test_identity_hash_round_trip(identifier: str, salt: str) -> None:
    entry = _entry(identityType="identifier", identityHash=hash_identity(identifier, salt))
    entry["salt"] = salt
    assert identity_matches(entry, identifier)
    assert not identity_matches(entry, identifier + "x")


# --- building --------------------------------------------------------------------------


def test_full_credential_shape() -> None:
    doc = build_credential(**full_kwargs())
    assert doc["@context"] == [VC_V2, OB_V3P0, OB_V3P0_EXTENSIONS]
    assert doc["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert doc["credentialSchema"] == [
        {"id": ACHIEVEMENT_CREDENTIAL_SCHEMA_URL, "type": "1EdTechJsonSchemaValidator2019"}
    ]
    # 11:00:00.987654+02:00 -> truncated to whole seconds, in UTC.
    assert doc["validFrom"] == "2026-11-28T09:00:00Z"
    assert doc["validUntil"] == "2028-11-27T09:00:00Z"
    assert doc["awardedDate"] == "2026-11-27T09:00:00Z"
    assert doc["issuer"]["type"] == ["Profile", "https://schema.org/Organization"]
    assert doc["issuer"]["image"] == {
        "id": "https://badges.example.com/logo.png",
        "type": "Image",
        "caption": "Logo",
    }
    subject = doc["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    assert "id" not in subject
    [identity] = subject["identifier"]
    assert identity["type"] == "IdentityObject"
    assert identity_matches(identity, "learner@example.com", identity_type="emailAddress")
    assert subject["narrative"] == NARRATIVE
    achievement = subject["achievement"]
    assert achievement["alignment"][0]["type"] == ["Alignment"]
    assert achievement["alignment"][0]["targetUrl"].startswith("https://frameworks.")
    assert [rd["id"] for rd in achievement["resultDescription"]] == [SCORE_ID, STATUS_ID]
    assert achievement["resultDescription"][1]["allowedValue"] == ["Completed", "Failed"]
    assert achievement["resultDescription"][1]["rubricCriterionLevel"][0]["id"] == LEVEL_ID
    assert achievement["tag"] == ["data", "analytiikka", "データ"]
    assert achievement["image"]["type"] == "Image"
    assert achievement["creator"] == {
        "id": "https://hr.example.com/org",
        "type": ["Profile"],
        "name": "HR",
    }
    assert subject["result"] == [
        {"type": ["Result"], "resultDescription": SCORE_ID, "value": "86"},
        {
            "type": ["Result"],
            "resultDescription": STATUS_ID,
            "status": "Completed",
            "achievedLevel": LEVEL_ID,
        },
    ]
    assert doc["evidence"][0]["type"] == ["Evidence"]
    assert doc["evidence"][0]["audience"] == "Employer"
    assert doc["credentialStatus"] == STATUS_ENTRY
    assert doc["name"] == "Tietojen analysoinnin perusteet \u2013 2026"


def test_full_credential_passes_schema_and_survives_json_round_trip() -> None:
    doc = build_credential(**full_kwargs())
    validate_credential(doc)
    text = json.dumps(doc, ensure_ascii=False)
    assert json.loads(text) == doc
    assert "اجتاز" in text
    assert "実技" in text


def test_full_credential_expands_without_dropping_anything() -> None:
    expanded = assert_jsonld_clean(build_credential(**full_kwargs()))
    text = json.dumps(expanded, ensure_ascii=False)
    assert (
        "https://purl.imsglobal.org/spec/vccs/v1p0/context.json#1EdTechJsonSchemaValidator2019"
        in text
    )
    assert "https://www.w3.org/ns/credentials/status#BitstringStatusListEntry" in text
    assert "https://schema.org/AlignmentObject" in text
    assert {"@value": NARRATIVE} in expanded[0][CRED + "credentialSubject"][0][OB + "narrative"]


def test_full_credential_passes_the_signers_safe_mode() -> None:
    # The signer refuses documents that JSON-LD would alter; built credentials must pass.
    safe_expand(build_credential(**full_kwargs()))
    doc = build_credential(**full_kwargs())
    doc["@context"] = [VC_V2, OB_V3P0]
    with pytest.raises(UnsafeDocumentError):
        safe_expand(doc)


def test_jsonld_check_catches_undefined_terms_and_missing_extension_context() -> None:
    doc = build_credential(**full_kwargs())
    doc["credentialSubject"]["favouriteColour"] = "blue"
    _, dropped = expand(doc)
    assert dropped == ["favouriteColour"]

    doc = build_credential(**full_kwargs())
    doc["@context"] = [VC_V2, OB_V3P0]
    expanded, dropped = expand(doc)
    assert dropped == []
    assert relative_iris(expanded) == ["1EdTechJsonSchemaValidator2019"]


def test_language_maps_pass_the_schema_but_are_dropped_by_jsonld() -> None:
    # Why narrative and friends are plain strings: the JSON-LD-adapted schema accepts
    # {"fi": "..."}, but the OB context declares no @language container, so JSON-LD
    # processing (and hence the signature) would silently lose the text.
    doc = build_credential(**minimal_kwargs(narrative="x"))
    doc["credentialSubject"]["narrative"] = {"fi": "Näyttö", "en": "Demonstration"}
    validate_credential(doc)
    _, dropped = expand(doc)
    assert sorted(dropped) == ["en", "fi"]


def test_minimal_credential() -> None:
    doc = build_credential(**minimal_kwargs())
    assert doc == {
        "@context": [VC_V2, OB_V3P0, OB_V3P0_EXTENSIONS],
        "id": "urn:uuid:2f1d4c1e-8a63-4b7e-9a3e-6c1f0f7d2a10",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Data analysis basics",
        "issuer": {"id": "did:web:badges.example.com", "type": ["Profile"]},
        "validFrom": "2026-11-28T09:00:00Z",
        "credentialSubject": {
            "id": DID,
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://badges.example.com/achievements/path-42/goal-3",
                "type": ["Achievement"],
                "name": "Data analysis basics",
                "description": "Recognises completion of sub-goal 3 of learning path 42.",
                "criteria": {"narrative": "Complete all modules and pass the final assessment."},
            },
        },
        "credentialSchema": [
            {"id": ACHIEVEMENT_CREDENTIAL_SCHEMA_URL, "type": "1EdTechJsonSchemaValidator2019"}
        ],
    }
    assert_jsonld_clean(doc)


def test_did_recipient_and_identifiers_together() -> None:
    doc = build_credential(**minimal_kwargs(recipient=Recipient(id=DID)))
    assert doc["credentialSubject"]["id"] == DID
    assert "identifier" not in doc["credentialSubject"]

    both = Recipient(id=DID, identifiers=(IdentityObject.hashed_employee_number("E-1"),))
    subject = build_credential(**minimal_kwargs(recipient=both))["credentialSubject"]
    assert subject["id"] == DID
    assert subject["identifier"][0]["identityType"] == "sourcedId"


def test_criteria_by_url_only() -> None:
    achievement = Achievement(
        id="urn:uuid:4f7c3c53-2f8a-4a57-9d1c-8c2c0a7f1e11",
        name="N",
        description="D",
        criteria=Criteria(id="https://badges.example.com/criteria/1"),
    )
    doc = build_credential(**minimal_kwargs(achievement=achievement))
    assert doc["credentialSubject"]["achievement"]["criteria"] == {
        "id": "https://badges.example.com/criteria/1"
    }
    assert_jsonld_clean(doc)


def test_status_mapping_is_copied_not_shared() -> None:
    entry = {**STATUS_ENTRY, "statusMessage": [{"status": "0x1", "message": "revoked"}]}
    doc = build_credential(**minimal_kwargs(credential_status=MappingProxyType(entry)))
    doc["credentialStatus"]["statusMessage"][0]["message"] = "changed"
    assert entry["statusMessage"][0]["message"] == "revoked"
    assert isinstance(doc["credentialStatus"], dict)


def test_empty_optional_values_are_omitted() -> None:
    doc = build_credential(**minimal_kwargs(description="", narrative=None, evidence=()))
    assert "description" not in doc
    assert "evidence" not in doc
    assert "narrative" not in doc["credentialSubject"]
    assert "result" not in doc["credentialSubject"]


_LATER = T0 + timedelta(hours=1)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"valid_from": datetime(2026, 11, 28, 9, 0)}, "validFrom"),
        ({"valid_until": datetime(2027, 11, 28, 9, 0)}, "validUntil"),
        ({"awarded_date": datetime(2026, 11, 28, 9, 0)}, "awardedDate"),
        ({"valid_from": "2026-11-28T09:00:00Z"}, "validFrom"),
        ({"valid_until": T0 - timedelta(seconds=1)}, "validUntil"),
        ({"valid_until": T0 + timedelta(microseconds=1)}, "validUntil"),
        ({"valid_from": _LATER, "valid_until": T0}, "validUntil"),
        ({"credential_id": "credentials/3527"}, "id"),
        ({"credential_id": "urn:uuid:2f1d4c1e 8a63"}, "id"),
        ({"issuer": Profile(id="/issuers/1")}, "issuer.id"),
        ({"issuer": Profile(id="did:web:x", url="badges.example.com")}, "issuer.url"),
        ({"issuer": Profile(id="did:web:x", url="https://")}, "issuer.url"),
        ({"issuer": Profile(id="did:web:x", email="academy")}, "issuer.email"),
        ({"issuer": Profile(id="did:web:x", extra_types=("Organization",))}, "issuer.type[1]"),
        (
            {"issuer": Profile(id="did:web:x", image=Image(id="logo.png"))},
            "issuer.image.id",
        ),
        ({"recipient": Recipient()}, "credentialSubject"),
        ({"recipient": Recipient(id="learner 42")}, "credentialSubject.id"),
        ({"image": Image(id="https://badges.example.com/a b.png")}, "image.id"),
        ({"evidence": (Evidence(id="completions/1"),)}, "evidence[0].id"),
        ({"evidence": (Evidence(),)}, "evidence"),
        (
            {"results": (Result(result_description="urn:uuid:unknown", value="1"),)},
            "credentialSubject.result[0].resultDescription",
        ),
        ({"results": (Result(),)}, "credentialSubject.result[0]"),
        ({"credential_status": {"id": "https://x.example/s#1"}}, "credentialStatus.type"),
        ({"credential_status": {"id": "s#1", "type": "X"}}, "credentialStatus.id"),
        ({"credential_status": [STATUS_ENTRY]}, "credentialStatus"),
    ],
)
def test_build_rejects_bad_input(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(MalformedDocumentError) as info:
        build_credential(**minimal_kwargs(**overrides))
    assert str(info.value).startswith(field)


def _achievement(**changes: Any) -> Achievement:
    fields = {
        "id": SIMPLE_ACHIEVEMENT.id,
        "name": SIMPLE_ACHIEVEMENT.name,
        "description": SIMPLE_ACHIEVEMENT.description,
        "criteria": SIMPLE_ACHIEVEMENT.criteria,
    }
    fields.update(changes)
    return Achievement(**fields)


@pytest.mark.parametrize(
    ("achievement", "results", "field"),
    [
        (_achievement(criteria=Criteria()), (), "credentialSubject.achievement.criteria"),
        (_achievement(criteria=None), (), "credentialSubject.achievement.criteria"),
        (
            _achievement(criteria=Criteria(narrative="")),
            (),
            "credentialSubject.achievement.criteria",
        ),
        (
            _achievement(criteria=Criteria(id="criteria.html")),
            (),
            "credentialSubject.achievement.criteria.id",
        ),
        (_achievement(name="  "), (), "credentialSubject.achievement.name"),
        (_achievement(description=None), (), "credentialSubject.achievement.description"),
        (_achievement(id="achievements/1"), (), "credentialSubject.achievement.id"),
        (
            _achievement(alignments=(Alignment(target_name="A", target_url="ftp x"),)),
            (),
            "credentialSubject.achievement.alignment[0].targetUrl",
        ),
        (
            _achievement(alignments=(Alignment(target_name="", target_url="https://a.example"),)),
            (),
            "credentialSubject.achievement.alignment[0].targetName",
        ),
        (
            _achievement(result_descriptions=FULL_ACHIEVEMENT.result_descriptions[:1] * 2),
            (),
            "credentialSubject.achievement.resultDescription[1].id",
        ),
        (
            FULL_ACHIEVEMENT,
            (Result(result_description=SCORE_ID + "x", value="86"),),
            "credentialSubject.result[0].resultDescription",
        ),
        (
            FULL_ACHIEVEMENT,
            (Result(result_description=STATUS_ID, value="Completed"),),
            "credentialSubject.result[0].status",
        ),
        (
            FULL_ACHIEVEMENT,
            (Result(result_description=STATUS_ID, status="Completed", value="Excellent"),),
            "credentialSubject.result[0].value",
        ),
        (
            FULL_ACHIEVEMENT,
            (Result(result_description=SCORE_ID, value="86", achieved_level=LEVEL_ID),),
            "credentialSubject.result[0].achievedLevel",
        ),
        (
            FULL_ACHIEVEMENT,
            (Result(value="86", achieved_level=LEVEL_ID),),
            "credentialSubject.result[0].achievedLevel",
        ),
    ],
)
def test_build_rejects_inconsistent_achievement_or_results(
    achievement: Achievement, results: tuple[Result, ...], field: str
) -> None:
    with pytest.raises(MalformedDocumentError) as info:
        build_credential(**minimal_kwargs(achievement=achievement, results=results))
    assert str(info.value).startswith(field)


def test_build_reports_schema_violations_it_does_not_check_itself() -> None:
    bad = _achievement(achievement_type="Diplom", in_language="finnish")
    with pytest.raises(SchemaValidationError) as info:
        build_credential(**minimal_kwargs(achievement=bad))
    paths = [e.split(": ")[0] for e in info.value.errors]
    assert paths == [
        "$.credentialSubject.achievement.achievementType",
        "$.credentialSubject.achievement.inLanguage",
    ]


@settings(max_examples=30, deadline=None)
@given(
    name=st.text(min_size=1).filter(str.strip),
    narrative=st.text(),
    offset_minutes=st.integers(min_value=-14 * 60, max_value=14 * 60),
)
def test_arbitrary_text_and_offsets_build_clean_credentials(
    name: str, narrative: str, offset_minutes: int
) -> None:
    start = datetime(2026, 6, 1, 12, 0, 0, tzinfo=timezone(timedelta(minutes=offset_minutes)))
    doc = build_credential(
        **minimal_kwargs(
            achievement=_achievement(name=name, description=name),
            narrative=narrative,
            valid_from=start,
        )
    )
    assert doc["name"] == name
    assert doc["validFrom"] == start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert_jsonld_clean(doc)


# --- validation ------------------------------------------------------------------------


def _tampered(mutate: Any) -> dict[str, Any]:
    doc = build_credential(**full_kwargs())
    mutate(doc)
    return doc


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d.pop("validFrom"), ["$: 'validFrom' is a required property"]),
        (
            lambda d: d.__setitem__("credentialSubject", "did:example:alice"),
            ["$.credentialSubject: 'did:example:alice' is not of type 'object'"],
        ),
        (
            lambda d: d.__setitem__("validFrom", "2026-11-28T09:00:00"),
            ["$.validFrom: '2026-11-28T09:00:00' is not a 'date-time'"],
        ),
        (
            lambda d: d.__setitem__("validUntil", "2026-13-28T09:00:00Z"),
            ["$.validUntil: '2026-13-28T09:00:00Z' is not a 'date-time'"],
        ),
        (
            lambda d: d["credentialSubject"]["achievement"].pop("criteria"),
            ["$.credentialSubject.achievement: 'criteria' is a required property"],
        ),
        (
            lambda d: d["credentialSubject"].pop("identifier"),
            ["$.credentialSubject: either 'id' or at least one 'identifier' is required"],
        ),
        (
            lambda d: d["credentialSubject"]["identifier"][0].__setitem__("hashed", "yes"),
            ["$.credentialSubject.identifier[0].hashed: 'yes' is not of type 'boolean'"],
        ),
        (
            lambda d: (d.pop("issuer"), d["credentialSubject"]["achievement"].pop("name")),
            [
                "$.credentialSubject.achievement: 'name' is a required property",
                "$: 'issuer' is a required property",
            ],
        ),
    ],
)
def test_validate_credential_reports_every_violation(mutate: Any, expected: list[str]) -> None:
    with pytest.raises(SchemaValidationError) as info:
        validate_credential(_tampered(mutate))
    assert info.value.errors == expected


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda d: d.__setitem__("type", ["VerifiableCredential"]), "$.type"),
        (lambda d: d["@context"].reverse(), "$['@context']"),
        (
            lambda d: d["credentialSubject"]["achievement"]["image"].__setitem__("type", "Picture"),
            "$.credentialSubject.achievement.image.type",
        ),
        (
            lambda d: d["credentialSubject"]["result"][1].__setitem__("status", "Done"),
            "$.credentialSubject.result[1].status",
        ),
        (lambda d: d.__setitem__("credentialStatus", [STATUS_ENTRY]), "$.credentialStatus"),
    ],
)
def test_validate_credential_names_the_path(mutate: Any, path: str) -> None:
    with pytest.raises(SchemaValidationError) as info:
        validate_credential(_tampered(mutate))
    assert any(error.startswith(path) for error in info.value.errors), info.value.errors


@pytest.mark.parametrize("name", ["unsigned.json", "signed.json"])
def test_1edtech_example_passes(name: str) -> None:
    validate_credential(load_vector(f"ob-v3p0/{name}"))


def test_validate_profile() -> None:
    doc = build_credential(**full_kwargs())
    validate_profile(doc["issuer"])
    with pytest.raises(SchemaValidationError) as info:
        validate_profile({"type": ["Profile"], "name": "No id"})
    assert info.value.errors == ["$: 'id' is a required property"]


def test_pinned_schema_files() -> None:
    # The 1EdTech schemas as published (their sha256): the schema is a contract.
    expected = {
        "ob_v3p0_achievementcredential_schema.json": (
            "b7358e895f492e74055dc6bfc7ffc420d0e497f90c4579fb83d9519b86d393ea"
        ),
        "ob_v3p0_profile_schema.json": (
            "6b268f2caa591bf657e2a290e195713c41dc2db4e1c797723cfd00a1a83f8f13"
        ),
    }
    for filename, digest in expected.items():
        raw = (schemas_dir() / filename).read_bytes()
        assert hashlib.sha256(raw).hexdigest() == digest
    schema = json.loads((schemas_dir() / next(iter(expected))).read_text(encoding="utf-8"))
    assert schema["$id"] == ACHIEVEMENT_CREDENTIAL_SCHEMA_URL


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("2026-11-28T09:00:00Z", True),
        ("2026-11-28T11:00:00.5+02:00", True),
        ("2026-11-28t09:00:00z", True),
        ("2026-11-28 09:00:00Z", False),
        ("2026-11-28T09:00Z", False),
        ("2026-02-30T00:00:00Z", False),
        ("2026-11-28T09:00:00+24:00", False),
        ("28.11.2026", False),
    ],
)
def test_date_time_format_is_enforced(value: str, ok: bool) -> None:
    doc = _tampered(lambda d: d.__setitem__("validFrom", value))
    if ok:
        validate_credential(doc)
    else:
        with pytest.raises(SchemaValidationError, match=re.escape(f"$.validFrom: '{value}'")):
            validate_credential(doc)


def test_lists_are_accepted_where_tuples_are_declared() -> None:
    achievement = _achievement(
        alignments=[Alignment(target_name="A", target_url="https://a.example/1")],
        tags=["x"],
    )
    doc = build_credential(**minimal_kwargs(achievement=achievement, evidence=[Evidence(name="E")]))
    assert doc["credentialSubject"]["achievement"]["alignment"][0]["targetName"] == "A"
    assert doc["credentialSubject"]["achievement"]["tag"] == ["x"]
    assert doc["evidence"] == [{"type": ["Evidence"], "name": "E"}]


def test_compiled_validator_agrees_with_the_full_one() -> None:
    """The compiled validator answers exactly as the full one does (valid or not) over the
    interop corpus, its invalid members and tampered documents."""
    from badgeservice.credentials import validation
    from tests.interop.corpus import unsigned_credentials

    filename = "ob_v3p0_achievementcredential_schema.json"
    fast = validation._compiled_validator(filename)
    full = validation._validator(filename)
    documents = list(
        unsigned_credentials("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK").values()
    )
    mutations: list[Any] = [
        lambda d: d.pop("validFrom"),
        lambda d: d.__setitem__("validFrom", "2026-11-28T09:00:00"),
        lambda d: d.__setitem__("validUntil", "2026-13-28T09:00:00Z"),
        lambda d: d.__setitem__("type", ["VerifiableCredential"]),
        lambda d: d["@context"].reverse(),
        lambda d: d["credentialSubject"]["achievement"].pop("criteria"),
        lambda d: d["credentialSubject"].__setitem__("type", 7),
        lambda d: d.__setitem__("credentialStatus", [STATUS_ENTRY]),
    ]
    for mutate in mutations:
        documents.append(_tampered(mutate))
    verdicts = {"valid": 0, "invalid": 0}
    for document in documents:
        instance = validation.plain_json(document)
        expected = full.is_valid(instance)
        assert fast.is_valid(document) == expected, document
        verdicts["valid" if expected else "invalid"] += 1
    assert verdicts["valid"] >= 8 and verdicts["invalid"] >= 10, verdicts
