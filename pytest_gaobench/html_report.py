"""A self-contained HTML page of a session's runs, for CI artifacts and people."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from pathlib import Path

from .report import SummaryRow, repeat_summary
from .result import write_atomically

_STYLE = """body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}th{background:#f4f4f4}
.COMPLETED{color:#17632a}.FAILED,.TIMEOUT{color:#a4161a;font-weight:bold}"""


def write_html(path: Path, rows: list[SummaryRow], runs_dir: Path) -> None:
    header = ("benchmark", "status", "time", "tokens", "cost", "coverage", "turns",
              "interventions", "failure", "run")
    body = []
    for row in rows:
        cells = (row.benchmark, row.status,
                 f"{row.seconds:.1f}s" if row.seconds is not None else "-",
                 f"{row.tokens:,}" if row.tokens is not None else "-",
                 f"${row.cost_usd:.4f}" if row.cost_usd is not None else "-",
                 f"{row.coverage:.1f}%" if row.coverage is not None else "-",
                 str(row.turns) if row.turns is not None else "-",
                 str(row.interventions) if row.interventions is not None else "-",
                 row.reason or "-")
        link = f'<a href="{html.escape(str(runs_dir / row.run_id / "result.json"))}">' \
               f"{html.escape(row.run_id)}</a>"
        body.append("<tr>" + "".join(
            f'<td class="{html.escape(row.status)}">{html.escape(c)}</td>' if i == 1
            else f"<td>{html.escape(c)}</td>" for i, c in enumerate(cells))
            + f"<td>{link}</td></tr>")
    repeats = "".join(f"<li>{html.escape(line)}</li>" for line in repeat_summary(rows))
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    page = (f"<!doctype html><html><head><meta charset='utf-8'><title>gaobench runs</title>"
            f"<style>{_STYLE}</style></head><body><h1>gaobench runs</h1><p>{stamp}</p>"
            f"<table><tr>{''.join(f'<th>{h}</th>' for h in header)}</tr>{''.join(body)}"
            f"</table>{f'<ul>{repeats}</ul>' if repeats else ''}</body></html>\n")
    write_atomically(path, page)
