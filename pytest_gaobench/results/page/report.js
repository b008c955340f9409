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
        cell(row.model || "-"), cell(row.completed + "/" + row.judged, "num"),
        cell(fmtPct(row.pass_rate), "num"), cell(passk || "-"),
        cell(row.infra ? String(row.infra) : "-", "num"), cell(fmtSeconds(row.seconds), "num"),
        cell(fmtInt(row.tokens), "num"), cell(fmtCost(row.cost_usd), "num"),
        cell(row.coverage == null ? "-" : row.coverage.toFixed(1) + "%", "num")]);
    });
    var box = document.getElementById("overview");
    box.replaceChildren(table(["benchmark", "agent", "model", "completed", "pass rate",
      "pass@k (per session)", "outages", "mean time", "mean tokens", "mean cost",
      "coverage"], rows));
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
         cell(run.reason || "", "muted reason"), cell(run.run_id, "muted runid")]);
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
    var longest = Math.max.apply(null, items.map(function (i) { return i.label.length; }));
    var left = Math.min(Math.max(longest * 6.2 + 8, 80), 330), row = 18;
    var width = left + 300, height = Math.max(items.length, 1) * row + 10;
    var max = Math.max.apply(null, items.map(function (i) {
      return i.parts.reduce(function (a, p) { return a + (p.value || 0); }, 0); }).concat([1e-9]));
    var chart = svg("svg", {width: width, height: height, role: "img", "aria-label": title});
    items.forEach(function (item, index) {
      var y = index * row + 4, x = left;
      var shown = item.label.length > 52 ? item.label.slice(0, 51) + "\u2026" : item.label;
      var name = svg("text", {x: 0, y: y + 12, "font-size": 11}, shown);
      name.appendChild(svg("title", {}, item.label));
      chart.appendChild(name);
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
    var parts = [];
    items.forEach(function (item) { item.parts.forEach(function (part, p) {
      if (!parts[p]) { parts[p] = {name: part.name, color: part.color
        || PALETTE[p % PALETTE.length]}; } }); });
    var legend = parts.length > 1 ? el("div", {"class": "legend"}, parts.map(function (part) {
      return el("span", {"class": "series"}, [el("span", {"class": "swatch",
        style: "background:" + part.color}), el("span", {text: part.name})]); })) : null;
    return el("div", {"class": "chart", "data-chart": title},
              [el("h3", {text: title}), chart, legend, note]);
  }
  function lineChart(title, series, format) {
    // Each point is {at: ms since the epoch, value}; x is time, labelled at both ends.
    var all = [].concat.apply([], series.map(function (s) { return s.points; }))
      .filter(function (p) { return p.value != null && p.at != null; });
    if (!all.length) { return notMeasured(title); }
    var width = 420, height = 150, pad = 12, bottom = 28, left = 64;
    var chart = svg("svg", {width: width, height: height, role: "img", "aria-label": title});
    var max = Math.max.apply(null, all.map(function (p) { return p.value; }).concat([1e-9]));
    var first = Math.min.apply(null, all.map(function (p) { return p.at; }));
    var last = Math.max.apply(null, all.map(function (p) { return p.at; }));
    function xOf(at) { return last === first ? left + (width - left - pad) / 2
      : left + (at - first) / (last - first) * (width - left - pad); }
    function yOf(v) { return height - bottom - v / max * (height - bottom - pad); }
    var legend = el("div", {"class": "legend"});
    series.forEach(function (s, index) {
      var color = PALETTE[index % PALETTE.length], coords = [];
      s.points.filter(function (p) { return p.value != null && p.at != null; })
        .forEach(function (p) {
          var x = xOf(p.at), y = yOf(p.value);
          coords.push(x.toFixed(1) + "," + y.toFixed(1));
          var dot = svg("circle", {cx: x, cy: y, r: 3, fill: color});
          dot.appendChild(svg("title", {}, s.name + ", " + stamp(p.at) + ": "
            + format(p.value)));
          chart.appendChild(dot);
        });
      chart.appendChild(svg("polyline", {points: coords.join(" "), fill: "none",
        stroke: color, "stroke-width": 1.5}));
      legend.appendChild(el("span", {"class": "series", style: "color:" + color,
        text: "\u25a0 " + s.name}));
    });
    chart.appendChild(svg("line", {x1: left - 4, y1: pad, x2: left - 4, y2: height - bottom,
      stroke: "#cbd5e1"}));
    chart.appendChild(svg("line", {x1: left - 4, y1: height - bottom, x2: width - pad,
      y2: height - bottom, stroke: "#cbd5e1", "class": "time-axis"}));
    chart.appendChild(svg("text", {x: left - 8, y: height - bottom, "font-size": 10,
      "text-anchor": "end"}, format(0)));
    chart.appendChild(svg("text", {x: left - 8, y: pad + 8, "font-size": 10,
      "text-anchor": "end"}, format(max)));
    var seconds = last - first < 120e3;  // runs of one session: minutes would not tell them apart
    chart.appendChild(svg("text", {x: left, y: height - 10, "font-size": 10,
      "class": "time-label"}, stamp(first, seconds)));
    if (last !== first) {
      chart.appendChild(svg("text", {x: width - pad, y: height - 10, "font-size": 10,
        "text-anchor": "end", "class": "time-label"}, stamp(last, seconds)));
    }
    return el("div", {"class": "chart", "data-chart": title},
              [el("h3", {text: title}), chart, legend]);
  }
  function stamp(ms, seconds) {  // "2026-01-01 00:05", in UTC as the runs' own times are
    return new Date(ms).toISOString().slice(0, seconds ? 19 : 16).replace("T", " "); }
  function trendSeries(metric) {
    var series = [];
    Object.keys(data.trend).filter(function (name) {
      return !state.benchmark || name === state.benchmark; }).forEach(function (name) {
      var byAgent = {};
      data.trend[name].forEach(function (p) {
        if (state.agent && p.agent !== state.agent) { return; }
        (byAgent[p.agent || "-"] = byAgent[p.agent || "-"] || []).push({
          at: p.start_time ? Date.parse(p.start_time) : null, value: p[metric]});
      });
      Object.keys(byAgent).sort().forEach(function (agent) {
        series.push({name: name + " \u00b7 " + agent, points: byAgent[agent]}); });
    });
    return series;
  }
  function drawCharts() {
    var runs = data.runs.filter(visible), box = document.getElementById("charts");
    function label(run) { return run.benchmark + (run.attempt ? " #" + run.attempt : "")
      + (run.agent ? " " + run.agent : "") + " \u00b7 "
      + (run.start_time ? stamp(Date.parse(run.start_time)).slice(5) + " " : "")
      + run.run_id.slice(-8); }
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
        return {label: o.benchmark + (o.agent ? " " + o.agent : "")
                  + (o.infra ? " (" + o.infra + " outage" + (o.infra > 1 ? "s" : "") + " left out)"
                     : ""),
                parts: [{name: "pass rate", value: o.pass_rate, color: "#16a34a"}]}; }), fmtPct)
    ];
    var times = trendSeries("seconds");
    if (times.length) {
      charts.push(lineChart("time of the last runs (trend)", times, fmtSeconds));
      charts.push(lineChart("cost of the last runs (trend)", trendSeries("cost_usd"), fmtCost));
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
        (c.failing_tests || []).filter(function (t) {
          return (c.detail || "").indexOf(t) < 0; }).map(function (t) {
          return el("div", {"class": "muted", text: t}); })));
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
      el("button", {"class": "close", text: "close", onclick: closeRun}),
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
    panel.scrollTop = 0;
    document.body.classList.add("panel-open");  // the page moves aside: every row clickable
  }
  function closeRun() {
    document.getElementById("run-panel").hidden = true;
    document.body.classList.remove("panel-open");
  }
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { closeRun(); }
  });
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
