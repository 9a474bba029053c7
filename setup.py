"""Build hook: the wheel carries ``schemas/`` and ``migrations/`` inside the package.

They live beside the package in the repository (the JavaScript interop harness and the
operators' docs point there), and ``badgeservice.credentials.resources`` and
``badgeservice.migrate`` look for them beside the package or inside it. Everything else
about the build is declared in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SHIPPED = ("schemas", "migrations")


class BuildWithContracts(build_py):
    """``build_py`` that also copies the contracts folders into the built package."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return  # an editable install finds them beside the package
        for name in SHIPPED:
            shutil.copytree(
                ROOT / name,
                Path(self.build_lib) / "badgeservice" / name,
                dirs_exist_ok=True,
                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
            )


setup(cmdclass={"build_py": BuildWithContracts})
