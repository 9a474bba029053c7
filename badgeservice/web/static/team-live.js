/* The supervisor's team page, live: asks for the members changed since the page's cursor
   about once a second (an unchanged answer is a 304 thanks to the ETag), puts each changed
   row in place and says so in a polite live region. Without JavaScript the page keeps its
   refresh link; on any trouble this stops quietly and the link stays. Polling stops when
   nobody has used the page for the session's idle time, so an unattended screen still
   signs out as the idle timeout says. */
(function () {
  "use strict";
  var note = document.getElementById("live-note");
  var region = document.getElementById("live-region");
  if (!note || !region || !window.fetch) { return; }
  var address = note.getAttribute("data-live");
  var cursor = note.getAttribute("data-cursor");
  var interval = parseInt(note.getAttribute("data-interval"), 10) || 1000;
  var updatedText = note.getAttribute("data-updated-text") || "{name}";
  var idle = parseInt(note.getAttribute("data-idle"), 10) || 0;
  var etag = null;
  var failures = 0;
  var lastUse = Date.now();
  ["keydown", "pointerdown", "scroll", "focusin"].forEach(function (name) {
    window.addEventListener(name, function () { lastUse = Date.now(); }, { passive: true });
  });

  function stop() { note.classList.remove("live-on"); }

  function rowsOnPage() {
    var ids = {};
    document.querySelectorAll("tr.member").forEach(function (row) {
      ids[row.id.replace(/^member-/, "")] = row;
    });
    return ids;
  }

  function apply(body) {
    var rows = rowsOnPage();
    var announced = [];
    Object.keys(body.rows).forEach(function (id) {
      var row = rows[id];
      var item = body.rows[id];
      if (!row || row.getAttribute("data-digest") === item.digest) { return; }
      var holder = document.createElement("tbody");
      holder.innerHTML = item.html;
      var fresh = holder.querySelector("tr");
      if (!fresh) { return; }
      fresh.classList.add("member-updated");
      row.replaceWith(fresh);
      announced.push(updatedText.replace("{name}", item.name));
    });
    if (announced.length) { region.textContent = announced.join(". "); }
    cursor = body.cursor;
  }

  function poll() {
    if (idle && Date.now() - lastUse > idle) { stop(); return; }
    var headers = { "Accept": "application/json" };
    if (etag) { headers["If-None-Match"] = etag; }
    var url = address + (address.indexOf("?") < 0 ? "?" : "&") + "since=" + encodeURIComponent(cursor);
    fetch(url, { headers: headers, credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (response.status === 304) { return null; }
        var type = response.headers.get("Content-Type") || "";
        if (!response.ok || type.indexOf("application/json") !== 0) { throw new Error("stop"); }
        etag = response.headers.get("ETag");
        return response.json();
      })
      .then(function (body) {
        failures = 0;
        if (body) { apply(body); }
        window.setTimeout(poll, interval);
      })
      .catch(function () {
        failures += 1;
        if (failures < 5) { window.setTimeout(poll, interval * 5); } else { stop(); }
      });
  }

  note.classList.add("live-on");
  window.setTimeout(poll, interval);
}());
