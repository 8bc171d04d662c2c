/* Billcraft: small niceties on top of pages that work without JavaScript. */
(function () {
  "use strict";

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
