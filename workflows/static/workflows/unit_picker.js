// The unit picker (workflows/letters/widgets.py): a <select multiple data-unit-picker> gains a
// search box, one shortcut per peer group ("All counties": choose them all, or drop them all when
// all are chosen), a count and the list of the units chosen, each removable. The select stays
// what the form posts and stays on the page; a click on one of its units chooses or drops that
// unit alone, without Ctrl. Without this script it is the plain select.
(function () {
  "use strict";

  function fill(template, n) {
    return template.replace("%(n)s", String(n));
  }

  function button(text, onClick) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "sv-btn sv-btn--secondary sv-picker__shortcut";
    b.textContent = text;
    b.addEventListener("click", onClick);
    return b;
  }

  function enhance(select) {
    if (select.dataset.pickerReady) return;
    select.dataset.pickerReady = "1";
    var options = Array.prototype.slice.call(select.options);
    var box = document.createElement("div");
    box.className = "sv-picker";
    var search = document.createElement("input");
    search.type = "search";
    search.className = "sv-picker__search";
    search.placeholder = select.dataset.search || "";
    search.setAttribute("aria-label", select.dataset.search || "");
    var bar = document.createElement("div");
    bar.className = "sv-picker__shortcuts";
    var count = document.createElement("div");
    count.className = "sv-picker__count sv-muted";
    count.setAttribute("aria-live", "polite");
    var chosen = document.createElement("ul");
    chosen.className = "sv-picker__chosen";
    // Laid out here rather than in app.css: the picker is this file's alone.
    bar.style.cssText = "display:flex;flex-wrap:wrap;gap:4px;margin:4px 0";
    chosen.style.cssText = "display:flex;flex-wrap:wrap;gap:4px;list-style:none;padding:0;margin:4px 0";
    var groupButtons = [];

    function changed() {
      select.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function show() {
      var picked = options.filter(function (o) { return o.selected; });
      count.textContent = fill(select.dataset.count || "%(n)s", picked.length);
      chosen.textContent = "";
      picked.forEach(function (o) {
        var li = document.createElement("li");
        var drop = document.createElement("button");
        drop.type = "button";
        drop.className = "sv-btn sv-btn--secondary sv-picker__drop";
        drop.textContent = o.textContent + " ×";
        drop.addEventListener("click", function () {
          o.selected = false;
          changed();
        });
        li.appendChild(drop);
        chosen.appendChild(li);
      });
      groupButtons.forEach(function (pair) {
        var members = options.filter(function (o) { return o.dataset.group === pair[0]; });
        var all = members.length > 0 && members.every(function (o) { return o.selected; });
        pair[1].setAttribute("aria-pressed", all ? "true" : "false");
        // A whole group chosen shows as a filled button.
        pair[1].classList.toggle("sv-btn--secondary", !all);
      });
    }

    var groups = [];
    try {
      groups = JSON.parse(select.dataset.groups || "[]");
    } catch (e) {
      groups = [];
    }
    groups.forEach(function (g) {
      var key = g[0];
      var b = button(g[1], function () {
        var members = options.filter(function (o) { return o.dataset.group === key; });
        var all = members.every(function (o) { return o.selected; });
        members.forEach(function (o) { o.selected = !all; });
        changed();
      });
      b.dataset.group = key;
      groupButtons.push([key, b]);
      bar.appendChild(b);
    });
    bar.appendChild(
      button(select.dataset.clear || "×", function () {
        options.forEach(function (o) { o.selected = false; });
        changed();
      })
    );

    search.addEventListener("input", function () {
      var q = search.value.trim().toLowerCase();
      options.forEach(function (o) {
        o.hidden = q !== "" && o.textContent.toLowerCase().indexOf(q) === -1;
      });
    });
    // Enter in the search box must not send the form.
    search.addEventListener("keydown", function (event) {
      if (event.key === "Enter") event.preventDefault();
    });
    // One click chooses or drops one unit: a plain click on a multiple select would drop all others.
    select.addEventListener("mousedown", function (event) {
      var option = event.target;
      if (!(option instanceof HTMLOptionElement) || event.shiftKey) return;
      event.preventDefault();
      option.selected = !option.selected;
      select.focus();
      changed();
    });
    select.addEventListener("change", show);

    box.appendChild(search);
    box.appendChild(bar);
    select.parentNode.insertBefore(box, select);
    select.parentNode.insertBefore(count, select.nextSibling);
    count.parentNode.insertBefore(chosen, count.nextSibling);
    show();
  }

  // Turbo keeps a copy of the page to show on "back": keep the plain select in it, since the
  // copy's buttons would have lost their listeners; the page is enhanced again when shown.
  function reset() {
    document.querySelectorAll(".sv-picker, .sv-picker__count, .sv-picker__chosen").forEach(function (el) {
      el.remove();
    });
    document.querySelectorAll("select[data-unit-picker]").forEach(function (select) {
      delete select.dataset.pickerReady;
      Array.prototype.forEach.call(select.options, function (o) { o.hidden = false; });
    });
  }

  function onPage() {
    document.querySelectorAll("select[data-unit-picker]").forEach(enhance);
  }
  document.addEventListener("turbo:before-cache", reset);
  document.addEventListener("turbo:load", onPage);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", onPage);
  else onPage();
})();
