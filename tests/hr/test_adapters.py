"""Adapters turn a competence event into the request for one kind of HR endpoint; the
delivery machinery around them is shared."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from badgeservice.db import database
from badgeservice.hr.delivery.adapters import SignedWebhook, adapter_for
from badgeservice.hr.delivery.policy import RetryPolicy
from badgeservice.hr.delivery.sending import deliver_due
from badgeservice.hr.models import Delivery, HrEndpoint
from tests.hr.conftest import DlvOrg
from tests.hr.fake_receiver import FakeReceiver

SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()
SLOW = RetryPolicy(
    (600,), max_age=3600, timeout=1.0, breaker_threshold=10_000
)  # one attempt per round


def test_the_webhook_adapter_signs_compact_utf8_json() -> None:
    payload = {"id": "evt-1", "type": "competence.recognised", "data": {"title": "Äidinkieli ✓"}}
    request = SignedWebhook().render(
        url="https://hr.example.org/hook",
        secret=SECRET,
        message_id="evt-1",
        payload=payload,
        timestamp=1_700_000_000,
    )
    assert request.url == "https://hr.example.org/hook"
    assert request.body == json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    assert "Äidinkieli ✓".encode() in request.body
    # the Standard Webhooks signature, checked here with the specification's recipe
    signed = b"evt-1.1700000000." + request.body
    expected = base64.b64encode(hmac.new(b"k" * 32, signed, hashlib.sha256).digest()).decode()
    assert request.headers["webhook-signature"] == f"v1,{expected}"
    assert request.headers["webhook-id"] == "evt-1"
    assert request.headers["webhook-timestamp"] == "1700000000"
    assert SignedWebhook().accepted(204) and not SignedWebhook().accepted(302)


def test_an_unknown_adapter_is_named() -> None:
    assert adapter_for("webhook").kind == "webhook"
    with pytest.raises(ValueError, match="no HR adapter 'workday'; known: webhook"):
        adapter_for("workday")


@pytest.fixture
def receiver() -> Iterator[FakeReceiver]:
    fake = FakeReceiver()
    yield fake
    fake.close()


def test_an_endpoint_with_an_adapter_this_version_lacks_fails_visibly(
    dlv_org: DlvOrg, receiver: FakeReceiver
) -> None:
    """Nothing is sent and nothing is lost: the attempt is logged with the reason and the
    delivery waits (an upgrade that brings the adapter delivers it)."""
    dlv_org.person("A001")
    endpoint = dlv_org.add_endpoint(receiver.url, name="vendor")
    receiver.secret = endpoint["secret"]
    with dlv_org.db() as session:
        row = session.get(HrEndpoint, uuid.UUID(endpoint["id"]))
        assert row is not None
        row.adapter = "workday"
    dlv_org.publish("A001")
    with dlv_org.app.app_context():
        stats = deliver_due(
            database(),
            keystore=dlv_org.app.extensions["badgeservice.keystore"],
            policy=SLOW,
            rng=random.Random(1),
        )
    assert (stats.attempted, stats.delivered, stats.failed) == (1, 0, 1)
    assert receiver.accepted() == []
    with dlv_org.db() as session:
        (delivery,) = session.scalars(select(Delivery))
        assert delivery.state == "pending" and delivery.attempts == 1
        assert delivery.last_error == "no HR adapter 'workday'; known: webhook"
