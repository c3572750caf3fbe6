// The SDR desk (and the wall's waiting panel): wait timers tick every second and change level on
// their own (words as well as colour), and a queue refresh never replaces a form someone has open.
(function () {
  "use strict";
  var WORDS = { ok: "On time", late: "Due soon", over: "Overdue" };

  function waitText(s) {
    if (s < 60) return s + " s";
    if (s < 3600) return Math.floor(s / 60) + " min " + String(s % 60).padStart(2, "0") + " s";
    return Math.floor(s / 3600) + " h " + String(Math.floor((s % 3600) / 60)).padStart(2, "0") + " min";
  }

  function level(s, target) {
    if (s >= target) return "over";
    return s * 2 >= target ? "late" : "ok";
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-desk-since]").forEach(function (el) {
      var since = Date.parse(el.getAttribute("data-desk-since"));
      var target = parseInt(el.getAttribute("data-desk-target") || "0", 10);
      if (isNaN(since) || !target) return;
      var s = Math.max(0, Math.floor((now - since) / 1000));
      var lv = level(s, target);
      var text = el.querySelector("[data-desk-wait-text]");
      var word = el.querySelector("[data-desk-wait-word]");
      if (text) text.textContent = waitText(s);
      if (word) word.textContent = WORDS[lv];
      var base = el.getAttribute("data-desk-level-class") || "desk-wait"; // the wall's panel has its own
      ["ok", "late", "over"].forEach(function (name) {
        el.classList.toggle(base + "--" + name, name === lv);
      });
    });
  }
  setInterval(tick, 1000);
  document.addEventListener("DOMContentLoaded", tick);
  document.addEventListener("htmx:load", tick);

  // Someone filling a form in the queue keeps it: the refresh is skipped, and since the
  // queue's ETag is only replaced by a swap, the next poll after they close it brings the news.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (!target || !target.matches || !target.matches("[data-desk-queue]")) return;
    var busy = target.querySelector("details[open]") || (document.activeElement && target.contains(document.activeElement) && document.activeElement.matches("input, select, textarea"));
    if (busy) event.detail.shouldSwap = false;
  });
})();
