"""Unsigned Open Badges 3.0 credentials that stress canonicalization, for interop tests.

``unsigned_credentials(issuer)`` returns name -> credential (a fresh deep copy each call).
Every entry uses the VC 2.0 + OB 3.0.3 + OB extensions contexts and an issuer Profile whose
id is ``issuer``; the test ``test_corpus_signs_and_verifies_in_js`` proves each one is
JSON-LD that the reference stack accepts in safe mode and round-trips through sign/verify.

Entries named in ``JSON_LD_ONLY`` use JSON-LD value objects (``{"@value", "@language"}``):
valid JSON-LD under the OB context (nothing is dropped, the language tag reaches the
N-Quads) but rejected by the OB JSON Schema, which only allows plain strings or
``{"en": "..."}``-style maps there.
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any

CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json",
]
TYPE = ["VerifiableCredential", "OpenBadgeCredential"]
VALID_FROM = "2024-03-01T08:00:00Z"
VALID_UNTIL = "2099-12-31T23:59:59Z"
SCHEMA_URL = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)

JSON_LD_ONLY = frozenset({"language_tagged"})

# every control character that canonical N-Quads must escape, in one string
CONTROL_CHARACTERS = "".join(chr(c) for c in range(1, 0x20)) + "\x7f"

LONG_NARRATIVE = """\
# Ohjelmistokehityksen perusteet — Software development basics

Suorittaja on osoittanut osaamisensa **kaikilla** alla luetelluilla osa-alueilla.
The earner demonstrated competence in *every* area listed below, assessed by two
independent reviewers over a period of eight weeks.

## Osa-alueet / Areas

1. Versionhallinta (`git`): haarat, yhdistäminen, konfliktien ratkaisu
2. Testaus: yksikkö-, integraatio- ja ominaisuuspohjaiset testit
3. Tietoturva: OWASP Top 10, syötteiden validointi, salaisuuksien hallinta
   - alakohta: "lainausmerkit" ja 'heittomerkit' säilyvät
   - sub-item with a trailing backslash \\
4. 持续集成与交付 (CI/CD) — 中文段落也必须保持不变。

## Arviointi

| Kriteeri | Taso | Pisteet |
| --- | --- | ---: |
| Koodin laatu | Erinomainen | 5/5 |
| Dokumentaatio | Hyvä | 4/5 |

```python
def tervehdi(nimi: str) -> str:
\treturn f"Hei, {nimi}!\\n"
```

> Lainaus: "Hyvä koodi on kuin hyvä vitsi — sitä ei tarvitse selittää."

Lisätietoja: <https://example.fi/kurssit/ohjelmistokehitys?lang=fi&v=2#arviointi>

Viimeinen kappale päättyy kahteen välilyöntiin ja rivinvaihtoon.<HARD-BREAK>
Loppu. 🎓
""".replace("<HARD-BREAK>", "  ")  # markdown hard line break


EARNER_EMAIL = "matti.meikäläinen@example.fi"
SALT = "suola-🧂-42"


def _identity_hash(identity: str, salt: str) -> str:
    """OB 3.0 IdentityObject hash: ``sha256$`` + hex SHA-256 of identity + salt."""
    return "sha256$" + hashlib.sha256((identity + salt).encode("utf-8")).hexdigest()


def _issuer(issuer: str, name: str = "Esimerkkiopisto — Example University") -> dict[str, Any]:
    return {"id": issuer, "type": ["Profile"], "name": name}


def _achievement(key: str, name: str, narrative: str, **extra: Any) -> dict[str, Any]:
    achievement: dict[str, Any] = {
        "id": f"https://example.fi/achievements/{key}",
        "type": ["Achievement"],
        "name": name,
        "description": f"Achievement {key}.",
        "criteria": {"narrative": narrative},
    }
    achievement.update(extra)
    return achievement


def _credential(
    issuer: str,
    number: int,
    name: str,
    subject: dict[str, Any],
    **extra: Any,
) -> dict[str, Any]:
    credential: dict[str, Any] = {
        "@context": list(CONTEXT),
        "id": f"urn:uuid:6b3f1c2e-5a4d-4e8f-9c0b-{number:012x}",
        "type": list(TYPE),
        "issuer": _issuer(issuer),
        "validFrom": VALID_FROM,
        "name": name,
        "credentialSubject": subject,
    }
    credential.update(extra)
    return credential


def _subject(achievement: dict[str, Any], **extra: Any) -> dict[str, Any]:
    subject: dict[str, Any] = {
        "id": "did:example:earner-4f2a",
        "type": ["AchievementSubject"],
        "achievement": achievement,
    }
    subject.update(extra)
    return subject


def _build(issuer: str) -> dict[str, dict[str, Any]]:
    corpus: dict[str, dict[str, Any]] = {}

    corpus["minimal"] = _credential(
        issuer,
        1,
        "Teamwork Badge",
        _subject(_achievement("teamwork", "Teamwork", "Nominated by peers.")),
    )

    corpus["finnish"] = _credential(
        issuer,
        2,
        "Yhteistyötaitojen osaamismerkki",
        _subject(
            _achievement(
                "yhteistyo",
                "Yhteistyö ja vuorovaikutus",
                "Ryhmän jäsenet äänestävät; ÄÖÅ äöå — šž ja 'lainaus'.",
                description="Merkki myönnetään, kun opiskelija on toiminut ryhmässä rakentavasti.",
                tag=["yhteistyö", "vuorovaikutus", "työelämätaidot"],
                inLanguage="fi",
            ),
        ),
        description="Myöntäjä: Esimerkkiopisto, Jyväskylä.",
    )

    corpus["chinese_emoji"] = _credential(
        issuer,
        3,
        "数据科学证书 🎓🏅",
        _subject(
            _achievement(
                "data-science",
                "数据科学基础 — 第一级 👩\u200d🔬",
                "完成全部八个模块并通过期末考试。😀🇫🇮 "
                "\U0001d518\U0001d52b\U0001d526\U0001d520\U0001d52c\U0001d521\U0001d522"
                " (Fraktur, beyond the BMP).",
                description="Combining: e\u0301 vs é; Hangul 한국어; Arabic مرحبا; RTL \u200f.",
                tag=["数据", "科学", "🧪"],
            ),
        ),
    )

    corpus["language_tagged"] = _credential(
        issuer,
        4,
        "Kielimerkki",
        _subject(
            _achievement(
                "kielet",
                {"@value": "Kielitaito", "@language": "fi"},
                {"@value": "Suullinen ja kirjallinen koe.", "@language": "fi"},
                description={"@value": "语言能力证明", "@language": "zh-Hans"},
            ),
        ),
        description={"@value": "Language badge", "@language": "en-GB"},
    )

    corpus["markdown_narrative"] = _credential(
        issuer,
        5,
        "Ohjelmistokehityksen perusteet",
        _subject(
            _achievement(
                "ohjelmistokehitys",
                "Ohjelmistokehityksen perusteet",
                LONG_NARRATIVE,
                achievementType="Course",
                creditsAvailable=5,
            ),
            narrative=LONG_NARRATIVE[:400],
        ),
    )

    corpus["evidence"] = _credential(
        issuer,
        6,
        "Portfolio Badge",
        _subject(_achievement("portfolio", "Portfolio", "Submit three artefacts.")),
        evidence=[
            {
                "id": "https://example.fi/evidence/1",
                "type": ["Evidence"],
                "name": "Projektiraportti",
                "narrative": "Raportti liitteineen.\nToinen rivi.",
                "description": "PDF, 24 sivua",
                "genre": "Raportti",
                "audience": "Arvioijat",
            },
            {
                "id": "https://example.fi/evidence/2?format=video&lang=fi",
                "type": ["Evidence"],
                "name": "Esittelyvideo 🎬",
            },
            {
                "type": ["Evidence"],
                "narrative": "Evidence without an id becomes a blank node.",
            },
            # two identical id-less nodes: equal first-degree hashes, so RDFC-1.0 has to
            # run Hash N-Degree Quads to label them
            {"type": ["Evidence"], "name": "Kaksoiskappale"},
            {"type": ["Evidence"], "name": "Kaksoiskappale"},
        ],
    )

    result_descriptions = [
        {
            "id": "urn:uuid:f6ab24cd-86e8-4eaf-b8c6-ded74e8fd41c",
            "type": ["ResultDescription"],
            "name": "Loppuarvosana",
            "resultType": "LetterGrade",
            "allowedValue": ["A", "B", "C", "D", "F"],
            "requiredValue": "C",
        },
        {
            "id": "urn:uuid:a1b2c3d4-0000-4000-8000-000000000002",
            "type": ["ResultDescription"],
            "name": "Rubric",
            "resultType": "RubricCriterionLevel",
            "rubricCriterionLevel": [
                {
                    "id": "urn:uuid:a1b2c3d4-0000-4000-8000-0000000000a1",
                    "type": ["RubricCriterionLevel"],
                    "name": "Erinomainen",
                    "level": "3",
                    "points": "3",
                    "description": "Ylittää tavoitteet",
                },
                {
                    "id": "urn:uuid:a1b2c3d4-0000-4000-8000-0000000000a2",
                    "type": ["RubricCriterionLevel"],
                    "name": "Hyvä",
                    "level": "2",
                    "points": "2",
                },
            ],
            "requiredLevel": "urn:uuid:a1b2c3d4-0000-4000-8000-0000000000a2",
        },
        {
            "id": "urn:uuid:a1b2c3d4-0000-4000-8000-000000000003",
            "type": ["ResultDescription"],
            "name": "Pisteet",
            "resultType": "ScaledScore",
            "valueMin": "0",
            "valueMax": "100",
        },
    ]
    corpus["results"] = _credential(
        issuer,
        7,
        "Graded Course Badge",
        _subject(
            _achievement(
                "graded",
                "Graded course",
                "Pass with C or better.",
                resultDescription=result_descriptions,
            ),
            result=[
                {
                    "type": ["Result"],
                    "resultDescription": "urn:uuid:f6ab24cd-86e8-4eaf-b8c6-ded74e8fd41c",
                    "value": "A",
                },
                {
                    "type": ["Result"],
                    "resultDescription": "urn:uuid:a1b2c3d4-0000-4000-8000-000000000002",
                    "achievedLevel": "urn:uuid:a1b2c3d4-0000-4000-8000-0000000000a1",
                },
                {
                    "type": ["Result"],
                    "resultDescription": "urn:uuid:a1b2c3d4-0000-4000-8000-000000000003",
                    "value": "97",
                    "status": "Completed",
                },
            ],
        ),
    )

    corpus["alignments"] = _credential(
        issuer,
        8,
        "Aligned Badge",
        _subject(
            _achievement(
                "aligned",
                "Aligned achievement",
                "Meets the framework.",
                alignment=[
                    {
                        "type": ["Alignment"],
                        "targetName": "ESCO: ohjelmistokehittäjä",
                        "targetUrl": "http://data.europa.eu/esco/occupation/f2b15a0e",
                        "targetDescription": "Kehittää ohjelmistoja.",
                        "targetFramework": "ESCO",
                        "targetCode": "2512.4",
                        "targetType": "CFItem",
                    },
                    {
                        "type": ["Alignment"],
                        "targetName": "EQF level 6",
                        "targetUrl": "https://europa.eu/europass/en/description-eight-eqf-levels",
                        "targetType": "ext:EQF",
                    },
                ],
            ),
        ),
    )

    corpus["hashed_recipient"] = _credential(
        issuer,
        9,
        "Hashed Recipient Badge",
        {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityHash": _identity_hash(EARNER_EMAIL, SALT),
                    "identityType": "emailAddress",
                    "hashed": True,
                    "salt": SALT,
                },
                {
                    "type": "IdentityObject",
                    "identityHash": EARNER_EMAIL,
                    "identityType": "emailAddress",
                    "hashed": False,
                },
            ],
            "achievement": _achievement("hashed", "Hashed", "Recipient by hash."),
        },
    )

    corpus["validity_and_schema"] = _credential(
        issuer,
        10,
        "Expiring Badge",
        _subject(_achievement("expiring", "Expiring", "Valid for a while.")),
        validUntil=VALID_UNTIL,
        awardedDate="2024-03-01T08:00:00Z",
        credentialSchema=[{"id": SCHEMA_URL, "type": "1EdTechJsonSchemaValidator2019"}],
    )

    awkward = (
        'He said "hi" \\ back\\slash \\\\ double; tab\there; newline\nhere; '
        "cr\rhere; bell\u0007; del\u007f; backspace\b; formfeed\f; unit-sep\u001f; "
        "line-sep\u2028para-sep\u2029; nbsp\u00a0; bom\ufeff; end"
    )
    corpus["escapes"] = _credential(
        issuer,
        11,
        'Escapes "quoted" \\ badge',
        _subject(
            _achievement(
                "escapes",
                "Tab\tand\nnewline",
                awkward,
                description="all C0 controls + DEL: " + CONTROL_CHARACTERS,
                tag=["\u0007", "\u007f", "\t", '"', "\\", " leading and trailing spaces "],
            ),
        ),
        description="C:\\Users\\matti\\todistus.pdf — \"lainaus\" 'heitto'",
    )

    corpus["rich_profile_and_numbers"] = _credential(
        issuer,
        12,
        "Rich Badge",
        _subject(
            _achievement(
                "rich",
                "Rich achievement",
                "Many typed values.",
                achievementType="Certificate",
                creditsAvailable=2.5,
                fieldOfStudy="Tietojenkäsittelytiede",
                humanCode="TKT-101",
                specialization="Tietoturva",
                version="1.0",
                image={
                    "id": "https://example.fi/images/badge.png",
                    "type": "Image",
                    "caption": "Merkin kuva",
                },
                creator={
                    "id": "https://example.fi/profiles/faculty",
                    "type": ["Profile"],
                    "name": "Tiedekunta",
                    "email": "tiedekunta@example.fi",
                    "url": "https://example.fi/tiedekunta",
                    "address": {
                        "type": ["Address"],
                        "addressCountry": "Suomi",
                        "addressCountryCode": "FI",
                        "addressLocality": "Jyväskylä",
                        "postalCode": "40100",
                        "streetAddress": "Seminaarinkatu 15",
                        "geo": {
                            "type": "GeoCoordinates",
                            "latitude": 62.2426,
                            "longitude": 25.7473,
                        },
                    },
                    "otherIdentifier": [
                        {
                            "type": "IdentifierEntry",
                            "identifier": "0245894-7",
                            "identifierType": "identifier",
                        }
                    ],
                },
                otherIdentifier=[
                    {
                        "type": "IdentifierEntry",
                        "identifier": "urn:oid:1.2.246.562.13.1",
                        "identifierType": "identifier",
                    }
                ],
            ),
            activityStartDate="2024-01-08",
            activityEndDate="2024-02-29",
            creditsEarned=30,
            term="Kevät 2024",
            role="Opiskelija",
            licenseNumber="A-0001",
        ),
    )
    corpus["rich_profile_and_numbers"]["issuer"].update(
        {
            "url": "https://example.fi",
            "email": "info@example.fi",
            "description": "Korkeakoulu — 高等教育机构",
            "image": {"id": "https://example.fi/logo.png", "type": "Image"},
        }
    )
    return corpus


_CACHE: dict[str, dict[str, dict[str, Any]]] = {}


def unsigned_credentials(issuer: str) -> dict[str, dict[str, Any]]:
    """Name -> unsigned OB 3.0 credential issued by ``issuer`` (deep copies; mutate freely)."""
    if issuer not in _CACHE:
        _CACHE[issuer] = _build(issuer)
    return copy.deepcopy(_CACHE[issuer])
