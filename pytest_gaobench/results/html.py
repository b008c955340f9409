"""The HTML report file: a session's runs (``--gaobench-html``) or the database's
(``gao-dev report``), as one self-contained page (see ``report_page``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from ..model.result import BenchmarkResult, write_atomically
from .report_data import page_data
from .report_page import render_page


def load_results(runs_dir: Path, run_ids: Iterable[str]) -> list[BenchmarkResult]:
    """The result.json of each run that has one (a run's folder may be on another host)."""
    results = []
    for run_id in run_ids:
        path = runs_dir / run_id / "result.json"
        try:
            results.append(BenchmarkResult.from_json(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
    return results


def write_report(path: Path, results: Sequence[BenchmarkResult], runs_dir: Path | None, *,
                 history: Sequence[BenchmarkResult] = (), title: str = "gaobench runs"
                 ) -> None:
    """``runs_dir``: where the runs' folders are, for their transcripts (None: none)."""
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    data = page_data(list(results), runs_dir, title=title, generated=generated,
                     history=history)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, render_page(data))
