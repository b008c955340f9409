"""list_files' and grep's walk: pathlib's glob semantics, without .git and without any file
a symbolic link reaches outside the workspace."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_gaobench.agents.toolloop.tools import Toolbox
from pytest_gaobench.sandbox.file_search import PatternError, find_files
from pytest_gaobench.sandbox.sandbox import SandboxManager

FILES = ["README.md", ".env", "calc.py", "src/app/main.py", "src/app/util.py",
         "src/app/data/table.csv", "src/b.py", "tests/test_calc.py", "tests/.hidden/x.py",
         ".git/config", ".git/objects/ab/cdef", "src/.git"]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    top = tmp_path / "workspace"
    for name in FILES:
        (top / name).parent.mkdir(parents=True, exist_ok=True)
        (top / name).write_text(name)
    return top


def pathlib_files(top: Path, pattern: str) -> list[str]:
    return sorted(p.relative_to(top).as_posix() for p in top.glob(pattern)
                  if p.is_file() and ".git" not in p.relative_to(top).parts)


@pytest.mark.parametrize("pattern", ["**/*", "*", "*.py", "**/*.py", "src/**/*.py", "src/*",
                                     "src/app/*.py", "**/app/*", "*/app/main.py", "[cR]*",
                                     "tests/?est_*.py", "**/.hidden/*", "nothing/*", "calc.py",
                                     "src/**/**/*.csv", "./calc.py"])
def test_matches_what_pathlib_matches(tree: Path, pattern: str) -> None:
    assert find_files(tree, pattern) == pathlib_files(tree, pattern)


def test_git_folders_are_never_listed(tree: Path) -> None:
    listed = find_files(tree, "**/*")
    assert not [name for name in listed if ".git" in name.split("/")]
    assert "src/app/main.py" in listed and ".env" in listed


def test_a_trailing_double_star_lists_the_files_below(tree: Path) -> None:
    assert find_files(tree, "src/**") == ["src/app/data/table.csv", "src/app/main.py",
                                          "src/app/util.py", "src/b.py"]


@pytest.mark.parametrize("pattern", ["/etc/*", "../*", "src/../../*", "", "/"])
def test_patterns_that_leave_or_say_nothing_are_refused(tree: Path, pattern: str) -> None:
    with pytest.raises(PatternError):
        find_files(tree, pattern)


def test_links_leaving_the_workspace_are_not_followed(tree: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("the secret")
    (tree / "leak.txt").symlink_to(outside / "secret.txt")
    (tree / "leakdir").symlink_to(outside)
    (tree / "src" / "up").symlink_to("../..")
    (tree / "inside.py").symlink_to("calc.py")
    (tree / "appdir").symlink_to("src/app")

    everything = find_files(tree, "**/*")
    assert "leak.txt" not in everything and not [n for n in everything if "secret" in n]
    assert find_files(tree, "leakdir/*") == []
    assert find_files(tree, "src/up/*") == []
    assert "inside.py" in everything  # a link that stays inside is a file like any other
    assert find_files(tree, "appdir/*.py") == ["appdir/main.py", "appdir/util.py"]
    assert not [n for n in everything if n.startswith("appdir/")]  # ** skips linked folders


def test_grep_and_list_files_refuse_through_the_toolbox(tmp_path: Path) -> None:
    manager = SandboxManager(tmp_path / "sandbox")
    sandbox = manager.create("search")
    manager.init_workspace(sandbox)
    secret = tmp_path / "secret.txt"
    secret.write_text("password = hunter2\n")
    (sandbox.workspace / "notes.txt").write_text("password = see the vault\n")
    (sandbox.workspace / "link.txt").symlink_to(secret)
    toolbox = Toolbox(sandbox)

    grepped = toolbox.call("grep", {"pattern": "password"}, time_left=10)
    assert grepped.text == "notes.txt:1: password = see the vault"
    assert toolbox.call("list_files", {}, time_left=10).text == "notes.txt"
    refused = toolbox.call("list_files", {"pattern": "../*"}, time_left=10)
    assert refused.is_error and "patterns stay inside the project folder" in refused.text
