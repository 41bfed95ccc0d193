// PDF previews on the portal's pages. Each <iframe data-pdf="..."> holds the portal's PDF viewer
// in a sandbox (static/js/pdf-viewer.mjs): the frame has an opaque origin, so it cannot fetch the
// file itself (it has no cookies) and cannot touch this page. This page fetches the file, as the
// person looking at it, and hands the frame its bytes, once, when the frame says it is ready.
(function () {
  const handed = new WeakSet();

  function frames() {
    return Array.from(document.querySelectorAll("iframe[data-pdf]"));
  }

  function hand(frame) {
    handed.add(frame);
    fetch(frame.dataset.pdf, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.arrayBuffer();
      })
      .then(function (bytes) {
        // An opaque origin can only be addressed as "*"; the frame is found by its window below.
        frame.contentWindow.postMessage({ pdf: bytes }, "*", [bytes]);
      })
      .catch(function () {
        frame.contentWindow.postMessage({ failed: true }, "*");
      });
  }

  window.addEventListener("message", function (event) {
    if (event.data !== "pdf-viewer:ready") return;
    const frame = frames().find((f) => f.contentWindow === event.source);
    if (frame && !handed.has(frame)) hand(frame);
  });

  // Frames that were ready before this script ran are asked to say so again.
  function greet() {
    frames().forEach(function (frame) {
      if (!handed.has(frame) && frame.contentWindow) {
        frame.contentWindow.postMessage("pdf-viewer:hello", "*");
      }
    });
  }
  greet();
  document.addEventListener("htmx:load", greet);
})();
