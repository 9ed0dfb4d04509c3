// Forms with data-confirm="question": ask before sending (in place of inline onsubmit handlers,
// which the Content-Security-Policy forbids).
document.addEventListener("submit", (event) => {
  const question = event.target.dataset && event.target.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});
