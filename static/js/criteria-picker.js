// The criteria picker: filter by words, count what is ticked, and keep a suggested criterion and
// its place in the full list ticked together. Without JavaScript the plain list still works.
// It sets itself up on the page and again whenever htmx swaps a new picker in.
(function () {
  function setUp(form) {
    if (form.dataset.pickerReady) return;
    form.dataset.pickerReady = "true";
    const filter = form.querySelector("#picker-filter");
    const count = form.querySelector("#picker-count");

    function recount() {
      const ticked = new Set(
        Array.from(form.querySelectorAll("input[type=checkbox]:checked")).map((box) => box.name + box.value)
      );
      if (count) count.textContent = ticked.size + " ticked"; // none on a closed registration
    }

    filter.addEventListener("input", function () {
      const words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
      form.querySelectorAll(".picker-item").forEach(function (item) {
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
  }

  function scan(root) {
    if (!root || !root.querySelector) return;
    const form = root.id === "picker" ? root : root.querySelector("#picker");
    if (form) setUp(form);
  }

  scan(document);
  document.addEventListener("htmx:load", (event) => scan(event.target));
  // The assessor rejected a learner's mapping in place: that item is no longer ticked to decide.
  document.addEventListener("htmx:afterRequest", function (event) {
    // The form itself (it may have been swapped out of the page by now).
    const form = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (!event.detail.successful || !form || !form.dataset.untick) return;
    const box = document.getElementById(form.dataset.untick);
    if (box && box.checked) box.click();
  });
})();
