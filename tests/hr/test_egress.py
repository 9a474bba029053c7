"""SSRF through HR endpoints: loopback, private, link-local and metadata addresses in every
spelling are refused when the endpoint is saved and again, after DNS resolution, at every
delivery; a real loopback receiver is reached only when the operator allows it."""

from __future__ import annotations

import ipaddress
import random
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from badgeservice.db import database
from badgeservice.egress import EgressPolicy, is_public, literal_address
from badgeservice.hr.delivery.policy import RetryPolicy
from badgeservice.hr.delivery.sending import deliver_due
from badgeservice.hr.models import Delivery, DeliveryAttempt
from tests.hr.conftest import DlvOrg
from tests.hr.fake_receiver import FakeReceiver

# Every spelling the attack used, and a few more.
REFUSED = [
    "http://127.0.0.1:5432/",
    "http://[::1]/",
    "http://2130706433/",
    "http://0x7f000001/",
    "http://127.1/",
    "http://0/",
    "http://0.0.0.0/",
    "http://017700000001/",
    "http://169.254.169.254/latest/meta-data/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://10.0.0.1/",
    "http://192.168.0.1/",
    "http://172.16.5.4/",
    "http://100.64.0.1/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[fe80::1]/",
    "http://[fd00::1]/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://[2002:7f00:1::]/",
    "http://localhost:8080/",
    "http://api.localhost/",
    "http://printer.local/",
    "http://intranet/",
    "http://224.0.0.1/",
]
ALLOWED = [
    "https://hr.example.com/hooks",
    "https://93.184.215.14/",
    "http://[2606:4700:4700::1111]/",
]

# One attempt per round: a failed delivery waits far past the test.
ONCE = RetryPolicy((600,), max_age=3600, timeout=2.0, breaker_threshold=10_000)


@pytest.fixture
def receiver() -> Iterator[FakeReceiver]:
    fake = FakeReceiver()
    yield fake
    fake.close()


def test_every_spelling_of_an_internal_address_is_recognised() -> None:
    policy = EgressPolicy()
    for url in REFUSED:
        assert policy.check_url(url) is not None, url
    for url in ALLOWED:
        assert policy.check_url(url) is None, url
    assert literal_address("2130706433") == ipaddress.IPv4Address("127.0.0.1")
    assert literal_address("0x7f000001") == ipaddress.IPv4Address("127.0.0.1")
    assert literal_address("127.1") == ipaddress.IPv4Address("127.0.0.1")
    assert literal_address("0") == ipaddress.IPv4Address("0.0.0.0")
    assert literal_address("hr.example.com") is None
    assert is_public(ipaddress.ip_address("8.8.8.8"))
    assert not is_public(ipaddress.ip_address("::ffff:169.254.169.254"))


def test_the_operator_allow_list_names_networks_and_hosts() -> None:
    policy = EgressPolicy.from_config({"OUTBOUND_ALLOW": "127.0.0.1/32, ::1,hr.intranet.test"})
    assert policy.check_url("http://127.0.0.1:9000/") is None
    assert policy.check_url("http://2130706433/") is None  # the same address
    assert policy.check_url("http://[::1]/") is None
    assert policy.check_url("http://127.0.0.2/") is not None
    assert policy.check_url("http://hr.intranet.test/") is None
    with pytest.raises(ValueError, match="OUTBOUND_ALLOW"):
        EgressPolicy.from_config({"OUTBOUND_ALLOW": "not a/host"})


def test_the_api_refuses_internal_endpoints(dlv_org: DlvOrg) -> None:
    dlv_org.app.config["OUTBOUND_ALLOW"] = ""  # as in production: nothing allowed
    for url in REFUSED:
        answer = dlv_org.client.post(
            "/api/v1/hr/endpoints", json={"url": url}, headers=dlv_org.headers
        )
        assert answer.status_code == 400, (url, answer.get_json())
        assert answer.get_json()["detail"].startswith("url: "), url
        assert "OUTBOUND_ALLOW" in answer.get_json()["detail"]
    created = dlv_org.client.post(
        "/api/v1/hr/endpoints", json={"url": ALLOWED[0]}, headers=dlv_org.headers
    )
    assert created.status_code == 201
    moved = dlv_org.client.patch(
        f"/api/v1/hr/endpoints/{created.get_json()['id']}",
        json={"url": "http://0x7f000001:5432/"},
        headers=dlv_org.headers,
    )
    assert moved.status_code == 400


def _deliver(org: DlvOrg) -> None:
    with org.app.app_context():
        deliver_due(
            database(),
            keystore=org.app.extensions["badgeservice.keystore"],
            policy=ONCE,
            rng=random.Random(1),
        )


def _attempts(org: DlvOrg) -> list[DeliveryAttempt]:
    with org.db() as session:
        return list(session.scalars(select(DeliveryAttempt).order_by(DeliveryAttempt.attempted_at)))


def test_a_loopback_receiver_is_reached_only_while_allowed(
    dlv_org: DlvOrg, receiver: FakeReceiver
) -> None:
    dlv_org.person("S001")
    receiver.secret = dlv_org.add_endpoint(receiver.url)["secret"]  # allowed by the tests
    dlv_org.publish("S001")
    _deliver(dlv_org)
    assert len(receiver.accepted()) == 1

    # The operator withdraws loopback: the next delivery is refused before any connection.
    dlv_org.app.config["OUTBOUND_ALLOW"] = ""
    dlv_org.publish("S001", "competence.revoked")
    _deliver(dlv_org)
    assert receiver.requests == 1
    last = _attempts(dlv_org)[-1]
    assert last.status_code is None
    assert last.error is not None and last.error.startswith("refused: 127.0.0.1")


def test_a_name_resolving_inside_is_refused_at_delivery(
    dlv_org: DlvOrg, receiver: FakeReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS is the one external system here: a stand-in resolver answers for a public-looking
    name with the loopback address (as a rebinding attacker's DNS server would)."""
    dlv_org.person("S001")
    port = int(receiver.url.split(":")[2].split("/")[0])
    dlv_org.app.config["OUTBOUND_ALLOW"] = ""
    url = f"http://hr.rebinding.example:{port}/hooks/competences"
    receiver.secret = dlv_org.add_endpoint(url)["secret"]  # a public-looking name: accepted
    real = socket.getaddrinfo

    def resolver(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "hr.rebinding.example":
            return real("127.0.0.1", *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    dlv_org.publish("S001")
    _deliver(dlv_org)
    assert receiver.requests == 0
    error = _attempts(dlv_org)[-1].error or ""
    assert error.startswith("refused: hr.rebinding.example resolves to an address")
    assert "127.0.0.1" not in error  # the tenant learns no internal address
    # Allowed by name, the same receiver is reached (connecting to the vetted address, with
    # the endpoint's host in the Host header).
    dlv_org.app.config["OUTBOUND_ALLOW"] = "hr.rebinding.example"
    with dlv_org.db() as session:
        for delivery in session.scalars(select(Delivery)):
            delivery.next_attempt_at = delivery.queued_at
    _deliver(dlv_org)
    (receipt,) = receiver.accepted()
    assert receipt.headers["host"] == f"hr.rebinding.example:{port}"


def test_stored_errors_carry_a_status_line_not_the_body(
    dlv_org: DlvOrg, receiver: FakeReceiver
) -> None:
    dlv_org.person("S001")
    receiver.secret = dlv_org.add_endpoint(receiver.url)["secret"]
    receiver.status = 403
    dlv_org.publish("S001")
    _deliver(dlv_org)
    (attempt,) = _attempts(dlv_org)
    assert attempt.error == "HTTP 403 Forbidden"
    shown = dlv_org.client.get("/api/v1/hr/deliveries", headers=dlv_org.headers).get_json()
    assert "temporarily unavailable" not in str(shown)
