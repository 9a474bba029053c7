"""Reliability of the completion webhook against real server processes on loopback:
idempotency under concurrent duplicates, and no accepted event lost or processed twice
when the worker or the server is killed (SIGKILL) part-way."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from badgeservice.webhooks import sign
from tests.conftest import ROOT, fresh_database
from tests.live import free_port, http

CONNECTION = "moodle"
# lms triggers of the example organisation's organisation path (everyone is on it)
ORGANISATION_ACTIVITIES = ("course:100", "cm:2010")


class Live:
    """``badgeservice serve`` (gunicorn, 2 workers) on loopback over its own database, the
    example organisation loaded; it can be restarted, in either processing mode, or killed."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory, database_url: str) -> None:
        self.folder = tmp_path_factory.mktemp("reliability")
        shutil.copytree(ROOT / "issuers", self.folder / "issuers")
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "BADGESERVICE_DATABASE_URL": database_url,
            "BADGESERVICE_PUBLIC_URL": self.base,
            "BADGESERVICE_SECRET_KEY": "reliability test secret",
            "PYTHONUNBUFFERED": "1",
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.cli("db", "upgrade")
        self.cli("issuers", "load")
        admin = self._client("--scopes", "admin")
        self.admin = admin["token"]
        events = self._client("--scopes", "events:write", "--connection", CONNECTION)
        self.client_id, self.secret = events["id"], events["secret"]

    def _client(self, *args: str) -> dict[str, str]:
        out = self.cli("clients", "create", "--organisation", "esimerkkiopisto", *args, "--json")
        return dict(json.loads(out))

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "badgeservice", *args]

    def cli(self, *args: str, processing: str = "request") -> str:
        result = subprocess.run(
            self.command(*args),
            cwd=self.folder,
            env={**self.env, "BADGESERVICE_PROCESSING": processing},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    def start(self, processing: str = "request") -> None:
        assert self.process is None
        self.process = subprocess.Popen(
            self.command("serve", "--port", str(self.port), "--workers", "2"),
            cwd=self.folder,
            env={**self.env, "BADGESERVICE_PROCESSING": processing},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: a kill takes the workers too
        )
        for _ in range(150):
            try:
                if http("GET", f"{self.base}/healthz")[0] == 200:
                    return
            except OSError:
                pass
            if self.process.poll() is not None:
                pytest.fail("the server exited while starting")
            time.sleep(0.2)
        pytest.fail("the server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None

    def kill(self) -> None:
        """SIGKILL the master and its workers at once: a crash, nothing cleaned up."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self.process = None
        time.sleep(0.5)  # let the database notice the dropped connections

    def restart(self, processing: str = "request") -> None:
        self.stop()
        self.start(processing)

    # -- the API --------------------------------------------------------------------------

    def api(self, method: str, path: str, body: Any = None) -> Any:
        status, answer = http(method, f"{self.base}/api/v1{path}", body, self.admin)
        assert status < 300, (status, answer)
        return answer

    def add_people(self, prefix: str, count: int) -> list[str]:
        numbers = [f"{prefix}{n:03d}" for n in range(count)]
        for number in numbers:
            self.api("POST", "/people", {"employeeNumber": number, "givenName": number})
        return numbers

    def person_id(self, employee_number: str) -> str:
        items = self.api("GET", f"/people?employeeNumber={employee_number}")["items"]
        assert len(items) == 1, items
        return str(items[0]["id"])

    def credentials(self, person: str) -> list[dict[str, Any]]:
        return list(self.api("GET", f"/credentials?person={person}&limit=1000")["items"])

    def events(self, state: str | None = None) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        while True:
            query = f"/events?limit=1000&offset={len(found)}" + (f"&state={state}" if state else "")
            page = self.api("GET", query)["items"]
            found += page
            if len(page) < 1000:
                return found

    def completion(self, event_id: str, employee_number: str, activity: str) -> bytes:
        return json.dumps(
            {
                "id": event_id,
                "time": "2026-11-20T10:00:00+00:00",
                "source": {"connection": CONNECTION},
                "person": {"employeeNumber": employee_number},
                "activity": {"id": activity, "name": activity},
                "result": {"completion": True, "success": True},
            }
        ).encode()

    def send(self, body: bytes, timeout: float = 60) -> tuple[int, Any]:
        """POST one signed event; (status, body), or (0, error) when the connection broke."""
        message_id = f"msg-{uuid.uuid4().hex}"
        stamp = int(time.time())
        request = urllib.request.Request(
            f"{self.base}/api/v1/events?client={self.client_id}",
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json",
                "webhook-id": message_id,
                "webhook-timestamp": str(stamp),
                "webhook-signature": sign(self.secret, message_id, stamp, body),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")
        except (OSError, ValueError) as exc:  # reset, refused, truncated: no answer
            return 0, repr(exc)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with fresh_database(tmp_path_factory) as database_url:
        live = Live(tmp_path_factory, database_url)
        live.start()
        try:
            yield live
        finally:
            live.stop()


def assert_one_credential_per_achievement(live: Live, employee_number: str) -> list[str]:
    credentials = live.credentials(live.person_id(employee_number))
    twice = {a: n for a, n in Counter(c["achievement"] for c in credentials).items() if n > 1}
    assert not twice, f"{employee_number} holds achievements more than once: {twice}"
    return [str(c["id"]) for c in credentials]


def test_concurrent_duplicates_converge_on_one_credential(server: Live) -> None:
    server.restart("request")
    (person,) = server.add_people("DUP", 1)
    same = server.completion("dup-same-id", person, ORGANISATION_ACTIVITIES[0])
    bodies = [same] * 20 + [
        server.completion(f"dup-other-{n}", person, ORGANISATION_ACTIVITIES[0]) for n in range(12)
    ]
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(server.send, bodies))

    assert [status for status, _ in answers] == [202] * len(bodies), answers
    events = [answer["event"] for _, answer in answers]
    assert len({event["id"] for event in events[:20]}) == 1  # the id is the idempotency key
    assert sum(not event["duplicate"] for event in events[:20]) == 1
    assert not any(event["duplicate"] for event in events[20:])
    held = assert_one_credential_per_achievement(server, person)
    stored = [e for e in server.events() if e["externalId"].startswith("dup-")]
    assert len(stored) == 1 + 12
    assert {e["state"] for e in stored} == {"processed"}
    issued = [cid for event in stored for cid in event["credentials"]]
    assert len(held) == 1 and issued == held  # one event issued it; the others found it


def test_worker_killed_part_way_loses_and_repeats_nothing(server: Live) -> None:
    server.restart("worker")  # requests only store the events
    people = server.add_people("WRK", 25)
    sent = {
        f"wrk-{person}-{activity}": (person, activity)
        for person in people
        for activity in ORGANISATION_ACTIVITIES
    }
    bodies = [server.completion(eid, *pair) for eid, pair in sent.items()]
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(server.send, bodies))
    assert all(status == 202 for status, _ in answers), answers
    assert {answer["event"]["state"] for _, answer in answers} == {"received"}
    assert all(answer["credentials"] == [] for _, answer in answers)

    worker = subprocess.Popen(
        server.command("worker", "--batch-size", "3", "--interval", "0.2"),
        cwd=server.folder,
        env=server.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert worker.stdout is not None
        first = worker.stdout.readline()  # the first batch is committed
        assert first.startswith("batch events="), first
        time.sleep(0.02)  # ... and the next is half-way (a batch takes ~50 ms or more)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    part_way = [e for e in server.events() if e["externalId"] in sent]
    done = sum(e["state"] == "processed" for e in part_way)
    assert 0 < done < len(sent), "the kill should land part-way"

    out = server.cli("worker", "--until-idle", processing="worker")
    assert "worker idle" in out

    assert server.events("received") == []
    stored = {e["externalId"]: e for e in server.events() if e["externalId"] in sent}
    assert set(stored) == set(sent)
    assert {e["state"] for e in stored.values()} == {"processed"}, stored
    listed: Counter[str] = Counter()
    for external_id, event in stored.items():
        assert len(event["credentials"]) == 1, event  # each completion issued exactly one
        listed.update(event["credentials"])
        assert event["person"] == server.person_id(sent[external_id][0])
    held = [
        cid for person in people for cid in assert_one_credential_per_achievement(server, person)
    ]
    assert sorted(held) == sorted(listed) and max(listed.values()) == 1


def test_the_worker_command_processes_together_or_one_by_one(server: Live) -> None:
    """``badgeservice worker`` processes a batch's plain completions together (its batch
    lines say how many), and with ``--one-by-one`` every event on its own: the same
    outcome either way."""
    server.restart("worker")
    lines = {}
    for prefix, flags in (("TGT", ()), ("ONE", ("--one-by-one",))):
        people = server.add_people(prefix, 3)
        bodies = [
            server.completion(f"{prefix.lower()}-{person}-{activity}", person, activity)
            for person in people
            for activity in ORGANISATION_ACTIVITIES
        ]
        assert all(server.send(body)[0] == 202 for body in bodies)
        out = server.cli("worker", "--until-idle", *flags, processing="worker")
        lines[prefix] = [line for line in out.splitlines() if line.startswith("batch ")]
        mine = [e for e in server.events() if e["externalId"].startswith(prefix.lower())]
        assert len(mine) == 6 and {e["state"] for e in mine} == {"processed"}, mine
        assert all(len(e["credentials"]) == 1 for e in mine)
        for person in people:
            assert len(assert_one_credential_per_achievement(server, person)) == 2
    assert any("together=" in line for line in lines["TGT"]), lines
    assert lines["ONE"] and not any("together=" in line for line in lines["ONE"]), lines


def test_server_killed_with_requests_in_flight_loses_nothing_accepted(server: Live) -> None:
    server.restart("request")
    people = server.add_people("KIL", 30)
    sent = {
        f"kil-{person}-{activity}": (person, activity)
        for person in people
        for activity in ORGANISATION_ACTIVITIES
    }
    bodies = {eid: server.completion(eid, *pair) for eid, pair in sent.items()}
    answers: dict[str, tuple[int, Any]] = {}
    accepted = threading.Event()
    lock = threading.Lock()

    def post(event_id: str) -> None:
        answer = server.send(bodies[event_id], timeout=30)
        with lock:
            answers[event_id] = answer
            if sum(status == 202 for status, _ in answers.values()) >= 10:
                accepted.set()

    with ThreadPoolExecutor(max_workers=12) as pool:
        futures = [pool.submit(post, eid) for eid in bodies]
        assert accepted.wait(timeout=120), answers
        server.kill()
        for future in futures:
            future.result()

    statuses = Counter(status for status, _ in answers.values())
    assert set(statuses) <= {0, 202}, statuses  # answered, or cut off: never a 5xx
    assert statuses[0] > 0, "the kill should land with requests in flight"
    ok = {eid for eid, (status, _) in answers.items() if status == 202}

    server.start("request")
    replayed = server.cli("events", "replay", "--state", "received", "--state", "failed")
    assert replayed.startswith("replayed")
    server.cli("worker", "--until-idle")

    stored = {e["externalId"]: e for e in server.events() if e["externalId"] in sent}
    assert ok <= set(stored), ok - set(stored)  # nothing that got a 202 was lost
    assert {e["state"] for e in stored.values()} == {"processed"}, stored
    assert server.events("received") == [] and server.events("failed") == []
    listed: Counter[str] = Counter(cid for e in stored.values() for cid in e["credentials"])
    assert max(listed.values()) == 1
    held = {
        cid for person in people for cid in assert_one_credential_per_achievement(server, person)
    }
    assert set(listed) == held
    # every stored completion ends with its credential, however the crash cut it
    by_pair = {sent[eid] for eid in stored}
    assert len(held) == len(by_pair)


def test_four_workers_drain_one_backlog_each_event_once(server: Live) -> None:
    """Four ``badgeservice worker`` processes claim batches of one backlog at once (FOR
    UPDATE SKIP LOCKED on PostgreSQL; SQLite's write lock takes them in turn): every event
    is processed by exactly one of them, once, and every credential is stored once."""
    server.restart("worker")
    people = server.add_people("FOUR", 30)
    sent = {
        f"four-{person}-{activity}": (person, activity)
        for person in people
        for activity in ORGANISATION_ACTIVITIES
    }
    bodies = [server.completion(eid, *pair) for eid, pair in sent.items()]
    database_url = server.env["BADGESERVICE_DATABASE_URL"]
    postgres = database_url.startswith("postgresql")
    connected = _connections(database_url)
    workers = [
        subprocess.Popen(
            server.command("worker", "--batch-size", "4", "--interval", "0.2"),
            cwd=server.folder,
            env={**server.env, "BADGESERVICE_PROCESSING": "worker"},
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        for _ in range(4)
    ]
    if postgres:
        # Every worker is up (its first round connected it) before the backlog arrives, so
        # they all compete for it.
        deadline = time.monotonic() + 120
        while _connections(database_url) < connected + 4:
            assert time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.2)
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(server.send, bodies))
    assert {status for status, _ in answers} == {202}, answers
    assert {answer["event"]["state"] for _, answer in answers} == {"received"}

    try:
        deadline = time.monotonic() + 240
        while any(e["externalId"] in sent for e in server.events("received")):
            assert time.monotonic() < deadline, "the workers did not drain the backlog"
            assert all(worker.poll() is None for worker in workers), "a worker exited"
            time.sleep(0.5)
    finally:
        for worker in workers:
            worker.terminate()
        outputs = [worker.communicate(timeout=60)[0] for worker in workers]

    # Each worker's batch lines: together they settled every event exactly once (an event
    # that gave way to another batch in a deadlock is counted "again" and claimed later).
    batches = [
        dict(pair.split("=") for pair in line.split()[1:])
        for output in outputs
        for line in output.splitlines()
        if line.startswith("batch events=")
    ]
    outcomes = ("processed", "unmatched", "ignored", "parked", "failed")
    settled = sum(int(b[outcome]) for b in batches for outcome in outcomes)
    assert settled == len(sent), outputs
    if postgres:
        working = sum(any(line.startswith("batch ") for line in o.splitlines()) for o in outputs)
        assert working >= 2, f"only {working} worker(s) took batches: {outputs}"

    stored = {e["externalId"]: e for e in server.events() if e["externalId"] in sent}
    assert set(stored) == set(sent)
    failed = {eid: e["reason"] for eid, e in stored.items() if e["state"] != "processed"}
    assert not failed, failed
    assert {e["attempts"] for e in stored.values()} == {1}  # nobody processed one twice
    listed: Counter[str] = Counter(cid for e in stored.values() for cid in e["credentials"])
    assert all(len(e["credentials"]) == 1 for e in stored.values())
    assert len(listed) == len(sent) and max(listed.values()) == 1
    held = [
        cid for person in people for cid in assert_one_credential_per_achievement(server, person)
    ]
    assert sorted(held) == sorted(listed)


def _connections(database_url: str) -> int:
    """The connections to the PostgreSQL database open now (0 on SQLite)."""
    if not database_url.startswith("postgresql"):
        return 0
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return int(
                connection.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                )
                or 0
            )
    finally:
        engine.dispose()
