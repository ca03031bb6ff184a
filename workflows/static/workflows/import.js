// The problem-list import's pages. The forms post as usual (the page stays until the answer
// comes); meanwhile this shows that something is happening:
// - the upload form: "Uploading the file…" while the file is on its way;
// - the preview's confirm form: the import's own progress, polled from its status address
//   (data-import-progress), which the server updates every hundred rows. Nothing is estimated
//   here: no figures, no bar until the server gives them.
// The preview's tabs and page buttons submit the same form elsewhere (formaction): they only
// turn the page, so they show nothing. A second press of the import button is ignored.
(function () {
  "use strict";

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_m, key) {
      return values[key] === undefined || values[key] === null ? "" : String(values[key]);
    });
  }

  function poll(form, box, bar, text) {
    var url = form.dataset.importProgress;
    var timer = null;
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
      if (label) text.textContent = fill(label, status);
    }
    function ask() {
      if (!document.body.contains(form)) return; // the answer has replaced the page
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (status) { if (status) show(status); })
        .catch(function () {})
        .finally(function () { timer = window.setTimeout(ask, 700); });
    }
    timer = window.setTimeout(ask, 500);
    document.addEventListener("turbo:before-render", function stop() {
      window.clearTimeout(timer);
      document.removeEventListener("turbo:before-render", stop);
    });
  }

  function watch(form) {
    var box = form.querySelector(".sv-import-progress");
    if (!box || form.dataset.watching) return;
    form.dataset.watching = "1";
    form.addEventListener("submit", function (event) {
      var by = event.submitter;
      if (by && by.hasAttribute("formaction")) return; // a tab or a page: nothing is imported
      if (form.dataset.sent) {
        event.preventDefault(); // already on its way
        return;
      }
      form.dataset.sent = "1";
      var bar = box.querySelector("progress");
      var text = box.querySelector(".sv-import-progress__text");
      box.hidden = false;
      bar.removeAttribute("value");
      text.textContent = box.dataset.sending;
      if (form.dataset.importProgress) poll(form, box, bar, text);
    });
  }

  function onPage() {
    document.querySelectorAll("form").forEach(function (form) {
      if (form.querySelector(".sv-import-progress")) watch(form);
    });
  }
  document.addEventListener("DOMContentLoaded", onPage);
  document.addEventListener("turbo:load", onPage);
})();
