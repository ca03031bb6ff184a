// The break-down form's rows (分解: one row per unit below), kept out of inline scripts (the
// Content-Security-Policy forbids them). Listeners sit on the document, so a page swapped in by
// Turbo needs no set-up.
//
// <form data-parts="PREFIX">: a Django formset. "Add another unit" ([data-add-part]) copies the
// row in its <template data-part-template> and "Remove" ([data-remove-part]) takes a row out;
// the rows are numbered again so that the server reads them in order. Without this script both
// buttons are ordinary submit buttons: the server adds or removes the row and shows the form again.
(function () {
  "use strict";

  function field(form, prefix, name) {
    return form.querySelector('input[name="' + prefix + "-" + name + '"]');
  }

  function renumber(form, prefix) {
    var rows = form.querySelectorAll("[data-parts-list] > [data-part]");
    var pattern = new RegExp("^(id_)?" + prefix + "-(\\d+|__prefix__)-");
    rows.forEach(function (row, n) {
      row.querySelectorAll("[name], [id], label[for]").forEach(function (el) {
        ["name", "id", "for"].forEach(function (attr) {
          var value = el.getAttribute(attr);
          if (value && pattern.test(value)) {
            el.setAttribute(attr, value.replace(pattern, "$1" + prefix + "-" + n + "-"));
          }
        });
      });
      var number = row.querySelector("[data-part-number]");
      if (number) number.textContent = String(n + 1);
      var remove = row.querySelector("[data-remove-part]");
      if (remove) {
        remove.value = String(n);
        // The last row stays: a break-down has at least one part.
        remove.hidden = rows.length < 2;
      }
    });
    field(form, prefix, "TOTAL_FORMS").value = String(rows.length);
    var max = Number(field(form, prefix, "MAX_NUM_FORMS").value);
    var add = form.querySelector("[data-add-part]");
    if (add) add.disabled = rows.length >= max;
  }

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    var button = target ? target.closest("[data-add-part], [data-remove-part]") : null;
    if (!button) return;
    var form = button.closest("form[data-parts]");
    if (!form) return;
    event.preventDefault();
    var prefix = form.getAttribute("data-parts");
    var list = form.querySelector("[data-parts-list]");
    if (button.hasAttribute("data-add-part")) {
      var template = form.querySelector("template[data-part-template]");
      var total = list.querySelectorAll(":scope > [data-part]").length;
      var html = template.innerHTML.replace(/__prefix__/g, String(total));
      list.insertAdjacentHTML("beforeend", html);
      renumber(form, prefix);
      var added = list.lastElementChild.querySelector("select, textarea, input");
      if (added) added.focus();
    } else {
      var row = button.closest("[data-part]");
      if (row) row.remove();
      renumber(form, prefix);
    }
  });

  // Opening a hand-down form from the actions beside the page ("#break-down", "#forward").
  document.addEventListener("click", function (event) {
    var link = event.target instanceof Element ? event.target.closest("a[data-opens]") : null;
    if (!link) return;
    var details = document.getElementById(link.getAttribute("data-opens"));
    if (details instanceof HTMLDetailsElement) details.open = true;
  });
})();
