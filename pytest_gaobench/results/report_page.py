"""The HTML report: one offline file, its data inline, its script and style inline.

No network, no CDN, no links that break when the file is moved: the runs are JSON in a
``<script type="application/json">`` block and a small script draws the page from it.
Charts are SVG drawn by that script (a few bar and line charts do not need a charting
library; inlining one would be more code than the charts themselves). The script and the
style are files of their own beside this module (``page/report.js``, ``page/report.css``),
inlined into every page.
"""

from __future__ import annotations

import functools
import html
import json
from importlib.resources import files
from typing import Any


def embedded_json(data: Any) -> str:
    """JSON that is inert inside a ``<script>`` element whatever its strings hold: ``<``,
    ``>`` and ``&`` (a ``</script>`` or ``<!--`` would end or bend the element) and every
    character beyond ASCII (U+2028/2029, lone surrogates) as ``\\uXXXX`` escapes, which
    only ever occur inside JSON strings."""
    text = json.dumps(data, default=str, ensure_ascii=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_page(data: dict[str, Any]) -> str:
    payload = embedded_json(data)
    title = html.escape(str(data.get("title") or "gaobench report"))
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{title}</title><style>{_asset('report.css')}</style></head><body>"
            f"<header><h1>{title}</h1><p id='generated'></p></header>"
            f"<main><section id='filters'></section>"
            f"<section><h2>Overview</h2><div id='overview'></div></section>"
            f"<section><h2>Charts</h2><div id='charts' class='charts'></div></section>"
            f"<section><h2>Runs</h2><p class='hint'>Click a run to see its phases, "
            f"criteria and transcript.</p><div id='runs'></div></section>"
            f"<section id='run-panel' hidden></section></main>"
            f"<script type='application/json' id='gaobench-data'>{payload}</script>"
            f"<script>{_asset('report.js')}</script></body></html>\n")


@functools.cache
def _asset(name: str) -> str:
    return (files(__package__) / "page" / name).read_text(encoding="utf-8")
