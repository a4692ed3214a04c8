// Panels over run values (summary.KEY, config.KEY), drawn as SVG: scatter, bar, parallel coordinates.
// charts.js calls window.tsPanels.draw(el, panel, runs); each mark has a <title> for hover.
(function () {
  "use strict";
  var fmt = window.tsFormat;
  var NS = "http://www.w3.org/2000/svg";
  var W = 560, H = 240, PAD = { l: 56, r: 16, t: 24, b: 36 };

  function value(run, name) {
    var dot = name.indexOf(".");
    var source = name.slice(0, dot), key = name.slice(dot + 1);
    var data = (source === "summary" ? run.summary : run.config) || {};
    return data[key];
  }

  function node(tag, attrs, parent) {
    var n = document.createElementNS(NS, tag);
    Object.keys(attrs || {}).forEach(function (k) { n.setAttribute(k, attrs[k]); });
    if (parent) parent.appendChild(n);
    return n;
  }

  function title(mark, text) { node("title", {}, mark).textContent = text; }

  function text(parent, x, y, content, anchor) {
    var t = node("text", { x: x, y: y, "text-anchor": anchor || "middle", class: "chart-axis-text" }, parent);
    t.textContent = content;
    return t;
  }

  // A numeric scale, or a categorical one for text values (config.arch = cnn, mlp ...).
  function scale(values, lo, hi) {
    var numbers = values.filter(function (v) { return typeof v === "number" && isFinite(v); });
    if (numbers.length === values.length && numbers.length) {
      var min = Math.min.apply(null, numbers), max = Math.max.apply(null, numbers);
      if (min === max) { min -= Math.abs(min) * 0.1 || 1; max += Math.abs(max) * 0.1 || 1; }
      var f = function (v) { return lo + (v - min) / (max - min) * (hi - lo); };
      f.ticks = [min, (min + max) / 2, max].map(function (v) { return { at: f(v), label: fmt.formatValue(v, 3) }; });
      return f;
    }
    var names = [];
    values.forEach(function (v) { var s = String(v); if (names.indexOf(s) === -1) names.push(s); });
    names.sort();
    var g = function (v) { return lo + (names.indexOf(String(v)) + 0.5) / names.length * (hi - lo); };
    g.ticks = names.map(function (n) { return { at: g(n), label: n }; });
    return g;
  }

  function svgIn(el, label) {
    el.innerHTML = "";
    el.classList.remove("chart-empty");
    var svg = node("svg", { viewBox: "0 0 " + W + " " + H, class: "chart-svg", role: "img", "aria-label": label });
    el.appendChild(svg);
    el.setAttribute("data-drawn", "true");
    return svg;
  }

  function empty(el, message) {
    el.innerHTML = "";
    el.classList.add("chart-empty");
    el.textContent = message;
  }

  function usable(runs, keys) {
    return runs.filter(function (run) {
      return keys.every(function (k) { var v = value(run, k); return v !== undefined && v !== null; });
    });
  }

  function scatter(el, panel, runs) {
    var rows = usable(runs, panel.keys);
    if (!rows.length) return empty(el, "No shown run has both " + panel.keys.join(" and ") + ".");
    var svg = svgIn(el, panel.title);
    var xs = scale(rows.map(function (r) { return value(r, panel.keys[0]); }), PAD.l, W - PAD.r);
    var ys = scale(rows.map(function (r) { return value(r, panel.keys[1]); }), H - PAD.b, PAD.t);
    axes(svg, xs, ys, panel.keys[0], panel.keys[1]);
    rows.forEach(function (run) {
      var x = value(run, panel.keys[0]), y = value(run, panel.keys[1]);
      var dot = node("circle", { cx: xs(x), cy: ys(y), r: 5, fill: run.color, class: "chart-mark" }, svg);
      title(dot, run.name + ": " + panel.keys[0] + " " + fmt.formatValue(x, 5) + ", " + panel.keys[1] + " " + fmt.formatValue(y, 5));
    });
  }

  function bar(el, panel, runs) {
    var key = panel.keys[0];
    var rows = usable(runs, [key]).filter(function (r) { return typeof value(r, key) === "number"; });
    if (!rows.length) return empty(el, "No shown run has a number for " + key + ".");
    var svg = svgIn(el, panel.title);
    var values = rows.map(function (r) { return value(r, key); }).concat([0]);
    var ys = scale(values, H - PAD.b, PAD.t);
    var band = (W - PAD.l - PAD.r) / rows.length;
    axes(svg, null, ys, "", key);
    rows.forEach(function (run, i) {
      var v = value(run, key), top = Math.min(ys(v), ys(0)), height = Math.abs(ys(v) - ys(0));
      var rect = node("rect", { x: PAD.l + i * band + band * 0.15, y: top, width: band * 0.7, height: Math.max(1, height), fill: run.color, class: "chart-mark" }, svg);
      title(rect, run.name + ": " + key + " " + fmt.formatValue(v, 5));
      if (band > 40) text(svg, PAD.l + (i + 0.5) * band, H - PAD.b + 14, run.name.length > 12 ? run.name.slice(0, 11) + "…" : run.name);
    });
  }

  function parallel(el, panel, runs) {
    var rows = usable(runs, panel.keys);
    if (!rows.length) return empty(el, "No shown run has every one of " + panel.keys.join(", ") + ".");
    var svg = svgIn(el, panel.title);
    var step = (W - PAD.l - PAD.r) / (panel.keys.length - 1);
    var scales = panel.keys.map(function (k) { return scale(rows.map(function (r) { return value(r, k); }), H - PAD.b, PAD.t); });
    panel.keys.forEach(function (k, i) {
      var x = PAD.l + i * step;
      node("line", { x1: x, x2: x, y1: PAD.t, y2: H - PAD.b, class: "chart-axis" }, svg);
      text(svg, x, H - PAD.b + 16, k.length > 18 ? k.slice(0, 17) + "…" : k);
      scales[i].ticks.slice(0, 8).forEach(function (t) { text(svg, x - 4, t.at + 3, t.label, "end"); });
    });
    rows.forEach(function (run) {
      var points = panel.keys.map(function (k, i) { return (PAD.l + i * step) + "," + scales[i](value(run, k)); }).join(" ");
      var line = node("polyline", { points: points, fill: "none", stroke: run.color, "stroke-width": 2, class: "chart-mark" }, svg);
      title(line, run.name + ": " + panel.keys.map(function (k) { var v = value(run, k); return k + " " + (typeof v === "number" ? fmt.formatValue(v, 5) : v); }).join(", "));
    });
  }

  function axes(svg, xs, ys, xLabel, yLabel) {
    node("line", { x1: PAD.l, x2: W - PAD.r, y1: H - PAD.b, y2: H - PAD.b, class: "chart-axis" }, svg);
    node("line", { x1: PAD.l, x2: PAD.l, y1: PAD.t, y2: H - PAD.b, class: "chart-axis" }, svg);
    if (xs) xs.ticks.slice(0, 10).forEach(function (t) { text(svg, t.at, H - PAD.b + 14, t.label); });
    ys.ticks.slice(0, 10).forEach(function (t) { text(svg, PAD.l - 6, t.at + 3, t.label, "end"); });
    if (xLabel) text(svg, (PAD.l + W - PAD.r) / 2, H - 4, xLabel);
    if (yLabel) { var t = text(svg, 4, 12, yLabel, "start"); t.setAttribute("class", "chart-axis-text chart-axis-title"); }
  }

  window.tsPanels = {
    draw: function (el, panel, runs) {
      ({ scatter: scatter, bar: bar, parallel: parallel }[panel.type] || function () {})(el, panel, runs);
    },
  };
})();
