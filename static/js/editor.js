// Sequence editor: merge tags at the cursor, one-click fixes, Ctrl+S, focus after
// re-renders, and a local backup so an unsaved draft survives a closed tab or a lost
// connection. Everything else (validation, preview, reordering) is server-rendered.
(function () {
  "use strict";

  var lastField = null;
  var lastSelection = null;
  var discarding = false;

  function form() { return document.getElementById("editor-form"); }
  function backupKey() { var f = form(); return f && "leadterra-editor:" + f.action; }
  function toast(message, level) { if (window.LeadterraOps) window.LeadterraOps.showToast(message, level); }

  function markDirty() {
    var state = document.getElementById("save-state");
    if (state && state.dataset.dirty !== "1") {
      state.dataset.dirty = "1";
      state.classList.add("save-state--dirty");
      state.textContent = "Unsaved changes";
    }
  }

  function insertAtCursor(field, text) {
    var start = field.selectionStart, end = field.selectionEnd;
    if (field === lastField && lastSelection && document.activeElement !== field) {
      start = lastSelection[0]; end = lastSelection[1];
    }
    if (start == null) { start = end = field.value.length; }
    field.value = field.value.slice(0, start) + text + field.value.slice(end);
    field.focus();
    field.setSelectionRange(start + text.length, start + text.length);
    field.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function saveBackup() {
    var f = form();
    if (!f) return;
    var data = [];
    new FormData(f).forEach(function (value, key) {
      if (key !== "csrfmiddlewaretoken") data.push([key, value]);
    });
    try { localStorage.setItem(backupKey(), JSON.stringify({ at: Date.now(), data: data })); } catch (e) { /* private mode: no backup */ }
  }

  function offerRestore() {
    var f = form(), raw = null;
    try { raw = f && localStorage.getItem(backupKey()); } catch (e) { return; }
    if (!raw) return;
    var backup = JSON.parse(raw);
    var bar = document.createElement("div");
    bar.className = "alert alert--info restore";
    bar.setAttribute("role", "status");
    bar.innerHTML = '<span>You have unsaved changes from <time></time> in this browser.</span> ' +
      '<button type="button" class="btn btn--small" data-restore>Restore them</button> ' +
      '<button type="button" class="btn btn--small btn--link" data-forget>Discard</button>';
    bar.querySelector("time").textContent = new Date(backup.at).toLocaleString();
    f.parentNode.insertBefore(bar, f);
    bar.querySelector("[data-forget]").addEventListener("click", function () { forgetBackup(); bar.remove(); });
    bar.querySelector("[data-restore]").addEventListener("click", function () { restore(backup, bar); });
  }

  function restore(backup, bar) {
    var f = form(), body = new URLSearchParams();
    backup.data.forEach(function (pair) { body.append(pair[0], pair[1]); });
    var token = f.querySelector("[name=csrfmiddlewaretoken]").value;
    var change = f.querySelector("#add-step").getAttribute("hx-post");
    fetch(change, { method: "POST", body: body, headers: { "HX-Request": "true", "X-CSRFToken": token } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (html) {
        htmx.swap("#editor", html, { swapStyle: "outerHTML" });
        bar.remove();
        markDirty();
        toast("Restored. Press Save to keep them.", "info");
      })
      .catch(function () { toast("Could not restore; the backup is kept.", "error"); });
  }

  function forgetBackup() { try { localStorage.removeItem(backupKey()); } catch (e) { /* nothing kept */ } }

  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches("[data-merge-target]")) lastField = event.target;
  });
  document.addEventListener("focusout", function (event) {
    if (event.target === lastField) lastSelection = [lastField.selectionStart, lastField.selectionEnd];
  });

  document.addEventListener("click", function (event) {
    var chip = event.target.closest("[data-token]");
    if (chip) {
      var field = lastField && document.body.contains(lastField) ? lastField : document.querySelector("[data-merge-target]");
      if (!field) { toast("Add a step first, then insert merge tags into it.", "info"); return; }
      insertAtCursor(field, "{{" + chip.dataset.token + "}}");
      return;
    }
    var fix = event.target.closest("[data-fix-target]");
    if (fix) {
      var target = document.getElementById(fix.dataset.fixTarget);
      var at = target ? target.value.indexOf(fix.dataset.fixRaw) : -1;
      if (at < 0) return;
      target.value = target.value.slice(0, at) + fix.dataset.fixWith + target.value.slice(at + fix.dataset.fixRaw.length);
      target.focus();
      target.setSelectionRange(at + fix.dataset.fixWith.length, at + fix.dataset.fixWith.length);
      target.dispatchEvent(new Event("input", { bubbles: true }));
      return;
    }
    if (event.target.closest("[data-discard]")) { discarding = true; forgetBackup(); }
  });

  document.addEventListener("input", function (event) {
    if (event.target.closest && event.target.closest("#editor-form")) { markDirty(); saveBackup(); }
  });

  document.addEventListener("keydown", function (event) {
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "s" && form()) {
      event.preventDefault();
      var button = document.getElementById("save-button");
      if (button) button.click();
    }
  });

  document.addEventListener("editor:focus", function (event) {
    var el = document.getElementById(event.detail.value || event.detail);
    if (el) el.focus();
  });

  // A successful save re-renders the editor as "saved": the backup is no longer needed.
  document.addEventListener("htmx:afterSettle", function () {
    var state = document.getElementById("save-state");
    if (state && state.dataset.dirty === "0") forgetBackup();
  });

  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr.status;
    var message = status === 403 ? "You can't edit this campaign any more (it was launched, archived or is not yours)."
      : "The server could not handle that (" + status + "). Your text is still here; try again.";
    toast(message, "error");
  });
  document.addEventListener("htmx:sendError", function () {
    toast("No connection. Your text is still here and kept in this browser; save again when you're back online.", "error");
  });

  window.addEventListener("beforeunload", function (event) {
    var state = document.getElementById("save-state");
    if (!discarding && state && state.dataset.dirty === "1") { event.preventDefault(); event.returnValue = ""; }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var state = document.getElementById("save-state");
    if (state && state.dataset.dirty === "0") { offerRestoreIfDifferent(); }
  });

  // Only offer a backup that holds something other than what is saved now.
  function offerRestoreIfDifferent() {
    var f = form(), raw = null;
    try { raw = f && localStorage.getItem(backupKey()); } catch (e) { return; }
    if (!raw) return;
    var now = [];
    new FormData(f).forEach(function (value, key) { if (key !== "csrfmiddlewaretoken" && key !== "preview_lead") now.push([key, value]); });
    var saved = JSON.parse(raw).data.filter(function (p) { return p[0] !== "preview_lead"; });
    if (JSON.stringify(saved) === JSON.stringify(now)) { forgetBackup(); return; }
    offerRestore();
  }
})();
