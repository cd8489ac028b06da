// A background job's page (.job-progress): asks its status URL every second and shows the
// progress, then the download link or the error. Text only: nothing from the server is HTML.
(function () {
  "use strict";
  var box = document.querySelector(".job-progress");
  if (!box || box.dataset.poll !== "1") return;
  var labels = JSON.parse(document.getElementById("job-labels").textContent);
  var status = box.querySelector(".job-status");
  var bar = box.querySelector(".job-bar");
  function poll() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (job) {
        bar.value = job.progress;
        status.textContent = (labels[job.status] || job.status) + " " + job.progress + "%";
        if (job.status === "done") { box.querySelector(".job-download").hidden = false; return; }
        if (job.status === "failed") {
          var error = box.querySelector(".job-error");
          error.hidden = false;
          error.textContent += " " + (job.error || "");
          return;
        }
        setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  poll();
})();
