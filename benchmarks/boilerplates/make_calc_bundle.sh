#!/bin/sh
# Rebuilds boilerplates/calc.bundle: the git repository bench_calc_git.yaml clones.
# v1.0 (the tag the benchmark pins) has calc.ops.add/sub with tests; the commit after
# it renames the package and adds a test for a function nobody wrote, so a harness that
# ignored the ref would fail the benchmark even with the oracle's solution.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export GIT_AUTHOR_NAME=gaobench GIT_AUTHOR_EMAIL=gaobench@example.invalid
export GIT_COMMITTER_NAME=gaobench GIT_COMMITTER_EMAIL=gaobench@example.invalid
export GIT_AUTHOR_DATE="2026-01-01T00:00:00Z" GIT_COMMITTER_DATE="2026-01-01T00:00:00Z"
cd "$work"
git init -q -b main
mkdir -p calc tests
cat > pyproject.toml <<'TOML'
[project]
name = "calc"
version = "1.0"

[tool.pytest.ini_options]
testpaths = ["tests"]
TOML
printf '"""A small calculator library."""\n' > calc/__init__.py
cat > calc/ops.py <<'PY'
"""Arithmetic operations."""


def add(a: float, b: float) -> float:
    return a + b


def sub(a: float, b: float) -> float:
    return a - b
PY
cat > tests/test_ops.py <<'PY'
from calc.ops import add, sub


def test_add():
    assert add(2, 3) == 5


def test_sub():
    assert sub(2, 3) == -1
PY
git add -A
git commit -qm "calc 1.0: add and sub"
git tag v1.0
git mv calc calculator
sed -i 's/from calc.ops/from calculator.ops/' tests/test_ops.py
printf 'from calculator.ops import power\n\n\ndef test_power():\n    assert power(2, 3) == 8\n' \
  > tests/test_power.py
git add tests/test_power.py
GIT_AUTHOR_DATE="2026-02-01T00:00:00Z" GIT_COMMITTER_DATE="2026-02-01T00:00:00Z" \
  git commit -qam "rename the package to calculator"
git bundle create -q "$here/calc.bundle" --all
echo "wrote $here/calc.bundle"
