"""Hidden grading tests for todo-cli: the agent never sees them. They check only what the
prompt asks for, through the command line, from outside the project."""

import json
import os
import subprocess
import sys
from pathlib import Path

import todo

PROJECT = Path(todo.__file__).resolve().parent.parent


def run_todo(*args: str, store: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TODO_FILE": str(store), "PYTHONPATH": str(PROJECT)}
    return subprocess.run([sys.executable, "-m", "todo", *args], cwd=store.parent, env=env,
                          capture_output=True, text=True, timeout=60)


def test_added_items_are_listed_in_order(tmp_path: Path) -> None:
    store = tmp_path / "todo.json"
    assert run_todo("add", "buy milk", store=store).returncode == 0
    assert run_todo("add", "walk the dog", store=store).returncode == 0
    listing = run_todo("list", store=store)
    assert listing.returncode == 0
    assert listing.stdout.index("buy milk") < listing.stdout.index("walk the dog")


def test_items_persist_as_json_in_todo_file(tmp_path: Path) -> None:
    store = tmp_path / "elsewhere.json"
    run_todo("add", "persist me", store=store)
    assert "persist me" in json.dumps(json.loads(store.read_text()))
    assert "persist me" in run_todo("list", store=store).stdout


def test_done_changes_what_list_shows(tmp_path: Path) -> None:
    store = tmp_path / "todo.json"
    run_todo("add", "first", store=store)
    before = run_todo("list", store=store).stdout
    assert run_todo("done", "1", store=store).returncode == 0
    after = run_todo("list", store=store).stdout
    assert "first" in after and after != before
