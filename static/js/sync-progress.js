// Live sync progress: while a sync runs, poll the JSON status once a second and update the bars
// (every 5 seconds while syncs are only queued; not at all once none is left).
(function () {
  "use strict";
  function render(box, data) {
    var delay = 0;
    data.locations.forEach(function (loc) {
      var item = box.querySelector('[data-location="' + loc.id + '"]');
      if (!item) return;
      item.querySelector('[data-role="state"]').textContent = loc.state_label;
      var run = item.querySelector('[data-role="run"]');
      run.hidden = !loc.run;
      if (!loc.run) return;
      delay = loc.run.state === "running" ? 1000 : delay || 5000;
      var bar = run.querySelector('[data-role="bar"]');
      var text = loc.run.kind + " " + loc.run.state + ": " + loc.run.fetched;
      if (loc.run.expected) text += " of " + loc.run.expected;
      run.querySelector('[data-role="label"]').textContent = text + " items";
      if (loc.run.progress === null) bar.removeAttribute("value");
      else bar.value = Math.round(loc.run.progress * 100);
    });
    return delay;
  }
  function poll(box) {
    fetch(box.dataset.syncStatusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        var delay = data ? render(box, data) : 0;
        if (delay) setTimeout(function () { poll(box); }, delay);
      })
      .catch(function () { setTimeout(function () { poll(box); }, 5000); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-sync-status-url]").forEach(function (box) {
      if (box.querySelector('[data-role="run"]:not([hidden])')) poll(box);
    });
  });
})();
