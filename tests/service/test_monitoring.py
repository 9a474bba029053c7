"""``/readyz`` asks the database; ``/metrics`` answers the operator's token only, with the
backlog as the database holds it (events waiting, their outcome, the issue latency, the HR
outbox and its attempts)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from badgeservice.app import create_app
from badgeservice.workers import run_worker
from tests.factories import Example, completion, load_example, post_signed, problem
from tests.live import free_port

TOKEN = "metrics token of the tests"


def _scrape(
    client: Any, token: str = TOKEN
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.mimetype == "text/plain"
    assert answer.mimetype_params["version"] == "0.0.4"  # the format every Prometheus reads
    samples = {}
    for family in text_string_to_metric_families(answer.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def _value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_readyz_answers_when_the_database_does(client: Any) -> None:
    answer = client.get("/readyz")
    assert answer.status_code == 200
    assert answer.get_json()["status"] == "ready"
    assert client.get("/healthz").status_code == 200


def test_readyz_is_503_when_the_database_does_not_answer(tmp_path: Path) -> None:
    # Nothing listens on this loopback port: the connection is refused at once.
    unreachable = f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none"
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": unreachable,
            "SECRET_KEY": "test secret key, not for production",
            "INSTANCE_PATH": str(tmp_path / "instance"),
        }
    )
    answer = app.test_client().get("/readyz")
    body = problem(answer, 503)
    assert body["type"].endswith("/not-ready")
    assert app.test_client().get("/healthz").status_code == 200  # liveness asks no database


@pytest.mark.parametrize(
    ("configured", "header", "status"),
    [
        ("", f"Bearer {TOKEN}", 403),  # not configured: metrics are off
        (TOKEN, None, 401),
        (TOKEN, "Bearer wrong token", 401),
        (TOKEN, f"Basic {TOKEN}", 401),
    ],
)
def test_metrics_refuse_without_the_operator_token(
    app: Any, client: Any, configured: str, header: str | None, status: int
) -> None:
    app.config["METRICS_TOKEN"] = configured
    headers = {"Authorization": header} if header else {}
    problem(client.get("/metrics", headers=headers), status)


def test_an_admin_api_token_does_not_open_metrics(app: Any, client: Any, make_tenant: Any) -> None:
    app.config["METRICS_TOKEN"] = TOKEN
    tenant = make_tenant("acme", ("admin",))
    problem(client.get("/metrics", headers=tenant.headers), 401)


@pytest.fixture
def example(app: Any, tmp_path: Path) -> Example:
    app.config["PROCESSING"] = "worker"
    app.config["METRICS_TOKEN"] = TOKEN
    return load_example(app, tmp_path)


def test_metrics_show_the_backlog_and_its_processing(
    app: Any, client: Any, example: Example
) -> None:
    # An HR endpoint nobody listens on: every delivery attempt is an error, retried later.
    endpoint = client.post(
        "/api/v1/hr/endpoints",
        json={"url": f"http://127.0.0.1:{free_port()}/hr"},
        headers=example.admin_headers,
    )
    assert endpoint.status_code == 201, endpoint.get_json()
    empty = _scrape(client)
    assert _value(empty, "badgeservice_inbox_oldest_received_age_seconds") == 0
    assert _value(empty, "badgeservice_issue_latency_seconds_count") == 0
    assert _value(empty, "badgeservice_hr_delivery_attempts", outcome="error") == 0

    for n in range(3):
        sent = post_signed(client, example, completion(example, f"m-{n}"), message_id=f"m{n}")
        assert sent.status_code == 202
    waiting = _scrape(client)
    assert _value(waiting, "badgeservice_inbox_events", channel="webhook", state="received") == 3
    assert _value(waiting, "badgeservice_inbox_oldest_received_age_seconds") > 0

    run_worker(app, until_idle=True, echo=lambda _line: None)
    done = _scrape(client)
    assert _value(done, "badgeservice_inbox_events", channel="webhook", state="received") == 0
    assert _value(done, "badgeservice_inbox_events", channel="webhook", state="processed") == 3
    assert _value(done, "badgeservice_inbox_oldest_received_age_seconds") == 0
    assert _value(done, "badgeservice_issue_latency_seconds_count") == 3
    assert _value(done, "badgeservice_issue_latency_seconds_bucket", le="+Inf") == 3
    assert _value(done, "badgeservice_issue_latency_seconds_bucket", le="3600.0") == 3
    assert 0 < _value(done, "badgeservice_issue_latency_seconds_sum") < 3600 * 3
    # One credential issued (the other two found it held): its competence event waits in
    # the outbox after a failed attempt.
    assert _value(done, "badgeservice_hr_outbox_deliveries", state="pending") >= 1
    assert _value(done, "badgeservice_hr_outbox_oldest_pending_age_seconds") > 0
    assert _value(done, "badgeservice_hr_delivery_attempts", outcome="error") >= 1
    assert _value(done, "badgeservice_hr_delivery_attempts", outcome="delivered") == 0
