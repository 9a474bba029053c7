"""`badgeservice serve` keeps its runtime files (gunicorn's control socket) in the
instance folder, not in the user's home where every service of the user would share it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

from tests.live import free_port, http


def test_two_services_keep_their_control_sockets_in_their_instance_folders(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BADGESERVICE_")}
    env.pop("XDG_RUNTIME_DIR", None)
    env["HOME"] = str(home)
    processes = []
    folders = []
    try:
        for name in ("one", "two"):
            folder = tmp_path / name
            folder.mkdir()
            port = free_port()
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "badgeservice", "serve", "--port", str(port)],
                    cwd=folder,
                    env={**env, "BADGESERVICE_SECRET_KEY": "runtime files test"},
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            folders.append((folder, port))
        for folder, port in folders:
            socket_file = folder / "instance" / "gunicorn.ctl"
            for _ in range(150):
                try:
                    up = http("GET", f"http://127.0.0.1:{port}/healthz")[0] == 200
                    if up and socket_file.exists():
                        break
                except OSError:
                    pass
                time.sleep(0.2)
            assert socket_file.exists(), sorted(p.name for p in folder.rglob("*"))
            assert stat.S_ISSOCK(socket_file.stat().st_mode)
        assert not (home / ".gunicorn").exists()
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)
