// Numbers on charts: significant digits at every scale, never "0" for 1e-4.
// Used by charts.js (window.tsFormat) and tested with node (module.exports).
(function (root) {
  "use strict";

  var SI = [
    [1e15, "P"], [1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "k"],
  ];

  // "1.2300" -> "1.23", "1.000e-4" -> "1e-4", "2.50e+6" -> "2.5e6"
  function trim(text) {
    var parts = text.split("e");
    var mantissa = parts[0];
    if (mantissa.indexOf(".") !== -1) mantissa = mantissa.replace(/0+$/, "").replace(/\.$/, "");
    if (parts.length === 1) return mantissa;
    var exponent = parseInt(parts[1], 10);
    return mantissa + "e" + exponent;
  }

  // One value with `digits` significant digits: plain between 0.001 and 10,000,
  // SI suffixes (k, M, G, T, P) above, exponent notation below.
  function formatValue(value, digits) {
    if (value === null || value === undefined) return "—";
    if (typeof value !== "number") return String(value);
    if (value !== value) return "NaN";
    if (value === Infinity) return "∞";
    if (value === -Infinity) return "-∞";
    if (value === 0) return "0";
    digits = Math.max(1, Math.min(17, digits || 4));
    var size = Math.abs(value);
    if (size >= 1e3 && size < 1e18) {
      if (size < 1e4 && Number.isInteger(value)) return String(value);
      for (var i = 0; i < SI.length; i++) {
        if (size >= SI[i][0] * 0.99995) {
          var scaled = value / SI[i][0];
          var text = trim(scaled.toPrecision(digits));
          // 999.96k rounds to "1000k": move up one prefix
          if (Math.abs(parseFloat(text)) >= 1000 && i > 0) text = trim((value / SI[i - 1][0]).toPrecision(digits)) + SI[i - 1][1];
          else text += SI[i][1];
          return text;
        }
      }
    }
    if (size >= 1e-3 && size < 1e3) return trim(value.toPrecision(digits));
    return trim(value.toExponential(digits - 1));
  }

  // Tick labels: enough digits that neighbouring ticks differ (0.0001, 0.0002 ...,
  // or 1.0001, 1.0002 ...), at least 2 and at most 12 significant digits.
  function formatTicks(splits, increment) {
    var largest = 0;
    splits.forEach(function (v) { if (v !== null && isFinite(v)) largest = Math.max(largest, Math.abs(v)); });
    var digits = 2;
    if (increment > 0 && largest > 0) {
      digits = Math.floor(Math.log10(largest)) - Math.floor(Math.log10(increment) + 1e-9) + 1;
      // a step of 2.5 needs one more digit than a step of 2
      var lead = increment / Math.pow(10, Math.floor(Math.log10(increment) + 1e-9));
      if (Math.abs(lead - Math.round(lead)) > 1e-6) digits += 1;
    }
    digits = Math.max(2, Math.min(12, digits));
    return splits.map(function (v) {
      if (v === null) return "";
      if (increment > 0 && Math.abs(v) < increment * 1e-9) return "0";
      return formatValue(v, digits);
    });
  }

  // Durations for the "relative time" x axis: 45s, 12m 5s, 3h 20m, 2d 4h.
  function formatDuration(seconds) {
    if (seconds === null || seconds === undefined || seconds !== seconds) return "—";
    var sign = seconds < 0 ? "-" : "";
    var s = Math.abs(seconds);
    if (s < 60) return sign + trim(s.toPrecision(s < 10 ? 2 : 3)) + "s";
    var m = Math.floor(s / 60), h = Math.floor(m / 60), d = Math.floor(h / 24);
    if (d) return sign + d + "d" + (h % 24 ? " " + (h % 24) + "h" : "");
    if (h) return sign + h + "h" + (m % 60 ? " " + (m % 60) + "m" : "");
    return sign + m + "m" + (Math.round(s % 60) ? " " + Math.round(s % 60) + "s" : "");
  }

  var api = { formatValue: formatValue, formatTicks: formatTicks, formatDuration: formatDuration };
  if (typeof module !== "undefined" && module.exports) module.exports = api;
  else root.tsFormat = api;
})(this);
