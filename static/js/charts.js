// Line charts of run metrics, drawn with uPlot; one request per panel for all its runs.
// A [data-chart] element carries its panel as JSON (data-panel) or as attributes
// (data-keys, data-x = step | time | relative | metric:KEY, data-smoothing, data-log-y,
// data-source = history | system); its runs come from data-runs (a report's chart),
// the runs table (data-chart-runs) or <script id="chart-runs">.
// Curves (smoothing, x axes, groups) are computed by chartcurves.js; scatter, bar and
// parallel-coordinates panels are drawn by chartpanels.js.
(function () {
  "use strict";
  if (!window.uPlot || !window.tsFormat || !window.tsCurves) return;
  var fmt = window.tsFormat;
  var POINT_BUDGET = 5000; // points per panel, shared by its runs
  var LIVE_EVERY = 10000;

  function findSource() {
    return document.querySelector("[data-chart-runs]") || document.getElementById("chart-runs");
  }
  function readRuns(el) {
    if (!el) return [];
    return JSON.parse(el.hasAttribute("data-chart-runs") ? el.getAttribute("data-chart-runs") : el.textContent);
  }
  var source = findSource();
  var allRuns = readRuns(source);
  var hidden = {};
  var cache = {};
  var charts = [];

  function readHidden() {
    hidden = {};
    var state = document.querySelector("[data-table-state]");
    var text = state ? (JSON.parse(state.getAttribute("data-table-state")).hide || "") : "";
    text.split(",").filter(Boolean).forEach(function (id) { hidden[id] = true; });
  }
  readHidden();

  function panelOf(el) {
    if (el.hasAttribute("data-panel")) {
      var panel = JSON.parse(el.getAttribute("data-panel"));
      if (el._override) Object.keys(el._override).forEach(function (k) { panel[k] = el._override[k]; });
      return panel;
    }
    return {
      type: "line",
      keys: el.getAttribute("data-keys").split(",").filter(Boolean),
      x: el.getAttribute("data-x") || "step",
      smoothing: parseFloat(el.getAttribute("data-smoothing") || "0") || 0,
      log_y: el.getAttribute("data-log-y") === "true",
    };
  }

  // The runs a chart shows: a report's own, the ticked rows, else the table's shown runs without the hidden ones.
  function runsOf(el) {
    if (el.hasAttribute("data-runs")) return JSON.parse(el.getAttribute("data-runs"));
    var boxes = document.querySelectorAll('.runs-table input[name="runs"]:checked');
    if (boxes.length) {
      var ids = {};
      boxes.forEach(function (box) { ids[box.value] = true; });
      return allRuns.filter(function (run) { return ids[run.id]; });
    }
    var visible = allRuns.filter(function (run) { return !hidden[run.id]; });
    var shown = visible.filter(function (run) { return run.shown; });
    return shown.length ? shown : visible.slice(0, 10);
  }

  function fetchJSON(url, fresh) {
    if (!cache[url] || fresh) {
      cache[url] = fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { runs: {} }; })
        .catch(function () { return { runs: {} }; });
    }
    return cache[url];
  }

  // One request per panel (per project, for a report's chart naming several projects).
  function fetchPanel(runs, kind, keys, needTs, fresh) {
    var byProject = {};
    runs.forEach(function (run) {
      var base = run.bulk || run[kind].replace(/\/runs\/[^/]+\/(history|system-metrics)$/, "/history");
      (byProject[base] = byProject[base] || []).push(run.id);
    });
    var samples = Math.max(100, Math.min(1000, Math.floor(POINT_BUDGET / Math.max(1, runs.length))));
    return Promise.all(Object.keys(byProject).map(function (base) {
      var url = base + "?kind=" + kind + "&samples=" + samples + (needTs ? "&ts=true" : "") +
        "&runs=" + encodeURIComponent(byProject[base].join(",")) + "&keys=" + encodeURIComponent(keys.join(","));
      return fetchJSON(url, fresh);
    })).then(function (answers) {
      var merged = { runs: {}, sampled: false };
      answers.forEach(function (a) {
        Object.keys(a.runs || {}).forEach(function (id) { merged.runs[id] = a.runs[id]; });
        merged.sampled = merged.sampled || a.sampled;
      });
      return merged;
    });
  }

  var C = window.tsCurves;
  var curves = C.curves, nearestIndex = C.nearestIndex;

  function xFormatter(panel) {
    if (panel.x === "relative") return function (v) { return fmt.formatDuration(v); };
    if (panel.x === "time") return function (v) { return new Date(v * 1000).toLocaleString(); };
    return function (v) { return fmt.formatValue(v, 6); };
  }

  // The hover box: every curve's value at the cursor's x (its nearest point), not only curves sharing that x.
  function hoverPlugin(list, panel) {
    var box;
    var xText = xFormatter(panel);
    return {
      hooks: {
        init: function (u) {
          box = document.createElement("div");
          box.className = "chart-hover";
          box.hidden = true;
          u.over.appendChild(box);
          u.over.addEventListener("mouseleave", function () { box.hidden = true; });
        },
        setCursor: function (u) {
          var left = u.cursor.left;
          if (left === null || left < 0) { box.hidden = true; return; }
          var x = u.posToVal(left, "x");
          var rows = [], snapped = null;
          list.forEach(function (c) {
            if (c.raw || c.bandTop || c.bandBottom) return;
            var i = nearestIndex(c.xs, x);
            if (i < 0 || c.xs[i] === undefined) return;
            if (snapped === null || Math.abs(c.xs[i] - x) < Math.abs(snapped - x)) snapped = c.xs[i];
            rows.push({ label: c.label, color: c.color, value: c.ys[i] });
          });
          rows.sort(function (a, b) { return (b.value === null ? -Infinity : b.value) - (a.value === null ? -Infinity : a.value); });
          box.textContent = "";
          var head = document.createElement("div");
          head.className = "chart-hover-x";
          head.textContent = (panel.x && panel.x.indexOf("metric:") === 0 ? panel.x.slice(7) : panel.x === "relative" ? "time" : panel.x || "step") + " " + xText(snapped === null ? x : snapped);
          box.appendChild(head);
          rows.slice(0, 20).forEach(function (r) {
            var line = document.createElement("div");
            var dot = document.createElement("span");
            dot.className = "swatch";
            dot.style.backgroundColor = r.color;
            line.appendChild(dot);
            line.appendChild(document.createTextNode(" " + r.label + ": " + fmt.formatValue(r.value, 5)));
            box.appendChild(line);
          });
          if (rows.length > 20) box.appendChild(document.createTextNode("… and " + (rows.length - 20) + " more"));
          box.hidden = false;
          var onRight = left > u.over.clientWidth / 2;
          box.style.left = onRight ? "" : left + 12 + "px";
          box.style.right = onRight ? u.over.clientWidth - left + 12 + "px" : "";
        },
      },
    };
  }

  function render(el, panel, runs, answer) {
    var list = curves(panel, runs, answer);
    if (panel.log_y) list.forEach(function (c) { c.ys = c.ys.map(function (v) { return v !== null && v > 0 ? v : null; }); });
    destroy(el);
    el.innerHTML = "";
    el.classList.remove("chart-empty");
    if (!list.length) {
      el.classList.add("chart-empty");
      el.textContent = runs.length ? "No data for " + panel.keys.join(", ") + " in these runs yet." : "Show runs in the table to chart them.";
      return;
    }
    var tables = list.map(function (c) { return [c.xs, c.ys]; });
    var data = tables.length === 1 ? tables[0] : uPlot.join(tables);
    var series = [{ label: panel.x || "step" }];
    var bands = [];
    list.forEach(function (c, i) {
      series.push({ label: c.label, stroke: c.color, width: c.width, dash: c.dash, spanGaps: true, points: { show: false } });
      if (c.bandBottom) bands.push({ series: [i, i + 1], fill: c.fill });
    });
    var width = Math.max(200, el.clientWidth || el.parentNode.clientWidth - 32);
    var options = {
      width: width,
      height: 240,
      series: series,
      bands: bands,
      scales: { x: { time: panel.x === "time" }, y: panel.log_y ? { distr: 3 } : {} },
      axes: [
        { stroke: "#6b7280", grid: { stroke: "rgba(127,127,127,0.15)" }, values: panel.x === "time" ? undefined : function (u, splits, ax, space, incr) {
          return panel.x === "relative" ? splits.map(fmt.formatDuration) : fmt.formatTicks(splits, incr);
        } },
        { stroke: "#6b7280", grid: { stroke: "rgba(127,127,127,0.15)" }, size: 64, values: function (u, splits, ax, space, incr) {
          return panel.log_y ? splits.map(function (v) { return fmt.formatValue(v, 3); }) : fmt.formatTicks(splits, incr);
        } },
      ],
      legend: { show: false },
      cursor: { drag: { x: true, y: false }, points: { show: false } },
      plugins: [hoverPlugin(list, panel)],
    };
    var chart = new uPlot(options, data, el);
    el.setAttribute("data-drawn", "true");
    var legend = document.createElement("ul");
    legend.className = "chart-legend";
    list.forEach(function (c) {
      if (c.raw || c.bandTop || c.bandBottom) return;
      var item = document.createElement("li");
      var dot = document.createElement("span");
      dot.className = "swatch";
      dot.style.backgroundColor = c.color;
      item.appendChild(dot);
      item.appendChild(document.createTextNode(" " + c.label));
      legend.appendChild(item);
    });
    el.appendChild(legend);
    if (answer.sampled) {
      var note = document.createElement("p");
      note.className = "chart-note muted";
      note.textContent = "Sampled for the chart, keeping every bucket's minimum and maximum; zoom in or download the CSV for every point.";
      el.appendChild(note);
    }
    charts.push({ el: el, chart: chart });
  }

  function destroy(el) {
    charts = charts.filter(function (c) {
      if (c.el !== el) return true;
      c.chart.destroy();
      return false;
    });
  }

  function draw(el, fresh) {
    var panel = panelOf(el);
    if (panel.type && panel.type !== "line") {
      if (window.tsPanels) window.tsPanels.draw(el, panel, runsOf(el));
      return Promise.resolve();
    }
    var kind = el.getAttribute("data-source") || "history";
    var runs = runsOf(el);
    var keys = panel.keys.slice();
    if (panel.x && panel.x.indexOf("metric:") === 0) keys.push(panel.x.slice(7));
    var needTs = panel.x === "time" || panel.x === "relative";
    if (!runs.length) { render(el, panel, runs, { runs: {} }); return Promise.resolve(); }
    return fetchPanel(runs, kind, keys, needTs, fresh).then(function (answer) { render(el, panel, runs, answer); });
  }

  function drawAll(fresh) {
    document.querySelectorAll("[data-chart]").forEach(function (el) { draw(el, fresh); });
  }

  function paintSwatches() {
    document.querySelectorAll(".swatch[data-color]").forEach(function (swatch) {
      var run = allRuns.filter(function (r) { return r.id === swatch.getAttribute("data-color"); })[0];
      if (run) swatch.style.backgroundColor = run.color;
    });
  }

  // Panel controls: the chart changes at once; for those who may, htmx saves the change.
  document.addEventListener("input", function (event) {
    var control = event.target.closest("[data-control]");
    if (!control) return;
    var panelEl = control.closest(".panel");
    var chart = panelEl && panelEl.querySelector("[data-chart]");
    if (!chart) return;
    var name = control.getAttribute("data-control");
    chart._override = chart._override || {};
    chart._override[name] = control.type === "checkbox" ? control.checked : name === "smoothing" ? parseFloat(control.value) : control.value;
    var output = control.parentNode.querySelector("output");
    if (output) output.textContent = control.value;
    draw(chart);
  });

  // The eye: a run shown in charts or not, kept in the URL (hide=...).
  document.addEventListener("click", function (event) {
    var eye = event.target.closest("[data-eye]");
    if (!eye) return;
    var id = eye.getAttribute("data-eye");
    var shownNow = eye.getAttribute("aria-pressed") !== "true";
    eye.setAttribute("aria-pressed", shownNow ? "true" : "false");
    if (shownNow) delete hidden[id]; else hidden[id] = true;
    allRuns.forEach(function (run) { if (run.id === id) run.shown = shownNow || run.shown; });
    var url = new URL(window.location.href);
    var ids = Object.keys(hidden);
    if (ids.length) url.searchParams.set("hide", ids.join(",")); else url.searchParams.delete("hide");
    history.replaceState(history.state, "", url.toString());
    var field = document.querySelector('.filters input[name="hide"]');
    if (field) field.value = ids.join(",");
    drawAll();
  });

  document.addEventListener("change", function (event) {
    if (event.target.matches('.runs-table input[name="runs"]')) drawAll();
  });
  document.body.addEventListener("htmx:afterSettle", function () {
    var fresh = findSource();
    if (fresh && fresh !== source) {
      source = fresh;
      allRuns = readRuns(fresh);
      readHidden();
      paintSwatches();
      drawAll();
      return;
    }
    document.querySelectorAll("[data-chart]:not([data-drawn])").forEach(function (el) { draw(el); });
  });
  var resizeTimer;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () {
      charts.forEach(function (c) { c.chart.setSize({ width: Math.max(200, c.el.clientWidth), height: 240 }); });
    }, 150);
  });

  // Live: while a charted run is running and the tab is visible, fetch the panels' data again.
  function live() {
    if (document.visibilityState !== "visible") return;
    var running = allRuns.some(function (run) { return run.state === "running" && !hidden[run.id]; });
    if (!running) return;
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var panel = panelOf(el);
      if (!panel.type || panel.type === "line") {
        var zoomed = charts.filter(function (c) { return c.el === el && c.chart.scales.x.min !== c.chart.data[0][0]; }).length;
        if (!zoomed) draw(el, true);
      }
    });
  }
  setInterval(live, LIVE_EVERY);
  document.addEventListener("visibilitychange", live);

  paintSwatches();
  drawAll();
  // for browser tests and the console: the drawn uPlot instances (their axes keep the tick labels in _values)
  window.tsCharts = { drawAll: drawAll, runs: function () { return allRuns; }, instances: function () { return charts; } };
})();
