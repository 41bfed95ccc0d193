"""The front-end libraries the portal serves from static/vendor/ are the versions it pins."""

import json
import re
from pathlib import Path

from tests.conftest import need

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "static" / "vendor"


def test_the_vendored_pdf_js_is_the_version_package_json_pins():
    pinned = json.loads((ROOT / "package.json").read_text())["dependencies"]["pdfjs-dist"]
    locked = json.loads((ROOT / "package-lock.json").read_text())["packages"]
    assert locked["node_modules/pdfjs-dist"]["version"] == pinned
    folders = [p.name for p in VENDOR.glob("pdfjs-dist-*")]
    assert folders == [f"pdfjs-dist-{pinned}"]
    code = (VENDOR / folders[0] / "pdf.min.mjs").read_text()
    assert re.search(rf'"{re.escape(pinned)}"', code), "pdf.min.mjs is not the pinned version"
    viewer = (ROOT / "templates" / "portal" / "pdf_viewer.html").read_text()
    assert f"vendor/pdfjs-dist-{pinned}/pdf.min.mjs" in viewer


def test_the_vendored_pdf_js_files_are_the_npm_package_s_own():
    pinned = json.loads((ROOT / "package.json").read_text())["dependencies"]["pdfjs-dist"]
    package = ROOT / "node_modules" / "pdfjs-dist"
    need(package.exists(), "comparing with npm's copy needs `npm ci` (./test.sh runs it)")
    for name in ("pdf.min.mjs", "pdf.worker.min.mjs"):
        vendored = VENDOR / f"pdfjs-dist-{pinned}" / name
        assert vendored.read_bytes() == (package / "build" / name).read_bytes(), name
