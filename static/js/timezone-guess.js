// A new client's time zone starts as the browser's own (when the list has it), not UTC.
document.addEventListener("DOMContentLoaded", () => {
  const select = document.querySelector("select[data-guess-timezone]");
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!select || !zone) return;
  if (Array.from(select.options).some((option) => option.value === zone)) select.value = zone;
});
