// The bulletin PDF job's page: poll its state until the PDF is made (or failed) and show the
// progress. The labels of the states come from the page (json_script "job-labels").
(function () {
  "use strict";
  var box = document.getElementById("bulletin-job");
  if (!box) return;
  var labels = JSON.parse(document.getElementById("job-labels").textContent);
  var status = box.dataset.status;
  function poll() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (j) {
        document.getElementById("job-progress").value = j.progress;
        document.getElementById("job-status").textContent = labels[j.status] + " " + j.progress + "%";
        if (j.status === "done") { document.getElementById("job-download").hidden = false; return; }
        if (j.status === "failed") {
          var e = document.getElementById("job-error");
          e.hidden = false;
          e.textContent += " " + (j.error || "");
          return;
        }
        setTimeout(poll, 1000);
      }).catch(function () { setTimeout(poll, 3000); });
  }
  if (status && status !== "done" && status !== "failed") poll();
})();
