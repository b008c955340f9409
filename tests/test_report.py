"""The HTML report in a real headless Chromium (Debian's chromium, driven by Playwright),
and ``gao-dev report`` from the results database."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import stat
from pathlib import Path
from typing import Any

import pytest
from benchmark_files import SOLUTION, BenchmarkWriter, gao_dev, run_results
from fake_anthropic import FakeAnthropic, message, text, tool, tool_turn

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None and os.environ.get("CI"):
    pytest.fail("chromium is not installed: CI must install Debian's chromium (see .ci/run)",
                pytrace=False)
needs_chromium = pytest.mark.skipif(CHROMIUM is None,
                                    reason="chromium not installed: apt-get install chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def embedded_data(page: Path) -> dict[str, Any]:
    found = re.search(r"<script type='application/json' id='gaobench-data'>(.*?)</script>",
                      page.read_text(), re.S)
    assert found, "the page carries its data inline"
    data: dict[str, Any] = json.loads(found.group(1))
    return data


GIVE_UP = "I give up <!-- </script> & \u2028 \ud800 -->."
"""Agent text the page must keep as text: it once blanked the whole page."""


@pytest.fixture
def session_with_transcripts(pytester: pytest.Pytester, bench: BenchmarkWriter,
                             api: FakeAnthropic) -> Path:
    """Four runs: two benchmarks, each by the oracle and by the anthropic agent."""
    bench.write("bad", oracle_files={})
    bench.write("good", tags=["smoke"])
    api.script(message(text(GIVE_UP)),  # bad, anthropic
                          tool_turn(tool("write_file", path="calc.py", content=SOLUTION),
                                    input_tokens=400, output_tokens=30),
                          message(text("Done: add works."), input_tokens=450, output_tokens=9))
    outcome = pytester.runpytest("--gaobench-agent=oracle", "--gaobench-agent=anthropic",
                                 "--gaobench-html=out/report.html", "-p", "no:cacheprovider")
    outcome.assert_outcomes(passed=2, failed=2)
    return pytester.path / "out" / "report.html"


@needs_chromium
def test_the_page_works_alone_in_chromium(session_with_transcripts: Path,
                                          tmp_path_factory: pytest.TempPathFactory) -> None:
    from playwright.sync_api import sync_playwright

    root = session_with_transcripts.parent.parent
    runs = {r["run_id"]: r for r in run_results(root)}
    moved = tmp_path_factory.mktemp("artifact") / "report.html"  # no .gaobench beside it
    shutil.copy(session_with_transcripts, moved)
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1300, "height": 1400})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(moved.as_uri())
        shown = page.eval_on_selector_all("tr.run", "rows => rows.map(r => r.dataset.run)")
        assert sorted(shown) == sorted(runs)
        assert page.locator("[data-chart='cost per run'] rect").count() >= 2
        assert "Click a run to see" in page.locator("#runs").locator("..").inner_text()
        # Each bar names its run whole (when it started, the end of its id); the bars of
        # several parts have a legend.
        tokens = page.locator("[data-chart='tokens per run']")
        bar_labels = tokens.locator("svg > text").all_text_contents()
        for run_id in runs:
            assert any(label.endswith(run_id[-8:]) for label in bar_labels), bar_labels
        assert tokens.locator(".legend .series").all_inner_texts() == [
            "input", "output", "cache read", "cache write"]
        run_id_cell = page.locator("td.runid").first
        assert run_id_cell.evaluate("c => getComputedStyle(c).whiteSpace") == "nowrap"
        artifacts = Path(os.environ.get("GAOBENCH_ARTIFACTS") or moved.parent)
        artifacts.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(artifacts / "report.png"), full_page=True)
        page.select_option("#filter-status", "failed")
        assert page.locator("tr.run").count() == 2
        page.select_option("#filter-status", "")
        page.select_option("#filter-agent", "anthropic")
        assert page.locator("tr.run").count() == 2
        page.select_option("#filter-tag", "smoke")
        solved = next(r for r in runs.values()
                      if r["agent"] == "anthropic" and r["status"] == "completed")
        assert shown and page.locator("tr.run").count() == 1
        page.click(f"tr.run[data-run='{solved['run_id']}']")
        panel = page.locator("#run-panel")
        assert panel.is_visible()
        box = panel.bounding_box()  # opened where the reader is, not below the table
        assert box and box["y"] == 0 and box["height"] > 1300 and box["x"] > 300
        transcript = page.locator("#transcript").inner_text()
        assert "tool call write_file" in transcript and "Done: add works." in transcript
        use_id = page.locator("#transcript .entry.tool[id^='use-']").first.get_attribute("id")
        assert use_id and page.locator(f"#result-{use_id[4:]}").count() == 1  # linked by id
        assert "tests_must_pass" in panel.inner_text()
        page.select_option("#filter-tag", "")
        page.select_option("#filter-status", "failed")
        gave_up = next(r for r in runs.values()
                       if r["agent"] == "anthropic" and r["status"] == "failed")
        page.click(f"tr.run[data-run='{gave_up['run_id']}']")
        assert "I give up <!-- </script> & \u2028 " in page.locator("#transcript").inner_text()
        page.screenshot(path=str(artifacts / "report-run.png"))
        criterion = page.locator("#run-panel tr", has_text="tests_must_pass").inner_text()
        failing = [line for line in criterion.splitlines() if "test_calc.py::test_add" in line]
        assert len(failing) <= 1 or "first failure" not in criterion.split("\n")[0]
        page.keyboard.press("Escape")
        assert not panel.is_visible()
        browser.close()
    assert errors == []



def test_gao_dev_report_reads_the_database_from_a_subfolder(
        pytester: pytest.Pytester, bench: BenchmarkWriter) -> None:
    bench.write("alpha")
    bench.write("beta", oracle_files={})
    for _ in range(2):
        pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1, failed=1)
    below = pytester.path / "some" / "folder"
    below.mkdir(parents=True)
    done = gao_dev(below, "report", "-o", "all.html")
    assert done.returncode == 0, done.stdout + done.stderr
    data = embedded_data(below / "all.html")
    assert {r["run_id"] for r in data["runs"]} == {r["run_id"] for r in
                                                  run_results(pytester.path)}
    assert not (below / ".gaobench").exists()  # found the project's, made no stray one
    overview = {row["benchmark"]: row for row in data["overview"]}
    assert (overview["alpha"]["completed"], overview["beta"]["completed"]) == (2, 0)
    assert data["runs"][0]["transcript_found"] is True
    only = gao_dev(below, "report", "--benchmark", "alpha", "--last", "1", "-o", "one.html")
    assert only.returncode == 0
    one = embedded_data(below / "one.html")
    assert [r["benchmark"] for r in one["runs"]] == ["alpha"]
    assert len(one["trend"]["alpha"]) == 2  # the earlier run is in the trend


def test_gao_dev_report_reads_only_the_runs_it_shows(tmp_path: Path) -> None:
    """The newest runs and their benchmarks' trend, not every stored result: an old,
    unreadable row of another benchmark does not stop the report. Its files get the
    user's umask, like the logs beside them."""
    from pytest_gaobench.results.store import ResultStore

    folder = tmp_path / ".gaobench"
    folder.mkdir()
    runs = synthetic_runs(4)  # many x4, then other x3 (newest)
    store = ResultStore(f"sqlite:///{folder / 'results.db'}")
    for result in runs:
        store.save(result)
    store.close()
    with sqlite3.connect(folder / "results.db") as db:
        db.execute("update gaobench_runs set result_json = 'not json' where run_id = ?",
                   (runs[0].run_id,))
    done = gao_dev(tmp_path, "report", "--last", "3", "-o", "report.html")
    assert done.returncode == 0, done.stdout + done.stderr
    data = embedded_data(tmp_path / "report.html")
    assert [r["benchmark"] for r in data["runs"]] == ["other"] * 3
    bad = gao_dev(tmp_path, "report", "--last", "10", "-o", "all.html")  # the bad row shown
    assert bad.returncode == 8 and f"run {runs[0].run_id} cannot be read" in bad.stdout
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE((tmp_path / "report.html").stat().st_mode) == 0o666 & ~umask


def test_gao_dev_report_without_a_database_says_so(tmp_path: Path) -> None:
    done = gao_dev(tmp_path, "report")
    assert done.returncode == 8 and "no results database" in done.stdout
    assert not (tmp_path / ".gaobench").exists()


def synthetic_runs(count: int) -> list[Any]:
    """``count`` runs of one benchmark and three of another, with tokens but no cost
    measured, the first lasting 119.6 s."""
    from datetime import UTC, datetime, timedelta

    from pytest_gaobench.model.result import BenchmarkInfo, BenchmarkResult
    from pytest_gaobench.model.status import BenchmarkStatus

    start = datetime(2026, 1, 1, tzinfo=UTC)
    results = []
    for index in range(count + 3):
        name = "many" if index < count else "other"
        result = BenchmarkResult(run_id=f"20260101-{index:06d}-{name}", agent="oracle",
                                 benchmark=BenchmarkInfo(name=name),
                                 status=BenchmarkStatus.COMPLETED,
                                 start_time=start + timedelta(minutes=index),
                                 duration_seconds=119.6 if index == 0 else 3.0 + index % 7)
        result.metrics.usage.tokens_input = 100 + index
        results.append(result)
    return results


@needs_chromium
def test_a_big_report_stays_readable_and_says_what_was_not_measured(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    from pytest_gaobench.results.report_data import page_data
    from pytest_gaobench.results.report_page import render_page

    page_file = tmp_path / "report.html"
    page_file.write_text(render_page(page_data(synthetic_runs(300), None, title="big",
                                               generated="now")))
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1300, "height": 1400})
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(page_file.as_uri())
        row = page.locator("tr.run[data-run='20260101-000000-many']").inner_text()
        assert "2m00s" in row
        assert "1m60s" not in page.locator("body").inner_text()
        for title in ("cost per run", "cost of the last runs (trend)"):
            chart = page.locator(f"[data-chart='{title}']")
            assert "not measured for these runs" in chart.inner_text()
            assert chart.locator("svg").count() == 0  # no $0 axis drawn
        tokens = page.locator("[data-chart='tokens per run']")
        assert "the last 40 of 303 runs" in tokens.inner_text()
        assert tokens.locator("rect").count() == 40 * 4  # input, output, cache read, write
        assert float(tokens.locator("svg").get_attribute("height") or 0) < 800
        trend = page.locator("[data-chart='time of the last runs (trend)']")
        # One line per benchmark and agent, on a time axis labelled at both ends.
        assert trend.locator(".legend .series").all_inner_texts() == [
            "\u25a0 many \u00b7 oracle", "\u25a0 other \u00b7 oracle"]
        assert trend.locator(".time-label").all_text_contents() == ["2026-01-01 04:30",
                                                                  "2026-01-01 05:02"]
        labels = trend.locator("svg text:not(.time-label)").all_inner_texts()
        assert "many" not in labels and "other" not in labels  # not drawn over the lines
        boxes = [trend.locator("svg text:not(.time-label)").nth(i).bounding_box()
                 for i in range(len(labels))]
        lines = trend.locator("svg polyline").first.bounding_box()
        assert boxes and lines and all(box and box["x"] + box["width"] <= lines["x"]
                                       for box in boxes)  # axis labels left of the plot
        browser.close()
    assert errors == []


def test_the_report_reads_the_transcript_never_an_agents_own_stream(tmp_path: Path) -> None:
    """Each CLI adapter writes its stream into transcript.jsonl at the end of a phase; the
    report knows no agent's stream format, so a stream file beside it is not read."""
    from pytest_gaobench.results.report_data import transcript_entries

    said = {"kind": "response", "phase": "build",
            "content": [{"type": "text", "text": "from the transcript"}]}
    (tmp_path / "transcript.jsonl").write_text(json.dumps(said) + "\n")
    stream = {"type": "assistant", "message": {"content": [{"type": "text",
                                                             "text": "from the stream"}]}}
    (tmp_path / "claude-01-build.jsonl").write_text(json.dumps(stream) + "\n")
    assert [entry["content"][0]["text"] for entry in transcript_entries(tmp_path)] == [
        "from the transcript"]


def test_repeats_are_the_runs_of_one_session_and_an_outage_is_no_verdict() -> None:
    """pass@k counts repeats within a session, never separate sessions of a database; a
    run that ended in an outage (infra) is left out of the pass rate and counted apart."""
    from pytest_gaobench.model.status import BenchmarkStatus, FailureKind
    from pytest_gaobench.results.report_data import page_data

    runs = synthetic_runs(0)  # three runs of "other", each a session of its own
    for index, result in enumerate(runs):
        result.metadata.session = f"session-{index}"
    repeated = synthetic_runs(0)
    for index, result in enumerate(repeated):  # one session that ran it three times
        result.run_id += "-r"
        result.agent = "again"
        result.metadata.session, result.metadata.attempt = "session-r", index + 1
    repeated[0].status = BenchmarkStatus.FAILED
    outage = synthetic_runs(0)[0]
    outage.run_id, outage.agent, outage.metadata.session = "outage", "down", "session-d"
    outage.status, outage.failure_kind = BenchmarkStatus.FAILED, FailureKind.INFRA
    rows = {row["agent"]: row for row in page_data([*runs, *repeated, outage], None,
                                                    title="t", generated="now")["overview"]}
    assert rows["oracle"]["pass_at_k"] == {"1": 1.0}  # not "pass@3": three sessions
    assert rows["again"]["pass_at_k"] == {"1": pytest.approx(2 / 3), "3": 1.0}
    assert rows["down"]["pass_rate"] is None and rows["down"]["infra"] == 1
    assert rows["down"]["pass_at_k"] == {}
