// A bulk award's page while its lines are awarded: every two seconds the counts and the
// progress are read again from the page itself and swapped in (the status line is a live
// region, so a screen reader hears the progress); it stops when the work is done.
(function () {
  "use strict";
  var box = document.getElementById("bulk-progress");
  if (!box || box.getAttribute("data-running") !== "true" || !window.fetch) {
    return;
  }
  function swap(fresh, selector) {
    var now = document.querySelector(selector);
    var next = fresh.querySelector(selector);
    if (now && next) {
      now.innerHTML = next.innerHTML;
    }
    return next;
  }
  function poll() {
    fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (answer) { return answer.ok ? answer.text() : null; })
      .then(function (html) {
        if (html === null) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html");
        swap(fresh, "dl.facts");
        var next = swap(fresh, "#bulk-progress");
        if (next) {
          box.setAttribute("data-running", next.getAttribute("data-running") || "false");
        }
        if (next && next.getAttribute("data-running") === "true") {
          window.setTimeout(poll, 2000);
        }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 2000);
}());
