"""gao-dev import exercism: a track's practice exercises, in Exercism's own layout (built
here in tmp_path), become benchmarks that run, grade with hidden tests and pass check."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from benchmark_files import gao_dev


def exercise(track: Path, slug: str, *, files: dict[str, list[str]],
             contents: dict[str, str], append: str | None = None) -> None:
    folder = track / "exercises" / "practice" / slug
    (folder / ".meta").mkdir(parents=True)
    (folder / ".docs").mkdir()
    (folder / ".meta" / "config.json").write_text(json.dumps(
        {"files": files, "blurb": f"the {slug} exercise"}))
    (folder / ".docs" / "instructions.md").write_text(f"# {slug}\n\nDo the {slug} thing.\n")
    if append is not None:
        (folder / ".docs" / "instructions.append.md").write_text(append)
    for name, text in contents.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)


TWO_FER_TEST = """import unittest

from two_fer import two_fer


class TwoFerTest(unittest.TestCase):
    def test_no_name_given(self):
        self.assertEqual(two_fer(), "One for you, one for me.")

    def test_a_name_given(self):
        self.assertEqual(two_fer("Alice"), "One for Alice, one for me.")
"""
LEAP_TEST = """from leap import leap_year
from leap_helpers import divides


def test_century():
    assert not leap_year(1900) and leap_year(2000) and divides(4, 8)
"""


def make_track(root: Path) -> Path:
    track = root / "python"
    track.mkdir()
    (track / "config.json").write_text(json.dumps({"slug": "python"}))
    exercise(track, "two-fer", files={
        "solution": ["two_fer.py"], "test": ["two_fer_test.py"],
        "example": [".meta/example.py"]}, contents={
        "two_fer.py": "def two_fer(name):\n    pass\n",
        "two_fer_test.py": TWO_FER_TEST,
        ".meta/example.py": "def two_fer(name='you'):\n"
                            "    return f'One for {name}, one for me.'\n"})
    exercise(track, "leap", files={
        "solution": ["leap.py"], "test": ["leap_test.py"], "example": [".meta/example.py"],
        "editor": ["leap_helpers.py"]}, contents={
        "leap.py": "def leap_year(year):\n    pass\n",
        "leap_helpers.py": "def divides(d, n):\n    return n % d == 0\n",
        "leap_test.py": LEAP_TEST,
        ".meta/example.py": "from leap_helpers import divides\n\n\ndef leap_year(y):\n"
                            "    return divides(4, y) and (not divides(100, y) "
                            "or divides(400, y))\n"},
        append="# Instructions append\n\nUse the helper in leap_helpers.py.\n")
    exercise(track, "no-example", files={"solution": ["a.py"], "test": ["a_test.py"]},
             contents={"a.py": "", "a_test.py": ""})
    exercise(track, "escapes", files={
        "solution": ["../../../../secret.py"], "test": ["t_test.py"],
        "example": [".meta/example.py"]}, contents={"t_test.py": "", ".meta/example.py": ""})
    (root / "secret.py").write_text("SECRET = 1\n")
    return track


def test_an_imported_track_runs_and_passes_check(tmp_path: Path) -> None:
    track = make_track(tmp_path)
    done = gao_dev(tmp_path, "import", "exercism", str(track), "-o", "suite")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "wrote 2 benchmarks to suite (2 skipped)" in done.stdout
    assert "skipped escapes: '../../../../secret.py' is not a name inside" in done.stdout
    assert "skipped no-example:" in done.stdout
    suite = tmp_path / "suite"
    assert not list(suite.rglob("secret.py"))
    spec = yaml.safe_load((suite / "leap" / "bench_leap.yaml").read_text())
    assert spec["name"] == "python-leap" and spec["tags"] == ["exercism", "python"]
    assert "Do the leap thing." in spec["initial_prompt"]
    assert "Use the helper in leap_helpers.py." in spec["initial_prompt"]
    assert (suite / "leap" / "boilerplate" / "leap_helpers.py").is_file()
    assert (suite / "leap" / "grading" / "leap_test.py").read_text() == LEAP_TEST
    assert "return f'One for" in (suite / "two-fer" / "oracle" / "files" /
                                  "two_fer.py").read_text()
    # The nop agent fails each (the stub does not pass the hidden tests), the oracle
    # passes each: valid benchmarks. Exercism's tests import the solution, so they are
    # graded in process, which check says.
    checked = gao_dev(tmp_path, "check", "suite", timeout=600)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "2 valid, 0 invalid" in checked.stdout
    assert "python-leap: nop failed (criteria), oracle completed" in checked.stdout


def test_a_folder_that_is_not_a_track_says_so(tmp_path: Path) -> None:
    done = gao_dev(tmp_path, "import", "exercism", str(tmp_path), "-o", "suite")
    assert done.returncode == 5
    assert "has no exercises/practice/ folder" in done.stdout


def test_an_output_inside_the_source_is_refused_and_deletes_nothing(tmp_path: Path) -> None:
    track = make_track(tmp_path)
    inside = track / "exercises" / "practice"
    before = sorted(p.relative_to(track) for p in track.rglob("*"))
    done = gao_dev(tmp_path, "import", "exercism", str(track), "-o", str(inside))
    assert done.returncode == 5 and "overlaps the source" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
    assert sorted(p.relative_to(track) for p in track.rglob("*")) == before


def test_an_existing_benchmark_is_replaced_only_with_force(tmp_path: Path) -> None:
    track = make_track(tmp_path)
    suite = tmp_path / "suite"
    (suite / "leap").mkdir(parents=True)
    (suite / "leap" / "notes.md").write_text("my notes\n")
    done = gao_dev(tmp_path, "import", "exercism", str(track), "-o", "suite")
    assert "skipped leap: " in done.stdout and "exists: not replaced" in done.stdout
    assert (suite / "leap" / "notes.md").read_text() == "my notes\n"
    assert (suite / "two-fer" / "bench_two_fer.yaml").is_file()  # the others are written
    forced = gao_dev(tmp_path, "import", "exercism", str(track), "-o", "suite", "--force")
    assert "wrote 2 benchmarks" in forced.stdout, forced.stdout
    assert not (suite / "leap" / "notes.md").exists()
    assert (suite / "leap" / "bench_leap.yaml").is_file()
    assert not [p for p in suite.iterdir() if p.name.startswith(".")]  # no temporary left


def test_an_output_that_cannot_be_written_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    track = make_track(tmp_path)
    (tmp_path / "a-file").write_text("not a folder\n")
    done = gao_dev(tmp_path, "import", "exercism", str(track), "-o", "a-file")
    assert "Traceback" not in done.stdout + done.stderr
    assert "skipped leap: cannot write to a-file: it is not a folder" in done.stdout
    assert done.returncode == 5
