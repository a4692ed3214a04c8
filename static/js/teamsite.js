// Small behaviours for teamsite pages. Everything here is an enhancement:
// each page works without JavaScript. No inline script anywhere (CSP).
(function () {
  "use strict";

  // Lets CSS hide the no-JavaScript fallbacks (such as "Save" beside a select that saves on change).
  document.documentElement.classList.add("js");

  // Marks the page once htmx has wired it up (browser tests wait for this before acting).
  document.addEventListener("htmx:load", function (event) {
    if (event.target === document.body) document.documentElement.setAttribute("data-htmx-ready", "");
  });

  // Filter a list as you type: <input data-filter-list="#list"> over <li data-filter-text="...">.
  document.addEventListener("input", function (event) {
    var input = event.target.closest("[data-filter-list]");
    if (!input) return;
    var needle = input.value.trim().toLowerCase();
    document.querySelectorAll(input.getAttribute("data-filter-list") + " [data-filter-text]").forEach(function (item) {
      item.hidden = needle !== "" && item.getAttribute("data-filter-text").toLowerCase().indexOf(needle) === -1;
    });
  });

  // Copy buttons: <button data-copy="#input-id">
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source) return;
    var text = source.value !== undefined ? source.value : source.textContent;
    var done = function () {
      var label = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = label; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done);
    } else {
      source.select && source.select();
      document.execCommand && document.execCommand("copy");
      done();
    }
  });

  // Plain (non-htmx) forms that ask before they act: <form data-confirm="...">.
  // htmx forms use hx-confirm, which htmx handles itself.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("form[data-confirm]") || form.hasAttribute("hx-post")) return;
    if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
  });

  // An in-place action that failed (403, 404, 500...) says so instead of doing nothing.
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr.status;
    var text = status === 403 ? "You are not allowed to do that." :
      status === 404 ? "That no longer exists; reload the page." :
      "That did not work (error " + status + "). Reload the page and try again.";
    var main = document.getElementById("main");
    var box = main.querySelector(".messages");
    if (!box) {
      box = document.createElement("div");
      box.className = "messages";
      box.setAttribute("role", "status");
      box.setAttribute("aria-live", "polite");
      main.insertBefore(box, main.firstChild);
    }
    var alert = document.createElement("div");
    alert.className = "alert alert-error";
    alert.textContent = text;
    box.appendChild(alert);
  });

  // Close an open <details class="menu"> when clicking elsewhere or pressing Escape.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      menu.removeAttribute("open");
      menu.querySelector("summary").focus();
    });
  });
})();
