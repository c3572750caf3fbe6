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

  window.LeadterraOps = { showToast: showToast };
})();
