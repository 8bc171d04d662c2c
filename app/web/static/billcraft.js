/* Billcraft: small niceties on top of pages that work without JavaScript. */
(function () {
  "use strict";
  // Once per page, even if a page names this script twice.
  if (document.documentElement.hasAttribute("data-billcraft")) return;
  document.documentElement.setAttribute("data-billcraft", "");

  // The header menus (<details>, so they work without this script too): one open at a
  // time; Escape closes the open one and puts focus back on its button; moving focus out of
  // a menu, or clicking elsewhere, closes it.
  var menus = Array.prototype.slice.call(document.querySelectorAll("details.menu"));
  var close = function (menu, refocus) {
    if (!menu.open) return;
    menu.open = false;
    if (refocus) menu.querySelector("summary").focus();
  };
  menus.forEach(function (menu) {
    menu.addEventListener("toggle", function () {
      if (menu.open) menus.forEach(function (other) { if (other !== menu) close(other, false); });
    });
    menu.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && menu.open) {
        event.preventDefault();
        event.stopPropagation();
        close(menu, true);
      }
    });
    menu.addEventListener("focusout", function (event) {
      var next = event.relatedTarget;
      if (next && !menu.contains(next)) close(menu, false);
    });
  });
  if (menus.length) {
    document.addEventListener("click", function (event) {
      menus.forEach(function (menu) { if (!menu.contains(event.target)) close(menu, false); });
    });
  }

  // The invoice editor: the server prices the lines as you type.
  var form = document.getElementById("invoice-form");
  if (form && window.fetch && window.FormData) {
    document.documentElement.classList.add("js");
    var timer = null;
    var pending = null;
    var refresh = function () {
      if (pending) pending.abort();
      pending = new AbortController();
      var body = new FormData(form);
      body.delete("command");
      fetch(form.dataset.totalsUrl, { method: "POST", body: body, credentials: "same-origin", signal: pending.signal })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (html === null) return;
          var box = document.getElementById("totals");
          box.innerHTML = html;
          var amounts = box.querySelectorAll("[data-line-amounts] li");
          amounts.forEach(function (li) {
            var cell = form.querySelector('[data-line-amount="' + li.dataset.row + '"]');
            if (cell) cell.textContent = li.textContent;
          });
        })
        .catch(function () { /* the Update totals button still works */ });
    };
    form.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, 250);
    });
  }

  // Destructive buttons ask first.
  document.querySelectorAll("form[data-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (event) {
      if (!window.confirm(f.dataset.confirm)) event.preventDefault();
    });
  });

  // A token shown once: focus selects it for copying.
  document.querySelectorAll("[data-select-on-focus]").forEach(function (input) {
    input.addEventListener("focus", function () { input.select(); });
  });
})();
