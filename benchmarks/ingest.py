"""Completion events per second, against the HTTP stack's own ceiling.

Run: ``python -m benchmarks.ingest [--seconds S] [--database sqlite|postgres|both]
[--workload request|accept|issue ...] [--threads N] [--accept-threads N] [--people P]
[--workers W] [--issue-workers K] [--batch-size B] [--rate R] [--steady-seconds T]
[--warmup E] [--json FILE]``

For each database a fresh one is created (a SQLite file; on PostgreSQL a new database,
dropped afterwards), the example organisation is loaded, and ``badgeservice serve``
(gunicorn, ``--workers`` processes) is started on loopback. ``--people`` extra people are
created through the API, so that every event (a signed completion of one of the
organisation path's lms activities, for a distinct person and activity) issues a new
credential. The baseline, in the same run, through the same server and load generator, is
``GET /healthz``: the ceiling of the HTTP stack. The workloads:

``request``
    Request mode: HTTP → inbox → credential signed → stored, all inside the request
    (``--threads`` clients).
``accept``
    Worker mode: the request authenticates, validates and commits the raw event, and
    answers 202 (``--accept-threads`` clients, 16 by default). These events name people
    who do not exist and are removed from the inbox afterwards, so the ``issue`` backlog
    is only its own.
``issue``
    Worker mode: a backlog of one completion per (person, activity) is accepted (measured
    as a second accept run), then ``--issue-workers`` ``badgeservice worker`` processes
    drain it. The rate is counted from the first processed event to the empty inbox (the
    workers' start-up is shown apart), and every event must have issued exactly one
    credential. Its ratios are to ``/healthz`` and to the ``request`` figure of this run.

``alone``
    As ``issue``, with a backlog of its own, drained by workers that process every event on
    its own (``badgeservice worker --one-by-one``, as before batches were processed
    together); with ``issue`` in the same run, the ratio of the two is printed.
``steady``
    Worker mode with ``--issue-workers`` workers running: completions are sent at a steady
    ``--rate`` (150/s by default) for ``--steady-seconds``, and for each the time from its
    202 until its credential is visible (its event seen ``processed`` by a reader polling
    the database every 20 ms) is taken; its p50/p95/p99 are that latency.

``--warmup E`` first sends E request-mode completion events that are not measured (a
worker's first credential costs about half a second of one-off work, which otherwise sets
p99). Absolute numbers depend on the machine; compare the ratios. Only loopback is used;
every phase is bounded by ``--seconds`` and by the number of (person, activity) pairs.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, create_engine, text

from badgeservice.webhooks import sign
from tests.scratch import scratch_database

ROOT = Path(__file__).resolve().parent.parent
CONNECTION = "moodle"
ACTIVITIES = ("course:100", "cm:2010")  # lms triggers of the organisation path
SERVE = (sys.executable, "-m", "badgeservice", "serve")
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
WORKLOADS = ("request", "accept", "issue", "alone", "steady")

# One request of the load generator: (connection) -> (status, ok)
Request = Callable[[http.client.HTTPConnection], tuple[int, bool]]


@dataclass
class Result:
    database: str
    workload: str
    requests: int
    seconds: float
    per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    ratio: float | None = None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """``badgeservice serve`` over the database, the example organisation loaded; it can be
    restarted in the other processing mode."""

    def __init__(
        self, folder: Path, database_url: str, workers: int | None, threads: int = 1
    ) -> None:
        shutil.copytree(ROOT / "issuers", folder / "issuers")
        self.folder = folder
        self.workers = workers
        self.threads = threads
        self.port = _free_port()
        self.env = {
            **os.environ,
            "BADGESERVICE_DATABASE_URL": database_url,
            "BADGESERVICE_PUBLIC_URL": f"http://127.0.0.1:{self.port}",
            "BADGESERVICE_SECRET_KEY": "benchmark secret, not for production",
            "BADGESERVICE_PROCESSING": "request",
        }
        self.cli("issuers", "load")
        self.admin = self._client("--scopes", "admin")["token"]
        events = self._client("--scopes", "events:write", "--connection", CONNECTION)
        self.client_id, self.secret = events["id"], events["secret"]
        self.process: subprocess.Popen[bytes] | None = None
        self.start("request")

    def start(self, processing: str) -> None:
        self.env["BADGESERVICE_PROCESSING"] = processing
        self.process = subprocess.Popen(
            [*SERVE, "--port", str(self.port), "--threads", str(self.threads), *self._workers],
            cwd=self.folder,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if self.request("GET", "/healthz")[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("the server did not start")

    @property
    def _workers(self) -> list[str]:
        return [] if self.workers is None else ["--workers", str(self.workers)]

    def cli(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "badgeservice", *args],
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if result.returncode:
            raise RuntimeError(f"badgeservice {' '.join(args)}: {result.stderr}")
        return result.stdout

    def _client(self, *args: str) -> dict[str, str]:
        out = self.cli("clients", "create", "--organisation", "esimerkkiopisto", *args, "--json")
        return dict(json.loads(out))

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        connection = self.connection()
        try:
            headers = {"Authorization": f"Bearer {self.admin}", "Accept": "application/json"}
            data = None
            if body is not None:
                data = json.dumps(body).encode()
                headers["Content-Type"] = "application/json"
            connection.request(method, path, body=data, headers=headers)
            response = connection.getresponse()
            return response.status, json.loads(response.read() or b"null")
        finally:
            connection.close()

    def stop(self) -> None:
        if self.process is not None:
            _end(self.process)
            self.process = None


def _end(process: subprocess.Popen[Any]) -> None:
    """SIGTERM a process started in its own session, and its children; SIGKILL if it
    lingers."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


def _percentile(sorted_values: list[float], share: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, int(share * len(sorted_values)))
    return sorted_values[index]


def load(
    server: Server,
    make: Callable[[], Request | None],
    threads: int,
    seconds: float,
    database: str,
    workload: str,
) -> Result:
    """``threads`` clients, each on its own keep-alive connection, send what ``make`` gives
    until it gives nothing or ``seconds`` have passed."""
    latencies: list[float] = []
    errors = 0
    guard = threading.Lock()
    start = time.perf_counter()
    deadline = start + seconds

    def client() -> None:
        nonlocal errors
        connection = server.connection()
        mine: list[float] = []
        failed = 0
        try:
            while time.perf_counter() < deadline:
                with guard:
                    request = make()
                if request is None:
                    break
                began = time.perf_counter()
                try:
                    _, ok = request(connection)
                except (OSError, http.client.HTTPException):
                    connection.close()
                    connection = server.connection()
                    ok = False
                mine.append(time.perf_counter() - began)
                failed += not ok
        finally:
            connection.close()
            with guard:
                latencies.extend(mine)
                errors += failed

    workers = [threading.Thread(target=client) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - start
    ordered = sorted(latencies)
    return Result(
        database=database,
        workload=workload,
        requests=len(ordered),
        seconds=round(elapsed, 2),
        per_second=round(len(ordered) / elapsed, 1),
        p50_ms=round(_percentile(ordered, 0.50) * 1000, 1),
        p95_ms=round(_percentile(ordered, 0.95) * 1000, 1),
        p99_ms=round(_percentile(ordered, 0.99) * 1000, 1),
        errors=errors,
    )


def healthz(connection: http.client.HTTPConnection) -> tuple[int, bool]:
    connection.request("GET", "/healthz")
    response = connection.getresponse()
    response.read()
    return response.status, response.status == 200


def completion_request(
    server: Server, employee_number: str, activity: str, *, accept_only: bool = False
) -> Request:
    """A signed completion; it succeeds when it issued one credential in the request, or
    (``accept_only``, worker mode) when it was stored for the worker."""
    event_id = f"bench-{employee_number}-{activity}"
    body = json.dumps(
        {
            "id": event_id,
            "time": "2026-11-28T10:00:00+00:00",
            "source": {"connection": CONNECTION},
            "person": {"employeeNumber": employee_number},
            "activity": {"id": activity, "name": activity},
            "result": {"completion": True, "success": True, "score": {"scaled": 0.9}},
        }
    ).encode()

    def send(connection: http.client.HTTPConnection) -> tuple[int, bool]:
        stamp = int(time.time())
        message_id = f"msg-{event_id}"
        connection.request(
            "POST",
            f"/api/v1/events?client={server.client_id}",
            body=body,
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json",
                "webhook-id": message_id,
                "webhook-timestamp": str(stamp),
                "webhook-signature": sign(server.secret, message_id, stamp, body),
            },
        )
        response = connection.getresponse()
        answer = response.read()
        if response.status != 202:
            return response.status, False
        event = json.loads(answer)["event"]
        if accept_only:
            return response.status, event["state"] == "received" and not event["duplicate"]
        # a new credential, signed and stored, in the request
        return response.status, event["state"] == "processed" and len(event["credentials"]) == 1

    return send


def add_people(server: Server, count: int, threads: int, prefix: str = "B") -> list[str]:
    numbers = [f"{prefix}{n:05d}" for n in range(count)]
    pending = iter(numbers)

    def make() -> Request | None:
        number = next(pending, None)
        if number is None:
            return None

        def post(connection: http.client.HTTPConnection) -> tuple[int, bool]:
            connection.request(
                "POST",
                "/api/v1/people",
                body=json.dumps({"employeeNumber": number, "givenName": number}).encode(),
                headers={
                    "Authorization": f"Bearer {server.admin}",
                    "Content-Type": "application/json",
                },
            )
            response = connection.getresponse()
            response.read()
            return response.status, response.status == 201

        return post

    created = load(server, make, threads, 600, "", "people")
    if created.errors:
        raise RuntimeError(f"{created.errors} people could not be created")
    return numbers


def pairs_of(people: list[str]) -> Callable[[], tuple[str, str] | None]:
    """The next (person, activity) pair each call, None when all were given."""
    pairs = iter(itertools.product(people, ACTIVITIES))
    return lambda: next(pairs, None)


def bench(kind: str, args: argparse.Namespace) -> list[Result]:
    with tempfile.TemporaryDirectory(prefix="badgeservice-bench-") as tmp:
        folder = Path(tmp)
        server_url = args.postgres_url if kind == "postgres" else ""
        with scratch_database(folder, server=server_url, prefix="badgeservice_bench") as url:
            server = Server(folder, url, args.workers, args.server_threads)
            try:
                return _workloads(server, url, kind, args)
            finally:
                server.stop()


def _workloads(server: Server, url: str, kind: str, args: argparse.Namespace) -> list[Result]:
    results: list[Result] = []
    request_rate: float | None = None
    if "request" in args.workload:
        people = add_people(server, args.people, args.threads)
        base = load(server, lambda: healthz, args.threads, args.seconds, kind, "GET /healthz")
        pair = pairs_of(people)

        def make() -> Request | None:
            given = pair()
            return None if given is None else completion_request(server, *given)

        if args.warmup:
            # Not measured: each worker's first credential pays one-off costs (compiling
            # the schema validator, processing the JSON-LD contexts).
            budget = iter(range(args.warmup))
            load(
                server,
                lambda: make() if next(budget, None) is not None else None,
                args.threads,
                args.seconds,
                kind,
                "warm-up",
            )
        events = load(server, make, args.threads, args.seconds, kind, "completion event")
        results += _ratios(base, events)
        request_rate = events.per_second
    if not {"accept", "issue", "alone", "steady"} & set(args.workload):
        return results
    backlog = (
        add_people(server, args.issue_people, args.threads, "I")
        if ("issue" in args.workload)
        else []
    )
    backlog_alone = (
        add_people(server, args.issue_people, args.threads, "J")
        if ("alone" in args.workload)
        else []
    )
    paced = (
        add_people(server, int(args.rate * args.steady_seconds / 2) + 1, args.threads, "S")
        if ("steady" in args.workload)
        else []
    )
    server.stop()
    server.start("worker")
    threads = args.accept_threads
    base = load(server, lambda: healthz, threads, args.seconds, kind, f"GET /healthz, {threads} c")
    if "accept" in args.workload:
        unknown = ((f"U{n:07d}", ACTIVITIES[0]) for n in itertools.count())

        def accept() -> Request:
            return completion_request(server, *next(unknown), accept_only=True)

        accepted = load(server, accept, threads, args.seconds, kind, f"accept, {threads} c")
        results += _ratios(base, accepted)
        _forget_events(url, "bench-U%")  # people who do not exist: not the issue backlog
    issued: Result | None = None
    for workload, people, prefix in (("issue", backlog, "I"), ("alone", backlog_alone, "J")):
        if workload not in args.workload:
            continue
        stored = load(server, _storing(server, people), threads, 600, kind, "accept (backlog)")
        if stored.errors:
            raise RuntimeError(f"{stored.errors} backlog events were not accepted")
        drained = drain(server, url, kind, stored.requests, args, prefix=prefix)
        drained.ratio = round(drained.per_second / base.per_second, 4)
        results += [stored, drained]
        if request_rate:
            print(
                f"{kind}: {drained.workload} / request mode = "
                f"{drained.per_second / request_rate:.2f}"
            )
        if workload == "issue":
            issued = drained
        elif issued is not None:
            ratio = issued.per_second / drained.per_second
            print(f"{kind}: issue together / one by one = {ratio:.2f}")
    if "steady" in args.workload:
        results.append(steady(server, url, kind, paced, args))
    return results


def _storing(server: Server, people: list[str]) -> Callable[[], Request | None]:
    """The backlog's requests: one completion per (person, activity), then None."""
    pair = pairs_of(people)

    def store() -> Request | None:
        given = pair()
        return None if given is None else completion_request(server, *given, accept_only=True)

    return store


def _ratios(base: Result, measured: Result) -> list[Result]:
    base.ratio = 1.0
    measured.ratio = round(measured.per_second / base.per_second, 4) if base.per_second else None
    return [base, measured]


def _forget_events(url: str, pattern: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text("DELETE FROM inbound_events WHERE external_id LIKE :pattern"),
                {"pattern": pattern},
            )
    finally:
        engine.dispose()


def _cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of a process on this machine (0 where /proc is not)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _backend_cpu(engine: Any) -> dict[int, float]:
    """CPU seconds of each PostgreSQL server process of the database (when the server runs
    on this machine); nothing on SQLite."""
    if engine.dialect.name != "postgresql":
        return {}
    with engine.connect() as connection:
        pids = connection.scalars(
            text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        ).all()
    return {int(pid): _cpu_seconds(int(pid)) for pid in pids}


def drain(
    server: Server, url: str, kind: str, backlog: int, args: argparse.Namespace, prefix: str = "I"
) -> Result:
    """Start the worker processes on the stored backlog and time them until the inbox holds
    nothing ``received``; the rate runs from the first processed event (start-up apart).
    Every event must end ``processed`` with exactly one credential of its own."""
    engine = create_engine(url)
    logs = [server.folder / f"worker-{prefix}{n}.log" for n in range(args.issue_workers)]
    began = time.perf_counter()
    one_by_one = ["--one-by-one"] if prefix == "J" else []
    workers = _workers(server, args, f"worker-{prefix}", *one_by_one)
    backends = _backend_cpu(engine)
    first: tuple[float, int] | None = None
    try:
        while True:
            with engine.connect() as connection:
                waiting = connection.scalar(
                    text("SELECT count(*) FROM inbound_events WHERE state = 'received'")
                )
            now = time.perf_counter()
            done = backlog - int(waiting or 0)
            if first is None and done:
                first = (now, done)
            if not waiting:
                break
            if now - began > 1800 or any(w.poll() is not None for w in workers):
                raise RuntimeError("the workers did not drain the backlog: see " + str(logs))
            time.sleep(0.05)
        # CPU seconds of the worker processes (start-up included) and of the database's
        # server processes (their growth over the drain), per event.
        spent_workers = sum(_cpu_seconds(worker.pid) for worker in workers)
        spent_database = sum(
            seconds - backends.get(pid, 0.0) for pid, seconds in _backend_cpu(engine).items()
        )
    finally:
        for worker in workers:
            _end(worker)
    assert first is not None
    if spent_workers:
        print(
            f"{kind}: CPU per event: worker processes {1000 * spent_workers / backlog:.1f} ms, "
            f"database server processes {1000 * spent_database / backlog:.1f} ms"
        )
    with engine.connect() as connection:
        states: dict[str, int] = dict(
            connection.execute(
                text(
                    "SELECT state, count(*) FROM inbound_events "
                    "WHERE external_id LIKE :events GROUP BY state"
                ),
                {"events": f"bench-{prefix}%"},
            ).all()
        )
        credentials = int(
            connection.scalar(
                text(
                    "SELECT count(*) FROM credentials JOIN people ON people.id = "
                    "credentials.person_id WHERE people.employee_number LIKE :people"
                ),
                {"people": f"{prefix}%"},
            )
            or 0
        )
    engine.dispose()
    elapsed = now - first[0]
    print(
        f"{kind}: {backlog} events drained by {args.issue_workers} worker(s) in "
        f"{now - began:.1f} s ({first[0] - began:.1f} s to the first processed event); "
        f"states {states}; {credentials} credentials issued to the backlog's people"
    )
    # every event processed, each with its own credential (one per person and activity)
    errors = backlog - int(states.get("processed", 0)) + abs(credentials - backlog)
    return Result(
        database=kind,
        workload=f"issue{' 1-by-1' if prefix == 'J' else ''} ({args.issue_workers} w)",
        requests=backlog,
        seconds=round(elapsed, 2),
        per_second=round((backlog - first[1]) / elapsed, 1) if elapsed > 0 else 0.0,
        p50_ms=float("nan"),
        p95_ms=float("nan"),
        p99_ms=float("nan"),
        errors=errors,
    )


def _workers(
    server: Server, args: argparse.Namespace, name: str, *extra: str
) -> list[subprocess.Popen[Any]]:
    """``--issue-workers`` ``badgeservice worker`` processes, each logging to ``name-N.log``
    in the server's folder."""
    command = [*SERVE[:-1], "worker", "--batch-size", str(args.batch_size), "--interval", "0.2"]
    command += extra
    return [
        subprocess.Popen(
            command,
            cwd=server.folder,
            env=server.env,
            stdout=(server.folder / f"{name}{n}.log").open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for n in range(args.issue_workers)
    ]


def steady(
    server: Server, url: str, kind: str, people: list[str], args: argparse.Namespace
) -> Result:
    """Completions sent at a steady ``--rate`` for ``--steady-seconds`` while the workers
    run: for each, the time from its 202 until its credential is visible (the event seen
    ``processed`` by a reader polling the database every 20 ms, so up to 20 ms late)."""
    engine = create_engine(url)
    workers = _workers(server, args, "steady-")
    pair = pairs_of(people)
    total = int(args.rate * args.steady_seconds)
    accepted: dict[str, float] = {}
    seen: dict[str, float] = {}
    guard = threading.Lock()
    errors = 0
    sending = True

    def watch() -> None:
        while sending or len(seen) < len(accepted):
            with guard:
                waiting = [key for key in accepted if key not in seen]
            if waiting:
                with engine.connect() as connection:
                    done = connection.scalars(
                        text(
                            "SELECT external_id FROM inbound_events WHERE state = 'processed' "
                            "AND external_id IN :ids"
                        ).bindparams(bindparam("ids", expanding=True)),
                        {"ids": waiting},
                    ).all()
                now = time.perf_counter()
                for key in done:
                    seen.setdefault(key, now)
            if not sending and time.perf_counter() - stopped > 60:
                return
            time.sleep(0.02)

    try:
        time.sleep(3)  # the workers' start-up
        watcher = threading.Thread(target=watch)
        watcher.start()
        start = time.perf_counter()
        schedule = iter(range(total))
        lock = threading.Lock()

        def send() -> None:
            nonlocal errors
            connection = server.connection()
            while True:
                with lock:
                    n = next(schedule, None)
                    given = pair() if n is not None else None
                if n is None or given is None:
                    break
                due = start + n / args.rate
                time.sleep(max(0.0, due - time.perf_counter()))
                try:
                    _, ok = completion_request(server, *given, accept_only=True)(connection)
                except (OSError, http.client.HTTPException):
                    connection.close()
                    connection = server.connection()
                    ok = False
                if ok:
                    with guard:
                        accepted[f"bench-{given[0]}-{given[1]}"] = time.perf_counter()
                else:
                    errors += 1
            connection.close()

        senders = [threading.Thread(target=send) for _ in range(8)]
        for thread in senders:
            thread.start()
        for thread in senders:
            thread.join()
        elapsed = time.perf_counter() - start
        stopped = time.perf_counter()
        sending = False
        watcher.join()
    finally:
        for worker in workers:
            _end(worker)
        engine.dispose()
    latencies = sorted(seen[key] - accepted[key] for key in seen)
    late = len(accepted) - len(seen)
    print(
        f"{kind}: steady {args.rate:g}/s for {args.steady_seconds:g} s: {len(accepted)} accepted "
        f"at {len(accepted) / elapsed:.1f}/s, {len(seen)} visible, {late} not within 60 s"
    )
    return Result(
        database=kind,
        workload=f"visible at {args.rate:g}/s",
        requests=len(accepted),
        seconds=round(elapsed, 2),
        per_second=round(len(accepted) / elapsed, 1),
        p50_ms=round(_percentile(latencies, 0.50) * 1000, 1),
        p95_ms=round(_percentile(latencies, 0.95) * 1000, 1),
        p99_ms=round(_percentile(latencies, 0.99) * 1000, 1),
        errors=errors + late,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="per phase (default 10)")
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--threads", type=int, default=8, help="concurrent clients (8)")
    parser.add_argument("--people", type=int, default=500, help="extra people (500)")
    parser.add_argument(
        "--workers",
        type=int,
        help="gunicorn workers (default: serve's, 2 x CPUs + 1 on PostgreSQL, 2 on SQLite)",
    )
    parser.add_argument(
        "--server-threads", type=int, default=1, help="request threads per gunicorn worker (1)"
    )
    parser.add_argument(
        "--workload",
        nargs="+",
        choices=WORKLOADS,
        default=list(WORKLOADS),
        help="what to measure (all three)",
    )
    parser.add_argument(
        "--accept-threads", type=int, default=16, help="concurrent clients in worker mode (16)"
    )
    parser.add_argument(
        "--issue-people",
        type=int,
        default=1500,
        help="people of the issue backlog, two events each (1500)",
    )
    parser.add_argument(
        "--issue-workers", type=int, default=2, help="badgeservice worker processes (2)"
    )
    parser.add_argument("--batch-size", type=int, default=50, help="the workers' batch (50)")
    parser.add_argument(
        "--rate", type=float, default=150.0, help="steady: completions per second (150)"
    )
    parser.add_argument(
        "--steady-seconds", type=float, default=20.0, help="steady: how long to send (20)"
    )
    parser.add_argument(
        "--warmup",
        type=int,
        default=0,
        help="completion events sent, not measured, before the measured ones (0)",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BADGESERVICE_TEST_DATABASE_URL") or DEFAULT_POSTGRES,
        help="server to create the benchmark database on",
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    kinds = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    results = [result for kind in kinds for result in bench(kind, args)]

    print(
        f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; "
        f"{args.threads} client threads, {args.workers or 'the default'} gunicorn workers, "
        f"{args.seconds:g} s per phase; worker mode: {args.accept_threads} client threads, "
        f"{args.issue_workers} worker processes, batches of {args.batch_size}"
        + (f", {args.warmup} warm-up events not measured" if args.warmup else "")
    )
    header = (
        f"{'database':9} {'workload':19} {'requests':>8} {'per s':>8} {'p50 ms':>8} "
        f"{'p95 ms':>8} {'p99 ms':>8} {'errors':>6} {'ratio':>7}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        ratio = "" if r.ratio is None else f"{r.ratio:.3f}"
        print(
            f"{r.database:9} {r.workload:19} {r.requests:8d} {r.per_second:8.1f} "
            f"{r.p50_ms:8.1f} {r.p95_ms:8.1f} {r.p99_ms:8.1f} {r.errors:6d} {ratio:>7}"
        )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "python": platform.python_version(),
                    "cpus": os.cpu_count(),
                    "threads": args.threads,
                    "workers": args.workers,
                    "seconds": args.seconds,
                    "warmup": args.warmup,
                    "accept_threads": args.accept_threads,
                    "issue_workers": args.issue_workers,
                    "batch_size": args.batch_size,
                    "results": [asdict(r) for r in results],
                },
                indent=2,
            )
            + "\n"
        )
    return 1 if any(r.errors for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
