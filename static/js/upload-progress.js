// Shows upload progress for large evidence files. Without JavaScript the form posts as usual.
(function () {
  const form = document.getElementById("evidence-form");
  if (!form || !window.FormData || !window.XMLHttpRequest) return;
  const box = document.getElementById("upload-progress");
  const bar = box.querySelector(".progress-bar");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const request = new XMLHttpRequest();
    request.open("POST", form.action || window.location.href);
    request.upload.addEventListener("progress", function (e) {
      if (!e.lengthComputable) return;
      const percent = Math.round((e.loaded / e.total) * 100);
      box.classList.remove("d-none");
      box.setAttribute("aria-valuenow", String(percent));
      bar.style.width = percent + "%";
      bar.textContent = percent + "%";
    });
    request.addEventListener("load", function () {
      // Follow the server's answer: a redirect to the new evidence, or the form with errors.
      if (request.responseURL && request.responseURL !== window.location.href) {
        window.location.assign(request.responseURL);
      } else {
        document.open();
        document.write(request.responseText);
        document.close();
      }
    });
    request.addEventListener("error", function () { form.submit(); });
    form.querySelector("button[type=submit]").disabled = true;
    request.send(new FormData(form));
  });
})();
