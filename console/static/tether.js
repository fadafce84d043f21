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
