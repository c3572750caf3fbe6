// Leadterra Ops: live partials and the wall.
// - A 304 answer to a polling partial means "unchanged": keep the element as it is.
// - "updated 12 s ago" labels tick every second between refreshes and turn stale on their own.
// - The wall keeps its last good screen when a refresh fails, says "Reconnecting…",
//   and recovers by itself: HTMX keeps polling after errors, and the next good answer swaps in.
(function () {
  "use strict";

  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr && event.detail.xhr.status === 304) {
      event.detail.shouldSwap = false;
      event.detail.isError = false;
    }
  });

  // ETags leave the poll time out (it moves on every poll while the numbers stay), so an
  // unchanged answer (a 304, or the browser's cached copy after one) carries it in a header
  // and the "updated … ago" label of the refreshed element starts again from it.
  document.addEventListener("htmx:afterRequest", function (event) {
    var xhr = event.detail && event.detail.xhr;
    var elt = event.detail && event.detail.elt;
    var polled = xhr && xhr.getResponseHeader("X-Live-Updated");
    var root = polled && elt && elt.id && document.getElementById(elt.id);
    if (!root) return;
    root.querySelectorAll("[data-live-age][data-updated]").forEach(function (el) {
      el.setAttribute("data-updated", polled);
    });
  });

  // Every htmx request says what this page's outage banner shows, so the server sends the
  // banner along (out of band) only when Leadterra went away or came back.
  document.addEventListener("htmx:configRequest", function (event) {
    var slot = document.getElementById("outage-banner");
    if (slot) event.detail.headers["X-Outage-Shown"] = slot.getAttribute("data-since") || "";
  });

  // A hidden tab does not poll. (An hx-trigger filter would say this in the template, but
  // htmx evaluates filters with Function(), which the Content-Security-Policy forbids.)
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    if (document.visibilityState !== "visible" && elt && elt.matches && elt.matches("[data-poll-when-visible]")) {
      event.preventDefault();
    }
  });

  function ageText(seconds) {
    if (seconds < 60) return seconds + " s";
    if (seconds < 3600) return Math.floor(seconds / 60) + " min";
    return Math.floor(seconds / 3600) + " h";
  }

  function tickAges() {
    var now = Date.now();
    document.querySelectorAll("[data-live-age][data-updated]").forEach(function (el) {
      var at = Date.parse(el.getAttribute("data-updated"));
      if (isNaN(at)) return;
      var seconds = Math.max(0, Math.round((now - at) / 1000));
      var label = el.getAttribute("data-label") || "updated";
      el.textContent = label + " " + ageText(seconds) + " ago" + (el.getAttribute("data-suffix") || "");
      var staleAfter = parseInt(el.getAttribute("data-stale-after") || "0", 10);
      if (staleAfter && seconds > staleAfter) el.classList.add("is-stale");
    });
    document.querySelectorAll("[data-wall-clock]").forEach(function (el) {
      var d = new Date();
      el.textContent = String(d.getHours()).padStart(2, "0") + ":" + String(d.getMinutes()).padStart(2, "0");
    });
  }
  setInterval(tickAges, 1000);

  // --- The wall's connection state ---
  function setConnection(state, text) {
    var body = document.body;
    if (!body || !body.hasAttribute("data-wall")) return;
    body.setAttribute("data-conn", state);
    var label = document.querySelector("[data-wall-conn-text]");
    if (label) label.textContent = text;
  }

  function fromWall(event) {
    var elt = event.detail && event.detail.elt;
    return elt && elt.closest && elt.closest("[data-wall-screen]");
  }

  function onFailure(event) {
    if (!fromWall(event)) return;
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (status === 404 || status === 403) {
      setConnection("revoked", "This screen's link was revoked");
    } else {
      setConnection("offline", "Reconnecting…");
    }
  }

  ["htmx:sendError", "htmx:responseError", "htmx:timeout"].forEach(function (name) {
    document.addEventListener(name, onFailure);
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    if (fromWall(event) && event.detail.successful) setConnection("live", "Live");
  });
  // Bars carry their width as data-width: the Content-Security-Policy forbids inline style
  // attributes, not styles set from our own script. Runs for the page and every swap.
  function applyWidths(root) {
    if (!root || !root.querySelectorAll) return;
    if (root.matches("[data-width]")) root.style.width = root.getAttribute("data-width");
    root.querySelectorAll("[data-width]").forEach(function (el) { el.style.width = el.getAttribute("data-width"); });
  }
  document.addEventListener("htmx:load", function (event) { applyWidths(event.detail && event.detail.elt); });
  document.addEventListener("DOMContentLoaded", function () { applyWidths(document.body); });

  // The swapped-in screen is proof enough, whichever element the request event reached.
  document.addEventListener("htmx:load", function (event) {
    var elt = event.detail && event.detail.elt;
    if (elt && elt.matches && elt.matches("[data-wall-screen]")) setConnection("live", "Live");
  });
})();
