"""The HTML report: one offline file, its data inline, its script and style inline.

No network, no CDN, no links that break when the file is moved: the runs are JSON in a
``<script type="application/json">`` block and a small script draws the page from it.
Charts are SVG drawn by that script (a few bar and line charts do not need a charting
library; inlining one would be more code than the charts themselves).
"""

from __future__ import annotations

import html
import json
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
            f"<title>{title}</title><style>{_STYLE}</style></head><body>"
            f"<header><h1>{title}</h1><p id='generated'></p></header>"
            f"<main><section id='filters'></section>"
            f"<section><h2>Overview</h2><div id='overview'></div></section>"
            f"<section><h2>Charts</h2><div id='charts' class='charts'></div></section>"
            f"<section><h2>Runs</h2><div id='runs'></div></section>"
            f"<section id='run-panel' hidden></section></main>"
            f"<script type='application/json' id='gaobench-data'>{payload}</script>"
            f"<script>{_SCRIPT}</script></body></html>\n")


_STYLE = """
:root{--ok:#17632a;--bad:#a4161a;--warn:#8a5a00;--muted:#666;--line:#ddd}
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#111;background:#fafafa}
header{background:#1f2937;color:#fff;padding:.8em 1.5em}header h1{margin:0;font-size:1.3em}
header p{margin:.2em 0 0;color:#cbd5e1}main{padding:1em 1.5em}
section{margin-bottom:1.5em}h2{font-size:1.1em;margin:.6em 0}
table{border-collapse:collapse;background:#fff}td,th{border:1px solid var(--line);
padding:3px 8px;text-align:left;vertical-align:top}th{background:#f1f5f9}
tr.run{cursor:pointer}tr.run:hover{background:#eef6ff}
.completed{color:var(--ok);font-weight:600}.failed,.timeout{color:var(--bad);font-weight:600}
.running,.pending{color:var(--warn)}.num{text-align:right;font-variant-numeric:tabular-nums}
#filters label{margin-right:1em}#filters select,#filters input{margin-left:.3em}
.charts{display:flex;flex-wrap:wrap;gap:1em}.legend{font-size:.8em;max-width:420px}
.legend .series{margin-right:.8em;white-space:nowrap;display:inline-block}
.chart{background:#fff;border:1px solid var(--line);
padding:.5em}.chart h3{font-size:.95em;margin:0 0 .3em}
#run-panel{background:#fff;border:1px solid var(--line);padding:1em}
.entry{border-left:3px solid var(--line);margin:.4em 0;padding:.2em .6em}
.entry.assistant{border-color:#2563eb}.entry.user{border-color:#16a34a}
.entry.tool{border-color:#9333ea}.entry.error{border-color:var(--bad);background:#fff5f5}
.entry.meta{border-color:#94a3b8;color:#334155}.kind{font-weight:600;margin-right:.5em}
pre{white-space:pre-wrap;word-break:break-word;margin:.2em 0;background:#f8fafc;padding:.3em}
.muted{color:var(--muted)}.close{float:right}
"""

_SCRIPT = r"""
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("gaobench-data").textContent);
  var state = {status: "", benchmark: "", agent: "", tag: ""};
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") { node.textContent = attrs[key]; }
      else if (key === "onclick") { node.addEventListener("click", attrs[key]); }
      else { node.setAttribute(key, attrs[key]); }
    });
    (children || []).forEach(function (child) { if (child) { node.appendChild(child); } });
    return node;
  }
  function fmtSeconds(v) {  // past a minute, rounded before it is split: never "1m60s"
    if (v == null) { return "-"; }
    if (v < 59.995) { return v.toFixed(2) + "s"; }
    var whole = Math.round(v);
    return Math.floor(whole / 60) + "m" + String(whole % 60).padStart(2, "0") + "s"; }
  function fmtCost(v) { return v == null ? "-" : v === 0 ? "$0" : v < 0.01 ? "$" + v.toFixed(4)
    : "$" + v.toFixed(2); }
  function fmtInt(v) { return v == null ? "-" : Math.round(v).toLocaleString("en-US"); }
  function fmtPct(v) { return v == null ? "-" : (v * 100).toFixed(0) + "%"; }
  function uniq(values) { return values.filter(function (v, i) {
    return v && values.indexOf(v) === i; }).sort(); }
  function visible(run) {
    return (!state.status || run.status === state.status)
      && (!state.benchmark || run.benchmark === state.benchmark)
      && (!state.agent || run.agent === state.agent)
      && (!state.tag || run.tags.indexOf(state.tag) >= 0);
  }
  function select(name, label, values) {
    var box = el("select", {id: "filter-" + name, "data-filter": name},
      [el("option", {value: "", text: "all"})].concat(values.map(function (v) {
        return el("option", {value: v, text: v}); })));
    box.addEventListener("change", function () { state[name] = box.value; draw(); });
    return el("label", {text: label}, [box]);
  }
  function filters() {
    var runs = data.runs, box = document.getElementById("filters");
    box.appendChild(select("status", "status", uniq(runs.map(function (r) { return r.status; }))));
    box.appendChild(select("benchmark", "benchmark",
      uniq(runs.map(function (r) { return r.benchmark; }))));
    box.appendChild(select("agent", "agent", uniq(runs.map(function (r) { return r.agent; }))));
    box.appendChild(select("tag", "tag", uniq([].concat.apply([], runs.map(function (r) {
      return r.tags; })))));
  }
  function table(headers, rows) {
    return el("table", {}, [el("tr", {}, headers.map(function (h) {
      return el("th", {text: h}); }))].concat(rows));
  }
  function cell(text, cls) { return el("td", {text: text, "class": cls || ""}); }
  function drawOverview() {
    var rows = data.overview.filter(function (row) {
      return (!state.benchmark || row.benchmark === state.benchmark)
        && (!state.agent || row.agent === state.agent)
        && (!state.tag || row.tags.indexOf(state.tag) >= 0);
    }).map(function (row) {
      var passk = Object.keys(row.pass_at_k).map(function (k) {
        return "pass@" + k + " " + row.pass_at_k[k].toFixed(2); }).join(", ");
      return el("tr", {"class": "overview-row"}, [cell(row.benchmark), cell(row.agent || "-"),
        cell(row.model || "-"), cell(row.completed + "/" + row.runs, "num"),
        cell(fmtPct(row.pass_rate), "num"), cell(passk), cell(fmtSeconds(row.seconds), "num"),
        cell(fmtInt(row.tokens), "num"), cell(fmtCost(row.cost_usd), "num"),
        cell(row.coverage == null ? "-" : row.coverage.toFixed(1) + "%", "num")]);
    });
    var box = document.getElementById("overview");
    box.replaceChildren(table(["benchmark", "agent", "model", "completed", "pass rate",
      "pass@k", "mean time", "mean tokens", "mean cost", "coverage"], rows));
  }
  function drawRuns() {
    var rows = data.runs.filter(visible).map(function (run) {
      return el("tr", {"class": "run", "data-run": run.run_id,
                       onclick: function () { openRun(run); }},
        [cell(run.benchmark + (run.attempt ? " #" + run.attempt : "")),
         cell(run.status.toUpperCase(), run.status), cell(run.failure_kind || "-"),
         cell(run.agent || "-"), cell(run.model || "-"), cell(fmtSeconds(run.seconds), "num"),
         cell(fmtInt(run.tokens), "num"), cell(fmtCost(run.usage.cost_usd), "num"),
         cell(run.usage.turns == null ? "-" : String(run.usage.turns), "num"),
         cell(run.reason || "", "muted"), cell(run.run_id, "muted")]);
    });
    document.getElementById("runs").replaceChildren(table(["benchmark", "status", "failure",
      "agent", "model", "time", "tokens", "cost", "turns", "reason", "run id"], rows));
  }
  var NS = "http://www.w3.org/2000/svg";
  function svg(tag, attrs, text) {
    var node = document.createElementNS(NS, tag);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text != null) { node.textContent = text; }
    return node;
  }
  var PALETTE = ["#2563eb", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#be123c", "#4d7c0f"];
  var MAX_BARS = 40;  // a chart of every run of 1,000 would be 18,000 px tall
  function notMeasured(title) {
    return el("div", {"class": "chart", "data-chart": title}, [el("h3", {text: title}),
      el("p", {"class": "muted", text: "not measured for these runs"})]);
  }
  function barChart(title, items, format) {
    var measured = items.some(function (i) { return i.parts.some(function (p) {
      return p.value != null; }); });
    if (!measured) { return notMeasured(title); }
    var total = items.length, note = null;
    if (total > MAX_BARS) {
      items = items.slice(-MAX_BARS);
      note = el("p", {"class": "muted note", text: "the last " + MAX_BARS + " of " + total
        + " runs: filter to see others"});
    }
    var width = 420, row = 18, left = 150, height = Math.max(items.length, 1) * row + 10;
    var max = Math.max.apply(null, items.map(function (i) {
      return i.parts.reduce(function (a, p) { return a + (p.value || 0); }, 0); }).concat([1e-9]));
    var chart = svg("svg", {width: width, height: height, role: "img", "aria-label": title});
    items.forEach(function (item, index) {
      var y = index * row + 4, x = left;
      chart.appendChild(svg("text", {x: 0, y: y + 12, "font-size": 11}, item.label.slice(0, 24)));
      item.parts.forEach(function (part, p) {
        var w = (part.value || 0) / max * (width - left - 70);
        var bar = svg("rect", {x: x, y: y, width: Math.max(w, 0), height: row - 5,
                               fill: part.color || PALETTE[p % PALETTE.length]});
        bar.appendChild(svg("title", {}, part.name + ": " + format(part.value)));
        chart.appendChild(bar); x += w;
      });
      var known = item.parts.filter(function (p) { return p.value != null; });
      var total = known.reduce(function (a, p) { return a + p.value; }, 0);
      chart.appendChild(svg("text", {x: x + 4, y: y + 12, "font-size": 11},
                            known.length ? format(total) : "-"));
    });
    return el("div", {"class": "chart", "data-chart": title},
              [el("h3", {text: title}), chart, note]);
  }
  function lineChart(title, series, format) {
    var all = [].concat.apply([], series.map(function (s) { return s.points; }))
      .filter(function (v) { return v != null; });
    if (!all.length) { return notMeasured(title); }
    // The axis labels have a margin of their own; the series are named in a legend below.
    var width = 420, height = 140, pad = 12, left = 64, chart = svg("svg", {width: width,
      height: height, role: "img", "aria-label": title});
    var max = Math.max.apply(null, all.concat([1e-9]));
    var legend = el("div", {"class": "legend"});
    series.forEach(function (s, index) {
      var n = s.points.length, coords = [];
      s.points.forEach(function (v, i) {
        if (v == null) { return; }
        var x = left + (n < 2 ? 0 : i / (n - 1) * (width - left - pad));
        var y = height - pad - v / max * (height - 2 * pad);
        coords.push(x.toFixed(1) + "," + y.toFixed(1));
        var dot = svg("circle", {cx: x, cy: y, r: 3, fill: PALETTE[index % PALETTE.length]});
        dot.appendChild(svg("title", {}, s.name + " #" + (i + 1) + ": " + format(v)));
        chart.appendChild(dot);
      });
      chart.appendChild(svg("polyline", {points: coords.join(" "), fill: "none",
        stroke: PALETTE[index % PALETTE.length], "stroke-width": 1.5}));
      legend.appendChild(el("span", {"class": "series", style: "color:"
        + PALETTE[index % PALETTE.length], text: "\u25a0 " + s.name}));
    });
    chart.appendChild(svg("line", {x1: left - 4, y1: pad, x2: left - 4, y2: height - pad,
      stroke: "#cbd5e1"}));
    chart.appendChild(svg("text", {x: left - 8, y: height - pad, "font-size": 10,
      "text-anchor": "end"}, format(0)));
    chart.appendChild(svg("text", {x: left - 8, y: pad + 8, "font-size": 10,
      "text-anchor": "end"}, format(max)));
    return el("div", {"class": "chart", "data-chart": title},
              [el("h3", {text: title}), chart, legend]);
  }
  function drawCharts() {
    var runs = data.runs.filter(visible), box = document.getElementById("charts");
    function label(run) { return run.benchmark + (run.attempt ? " #" + run.attempt : "")
      + (run.agent ? " " + run.agent : ""); }
    var charts = [
      barChart("cost per run", runs.map(function (r) { return {label: label(r),
        parts: [{name: "cost", value: r.usage.cost_usd}]}; }), fmtCost),
      barChart("tokens per run", runs.map(function (r) { return {label: label(r), parts: [
        {name: "input", value: r.usage.tokens_input},
        {name: "output", value: r.usage.tokens_output},
        {name: "cache read", value: r.usage.tokens_cache_read},
        {name: "cache write", value: r.usage.tokens_cache_write}]}; }), fmtInt),
      barChart("time per phase", runs.map(function (r) { return {label: label(r),
        parts: r.phases.map(function (p) { return {name: p.name, value: p.seconds}; })}; }),
        fmtSeconds),
      barChart("pass rate per benchmark", data.overview.filter(function (o) {
        return !state.benchmark || o.benchmark === state.benchmark; }).map(function (o) {
        return {label: o.benchmark + (o.agent ? " " + o.agent : ""),
                parts: [{name: "pass rate", value: o.pass_rate, color: "#16a34a"}]}; }), fmtPct)
    ];
    var trendSeries = Object.keys(data.trend).filter(function (name) {
      return !state.benchmark || name === state.benchmark; }).map(function (name) {
      return {name: name, points: data.trend[name].map(function (p) { return p.seconds; })}; });
    if (trendSeries.length) {
      charts.push(lineChart("time of the last runs (trend)", trendSeries, fmtSeconds));
      charts.push(lineChart("cost of the last runs (trend)", Object.keys(data.trend)
        .filter(function (name) { return !state.benchmark || name === state.benchmark; })
        .map(function (name) { return {name: name, points: data.trend[name].map(function (p) {
          return p.cost_usd; })}; }), fmtCost));
    }
    box.replaceChildren.apply(box, charts);
  }
  function pre(text) { return el("pre", {text: typeof text === "string" ? text
    : JSON.stringify(text, null, 2)}); }
  function collapsible(summary, body, open) {
    var node = el("details", open ? {open: "open"} : {}, [el("summary", {text: summary})]);
    node.appendChild(body); return node;
  }
  // Ids go on one element per tool call and result: the tool_call/tool_result entries
  // when the transcript has them (our agents), else the message blocks (Claude's stream).
  var blockIds = true;
  function blocks(content) {
    if (typeof content === "string") { return [pre(content)]; }
    return (content || []).map(function (block) {
      if (block.type === "text") { return pre(block.text); }
      if (block.type === "tool_use" && !blockIds) {
        return el("div", {"class": "muted"}, [el("span", {text: "asks for tool call "
          + block.name + " "}), el("a", {href: "#use-" + block.id, text: block.id})]);
      }
      if (block.type === "tool_result" && !blockIds) {
        return el("div", {"class": "muted"}, [el("span", {text: "sends back tool result "}),
          el("a", {href: "#result-" + block.tool_use_id, text: block.tool_use_id})]);
      }
      if (block.type === "tool_use") {
        return el("div", {"class": "entry tool", id: "use-" + block.id}, [
          el("span", {"class": "kind", text: "tool call " + block.name}),
          el("a", {href: "#result-" + block.id, text: block.id}), pre(block.input)]);
      }
      if (block.type === "tool_result") {
        var output = typeof block.content === "string" ? block.content
          : (block.content || []).map(function (c) { return c.text || ""; }).join("\n");
        return el("div", {"class": "entry tool" + (block.is_error ? " error" : ""),
                          id: "result-" + block.tool_use_id}, [
          el("span", {"class": "kind", text: "tool result" + (block.is_error ? " (error)" : "")}),
          el("a", {href: "#use-" + block.tool_use_id, text: block.tool_use_id}),
          collapsible("output (" + output.length + " characters)", pre(output), false)]);
      }
      return pre(block);
    });
  }
  function entry(item) {
    var kind = item.kind, head = el("span", {"class": "kind", text: kind});
    var meta = el("span", {"class": "muted", text: (item.phase ? "phase " + item.phase : "")
      + (item.at ? " " + item.at : "")});
    if (kind === "request_setup") {
      return el("div", {"class": "entry meta"}, [head, meta, collapsible("set-up: model "
        + (item.model || "?") + ", " + ((item.tools || []).length) + " tools", pre(item), false)]);
    }
    if (kind === "request") {
      return el("div", {"class": "entry user"}, [head, meta].concat(
        blocks(item.message ? item.message.content : item.content)));
    }
    if (kind === "response") {
      return el("div", {"class": "entry assistant"}, [head, meta].concat(blocks(item.content)));
    }
    if (kind === "tool_call") {
      return el("div", {"class": "entry tool", id: "use-" + item.tool_use_id}, [
        el("span", {"class": "kind", text: "tool call " + item.name}), meta,
        el("a", {href: "#result-" + item.tool_use_id, text: item.tool_use_id || ""}),
        pre(item.input)]);
    }
    if (kind === "tool_result") {
      return el("div", {"class": "entry tool" + (item.is_error ? " error" : ""),
                        id: "result-" + item.tool_use_id}, [
        el("span", {"class": "kind", text: "tool result " + item.name
          + (item.is_error ? " (error)" : "")}), meta,
        el("a", {href: "#use-" + item.tool_use_id, text: item.tool_use_id || ""}),
        collapsible("output (" + String(item.output || "").length + " characters)",
                    pre(item.output || ""), false)]);
    }
    var bad = item.status >= 400 || item.status === null || kind === "api_refused"
      || kind === "api_retry";
    return el("div", {"class": "entry meta" + (bad ? " error" : "")}, [head, meta,
      collapsible("details", pre(item), false)]);
  }
  function openRun(run) {
    var panel = document.getElementById("run-panel");
    var phases = table(["phase", "role", "status", "time", "turns", "tokens", "cost", "error"],
      run.phases.map(function (p) { var u = p.usage || {};
        var tokens = [u.tokens_input, u.tokens_output, u.tokens_cache_read, u.tokens_cache_write]
          .filter(function (v) { return v != null; });
        return el("tr", {}, [cell(p.name), cell(p.role), cell(p.status, p.status),
          cell(fmtSeconds(p.seconds), "num"), cell(u.turns == null ? "-" : String(u.turns), "num"),
          cell(tokens.length ? fmtInt(tokens.reduce(function (a, b) { return a + b; }, 0)) : "-",
               "num"), cell(fmtCost(u.cost_usd), "num"), cell(p.error || "")]); }));
    var criteria = table(["criterion", "result", "detail"], run.criteria.map(function (c) {
      var detail = el("td", {}, [el("div", {text: c.detail || ""})].concat(
        (c.failing_tests || []).map(function (t) { return el("div", {"class": "muted",
          text: t}); })));
      return el("tr", {}, [cell(c.name), cell(c.passed ? "pass" : "FAIL",
        c.passed ? "completed" : "failed"), detail]); }));
    blockIds = !run.transcript.some(function (item) { return item.kind === "tool_call"; });
    var transcript = el("div", {id: "transcript"}, run.transcript.map(entry));
    if (!run.transcript.length) { transcript.appendChild(el("p", {"class": "muted",
      text: run.transcript_found ? "the transcript is empty"
        : "no transcript in this report (the run's folder was not found)"})); }
    if (run.transcript_cut) { transcript.appendChild(el("p", {"class": "muted",
      text: "(the transcript is longer: see transcript.jsonl of the run)"})); }
    var issues = run.warnings.map(function (w) { return el("li", {text: "warning: " + w}); })
      .concat(run.errors.map(function (e) { return el("li", {"class": "failed",
        text: e.stage + " (" + e.kind + "): " + e.type + ": " + e.message}); }));
    panel.replaceChildren(
      el("button", {"class": "close", text: "close", onclick: function () {
        panel.hidden = true; }}),
      el("h2", {text: run.benchmark + " " + run.run_id}),
      el("p", {}, [el("span", {"class": run.status, text: run.status.toUpperCase()}),
        el("span", {text: (run.failure_kind ? " (" + run.failure_kind + ")" : "")
          + (run.reason ? ": " + run.reason : "")})]),
      el("p", {"class": "muted", text: "agent " + (run.agent || "-") + ", model "
        + (run.model || "-") + ", started " + (run.start_time || "-") + ", "
        + fmtSeconds(run.seconds)}),
      el("h3", {text: "Phases"}), phases, el("h3", {text: "Criteria"}), criteria,
      el("h3", {text: "Warnings and errors"}), issues.length ? el("ul", {}, issues)
        : el("p", {"class": "muted", text: "none"}),
      el("h3", {text: "Transcript"}), transcript);
    panel.hidden = false;
    panel.scrollIntoView();
  }
  function draw() { drawOverview(); drawCharts(); drawRuns(); }
  document.getElementById("generated").textContent = data.runs.length + " runs, generated "
    + data.generated;
  filters();
  draw();
  window.gaobenchOpenRun = function (id) {
    var run = data.runs.filter(function (r) { return r.run_id === id; })[0];
    if (run) { openRun(run); }
  };
})();
"""
