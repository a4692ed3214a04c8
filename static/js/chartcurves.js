// The curves of a line panel from one bulk answer: x axis (step, wall time, relative time,
// another metric), exponential smoothing with the raw line kept faint, and groups drawn as
// their mean with a min-max band. Used by charts.js (window.tsCurves).
(function () {
  "use strict";

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

  function nearestIndex(xs, x) {
    var lo = 0, hi = xs.length - 1;
    if (hi < 0) return -1;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (xs[mid] < x) lo = mid + 1; else hi = mid;
    }
    if (lo > 0 && Math.abs(xs[lo - 1] - x) <= Math.abs(xs[lo] - x)) lo -= 1;
    return lo;
  }

  // x values of one series under the panel's x axis; points without an x are dropped.
  function xOf(panel, run, s, answer) {
    if (panel.x === "time") return s.ts;
    if (panel.x === "relative") {
      var start = answer.started_at || (s.ts && s.ts[0]) || 0;
      return s.ts.map(function (t) { return t - start; });
    }
    if (panel.x && panel.x.indexOf("metric:") === 0) {
      var other = answer.series[panel.x.slice(7)];
      if (!other || !other.steps.length) return null;
      return s.steps.map(function (step) {
        var i = nearestIndex(other.steps, step);
        return i < 0 ? null : other.values[i];
      });
    }
    return s.steps;
  }

  function sortedPairs(xs, ys) {
    var pairs = [];
    for (var i = 0; i < xs.length; i++) if (xs[i] !== null && xs[i] !== undefined) pairs.push([xs[i], ys[i]]);
    pairs.sort(function (a, b) { return a[0] - b[0]; });
    return [pairs.map(function (p) { return p[0]; }), pairs.map(function (p) { return p[1]; })];
  }

  function groupKey(panel, run) {
    var by = panel.group_by;
    if (!by) return null;
    var value = by === "group" ? run.group_name : by === "job_type" ? run.job_type : (run.config || {})[by.slice(7)];
    return value === undefined || value === null || value === "" ? "(none)" : String(value);
  }

  function groupColor(name) {
    var palette = ["#4f46e5", "#e11d48", "#059669", "#d97706", "#0891b2", "#7c3aed", "#db2777", "#65a30d"];
    var h = 0;
    for (var i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) >>> 0;
    return palette[h % palette.length];
  }

  function faint(color) { return color + "40"; }

  // Curves: [{label, color, xs, ys, dash, width, band?}] from the answer.
  function curves(panel, runs, answer) {
    var out = [];
    var weight = panel.smoothing || 0;
    var groups = {}, order = [];
    runs.forEach(function (run) {
      var entry = answer.runs[run.id];
      if (!entry) return;
      panel.keys.forEach(function (key, k) {
        var s = entry.series[key];
        if (!s || !s.steps.length) return;
        var xs = xOf(panel, run, s, entry);
        if (!xs) return;
        var pair = sortedPairs(xs, s.values);
        var label = run.name + (panel.keys.length > 1 ? " · " + key : "");
        var g = groupKey(panel, run);
        if (g !== null) {
          var id = g + "\u0000" + key;
          if (!groups[id]) { groups[id] = { name: g, key: key, k: k, members: [] }; order.push(id); }
          groups[id].members.push({ run: run, xs: pair[0], ys: pair[1] });
          if (!panel.expand) return;
          out.push({ label: label, color: faint(run.color), xs: pair[0], ys: pair[1], width: 1, dash: k ? [6, 4] : undefined });
          return;
        }
        if (weight) out.push({ label: label + " (raw)", color: faint(run.color), xs: pair[0], ys: pair[1], width: 1, raw: true });
        out.push({ label: label, color: run.color, xs: pair[0], ys: weight ? smooth(pair[1], weight) : pair[1], width: 1.5, dash: k ? [6, 4] : undefined, run: run });
      });
    });
    order.forEach(function (id) { out = out.concat(groupCurves(groups[id], panel, weight)); });
    return out;
  }

  // A group: its mean and its min-max band, over a grid of the members' x values (linear interpolation).
  function groupCurves(group, panel, weight) {
    var grid = {};
    group.members.forEach(function (m) { m.xs.forEach(function (x) { grid[x] = true; }); });
    var xs = Object.keys(grid).map(Number).sort(function (a, b) { return a - b; });
    if (xs.length > 1000) xs = xs.filter(function (_, i) { return i % Math.ceil(xs.length / 1000) === 0; });
    var mean = [], lo = [], hi = [];
    xs.forEach(function (x) {
      var sum = 0, n = 0, min = Infinity, max = -Infinity;
      group.members.forEach(function (m) {
        var v = interpolate(m.xs, m.ys, x);
        if (v === null) return;
        sum += v; n += 1; min = Math.min(min, v); max = Math.max(max, v);
      });
      mean.push(n ? sum / n : null); lo.push(n ? min : null); hi.push(n ? max : null);
    });
    var color = groupColor(group.name);
    var label = group.name + " (" + group.members.length + " run" + (group.members.length === 1 ? "" : "s") + ")" + (panel.keys.length > 1 ? " · " + group.key : "");
    return [
      { label: label + " max", color: faint(color), xs: xs, ys: hi, width: 0.5, bandTop: true },
      { label: label + " min", color: faint(color), xs: xs, ys: lo, width: 0.5, bandBottom: true, fill: color + "22" },
      { label: label, color: color, xs: xs, ys: smooth(mean, weight), width: 2, dash: group.k ? [6, 4] : undefined },
    ];
  }

  function interpolate(xs, ys, x) {
    if (!xs.length || x < xs[0] || x > xs[xs.length - 1]) return null;
    var i = nearestIndex(xs, x);
    if (xs[i] === x || ys[i] === null) return ys[i];
    var j = xs[i] < x ? i + 1 : i - 1;
    if (j < 0 || j >= xs.length || ys[j] === null) return ys[i];
    return ys[i] + (ys[j] - ys[i]) * (x - xs[i]) / (xs[j] - xs[i]);
  }

  window.tsCurves = { curves: curves, smooth: smooth, nearestIndex: nearestIndex };
})();
