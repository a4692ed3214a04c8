// Line charts of run metrics, drawn with uPlot from the history endpoint.
// Every element [data-chart] names its metric keys (data-keys), x axis
// (data-x = step | time), smoothing (0-0.99), log scale (data-log-y) and
// source (history | system); the runs come from <script id="chart-runs">.
(function () {
  "use strict";

  // The runs come from <script id="chart-runs"> or, on the workspace, from the
  // runs table itself (data-chart-runs), so a filtered table brings its own.
  function findSource() {
    return document.querySelector("[data-chart-runs]") || document.getElementById("chart-runs");
  }
  function readRuns(el) {
    return JSON.parse(el.hasAttribute("data-chart-runs") ? el.getAttribute("data-chart-runs") : el.textContent);
  }
  var source = findSource();
  if (!window.uPlot) return;
  var allRuns = source ? readRuns(source) : [];
  var cache = {};
  var charts = [];

  function fetchSeries(run, kind, keys) {
    var url = run[kind] + "?samples=1000&keys=" + encodeURIComponent(keys.join(","));
    if (!cache[url]) {
      cache[url] = fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { series: {} }; })
        .catch(function () { return { series: {} }; });
    }
    return cache[url];
  }

  function smooth(values, weight) {
    if (!weight) return values;
    var out = new Array(values.length), last = null, n = 0;
    for (var i = 0; i < values.length; i++) {
      var v = values[i];
      if (v === null) { out[i] = null; continue; }
      // debiased exponential moving average, as TensorBoard and W&B draw it
      last = last === null ? v * (1 - weight) : last * weight + v * (1 - weight);
      n += 1;
      out[i] = last / (1 - Math.pow(weight, n));
    }
    return out;
  }

  function shownRuns() {
    var boxes = document.querySelectorAll('.runs-table input[name="runs"]:checked');
    if (!boxes.length) return allRuns.filter(function (run) { return run.shown; });
    var ids = {};
    boxes.forEach(function (box) { ids[box.value] = true; });
    return allRuns.filter(function (run) { return ids[run.id]; });
  }

  function draw(el) {
    var keys = el.getAttribute("data-keys").split(",").filter(Boolean);
    var kind = el.getAttribute("data-source") || "history";
    var useTime = el.getAttribute("data-x") === "time";
    var weight = parseFloat(el.getAttribute("data-smoothing") || "0") || 0;
    var logY = el.getAttribute("data-log-y") === "true";
    // a chart in a report names its own runs; workspace charts follow the runs table
    var runs = el.hasAttribute("data-runs") ? JSON.parse(el.getAttribute("data-runs")) : shownRuns();
    return Promise.all(runs.map(function (run) { return fetchSeries(run, kind, keys); })).then(function (answers) {
      var tables = [], series = [{ label: useTime ? "time" : "step" }], sampled = false;
      answers.forEach(function (answer, r) {
        sampled = sampled || answer.sampled;
        keys.forEach(function (key, k) {
          var s = answer.series && answer.series[key];
          if (!s || !s.steps.length) return;
          var xs = useTime ? s.ts : s.steps;
          var ys = smooth(s.values, weight);
          if (logY) ys = ys.map(function (v) { return v !== null && v > 0 ? v : null; });
          tables.push([xs, ys]);
          series.push({
            label: runs[r].name + (keys.length > 1 ? " · " + key : ""),
            stroke: runs[r].color,
            width: 1.5,
            dash: k ? [6, 4] : undefined,
            spanGaps: false,
            points: { show: false },
          });
        });
      });
      el.innerHTML = "";
      el.classList.remove("chart-empty");
      if (!tables.length) {
        el.classList.add("chart-empty");
        el.textContent = runs.length ? "No data for " + keys.join(", ") + " in these runs yet." : "Select runs to chart.";
        return;
      }
      var data = tables.length === 1 ? tables[0] : uPlot.join(tables);
      var width = Math.max(240, el.clientWidth || el.parentNode.clientWidth - 32);
      var options = {
        width: width,
        height: 240,
        series: series,
        scales: { x: { time: useTime }, y: logY ? { distr: 3 } : {} },
        axes: [
          { stroke: "#6b7280", grid: { stroke: "rgba(127,127,127,0.15)" } },
          { stroke: "#6b7280", grid: { stroke: "rgba(127,127,127,0.15)" }, size: 60 },
        ],
        legend: { live: true },
        cursor: { drag: { x: true, y: false } },
      };
      var chart = new uPlot(options, data, el);
      el.setAttribute("data-drawn", "true");
      if (sampled) {
        var note = document.createElement("p");
        note.className = "chart-note muted";
        note.textContent = "Sampled to 1,000 points per curve, keeping every bucket's minimum and maximum.";
        el.appendChild(note);
      }
      charts.push({ el: el, chart: chart });
    });
  }

  function drawAll() {
    charts.forEach(function (c) { c.chart.destroy(); });
    charts = [];
    document.querySelectorAll("[data-chart]").forEach(draw);
  }

  // Swatches in legends outside the charts (compare page).
  document.querySelectorAll(".swatch[data-color]").forEach(function (swatch) {
    var run = allRuns.filter(function (r) { return r.id === swatch.getAttribute("data-color"); })[0];
    if (run) swatch.style.backgroundColor = run.color;
  });

  document.addEventListener("change", function (event) {
    if (event.target.matches('.runs-table input[name="runs"]')) drawAll();
  });
  // The runs table carries the chart runs with it: a filtered table redraws the charts.
  document.body.addEventListener("htmx:afterSettle", function () {
    var fresh = findSource();
    if (fresh && fresh !== source) {
      source = fresh;
      allRuns = readRuns(fresh);
      drawAll();
      return;
    }
    // charts that arrived with swapped content (a report's live preview)
    document.querySelectorAll("[data-chart]:not([data-drawn])").forEach(draw);
  });
  var resizeTimer;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () {
      charts.forEach(function (c) { c.chart.setSize({ width: Math.max(240, c.el.clientWidth), height: 240 }); });
    }, 150);
  });
  drawAll();
})();
