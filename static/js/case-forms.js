/* Case pages: a form marked data-once is sent once. A second click while the page is
 * loading does nothing (the server would take it once anyway: each form carries a
 * request id), and the button says that the form is on its way.
 */
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-once")) return;
    if (form.getAttribute("data-sent") === "true") {
      event.preventDefault();
      return;
    }
    form.setAttribute("data-sent", "true");
    var buttons = form.querySelectorAll("button[type=submit]");
    // After this tick, so that the browser still sends the form with the button's value.
    window.setTimeout(function () {
      Array.prototype.forEach.call(buttons, function (button) {
        button.disabled = true;
        button.setAttribute("aria-busy", "true");
      });
    }, 0);
  });

  // Coming back with the browser's back button shows the page from its cache: let it send again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    Array.prototype.forEach.call(document.querySelectorAll("form[data-sent]"), function (form) {
      form.removeAttribute("data-sent");
      Array.prototype.forEach.call(form.querySelectorAll("button[type=submit]"), function (button) {
        button.disabled = false;
        button.removeAttribute("aria-busy");
      });
    });
  });
})();
