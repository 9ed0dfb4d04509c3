// The dashboard's figures follow the sync without a reload: when static/js/sync-progress.js says new
// data arrived ("portal:synced"), the server renders the figures again (the same period) and they
// replace the old ones. Screen readers hear once, when a sync has finished, that they changed.
document.addEventListener("DOMContentLoaded", () => {
  const figures = document.querySelector("[data-figures-url]");
  const note = document.querySelector('[data-role="figures-note"]');
  if (!figures) return;
  let busy = false;
  let queued = null;  // a refresh asked for while one was under way: {done}
  const refresh = async (done) => {
    busy = true;
    try {
      const answer = await fetch(figures.dataset.figuresUrl, { credentials: "same-origin" });
      if (!answer.ok) throw new Error(String(answer.status));
      figures.innerHTML = await answer.text();
      figures.dataset.refreshedAt = new Date().toISOString();
      if (done && note) {
        note.textContent = `Figures updated at ${new Date().toLocaleTimeString()}, after the sync.`;
      }
    } catch {
      if (done && note) note.textContent = "The sync finished: reload the page to see the new figures.";
    } finally {
      busy = false;
      if (queued) {
        const next = queued;
        queued = null;
        refresh(next.done);
      }
    }
  };
  document.addEventListener("portal:synced", (event) => {
    const done = Boolean(event.detail && event.detail.done);
    if (busy) queued = { done: done || Boolean(queued && queued.done) };
    else refresh(done);
  });
});
