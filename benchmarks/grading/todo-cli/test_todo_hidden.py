"""Hidden grading tests for todo-cli: the agent never sees them. They check only what the
prompt asks for, through the command line. The benchmark is graded out of process: these
tests never import the project; `solution.run` runs each command where the solution runs
(a sandbox of its own), so nothing the project does can reach this test run."""

import json
import uuid
from typing import Any


def store() -> str:
    """A fresh TODO_FILE in the solution's own /tmp."""
    return f"/tmp/todo-{uuid.uuid4().hex}.json"


def run_todo(solution: Any, *args: str, store: str) -> Any:
    return solution.run(["python", "-m", "todo", *args], env={"TODO_FILE": store})


def test_added_items_are_listed_in_order(solution: Any) -> None:
    path = store()
    assert run_todo(solution, "add", "buy milk", store=path).returncode == 0
    assert run_todo(solution, "add", "walk the dog", store=path).returncode == 0
    listing = run_todo(solution, "list", store=path)
    assert listing.returncode == 0
    assert listing.stdout.index("buy milk") < listing.stdout.index("walk the dog")


def test_items_persist_as_json_in_todo_file(solution: Any) -> None:
    path = store()
    run_todo(solution, "add", "persist me", store=path)
    saved = solution.run(["cat", path])
    assert saved.returncode == 0
    assert "persist me" in json.dumps(json.loads(saved.stdout))
    assert "persist me" in run_todo(solution, "list", store=path).stdout


def test_done_changes_what_list_shows(solution: Any) -> None:
    path = store()
    run_todo(solution, "add", "first", store=path)
    before = run_todo(solution, "list", store=path).stdout
    assert run_todo(solution, "done", "1", store=path).returncode == 0
    after = run_todo(solution, "list", store=path).stdout
    assert "first" in after and after != before
