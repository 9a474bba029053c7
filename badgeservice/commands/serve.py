"""``badgeservice serve``: the web service under gunicorn."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from ..clitools import handles_errors
from .base import app_for_command

__all__ = ["run_gunicorn", "serve"]


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option(
    "--workers",
    type=click.IntRange(1, 256),
    help="Web processes. Default: 2 x CPUs + 1 on PostgreSQL (each request waits for its "
    "commit to reach the disk: more processes overlap those waits), 2 on SQLite (one writer "
    "at a time: more processes only queue).",
)
@click.option(
    "--threads",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Request threads per worker process (more than 1: gunicorn's gthread workers, so a "
    "process answers others while one request waits for its commit to reach the disk).",
)
@handles_errors
def serve(host: str, port: int, workers: int | None, threads: int) -> None:
    """Run the web service with gunicorn."""
    app = app_for_command()  # a configuration it cannot start with fails here, in one line
    if workers is None:
        workers = default_workers(app.config["DATABASE_URL"])
    run_gunicorn(host, port, workers, threads=threads)


def default_workers(database_url: str) -> int:
    """gunicorn's own advice, 2 x CPUs + 1, on PostgreSQL; 2 on SQLite."""
    if not database_url.startswith("postgresql"):
        return 2
    return 2 * (os.cpu_count() or 1) + 1


def run_gunicorn(
    host: str,
    port: int,
    workers: int,
    *,
    threads: int = 1,
    demo: bool = False,
    overrides: dict[str, Any] | None = None,
) -> None:
    from gunicorn.app.base import BaseApplication

    from ..config import load_config

    instance = Path(load_config()["INSTANCE_PATH"]).resolve()

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("accesslog", "-")
            if "control_socket" in self.cfg.settings:
                # gunicorn >= 25.1 opens a control socket, by default in ~/.gunicorn/ (one
                # for every service of the user): this service's runtime files stay in its
                # instance folder.
                instance.mkdir(parents=True, exist_ok=True)
                self.cfg.set("control_socket", str(instance / "gunicorn.ctl"))
            self.cfg.set("post_worker_init", _tune_worker)
            if threads > 1:
                self.cfg.set("worker_class", "gthread")
                self.cfg.set("threads", threads)
            if demo:
                # One process with request threads, and the HR delivery thread started
                # after the fork (never fork a process that runs threads).
                self.cfg.set("worker_class", "gthread")
                self.cfg.set("threads", 4)
                self.cfg.set("post_worker_init", _start_demo_delivery)

        def load(self) -> Any:
            app = app_for_command(overrides)
            if demo:
                from ..hr.delivery.views import demo_receiver

                app.register_blueprint(demo_receiver)
            return app

    Server().run()


def _tune_worker(worker: Any) -> None:
    """gunicorn hook: the app is loaded in this worker; settle its garbage collector, and in
    request mode process in the background what requests left (ingest/recovery.py)."""
    from ..runtime import tune_gc

    tune_gc()
    if worker.wsgi.config["PROCESSING"] == "request":
        from ..bulkawards.worker import start_background_bulk
        from ..ingest.recovery import start_recovery

        start_recovery(worker.wsgi, echo=worker.log.info)
        # Without a worker process (the embedded default), uploads complete here.
        start_background_bulk(worker.wsgi, echo=worker.log.info)


def _start_demo_delivery(worker: Any) -> None:
    """gunicorn hook (in the demo's one worker): deliver HR pushes in a thread."""
    import logging

    _tune_worker(worker)

    from ..hr.delivery.worker import start_background_delivery
    from ..retention import RetentionStep
    from ..web.notice_steps import NoticeSteps

    logger = logging.getLogger("badgeservice.hr")
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    # The demo's in-process worker sends notices too (when an SMTP server is configured).
    notices = NoticeSteps(worker.wsgi, echo=logger.info)
    retention = RetentionStep(worker.wsgi, echo=logger.info)
    start_background_delivery(
        worker.wsgi, echo=logger.info, steps=(notices.queue, notices.send, retention)
    )
