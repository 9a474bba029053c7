"""The embedded default under concurrent use: `badgeservice demo` on SQLite, with its
in-process HR delivery running and a `badgeservice worker` beside it, while four threads
award and revoke over HTTP. No request may fail with a server error ("database is locked"
was a 500), and every award is stored exactly once."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.live import free_port, http

THREADS = 4
ROUNDS = 12  # per thread: award, sometimes revoke, sometimes award again


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """`badgeservice demo` in a fresh folder (its SQLite file under instance/), plus a
    `badgeservice worker` on the same database."""
    shutil.copytree(ROOT / "issuers", tmp_path / "issuers")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BADGESERVICE_")}
    log = (tmp_path / "demo.log").open("w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "badgeservice", "demo", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    worker = None
    try:
        token = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and token is None:
            text = (tmp_path / "demo.log").read_text()
            if match := re.search(r"API token for esimerkkiopisto \(admin\): (\S+)", text):
                token = match.group(1)
            elif process.poll() is not None:
                pytest.fail(text)
            else:
                time.sleep(0.2)
        assert token, (tmp_path / "demo.log").read_text()
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                if http("GET", f"{base}/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        worker = subprocess.Popen(
            [sys.executable, "-m", "badgeservice", "worker", "--interval", "0.2"],
            cwd=tmp_path,
            # The operator allows the demo's own stand-in HR receiver on loopback, as the
            # demo allows it for its in-process delivery.
            env={
                **env,
                "BADGESERVICE_PUBLIC_URL": base,
                "BADGESERVICE_OUTBOUND_ALLOW": "127.0.0.1",
            },
            stdout=subprocess.DEVNULL,
            stderr=(tmp_path / "worker.log").open("w"),
        )
        yield {"base": base, "token": token, "folder": tmp_path}
    finally:
        for proc in (worker, process):
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=30)
        log.close()


def test_concurrent_awards_and_revocations_never_fail_and_store_each_award_once(
    demo: dict[str, Any],
) -> None:
    base, token = demo["base"] + "/api/v1", demo["token"]
    status, paths = http("GET", f"{base}/paths?limit=100", token=token)
    assert status == 200
    status, people = http("GET", f"{base}/people?limit=100", token=token)
    assert status == 200
    goals = [g["id"] for p in paths["items"] if p["kind"] != "individual" for g in p["subGoals"]]
    numbers = [p["employeeNumber"] for p in people["items"] if p.get("employeeNumber")]
    # Few pairs for many requests: threads collide on the same person and sub-goal.
    pairs = [(numbers[i % len(numbers)], goals[(i * 7) % len(goals)]) for i in range(10)]

    answers: list[tuple[str, int, Any]] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def work(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for _ in range(ROUNDS):
                number, goal = rng.choice(pairs)
                body = {"subGoal": goal, "person": {"employeeNumber": number}}
                status, answer = http("POST", f"{base}/awards", body, token)
                with lock:
                    answers.append(("award", status, answer))
                if status in (200, 201) and rng.random() < 0.5:
                    url = f"{base}/credentials/{answer['id']}/revoke"
                    status, revoked = http("POST", url, {"reason": "test"}, token)
                    with lock:
                        answers.append(("revoke", status, revoked))
        except BaseException as exc:  # reported below, with the thread's context
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert not errors, errors
    codes = Counter((kind, status) for kind, status, _ in answers)
    failures = [(k, s, a) for k, s, a in answers if not 200 <= s < 500]
    assert not failures, (codes, failures[:3])
    awards = [a for k, s, a in answers if k == "award" and s in (200, 201)]
    assert awards, codes
    assert {s for k, s, _ in answers if k == "revoke"} <= {200, 409}, codes

    # Every credential any answer named is stored once, and nothing else was issued.
    seen = {a["id"] for a in awards} | {c["id"] for a in awards for c in a["pathCredentials"]}
    status, listed = http("GET", f"{base}/credentials?limit=1000", token=token)
    assert status == 200
    ids = [c["id"] for c in listed["items"]]
    assert len(ids) == len(set(ids))
    assert set(ids) == seen
    # At most one valid credential per person and sub-goal: concurrent awards converged.
    active = Counter(
        (c["person"], c["subGoal"])
        for c in listed["items"]
        if c["status"] == "active" and c["subGoal"]
    )
    assert all(n == 1 for n in active.values()), active

    # The in-process HR delivery delivered every message meanwhile, and no process logged
    # a database error.
    deadline = time.monotonic() + 120
    pending: list[Any] = ["?"]
    while pending and time.monotonic() < deadline:
        status, deliveries = http("GET", f"{base}/hr/deliveries?limit=1000", token=token)
        assert status == 200
        pending = [d for d in deliveries["items"] if d["state"] != "delivered"]
        time.sleep(0.5)
    assert not pending, json.dumps(pending[:3])
    for name in ("demo.log", "worker.log"):
        text = (demo["folder"] / name).read_text()
        assert "database is locked" not in text, text[-3000:]
        assert "Traceback" not in text, text[-3000:]
