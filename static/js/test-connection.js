// "Test connection" without leaving the page: the form (and the password typed in it) stays as it is.
document.addEventListener("DOMContentLoaded", () => {
  const button = document.querySelector('button[name="action"][value="test"]');
  const result = document.querySelector('[data-role="connection-result"]');
  if (!button || !result) return;
  button.addEventListener("click", async (event) => {
    event.preventDefault();
    const data = new FormData(button.form);
    data.set("action", "test");
    result.hidden = false;
    result.className = "msg";
    result.textContent = "Signing in to PulseBack…";
    try {
      // Not form.action: the buttons named "action" shadow it.
      const answer = await fetch(button.form.getAttribute("action") || window.location.href, {
        method: "POST", body: data, headers: { "X-Requested-With": "fetch" }, credentials: "same-origin",
      });
      if (!(answer.headers.get("Content-Type") || "").includes("json")) {
        button.form.requestSubmit(button);  // the form has errors: let the page show them
        return;
      }
      const { ok, message } = await answer.json();
      result.className = ok ? "msg success" : "msg error";
      result.textContent = message;
    } catch (error) {
      result.className = "msg error";
      result.textContent = "The test could not be run: " + error.message;
    }
  });
});
