// Buttons marked data-print print the page (no inline onclick: the Content-Security-Policy
// runs no inline script).
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
