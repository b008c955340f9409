"""Path-valued options written with a space: pytest may have taken the value for a test path.

pytest chooses its rootdir (and ini file) from the command line before any plugin's
options are known, so in ``--gaobench-html out/report.html`` it reads ``out/report.html``
as a test path. When that path exists outside the folders the real test paths share,
rootdir moves, and the ``.gaobench`` folder with it. No plugin can register its options
earlier, so the session stops and names the ``=`` form, which pytest parses as one word.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PATH_OPTIONS = ("--gaobench-dir", "--gaobench-api-key-file", "--gaobench-html",
                "--gaobench-record", "--gaobench-cassettes", "--gaobench-db",
                "--gaobench-prices")


def check_path_options(config: pytest.Config) -> None:
    """Raise a usage error when a separate option value can have moved pytest's rootdir."""
    invoked = config.invocation_params.dir
    args = list(config.invocation_params.args)
    values = {index + 1 for index, arg in enumerate(args[:-1]) if arg in PATH_OPTIONS}
    test_paths = [invoked / arg.split("::")[0] for index, arg in enumerate(args)
                  if index not in values and not arg.startswith("-")]
    existing = [str(p.resolve()) for p in test_paths if p.exists()] or [str(invoked.resolve())]
    shared = Path(os.path.commonpath(existing))
    for index in sorted(values):
        value = (invoked / Path(args[index]).expanduser()).resolve()
        if value.exists() and not value.is_relative_to(shared):
            option = args[index - 1]
            raise pytest.UsageError(
                f"{option} {args[index]}: pytest took this value for a test path too (it "
                f"chooses rootdir before plugin options are known), which moves rootdir "
                f"and the .gaobench folder; write it as one word: {option}={args[index]}")
