"""A self-contained HTML page of a session's runs, for CI artifacts and people."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from pathlib import Path

from ..model.result import write_atomically
from .summary import HEADER, SummaryRow, repeat_summary

_STYLE = """body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}th{background:#f4f4f4}
.COMPLETED{color:#17632a}.FAILED,.TIMEOUT{color:#a4161a;font-weight:bold}"""


def write_html(path: Path, rows: list[SummaryRow], runs_dir: Path) -> None:
    body = []
    for row in rows:
        cells = row.cells()
        status_class = html.escape(row.status.value.upper())
        link = f'<a href="{html.escape(str(runs_dir / row.run_id / "result.json"))}">' \
               f"{html.escape(row.run_id)}</a>"
        body.append("<tr>" + "".join(
            f'<td class="{status_class}">{html.escape(c)}</td>' if i == 1
            else f"<td>{html.escape(c)}</td>" for i, c in enumerate(cells))
            + f"<td>{link}</td></tr>")
        if row.details:
            body.append(f'<tr><td colspan="{len(HEADER) + 1}"><details><summary>why '
                        f"{html.escape(row.benchmark)} failed</summary><pre>"
                        f"{html.escape(row.details)}</pre></details></td></tr>")
    repeats = "".join(f"<li>{html.escape(line)}</li>" for line in repeat_summary(rows))
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    header = "".join(f"<th>{h}</th>" for h in (*HEADER, "run"))
    page = (f"<!doctype html><html><head><meta charset='utf-8'><title>gaobench runs</title>"
            f"<style>{_STYLE}</style></head><body><h1>gaobench runs</h1><p>{stamp}</p>"
            f"<table><tr>{header}</tr>{''.join(body)}"
            f"</table>{f'<ul>{repeats}</ul>' if repeats else ''}</body></html>\n")
    write_atomically(path, page)
