// Run media panels (templates/experiments/_run_media.html): a step slider for image
// panels and sortable tables. Without JavaScript every image and row is shown.
(function () {
  "use strict";

  function setupSlider(box) {
    var input = box.querySelector("[data-step-input]");
    var label = box.querySelector("[data-step-label]");
    var figures = box.querySelectorAll("figure[data-step]");
    if (!input || figures.length < 2) return;
    function show() {
      var index = parseInt(input.value, 10) || 0;
      figures.forEach(function (figure, n) { figure.hidden = n !== index; });
      if (label) label.textContent = figures[index].getAttribute("data-step");
    }
    input.addEventListener("input", show);
    show();
  }

  function cellValue(row, column) {
    var text = row.children[column] ? row.children[column].textContent.trim() : "";
    var number = Number(text);
    return text !== "" && !isNaN(number) ? number : text;
  }

  function setupSortable(table) {
    table.addEventListener("click", function (event) {
      var button = event.target.closest("[data-sort-column]");
      if (!button) return;
      var column = parseInt(button.getAttribute("data-sort-column"), 10);
      var th = button.closest("th");
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      table.querySelectorAll("th").forEach(function (other) { other.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = cellValue(a, column), y = cellValue(b, column);
        var order = (typeof x === "number" && typeof y === "number") ? x - y : String(x).localeCompare(String(y));
        return ascending ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  }

  function init() {
    document.querySelectorAll("[data-media-slider]").forEach(setupSlider);
    document.querySelectorAll("table[data-sortable]").forEach(setupSortable);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
