// Warns before an idle logoff (S9) and lets the person stay signed in.
(function () {
  "use strict";
  var body = document.body;
  var idle = parseInt(body.dataset.idleSeconds || "0", 10);
  var warnBefore = parseInt(body.dataset.warnSeconds || "120", 10);
  var panel = document.getElementById("session-timeout");
  if (!idle || !panel) { return; }
  var form = panel.querySelector("form");
  var countdown = panel.querySelector("[data-countdown]");
  var lastActivity = Date.now();
  var timer = null;

  function secondsLeft() { return Math.round(idle - (Date.now() - lastActivity) / 1000); }

  function tick() {
    var left = secondsLeft();
    if (left <= 0) {
      window.location.href = panel.dataset.loginUrl + "?next=" + encodeURIComponent(window.location.pathname);
      return;
    }
    if (left <= warnBefore) {
      panel.hidden = false;
      countdown.textContent = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
    }
    timer = window.setTimeout(tick, 1000);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin" })
      .then(function (response) {
        if (response.ok) { lastActivity = Date.now(); panel.hidden = true; }
        else { window.location.reload(); }
      });
  });
  tick();
})();
