// The admin's GeoJSON import job: show its progress and reload the page when it is done.
(function () {
  "use strict";
  var box = document.getElementById("import-progress");
  if (!box || box.dataset.finished === "1") return;
  function poll() {
    fetch(box.dataset.url, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (state) {
        document.getElementById("import-bar").value = state.percent;
        document.getElementById("import-percent").textContent = state.percent + "%";
        if (state.status === "succeeded" || state.status === "failed") { window.location.reload(); }
        else { setTimeout(poll, 1000); }
      }).catch(function () { setTimeout(poll, 3000); });
  }
  poll();
})();
