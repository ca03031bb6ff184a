// Progress of a problem-list import. The form posts as usual (the page stays until the answer
// comes); meanwhile this polls the import's status, which the server updates every hundred
// rows, and shows what it says. Nothing is estimated here: no figures, no bar.
(function () {
  "use strict";

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_m, key) {
      return values[key] === undefined || values[key] === null ? "" : String(values[key]);
    });
  }

  function watch(form) {
    var box = form.querySelector(".sv-import-progress");
    if (!box || form.dataset.watching) return;
    form.dataset.watching = "1";
    form.addEventListener("submit", function () {
      var bar = box.querySelector("progress");
      var text = box.querySelector(".sv-import-progress__text");
      var url = form.dataset.importProgress;
      var timer = null;
      box.hidden = false;
      bar.removeAttribute("value");
      text.textContent = box.dataset.sending;
      function show(status) {
        var known = status.total !== null && status.total !== undefined && status.total > 0;
        if (known) {
          bar.value = Math.min(100, Math.round((100 * status.done) / status.total));
        } else {
          bar.removeAttribute("value");
        }
        var label = box.dataset.sending;
        if (status.phase === "reading") label = known ? box.dataset.readingOf : box.dataset.reading;
        if (status.phase === "saving") label = box.dataset.saving;
        if (status.phase === "done" || status.phase === "failed") label = box.dataset.done;
        text.textContent = fill(label, status);
      }
      function poll() {
        if (!document.body.contains(form)) return; // the answer has replaced the page
        fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (status) { if (status) show(status); })
          .catch(function () {})
          .finally(function () { timer = window.setTimeout(poll, 700); });
      }
      timer = window.setTimeout(poll, 500);
      document.addEventListener("turbo:before-render", function stop() {
        window.clearTimeout(timer);
        document.removeEventListener("turbo:before-render", stop);
      });
    });
  }

  function onPage() {
    document.querySelectorAll("form[data-import-progress]").forEach(watch);
  }
  document.addEventListener("DOMContentLoaded", onPage);
  document.addEventListener("turbo:load", onPage);
})();
