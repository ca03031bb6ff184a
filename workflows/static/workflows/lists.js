// The task lists' small behaviours, kept out of inline scripts (the Content-Security-Policy
// forbids them). Listeners sit on the document, so pages swapped in by Turbo need no set-up.
//
// <input type="checkbox" data-pick-all="FORM-ID">: ticks or unticks every row checkbox of that
// form on the page (the rows' <input name="id" form="FORM-ID">), for a batch action.
// <button data-folds="ID">: on a phone the list's filters are folded (CSS); this unfolds and
// folds them again, saying so to screen readers through aria-expanded.
(function () {
  "use strict";

  function rows(formId) {
    return document.querySelectorAll('input[type=checkbox][name=id][form="' + formId + '"]');
  }

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!(box instanceof HTMLInputElement) || box.type !== "checkbox") return;
    var formId = box.getAttribute("data-pick-all");
    if (formId) {
      rows(formId).forEach(function (row) { row.checked = box.checked; });
      return;
    }
    // A row ticked or unticked by hand: the "every row" box follows.
    var form = box.getAttribute("form");
    if (box.name !== "id" || !form) return;
    var all = document.querySelector('input[data-pick-all="' + form + '"]');
    if (!all) return;
    var list = Array.prototype.slice.call(rows(form));
    var ticked = list.filter(function (row) { return row.checked; }).length;
    all.checked = ticked > 0 && ticked === list.length;
    all.indeterminate = ticked > 0 && ticked < list.length;
  });

  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("[data-folds]") : null;
    if (!button) return;
    var target = document.getElementById(button.getAttribute("data-folds"));
    if (!target) return;
    var open = target.classList.toggle("sv-filters--open");
    button.setAttribute("aria-expanded", open ? "true" : "false");
  });
})();
