// The criteria picker: filter by words, count what is ticked, and keep a suggested criterion and
// its place in the full list ticked together. Without JavaScript the plain list still works.
(function () {
  const form = document.getElementById("picker");
  if (!form) return;
  const filter = document.getElementById("picker-filter");
  const count = document.getElementById("picker-count");
  const items = Array.from(form.querySelectorAll(".picker-item"));

  function recount() {
    const ticked = new Set(
      Array.from(form.querySelectorAll("input[type=checkbox]:checked")).map((box) => box.name + box.value)
    );
    count.textContent = ticked.size + " ticked";
  }

  filter.addEventListener("input", function () {
    const words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    items.forEach(function (item) {
      const text = item.textContent.toLowerCase();
      item.hidden = !words.every((w) => text.includes(w));
    });
    form.querySelectorAll(".picker-outcome").forEach(function (set) {
      set.hidden = !set.querySelector(".picker-item:not([hidden])");
    });
    form.querySelectorAll(".picker-unit").forEach(function (unit) {
      unit.hidden = !unit.querySelector(".picker-item:not([hidden])");
    });
  });

  form.addEventListener("change", function (event) {
    const box = event.target;
    const twin = box.dataset.twin ? document.getElementById(box.dataset.twin)
      : form.querySelector("[data-twin='" + box.id + "']");
    if (twin) twin.checked = box.checked;
    recount();
  });
  recount();
})();
