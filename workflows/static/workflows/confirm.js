// Behaviour that used to sit in inline attributes, which the Content-Security-Policy forbids
// (script-src 'self', no 'unsafe-inline').
//
// <form data-confirm="question">: asks before submitting a step that cannot be undone. Listening
// in the capture phase runs before Turbo's own submit handling, which then sees the cancelled event.
// <a data-back>: goes back one page, like the browser's button.
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
