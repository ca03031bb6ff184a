// Small form behaviour, kept out of inline attributes and scripts, which the
// Content-Security-Policy forbids (script-src 'self', no 'unsafe-inline').
//
// <form data-confirm="question">: asks before submitting a step that cannot be undone. Listening
// in the capture phase runs before Turbo's own submit handling, which then sees the cancelled event.
// <a data-back>: goes back one page, like the browser's button.

// <input type="file" data-max-files data-max-bytes data-max-total data-too-much>: the upload
// limits the server enforces (app/_files_input.html). A choice over them is marked invalid at once,
// so the browser's own validation stops the form: sent anyway, the body would pass the route's
// limit and be answered 413, and the text typed into the form would be lost.
const filesTooMuch = (input) => {
  const files = Array.from(input.files || []);
  const each = Number(input.dataset.maxBytes);
  let total = 0;
  for (const file of files) {
    if (file.size > each) return true;
    total += file.size;
  }
  return files.length > Number(input.dataset.maxFiles) || total > Number(input.dataset.maxTotal);
};
const checkFiles = (input) => {
  input.setCustomValidity(filesTooMuch(input) ? input.dataset.tooMuch : "");
  return input.checkValidity();
};
document.addEventListener("change", (event) => {
  const input = event.target;
  if (input instanceof HTMLInputElement && input.type === "file" && input.dataset.maxTotal && !checkFiles(input)) {
    input.reportValidity();
  }
});
// Also at sending time (capture phase, ahead of Turbo and of the question below): a form sent
// with novalidate, or by a script, is still not sent over the limits.
document.addEventListener(
  "submit",
  (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    for (const input of form.querySelectorAll("input[type=file][data-max-total]")) {
      if (!checkFiles(input)) {
        event.preventDefault();
        event.stopImmediatePropagation();
        input.reportValidity();
        return;
      }
    }
  },
  true,
);
document.addEventListener(
  "submit",
  (event) => {
    const form = event.target;
    const question = form instanceof HTMLFormElement ? form.dataset.confirm : undefined;
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  },
  true,
);
document.addEventListener("click", (event) => {
  const link = event.target instanceof Element ? event.target.closest("a[data-back]") : null;
  if (link && window.history.length > 1) {
    event.preventDefault();
    window.history.back();
  }
});
