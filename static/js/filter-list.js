// A search box that narrows a long list of checkboxes (a group's clients) as you type; checked
// boxes stay checked (and submitted) while hidden. data-filter-list names the list's id.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-filter-list]").forEach((input) => {
    const list = document.getElementById(input.dataset.filterList);
    const count = input.parentElement.querySelector('[data-role="filter-count"]');
    if (!list) return;
    const items = Array.from(list.querySelectorAll("label"));
    const update = () => {
      const words = input.value.trim().toLocaleLowerCase();
      let shown = 0;
      items.forEach((item) => {
        item.hidden = words !== "" && !item.textContent.toLocaleLowerCase().includes(words);
        if (!item.hidden) shown += 1;
      });
      const checked = list.querySelectorAll("input:checked").length;
      if (count) count.textContent = `${checked} chosen · ${shown} of ${items.length} shown`;
    };
    input.addEventListener("input", update);
    list.addEventListener("change", update);
    update();
  });
});
