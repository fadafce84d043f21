// Tether's console script: loaded from 'self' (the CSP allows no inline script).
// Confirmation for actions that cannot be undone is done by htmx's hx-confirm and by
// forms whose data-confirm text is shown before they submit.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var message = form.getAttribute && form.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});

// The menus are <details> disclosures (Pico's dropdowns close on a click elsewhere): Escape closes the
// open one and gives the focus back to its summary, and opening one closes the others.
document.addEventListener("keydown", function (event) {
  if (event.key !== "Escape") return;
  var menu = document.activeElement && document.activeElement.closest && document.activeElement.closest("details.menu[open]");
  if (menu) {
    menu.removeAttribute("open");
    menu.querySelector("summary").focus();
  }
});
document.addEventListener("toggle", function (event) {
  var opened = event.target;
  if (!opened.matches || !opened.matches("details.menu") || !opened.open) return;
  document.querySelectorAll("details.menu[open]").forEach(function (menu) {
    if (menu !== opened) menu.removeAttribute("open");
  });
}, true);
