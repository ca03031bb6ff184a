// A background job's page: while the job waits or runs, poll its status (a small JSON answer)
// and move the bar; the server writes the text under it, in the person's language. Once the job
// has finished, load the page again: it then offers the file, or shows the result or the error.
// The page says where to poll (data-job-status); without this script it still works, reloaded
// by hand.
(function () {
  "use strict";

  var EVERY = 1000; // ms between polls
  var SLOWER = 5000; // after an error answer

  function watch(box) {
    if (box.dataset.watching) return;
    box.dataset.watching = "1";
    var url = box.dataset.jobStatus;
    var bar = box.querySelector("[data-job-bar]");
    var text = box.querySelector("[data-job-text]");
    var state = box.querySelector("[data-job-state]");
    var timer = null;

    function show(status) {
      if (bar) bar.value = Math.max(0, Math.min(100, status.percent || 0));
      if (text && typeof status.text === "string") text.textContent = status.text;
      if (state && status.state_label) state.textContent = status.state_label;
    }

    function poll() {
      if (!document.body.contains(box)) return; // another page is shown now
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (status) {
          if (!status) { timer = window.setTimeout(poll, SLOWER); return; }
          show(status);
          if (status.finished) {
            window.location.reload();
            return;
          }
          timer = window.setTimeout(poll, EVERY);
        })
        .catch(function () { timer = window.setTimeout(poll, SLOWER); });
    }

    timer = window.setTimeout(poll, EVERY);
    document.addEventListener("turbo:before-render", function stop() {
      window.clearTimeout(timer);
      document.removeEventListener("turbo:before-render", stop);
    });
  }

  function onPage() {
    document.querySelectorAll("[data-job-status]").forEach(watch);
  }
  document.addEventListener("DOMContentLoaded", onPage);
  document.addEventListener("turbo:load", onPage);
})();
