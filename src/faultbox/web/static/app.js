// Faultbox dashboard behaviour. No inline scripts anywhere (the CSP forbids them);
// everything interactive is htmx attributes plus the small handlers below.
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // Every htmx request carries the session's CSRF token.
  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRF-Token"] = csrfToken();
  });

  // A refused htmx request (a malformed search, a bad event id to diff) answers with a
  // fragment saying why: show it in the target instead of htmx's silent console error.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status === 400 || status === 404 || status === 409 || status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // Copy buttons: <button data-copy="#element-id">.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source) return;
    var text = source.innerText;
    var done = function () {
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = "Copy"; }, 1500);
    };
    if (navigator.clipboard) {
      navigator.clipboard.writeText(text).then(done, function () {});
    }
  });

  // "Select all" checkbox in the issue stream.
  document.addEventListener("change", function (event) {
    var all = event.target.closest("[data-select-all]");
    if (all) {
      document.querySelectorAll('input[name="issue_ids"]').forEach(function (box) {
        box.checked = all.checked;
      });
    }
    var toggle = event.target.closest("[data-toggle-class]");
    if (toggle) {
      var target = document.querySelector(toggle.getAttribute("data-target"));
      if (target) target.classList.toggle(toggle.getAttribute("data-toggle-class"), !toggle.checked);
    }
  });

  // Keyboard: "/" focuses search; j/k move through the stream; Enter opens; x selects.
  var cursor = -1;
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("[data-stream-row]")); }
  function mark(list) {
    list.forEach(function (row, i) { row.classList.toggle("cursor", i === cursor); });
    if (list[cursor]) list[cursor].scrollIntoView({ block: "nearest" });
  }
  document.addEventListener("keydown", function (event) {
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || event.ctrlKey || event.metaKey || event.altKey) {
      if (event.key === "Escape" && event.target.blur) event.target.blur();
      return;
    }
    var list = rows();
    if (event.key === "/") {
      var search = document.querySelector("[data-search-box]");
      if (search) { event.preventDefault(); search.focus(); search.select(); }
    } else if ((event.key === "j" || event.key === "k") && list.length) {
      cursor = Math.max(0, Math.min(list.length - 1, cursor + (event.key === "j" ? 1 : -1)));
      mark(list);
    } else if (event.key === "Enter" && list[cursor]) {
      var link = list[cursor].querySelector("a[data-issue-link]");
      if (link) link.click();
    } else if (event.key === "x" && list[cursor]) {
      var box = list[cursor].querySelector('input[name="issue_ids"]');
      if (box) box.checked = !box.checked;
    }
  });
})();
