/* The statement upload: while the file is sent and its lines matched, show that the import is under
   way and keep the button from being pressed twice (a second import of the same file would change
   nothing, but the person would wait twice). */
(function () {
  "use strict";
  var form = document.getElementById("statement-form");
  if (!form) { return; }
  form.addEventListener("submit", function () {
    var button = form.querySelector("button[type=submit]");
    var status = document.getElementById("statement-status");
    button.disabled = true;
    button.textContent = button.dataset.busyText;
    document.getElementById("statement-progress").hidden = false;
    status.textContent = status.dataset.working;
  });
}());
