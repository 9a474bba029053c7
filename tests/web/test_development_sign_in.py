"""The development sign-in ("continue as" an example person) exists only in the embedded
demo; any other configuration refuses to start with it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from badgeservice.config import ConfigurationError
from tests.web.conftest import Org, create_org, form_token, make_app

PEOPLE = {
    "aino": ("Aino", "aino@acme.example", "A-1", True),
    "olli": ("Olli", "olli@acme.example", "A-2", False),
}


@pytest.mark.parametrize(
    ("overrides", "why"),
    [
        ({"DEV_SIGN_IN": True}, "not started by the demo command"),
        ({"DEV_SIGN_IN": True, "DEMO": True, "PUBLIC_URL": "https://badges.example.org"}, "public"),
        (
            {
                "DEV_SIGN_IN": True,
                "DEMO": True,
                "DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:5432/test",
            },
            "not the embedded database",
        ),
    ],
)
def test_refused_at_start_outside_the_demo(
    tmp_path: Path, overrides: dict[str, Any], why: str
) -> None:
    config = {
        "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3",
        "SECRET_KEY": "x",
        "INSTANCE_PATH": str(tmp_path),
        "PUBLIC_URL": "http://127.0.0.1:5000",
    }
    from badgeservice.app import create_app

    with pytest.raises(ConfigurationError, match="only in the embedded demo"):
        create_app({**config, **overrides})


def test_serve_refuses_it_in_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BADGESERVICE_")}
    for value, words in (("1", "exists only in the embedded demo"), ("maybe", "give 1 or 0")):
        result = subprocess.run(
            [sys.executable, "-m", "badgeservice", "serve", "--port", "1"],
            cwd=tmp_path,
            env={**env, "BADGESERVICE_DEV_SIGN_IN": value, "BADGESERVICE_SECRET_KEY": "x"},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith("error: BADGESERVICE_DEV_SIGN_IN: ")
        assert words in result.stderr and "Traceback" not in result.stderr


def test_continue_as_in_the_demo(tmp_path: Path) -> None:
    from sqlalchemy import create_engine

    from badgeservice.migrate import upgrade

    # The demo's own kind of database: a SQLite file (whatever the suite runs on).
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    engine = create_engine(url)
    upgrade(engine)
    engine.dispose()
    app = make_app(url, tmp_path, DEMO=True, DEV_SIGN_IN=True)
    acme: Org = create_org(app, "acme", PEOPLE, grants={"aino": ["admin"]})
    globex: Org = create_org(app, "globex", {"ville": ("Ville", "v@globex.example", "G-1", True)})
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT"] = "text/html"
    page = client.get("/o/acme/sign-in", headers={"Accept-Language": "en"}).data.decode()
    assert "Demo: continue as an example person" in page
    assert "Aino Testinen" in page and "Learner, Administrator" in page
    assert "Olli" not in page  # deactivated people are not offered
    token = form_token(page)
    foreign = client.post(
        "/o/acme/sign-in/development",
        data={"csrf_token": token, "person": str(globex.people["ville"])},
    )
    assert foreign.status_code == 404  # another organisation's person
    answer = client.post(
        "/o/acme/sign-in/development",
        data={"csrf_token": token, "person": str(acme.people["aino"]), "next": "/o/acme/home"},
    )
    assert answer.status_code == 303 and answer.headers["Location"] == "/o/acme/home"
    home = client.get("/o/acme/home", headers={"Accept-Language": "en"}).data.decode()
    assert "Welcome, Aino" in home and "API description" in home  # admin's link


def test_without_it_there_is_no_continue_as(browser: Any, make_org: Any) -> None:
    acme: Org = make_org("acme", PEOPLE)
    page = browser.get("/o/acme/sign-in").data.decode()
    assert "continue as" not in page.lower()
    answer = browser.post(
        "/o/acme/sign-in/development",
        data={"csrf_token": form_token(page), "person": str(acme.people["aino"])},
    )
    assert answer.status_code == 404
