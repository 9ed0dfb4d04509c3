// Live sync progress: while a sync runs, poll the JSON status once a second and update the bars
// (every 5 seconds while syncs are only queued; not at all once none is left). The page hears of new
// data through a "portal:synced" event on the status box: when a sync ends (detail.done true), and
// every 10 seconds while one brings items in (detail.done false).
(function () {
  "use strict";
  var PROGRESS_EVERY = 10000;
  var before = {};  // location id: {synced: last_synced_at, run: whether a sync was under way}
  var lastProgress = 0;
  function render(box, data) {
    var delay = 0;
    var done = false;
    var fetching = false;
    data.locations.forEach(function (loc) {
      var previous = before[loc.id];
      if (previous && (previous.synced !== loc.last_synced_at || (previous.run && !loc.run))) done = true;
      before[loc.id] = {
        synced: loc.last_synced_at, run: Boolean(loc.run), fetched: loc.run && loc.run.fetched,
      };
      if (previous && loc.run && loc.run.fetched !== previous.fetched) fetching = true;
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
    var now = Date.now();
    if (done || (fetching && now - lastProgress >= PROGRESS_EVERY)) {
      lastProgress = now;
      box.dispatchEvent(new CustomEvent("portal:synced", { bubbles: true, detail: { done: done } }));
    }
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
