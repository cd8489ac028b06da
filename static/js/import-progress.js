/* An import job's page in the admin: the progress bar follows the job, and the page reloads
 * when it has finished (to show the result or every problem found). */
(function () {
  "use strict";

  var box = document.getElementById("import-progress");
  if (!box || box.dataset.finished === "1") return;
  var bar = document.getElementById("import-bar");
  var percent = document.getElementById("import-percent");

  function poll() {
    fetch(box.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json();
      })
      .then(function (state) {
        bar.value = state.percent;
        percent.textContent = state.percent + "%";
        if (state.status === "succeeded" || state.status === "failed") window.location.reload();
        else setTimeout(poll, 1000);
      })
      .catch(function () {
        setTimeout(poll, 3000);
      });
  }
  poll();
})();
