/* The queue (/cases/): the selection and its batch action, the count of new reports since the
 * page was read (no reload until asked), and keyboard shortcuts (j/k, Enter, x, a, r, ?).
 *
 * Everything here works on the page's own elements; what comes from the API (the arrivals'
 * sentence) is set as text. The page works without it: the batch form posts, links link.
 */
(function () {
  "use strict";

  var config = JSON.parse((document.getElementById("queue-config") || { textContent: "{}" }).textContent);

  // ---- the selection and the batch form -------------------------------------------------

  var form = document.getElementById("batch-form");
  var boxes = Array.prototype.slice.call(document.querySelectorAll('input[type=checkbox][name=case]'));
  var all = document.getElementById("select-all");
  var count = document.getElementById("batch-count");

  function selected() {
    return boxes.filter(function (box) { return box.checked; }).length;
  }

  function refreshSelection() {
    var n = selected();
    if (count) count.textContent = String(n);
    if (all) {
      all.checked = n > 0 && n === boxes.length;
      all.indeterminate = n > 0 && n < boxes.length;
    }
    boxes.forEach(function (box) {
      var row = box.closest("tr");
      if (row) row.classList.toggle("is-selected", box.checked);
    });
    if (form) form.classList.toggle("has-selection", n > 0);
  }

  // Each input shows with the actions that take it (data-actions on the input).
  function refreshAction() {
    if (!form) return;
    var action = form.querySelector("select[name=action]").value;
    form.querySelectorAll("[data-actions]").forEach(function (input) {
      var wrapper = input.closest(".batch-field") || input;
      var takes = input.getAttribute("data-actions").split(" ").indexOf(action) >= 0;
      wrapper.hidden = !takes;
    });
  }

  boxes.forEach(function (box) { box.addEventListener("change", refreshSelection); });
  if (all) {
    all.addEventListener("change", function () {
      boxes.forEach(function (box) { box.checked = all.checked; });
      refreshSelection();
    });
  }
  if (form) {
    form.querySelector("select[name=action]").addEventListener("change", refreshAction);
    form.addEventListener("submit", function (event) {
      if (!selected()) {
        event.preventDefault();
        if (boxes.length) boxes[0].focus();
      }
    });
    refreshAction();
    refreshSelection();
  }

  // ---- new arrivals ------------------------------------------------------------------------

  var banner = document.getElementById("arrivals");
  var bannerLink = document.getElementById("arrivals-link");

  function arrivalsUrl() {
    var query = new URLSearchParams();
    Object.keys(config.params || {}).forEach(function (key) { query.set(key, config.params[key]); });
    query.set("since", config.since);
    return config.arrivalsUrl + "?" + query.toString();
  }

  function poll() {
    if (document.hidden) return;
    MapBaseLite.api(arrivalsUrl())
      .then(function (answer) {
        if (!banner) return;
        banner.hidden = !answer.count;
        bannerLink.textContent = answer.label || "";
      })
      .catch(function () { /* try again at the next turn */ });
  }

  // A GET of this server's JSON API in the page's language (map-base.js is not on this page).
  var MapBaseLite = {
    api: function (url) {
      var headers = { Accept: "application/json", "Accept-Language": document.documentElement.lang || "zh-Hans" };
      return fetch(url, { credentials: "same-origin", headers: headers }).then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      });
    },
  };

  if (config.arrivalsUrl && banner) {
    window.setInterval(poll, (config.refreshSeconds || 30) * 1000);
    document.addEventListener("visibilitychange", poll);
  }

  // ---- keyboard shortcuts -------------------------------------------------------------------

  var rows = Array.prototype.slice.call(document.querySelectorAll("#queue-table tbody tr[data-href]"));
  var current = -1;
  var overlay = document.getElementById("shortcuts");
  var opener = document.getElementById("shortcuts-open");

  function focusRow(index) {
    if (!rows.length) return;
    current = Math.max(0, Math.min(rows.length - 1, index));
    rows.forEach(function (row, i) { row.classList.toggle("is-current", i === current); });
    var link = rows[current].querySelector("a.tracking");
    if (link) link.focus();
  }

  function showHelp(show) {
    if (!overlay) return;
    overlay.hidden = !show;
    if (show) document.getElementById("shortcuts-close").focus();
    else if (opener) opener.focus();
  }

  if (opener) opener.addEventListener("click", function () { showHelp(true); });
  var closer = document.getElementById("shortcuts-close");
  if (closer) closer.addEventListener("click", function () { showHelp(false); });
  if (overlay) {
    overlay.addEventListener("click", function (event) { if (event.target === overlay) showHelp(false); });
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    var typing = target && (target.isContentEditable || /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName)) &&
      !(target.type === "checkbox");
    if (event.key === "Escape") {
      if (overlay && !overlay.hidden) showHelp(false);
      return;
    }
    if (typing) return;
    // Rows are found by the element in focus too: a click on a row's link or box moves "current".
    var row = target && target.closest ? target.closest("#queue-table tbody tr[data-href]") : null;
    if (row) current = rows.indexOf(row);
    switch (event.key) {
      case "?":
        showHelp(overlay ? overlay.hidden : false);
        break;
      case "j":
        focusRow(current + 1);
        break;
      case "k":
        focusRow(current < 0 ? 0 : current - 1);
        break;
      case "Enter":
        if (current >= 0 && target.tagName !== "A" && target.tagName !== "BUTTON") {
          window.location.href = rows[current].getAttribute("data-href");
        } else return;
        break;
      case "x":
        if (current >= 0) {
          var box = rows[current].querySelector("input[name=case]");
          if (box) {
            box.checked = !box.checked;
            refreshSelection();
          }
        }
        break;
      case "a":
        if (form) form.querySelector("select[name=action]").focus();
        break;
      case "r":
        window.location.reload();
        break;
      default:
        return;
    }
    event.preventDefault();
  });
})();
