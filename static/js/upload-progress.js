// Upload progress for evidence files. htmx sends the form (hx-post on #evidence-form) and tells
// us how much has gone; without JavaScript the form posts as usual, just without the bar.
(function () {
  document.addEventListener("htmx:xhr:progress", function (event) {
    const form = event.target;
    if (form.id !== "evidence-form" || !event.detail.lengthComputable) return;
    const box = form.querySelector("#upload-progress");
    const bar = box.querySelector(".progress-bar");
    const percent = Math.round((event.detail.loaded / event.detail.total) * 100);
    box.classList.remove("d-none");
    box.setAttribute("aria-valuenow", String(percent));
    bar.className = bar.className.replace(/\bpct-\d+\b/, "pct-" + percent);
    bar.textContent = percent + "%";
  });
  // If the upload cannot reach the server, say so; the form keeps everything typed and chosen.
  document.addEventListener("htmx:sendError", function (event) {
    const form = event.target;
    if (form.id !== "evidence-form") return;
    const problem = form.querySelector("#upload-problem");
    problem.textContent = "The upload did not reach the portal. Check your connection and try again.";
    problem.classList.remove("d-none");
    form.querySelector("#upload-progress").classList.add("d-none");
  });
  // The declaration is asked for before the files are sent (a form that comes back cannot keep
  // them). The form is novalidate, the portal saying other problems in its own words: this one
  // box the browser checks, before htmx (listening on the form) or a plain post sends anything.
  document.addEventListener(
    "submit",
    function (event) {
      const form = event.target;
      if (form.id !== "evidence-form") return;
      const declared = form.querySelector("input[name=declaration][required]");
      if (declared && !declared.checkValidity()) {
        event.preventDefault();
        event.stopImmediatePropagation();
        declared.reportValidity();
      }
    },
    true,
  );
})();
