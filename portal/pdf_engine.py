"""WeasyPrint, reading nothing but the portal's own static files (fonts, images): a document can
never make the server fetch another address.

Importing WeasyPrint takes about a third of a second (its text layout loads Pango through cffi),
so only `portal.pdf.render_pdf` imports this module, when a document is actually rendered: the
URL configuration, management commands and web workers start without it.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from django.conf import settings
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetchingError

STATIC_DIR = Path(settings.BASE_DIR) / "static"


class StaticOnlyFetcher(URLFetcher):
    def fetch(self, url: str, headers: Any = None) -> Any:
        parsed = urlparse(url)
        if parsed.scheme == "data":  # inline content (a QR code): nothing is fetched
            return super().fetch(url, headers)
        path = Path(unquote(parsed.path)).resolve()
        if parsed.scheme != "file" or not path.is_relative_to(STATIC_DIR.resolve()):
            raise URLFetchingError(f"Only the portal's static files may be read: {url}")
        return super().fetch(url, headers)


def fetcher() -> StaticOnlyFetcher:
    return StaticOnlyFetcher(allowed_protocols=["file", "data"])


# Parsing a stylesheet and loading its fonts is a good part of a small document's cost, so a
# process keeps each stylesheet it has parsed, with the font configuration it registered its
# fonts in. Per thread: WeasyPrint's font objects are not meant to be shared between threads.
_parsed = threading.local()


def stylesheet(path: str) -> tuple[CSS, FontConfiguration]:
    """The static stylesheet at `path` (under static/), parsed once per process and thread."""
    cache: dict[str, tuple[CSS, FontConfiguration]] = _parsed.__dict__.setdefault("sheets", {})
    if path not in cache:
        fonts = FontConfiguration()
        file = STATIC_DIR / path
        css = CSS(
            string=file.read_text(),
            base_url=file.as_uri(),
            url_fetcher=fetcher(),
            font_config=fonts,
        )
        cache[path] = (css, fonts)
    return cache[path]


def write_pdf(html: str, css: str | None = None) -> bytes:
    """`html` as an A4 PDF (the page size is the stylesheet's @page rule); `css`, a path under
    static/, names a stylesheet kept parsed between documents."""
    document = HTML(string=html, base_url=STATIC_DIR.as_uri() + "/", url_fetcher=fetcher())
    if css is None:
        return document.write_pdf()
    sheet, fonts = stylesheet(css)
    return document.write_pdf(stylesheets=[sheet], font_config=fonts)
