// The main navigation: collapsed behind a "Menu" button on narrow screens, and its menus (Settings,
// the account) close when another opens, on Escape, or on a click elsewhere. Loaded in <head>
// without defer, so the collapsed layout applies before the first paint. Also: a table too wide
// for the screen scrolls inside its box, which then takes the keyboard focus (to scroll it).
document.documentElement.classList.add("js");
const scrollersFocusable = () => {
  document.querySelectorAll(".table, .card.flush").forEach((box) => {
    const scrolls = box.scrollWidth > box.clientWidth;
    if (scrolls && !box.hasAttribute("tabindex")) box.setAttribute("tabindex", "0");
    else if (!scrolls && box.getAttribute("tabindex") === "0") box.removeAttribute("tabindex");
  });
};
window.addEventListener("resize", scrollersFocusable);
document.addEventListener("DOMContentLoaded", scrollersFocusable);
document.addEventListener("DOMContentLoaded", () => {
  const toggle = document.querySelector(".nav-toggle");
  const nav = document.getElementById("site-nav");
  if (!toggle || !nav) return;
  const menus = Array.from(nav.querySelectorAll(".nav-menu details"));
  const closeMenus = (except) => menus.forEach((menu) => { if (menu !== except) menu.open = false; });
  toggle.addEventListener("click", () => {
    const open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(open));
    nav.classList.toggle("open", open);
  });
  menus.forEach((menu) => menu.addEventListener("toggle", () => { if (menu.open) closeMenus(menu); }));
  document.addEventListener("click", (event) => {
    if (!event.target.closest(".nav-menu")) closeMenus(null);
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    const open = menus.find((menu) => menu.open);
    if (open) {
      open.open = false;
      open.querySelector("summary").focus();
    } else if (nav.classList.contains("open")) {
      toggle.click();
      toggle.focus();
    }
  });
});
