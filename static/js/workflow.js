// The inbox and the feedback page.
document.addEventListener("DOMContentLoaded", () => {
  // On a phone the inbox's filters start folded (unless some are in use): the feedback comes first.
  const filters = document.querySelector("details.filter-panel");
  if (filters && !("active" in filters.dataset) && window.matchMedia("(max-width: 760px)").matches) {
    filters.open = false;
  }

  // A click on a teammate's @handle writes it into the note at the cursor.
  const note = document.getElementById("note-body");
  if (!note) return;
  document.querySelectorAll("[data-mention]").forEach((chip) => {
    chip.addEventListener("click", () => {
      const start = note.selectionStart ?? note.value.length;
      const end = note.selectionEnd ?? start;
      const before = note.value.slice(0, start);
      const space = before && !/\s$/.test(before) ? " " : "";
      note.setRangeText(`${space}@${chip.dataset.mention} `, start, end, "end");
      note.focus();
    });
  });
});
