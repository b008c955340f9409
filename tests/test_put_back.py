"""put_back and remove: files of the workspace made as a trusted tree has them, whatever
the agent left at their names or on the way (links, folders, FIFOs); no link followed."""

from __future__ import annotations

import os
from pathlib import Path

from pytest_gaobench.grading.put_back import put_back, remove


def test_what_is_in_the_way_is_removed_and_never_followed(tmp_path: Path) -> None:
    source, workspace, outside = tmp_path / "source", tmp_path / "ws", tmp_path / "outside"
    for folder in (source / "tests" / "unit", workspace, outside):
        folder.mkdir(parents=True)
    (source / "tests" / "unit" / "test_a.py").write_text("real a\n")
    (source / "tests" / "conftest.py").write_text("real conftest\n")
    (source / "pkg").mkdir()
    (source / "pkg" / "link.py").symlink_to("../tests/conftest.py")
    (outside / "victim.py").write_text("harness\n")
    # The agent's workspace: a folder on the way is a link out, a file is a FIFO, a file's
    # name is a folder, and a file the source does not have.
    (workspace / "tests").symlink_to(outside)
    (workspace / "pkg").mkdir()
    os.mkfifo(workspace / "pkg" / "link.py")
    (workspace / "gone.py").mkdir()
    (workspace / "gone.py" / "inner").write_text("x")

    put_back(workspace, source, ["tests/unit/test_a.py", "tests/conftest.py", "pkg/link.py",
                                 "gone.py"])

    assert not (workspace / "tests").is_symlink()
    assert (workspace / "tests" / "unit" / "test_a.py").read_text() == "real a\n"
    assert (workspace / "tests" / "conftest.py").read_text() == "real conftest\n"
    assert os.readlink(workspace / "pkg" / "link.py") == "../tests/conftest.py"
    assert not (workspace / "gone.py").exists()
    assert sorted(p.name for p in outside.iterdir()) == ["victim.py"]
    assert (outside / "victim.py").read_text() == "harness\n"


def test_remove_takes_the_link_not_its_target(tmp_path: Path) -> None:
    workspace, target = tmp_path / "ws", tmp_path / "target.py"
    (workspace / "sub").mkdir(parents=True)
    target.write_text("harness\n")
    (workspace / "sub" / "conftest.py").symlink_to(target)
    (workspace / "linked").symlink_to(tmp_path)
    remove(workspace, ["sub/conftest.py", "linked/target.py", "absent/conftest.py"])
    assert not os.path.lexists(workspace / "sub" / "conftest.py")
    assert target.read_text() == "harness\n"  # also not removed through the linked folder
