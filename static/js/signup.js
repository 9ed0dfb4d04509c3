// Sign-up: the workspace address follows the agency's name (as agency.forms.slug_suggest does) until
// the person types an address of their own, and its help says the full address as it will be.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-portal-domain]");
  if (!form) return;
  const name = form.querySelector('input[name="name"]');
  const slug = form.querySelector('input[name="slug"]');
  const help = slug.parentElement.querySelector(".help");
  const domain = form.dataset.portalDomain;
  const generic = help ? help.textContent : "";
  let typedByHand = slug.value !== "";

  const suggest = (text) =>
    text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/[^a-z0-9]+/g, "-").replace(/^[^a-z]+/, "").slice(0, 40).replace(/^-+|-+$/g, "");

  const madeFromName = " (made from your agency's name; change it if you like)";
  const show = () => {
    if (!help) return;
    help.textContent = slug.value
      ? `Your portal will live at ${slug.value}.${domain}${typedByHand ? "" : madeFromName}.`
      : generic;
  };
  if (help) help.setAttribute("aria-live", "polite");
  name.addEventListener("input", () => {
    if (!typedByHand) slug.value = suggest(name.value);
    show();
  });
  slug.addEventListener("input", () => {
    typedByHand = slug.value !== "";
    show();
  });
  show();
});
