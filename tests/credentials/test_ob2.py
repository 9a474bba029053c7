"""The OB 2.0 hosted verification on its own, against a loopback issuer over real HTTP:
the recipient forms, the origin rule, the issuer agreement, and hostile documents, each
refused with its reason rather than failing."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from badgeservice.credentials.fetch import Fetcher
from badgeservice.credentials.ob2 import Ob2Error, verify_ob2
from tests.credentials.loopback import serve
from tests.credentials.ob2_issuer import EMAIL, Ob2Issuer

NOW = datetime(2026, 12, 5, tzinfo=UTC)


@pytest.fixture
def ob2() -> Iterator[Ob2Issuer]:
    with serve() as server:
        yield Ob2Issuer(server)


def _verify(source: str | dict[str, Any], emails: tuple[str, ...] = (EMAIL,)) -> Any:
    return verify_ob2(source, Fetcher(allow_loopback_http=True), emails, now=NOW)


def test_recipients_plain_sha256_and_md5_match_only_the_right_address(ob2: Ob2Issuer) -> None:
    assertion = ob2.assertion(1)
    assert _verify(assertion["id"]).badge["name"] == "Ruotsin kielen taito"
    assert _verify(assertion["id"], ("AINO.Virtanen@acme.example",)).id == assertion["id"]
    with pytest.raises(Ob2Error, match="made out to someone else"):
        _verify(assertion["id"], ("aino@acme.example",))
    md5 = ob2.assertion(2)
    md5["recipient"] = {
        "type": "email",
        "hashed": True,
        "identity": "md5$" + hashlib.md5(EMAIL.encode()).hexdigest(),
    }
    ob2.publish("/ob2/assertions/2", md5)
    assert _verify(md5["id"]).signed is False
    for recipient in ({"type": "telephone", "identity": EMAIL}, {"identity": "crc32$00"}, "x"):
        odd = ob2.assertion(3)
        odd["recipient"] = recipient
        ob2.publish("/ob2/assertions/3", odd)
        with pytest.raises(Ob2Error, match="someone else"):
            _verify(odd["id"])


def test_the_assertion_must_be_hosted_where_its_issuer_allows(ob2: Ob2Issuer) -> None:

    profile = json.loads(ob2.server.routes["/ob2/issuer"].body)
    profile["verification"] = {"allowedOrigins": ["badges.vanha.example"]}
    ob2.publish("/ob2/issuer", profile)
    with pytest.raises(Ob2Error, match="outside its issuer's origin"):
        _verify(ob2.assertion(4)["id"])
    profile["verification"] = "anywhere"  # not an object: the issuer's own origin counts
    ob2.publish("/ob2/issuer", profile)
    assert _verify(ob2.assertion(5)["id"])
    profile["id"] = "http://127.0.0.1:notaport/ob2/issuer"
    ob2.publish("/ob2/issuer", profile)
    with pytest.raises(Ob2Error, match="do not name the same issuer"):
        _verify(ob2.assertion(6)["id"])


def test_hostile_or_unusual_documents_are_refused_with_a_reason(ob2: Ob2Issuer) -> None:
    not_one = ob2.assertion(7)
    not_one["type"] = "BadgeClass"
    ob2.publish("/ob2/assertions/7", not_one)
    with pytest.raises(Ob2Error, match=r"not an Open Badges 2\.0 Assertion"):
        _verify(not_one["id"])
    embedded = ob2.assertion(8)
    embedded["badge"] = {"name": "Embedded", "issuer": {"id": ob2.issuer_id, "name": "X"}}
    ob2.publish("/ob2/assertions/8", embedded)
    assert _verify(embedded["id"]).issuer["name"] == "X"
    signed_type = ob2.assertion(9, verification={"type": "signed"})
    with pytest.raises(Ob2Error, match="does not fit how it came"):
        _verify(signed_type["id"])
    bad_time = ob2.assertion(10, expires="tomorrow")
    with pytest.raises(Ob2Error, match="expires is not a date"):
        _verify(bad_time["id"])
    with pytest.raises(Ob2Error, match="no URL id"):
        _verify({"type": "Assertion", "id": "urn:uuid:1"})
    with pytest.raises(Ob2Error, match="not a readable JWS"):
        _verify("e30.W1tbW1tbW1tbXV1dXV1dXV1d.c2ln" + "x")
    with pytest.raises(Ob2Error, match="names no key"):
        _verify("eyJhbGciOiJSUzI1NiJ9.e30.c2ln")
