"""What the HTML report shows, as plain JSON: runs with their phases, criteria and
transcripts, an overview per benchmark and agent, and each benchmark's recent trend.

The page embeds this data, so it works as one file wherever it is opened (a CI artifact
without the ``.gaobench`` folder beside it). Transcripts are bounded per run, and long
texts cut in the middle, so a page of a hundred runs stays a page.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ..model.result import BenchmarkResult
from .summary import pass_at_k

MAX_ENTRIES = 1500
"""Transcript entries kept per run (the first ones; the page says when some were left)."""
MAX_TEXT = 12_000
"""Characters kept of one text in a transcript entry."""
PAGE_TRANSCRIPT_CHARS = 40_000_000
"""Characters of transcript JSON one page embeds in all: past it, later runs' transcripts
are left out (the page says so; they stay in each run's files)."""


def run_view(result: BenchmarkResult, run_dir: Path | None) -> dict[str, Any]:
    """One run as the page shows it."""
    usage = result.metrics.usage
    quality = result.metrics.quality
    view: dict[str, Any] = {
        "run_id": result.run_id, "benchmark": result.benchmark.name,
        "tags": list(result.benchmark.tags), "agent": result.agent, "model": result.model,
        "status": result.status.value, "failure_kind": _value(result.failure_kind),
        "reason": result.reason, "attempt": result.metadata.attempt,
        "session": result.metadata.session or result.run_id,
        "start_time": result.start_time.isoformat() if result.start_time else None,
        "seconds": result.duration_seconds,
        "usage": usage.model_dump(mode="json"), "tokens": usage.tokens_total,
        "coverage": quality.coverage_percent,
        "phases": [{"name": p.name, "role": p.role, "status": p.status.value,
                    "seconds": p.duration_seconds, "error": p.error,
                    "usage": p.usage.model_dump(mode="json")} for p in result.phases],
        "criteria": [c.model_dump(mode="json") for c in result.criteria],
        "warnings": list(result.warnings),
        "errors": [e.model_dump(mode="json") for e in result.errors],
        "transcript": [], "transcript_cut": False, "transcript_found": False,
    }
    if run_dir is not None and run_dir.is_dir():
        view["transcript_found"] = True
        entries = list(transcript_entries(run_dir))
        view["transcript"] = entries[:MAX_ENTRIES]
        view["transcript_cut"] = len(entries) > MAX_ENTRIES
    return view


def keep_within(runs: list[dict[str, Any]], budget: int) -> None:
    """Trim the runs' transcripts, in order, to ``budget`` characters of JSON in all, so a
    page of heavy transcripts stays a page a browser opens."""
    for view in runs:
        kept = []
        for entry in view["transcript"]:
            size = len(json.dumps(entry, default=str))
            if size > budget:
                view["transcript_cut"] = True
                break
            budget -= size
            kept.append(entry)
        view["transcript"] = kept


def _value(kind: Any) -> str | None:
    return None if kind is None else str(kind.value)


def transcript_entries(run_dir: Path) -> Iterable[dict[str, Any]]:
    """transcript.jsonl: what the run's agent said and did, as every agent writes it (a
    CLI agent's own stream is turned into the same entries at the end of each phase)."""
    yield from _bounded(_json_lines(run_dir / "transcript.jsonl"))


def _json_lines(path: Path) -> Iterable[dict[str, Any]]:
    if not path.exists():
        return
    with path.open(encoding="utf-8", errors="replace") as lines:
        for count, line in enumerate(lines):
            if count > MAX_ENTRIES * 4:
                return
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict):
                yield entry


def _bounded(entries: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    for entry in entries:
        yield _cut_texts(entry)


def _cut_texts(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_TEXT:
        left = len(value) - MAX_TEXT
        return f"{value[:MAX_TEXT]}\n[... {left:,} more characters in the run's files]"
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return {key: _cut_texts(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_cut_texts(item) for item in value]
    return value


def overview(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per benchmark, agent and model: pass rate and means over its runs, pass@k
    over the repeats of each session. A run that ended in an outage (infra) says nothing of
    the agent: it is counted apart, never as a failure."""
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for run in runs:
        key = (run["benchmark"], run["agent"] or "", run["model"] or "")
        groups.setdefault(key, []).append(run)
    rows = []
    for (benchmark, agent, model), members in groups.items():
        judged = [run for run in members if run["failure_kind"] != "infra"]
        n = len(judged)
        c = sum(run["status"] == "completed" for run in judged)
        rows.append({"benchmark": benchmark, "agent": agent, "model": model,
                     "runs": len(members), "judged": n, "infra": len(members) - n,
                     "completed": c, "pass_rate": c / n if n else None,
                     "pass_at_k": session_pass_at_k(judged),
                     "seconds": _mean(run["seconds"] for run in members),
                     "tokens": _mean(run["tokens"] for run in members),
                     "cost_usd": _mean(run["usage"].get("cost_usd") for run in members),
                     "coverage": _mean(run["coverage"] for run in members),
                     "tags": sorted({tag for run in members for tag in run["tags"]})})
    return rows


def session_pass_at_k(runs: list[dict[str, Any]]) -> dict[str, float]:
    """pass@k for k = 1 and for the repeats every session has, averaged over sessions:
    runs of separate sessions (a database of many nights) are not repeats of each other."""
    sessions: dict[str, list[dict[str, Any]]] = {}
    for run in runs:
        sessions.setdefault(run["session"], []).append(run)
    if not sessions:
        return {}
    sizes = [len(members) for members in sessions.values()]
    found = {}
    for k in sorted({1, min(sizes)}):
        estimates = [pass_at_k(len(members), sum(r["status"] == "completed" for r in members), k)
                     for members in sessions.values()]
        found[str(k)] = sum(estimates) / len(estimates)
    return found


def _mean(values: Iterable[float | int | None]) -> float | None:
    known = [float(value) for value in values if value is not None]
    return sum(known) / len(known) if known else None


def trend_point(result: BenchmarkResult) -> dict[str, Any]:
    usage = result.metrics.usage
    return {"run_id": result.run_id, "agent": result.agent, "status": result.status.value,
            "start_time": result.start_time.isoformat() if result.start_time else None,
            "seconds": result.duration_seconds, "cost_usd": usage.cost_usd,
            "tokens": usage.tokens_total}


def page_data(results: list[BenchmarkResult], runs_dir: Path | None, *, title: str,
              generated: str, history: Sequence[BenchmarkResult] = ()) -> dict[str, Any]:
    """Everything the page needs. ``history``: earlier runs of the same benchmarks (from
    the database), for the trend chart; the page's own runs are added to it."""
    runs = [run_view(result, runs_dir / result.run_id if runs_dir else None)
            for result in results]
    keep_within(runs, PAGE_TRANSCRIPT_CHARS)
    names = {result.benchmark.name for result in results}
    trend: dict[str, dict[str, dict[str, Any]]] = {}
    for result in [*history, *results]:
        if result.benchmark.name in names:
            trend.setdefault(result.benchmark.name, {})[result.run_id] = trend_point(result)
    ordered = {name: sorted(points.values(), key=lambda p: p["start_time"] or "")[-30:]
               for name, points in trend.items()}
    return {"title": title, "generated": generated, "runs": runs, "overview": overview(runs),
            "trend": ordered}
