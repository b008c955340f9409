"""The anthropic agent's toolbox, called directly on a real sandbox: inputs are checked by
their models, and every bad call comes back as an error result, never an exception."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from pytest_gaobench.agents.toolloop.tools import TOOL_SPECS, Toolbox
from pytest_gaobench.sandbox.sandbox import SandboxManager


@pytest.fixture
def toolbox(tmp_path: Path) -> Toolbox:
    manager = SandboxManager(tmp_path)
    sandbox = manager.create("tools")
    manager.init_workspace(sandbox)
    return Toolbox(sandbox, output_limit=2000)


def test_the_specs_are_the_input_models_schemas() -> None:
    specs = {spec["name"]: spec for spec in TOOL_SPECS}
    assert set(specs) == {"run_command", "read_file", "write_file", "edit_file", "list_files",
                          "grep", "ask_user"}
    write = specs["write_file"]["input_schema"]
    assert write["required"] == ["path", "content"]
    assert write["properties"]["content"] == {"type": "string"}
    assert write["additionalProperties"] is False


@pytest.mark.parametrize(("name", "arguments", "message"), [
    ("write_file", {"path": "a.py"}, "write_file: missing required input content"),
    ("read_file", {"path": "a.py", "colour": "red"}, "read_file: unknown input colour"),
    ("read_file", {"path": 3}, "read_file: path: Input should be a valid string"),
    ("read_file", {"path": "a.py", "limit": True}, "read_file: limit: Input should be a valid"),
    ("grep", ["x"], "grep: input must be an object"),
    ("rm_rf", {}, "unknown tool 'rm_rf'"),
    ("read_file", {"path": "a\0b"}, "ValueError"),
    ("write_file", {"path": "nul\0.py", "content": "x"}, "ValueError"),
    ("run_command", {"command": "echo a\0b"}, "ValueError"),
])
def test_bad_calls_are_error_results(toolbox: Toolbox, name: str, arguments: object,
                                     message: str) -> None:
    outcome = toolbox.call(name, arguments, time_left=10)
    assert outcome.is_error
    assert outcome.text.startswith(message), outcome.text


def test_good_calls_work_and_stay_in_the_workspace(toolbox: Toolbox) -> None:
    assert not toolbox.call("write_file", {"path": "pkg/a.py", "content": "x = 1\ny = 2\n"},
                            time_left=10).is_error
    assert toolbox.call("read_file", {"path": "pkg/a.py", "offset": 2, "limit": 1},
                        time_left=10).text == "y = 2\n"
    assert toolbox.call("grep", {"pattern": "y ="}, time_left=10).text == "pkg/a.py:2: y = 2"
    ran = toolbox.call("run_command", {"command": "cat pkg/a.py", "timeout_seconds": 5},
                       time_left=10)
    assert not ran.is_error and "x = 1" in ran.text
    outside = toolbox.call("write_file", {"path": "../b.py", "content": ""}, time_left=10)
    assert outside.is_error and "outside the project folder" in outside.text
    assert toolbox.call("ask_user", {"question": "?"}, time_left=10).intervention


def test_long_output_is_cut_in_the_middle(toolbox: Toolbox) -> None:
    outcome = toolbox.call("run_command", {"command": "seq 1 100000"}, time_left=30)
    assert len(outcome.text) < 2200
    assert outcome.text.startswith("exit code: 0\n1\n2\n") and outcome.text.endswith("100000\n")
    assert "cut by gaobench" in outcome.text


def test_large_files_are_streamed_not_read_whole(toolbox: Toolbox) -> None:
    workspace = toolbox.sandbox.workspace
    with (workspace / "big.log").open("w") as handle:
        for n in range(600_000):  # ~ 30 MB
            handle.write(f"line {n} of a long log with a needle {n % 1000}\n")
    (workspace / "one-line.txt").write_text("x" * 20_000_000)
    tracemalloc.start()
    try:
        read = toolbox.call("read_file", {"path": "big.log", "offset": 3}, time_left=30)
        grepped = toolbox.call("grep", {"pattern": "needle 7$"}, time_left=30)
        long_line = toolbox.call("read_file", {"path": "one-line.txt"}, time_left=30)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000, f"{peak} bytes held"
    assert read.text.startswith("line 2 of a long log") and "read on with offset=" in read.text
    assert len(read.text) < 2200
    assert grepped.text.startswith("big.log:8: line 7 of") and "more matches cut" in grepped.text
    assert len(long_line.text) < 2200
