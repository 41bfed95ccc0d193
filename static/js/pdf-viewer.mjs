// The PDF viewer: runs in a sandboxed frame (an opaque origin: no cookies, no storage, no reach
// into the portal's page around it) and draws the PDF its parent page sends it, page by page,
// onto canvases with pdf.js. The browser's own PDF plugin never sees the file, and nothing in
// the PDF runs: pdf.js here has no scripting, no forms and no links, only pixels.
//
// The conversation with the parent (static/js/pdf-preview.js) is two messages: "ready" from
// here, answered once with {pdf: ArrayBuffer}. The parent may start first or last, so it says
// "hello" when it starts, and this page answers "ready" to that too until it has its file.

const MAX_PAGES = 30;
const body = document.body;
const pages = document.getElementById("pages");
let started = false;

function say(text) {
  const status = document.getElementById("status") || document.createElement("p");
  status.id = "status";
  status.textContent = text;
  pages.append(status);
}

async function draw(bytes) {
  const [pdfjs, worker] = await Promise.all([
    import(body.dataset.pdfjs),
    import(body.dataset.pdfjsWorker),
  ]);
  // The parsing runs in this frame (pdf.js's "main-thread worker"): a real Worker would need a
  // script of this frame's own origin, which an opaque origin cannot have.
  globalThis.pdfjsWorker = worker;
  pdfjs.GlobalWorkerOptions.workerSrc = body.dataset.pdfjsWorker;
  const pdf = await pdfjs.getDocument({ data: new Uint8Array(bytes), enableXfa: false }).promise;
  const shown = Math.min(pdf.numPages, MAX_PAGES);
  document.getElementById("status").remove();
  for (let number = 1; number <= shown; number += 1) {
    const page = await pdf.getPage(number);
    const width = page.getViewport({ scale: 1 }).width;
    const scale = (pages.clientWidth / width) * (window.devicePixelRatio || 1);
    const viewport = page.getViewport({ scale: scale });
    const canvas = document.createElement("canvas");
    canvas.className = "pdf-page";
    canvas.width = Math.floor(viewport.width);
    canvas.height = Math.floor(viewport.height);
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", "Page " + number + " of " + pdf.numPages);
    pages.append(canvas);
    // No annotation layer: links and form fields in the PDF are drawn, never made live.
    await page.render({ canvasContext: canvas.getContext("2d"), viewport: viewport }).promise;
  }
  if (pdf.numPages > shown) {
    say("The preview shows the first " + shown + " of " + pdf.numPages + " pages: download the file to see the rest.");
  }
}

function done() {
  pages.setAttribute("aria-busy", "false");
}

window.addEventListener("message", function (event) {
  if (event.source !== window.parent) return;
  if (event.data === "pdf-viewer:hello") {
    if (!started) window.parent.postMessage("pdf-viewer:ready", "*");
    return;
  }
  if (started) return;
  started = true;
  if (!event.data || !(event.data.pdf instanceof ArrayBuffer)) {
    say("The file could not be fetched for the preview: download it instead.");
    done();
    return;
  }
  draw(event.data.pdf)
    .catch(function () {
      say("This PDF cannot be previewed: download it instead.");
    })
    .finally(done);
});
window.parent.postMessage("pdf-viewer:ready", "*");
