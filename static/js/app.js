// Leadterra Ops: toasts for every action. Server code sends them as an HX-Trigger
// event `toast` ({"toast": {"level": "success", "message": "..."}}) or as Django messages.
(function () {
  "use strict";

  function showToast(message, level) {
    var box = document.getElementById("toasts");
    if (!box || !message) return;
    var el = document.createElement("div");
    el.className = "toast toast--" + (level || "info");
    el.textContent = message;
    box.appendChild(el);
    dismissLater(el);
  }

  function dismissLater(el) {
    setTimeout(function () {
      el.classList.add("is-leaving");
      setTimeout(function () { el.remove(); }, 400);
    }, 5000);
  }

  document.addEventListener("toast", function (event) {
    var detail = event.detail || {};
    showToast(detail.message || detail.value, detail.level);
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("#toasts .toast").forEach(dismissLater);
  });

  // Logging out forgets the editor's unsaved-draft backups (editor.js keys them
  // "leadterra-editor:<form action>"): on a shared machine the next person must not find them.
  var EDITOR_BACKUP_PREFIX = "leadterra-editor:";
  function forgetEditorBackups() {
    try {
      for (var i = localStorage.length - 1; i >= 0; i--) {
        var key = localStorage.key(i);
        if (key && key.indexOf(EDITOR_BACKUP_PREFIX) === 0) localStorage.removeItem(key);
      }
    } catch (e) { /* storage unavailable: nothing was kept */ }
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches) return;
    // data-confirm="question": asked before a plain form posts (no inline onsubmit under the CSP).
    if (form.matches("form[data-confirm]") && !window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
      return;
    }
    if (form.matches("form[data-logout]")) forgetEditorBackups();
  });

  window.LeadterraOps = { showToast: showToast, forgetEditorBackups: forgetEditorBackups };
})();
