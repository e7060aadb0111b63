// ews-propose inspector: refresh every live section from the server without a reload.
// Each <section class="live" data-live="fragment/..."> is fetched again every second
// and replaced only when the server's HTML for it changed.
(function () {
  "use strict";
  var PERIOD_MS = 1000;
  function refresh(section) {
    var url = "/inspector/" + section.getAttribute("data-live");
    return fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (answer) { return answer.ok ? answer.text() : null; })
      .then(function (html) {
        if (html !== null && html !== section.dataset.shown) {
          section.innerHTML = html;
          section.dataset.shown = html;
        }
      })
      .catch(function () { /* the server stopped: keep what is shown */ });
  }
  function tick() {
    var sections = document.querySelectorAll("section.live");
    Promise.all(Array.prototype.map.call(sections, refresh)).then(function () {
      setTimeout(tick, PERIOD_MS);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { setTimeout(tick, PERIOD_MS); });
})();
