"""The wheels the environment tests install, downloaded once (CI does it in .ci/run):

    python tests/wheelhouse.py

Tests never reach a package index: they install from ``.wheelhouse/<python>/`` with
``PIP_NO_INDEX``. Each interpreter downloads its own, so the wheels fit it. Without the
folder those tests skip, saying to run this; in CI they fail.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_gaobench.environment.errors import EnvironmentSetupError
from pytest_gaobench.environment.interpreters import find_interpreter

FOLDER = Path(__file__).resolve().parents[1] / ".wheelhouse"
WHEELS = {
    "3.9": ["pytest==7.4.4", "coverage==7.6.1"],
    "3.8": ["pytest==4.6.11", "atomicwrites==1.4.0"],
}
"""A pytest older than 8 (nose-style ``setup``), one as old as 4.6, and coverage."""


def wheels_for(version: str) -> Path:
    """The folder of ``version``'s wheels, once it holds them; else the test skips (fails
    in CI), saying how to get them."""
    folder = FOLDER / version
    if not (folder / ".complete").is_file():
        why = f"the environment tests' wheels are not downloaded: run `python {__file__}`"
        if os.environ.get("CI"):
            pytest.fail(f"{why} (see .ci/run)", pytrace=False)
        pytest.skip(why)
    return folder


def interpreter_for(version: str) -> Path:
    """The machine's Python ``version``; missing skips the test (fails in CI)."""
    try:
        return find_interpreter(version).executable
    except EnvironmentSetupError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"{exc} (CI machines have pyenv's 3.8 to 3.13)", pytrace=False)
        pytest.skip(str(exc))


def main() -> int:
    for version, wheels in WHEELS.items():
        folder = FOLDER / version
        python = find_interpreter(version).executable
        done = subprocess.run([str(python), "-m", "pip", "download", "--quiet",
                               "--disable-pip-version-check", "-d", str(folder), *wheels],
                              check=False)
        if done.returncode != 0:
            return done.returncode
        (folder / ".complete").write_text("\n".join(wheels) + "\n")
        print(f"{version}: {len(list(folder.glob('*.whl')))} wheels in {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
