"""A walk through the portal on a phone, as a person would take it: from their home page, every
link of the portal on each page (the menu and the page's own), breadth first, each kind of page a
few times at most; on each page, the page is no wider than the screen and axe finds nothing
serious. Generic on purpose: a page added later is walked as soon as a link leads to it."""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from django.urls import Resolver404, resolve
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

from tests.browser.axe import describe, violations

# Addresses that are not pages to look at: the way out, and files (they download, or open in
# the browser's own viewer). A view whose name says it serves a file is left out by that name;
# anything else that turns out not to be HTML is left out when it answers.
NOT_PAGES = {"logout", "pdf-viewer", "api-docs"}
# api-docs is Swagger UI as drf-spectacular-sidecar ships it (decision 57), not a page of the
# portal's templates: axe finds its own contrast and nested controls, which are not the portal's
# to fix. tests/browser/test_csp.py still opens it.
FILE_WORDS = ("file", "pdf", "csv", "zip", "pack", "download", "export")
FILE_ENDINGS = (".pdf", ".csv", ".zip", ".docx", ".xlsx", ".png", ".jpg")
# axe's rules that depend on what a page holds rather than its template: a box scrolled sideways
# (a wide table) must be reachable by keyboard.
ALWAYS = ["scrollable-region-focusable"]
PER_ROUTE = 2  # each kind of page (URL pattern) at most twice: a list and its sorted variant, say
MAX_DEPTH = 5  # links followed from the home page
MAX_PAGES = 70  # a bound on one person's walk, far above what the demo gives any role

# The outermost elements that stick out past the screen's right edge (their parent does not),
# and are not inside a box that scrolls or clips them: why a page is wider than the screen.
TOO_WIDE = """() => {
    const root = document.documentElement;
    const limit = root.clientWidth;
    if (root.scrollWidth <= limit) return null;
    const sticksOut = el => el.getBoundingClientRect().right > limit + 0.5;
    const held = el => {
        for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
            if (getComputedStyle(up).overflowX !== 'visible' && !sticksOut(up)) return true;
        }
        return false;
    };
    const name = el => {
        const part = e => {
            if (e.id) return '#' + e.id;
            const test = e.dataset.testid ? `[data-testid="${e.dataset.testid}"]` : '';
            const classes = [...e.classList].slice(0, 3).map(c => '.' + c).join('');
            return e.tagName.toLowerCase() + test + classes;
        };
        const parts = [];
        for (let e = el; e && e !== document.body && parts.length < 4; e = e.parentElement) {
            parts.unshift(part(e));
            if (e.id) break;
        }
        return parts.join(' > ');
    };
    const culprits = [...document.body.querySelectorAll('*')]
        .filter(el => sticksOut(el) && !sticksOut(el.parentElement) && !held(el))
        .slice(0, 3)
        .map(el => `${name(el)} (${Math.round(el.getBoundingClientRect().right)} px)`);
    return `${root.scrollWidth} px wide on a ${limit} px screen: ` + (culprits.join(', ') || '?');
}"""


SCROLLED = """() => [...document.querySelectorAll('main .table-responsive')]
    .filter(box => box.scrollWidth > box.clientWidth + 1)
    .map(box => {
        const table = box.querySelector('table');
        const heading = box.closest('section')?.querySelector('h2, h3');
        return table?.dataset.testid || table?.querySelector('caption')?.textContent.trim()
            || heading?.textContent.trim() || 'a table';
    })"""


@dataclass
class Walk:
    """What one person's walk saw: the pages checked and what was wrong on them."""

    host: str
    visited: list[str] = field(default_factory=list)
    routes: Counter[str] = field(default_factory=Counter)
    problems: dict[str, str] = field(default_factory=dict)
    # Tables scrolled sideways in their own box (allowed: the page itself does not scroll), for
    # people to look at.
    scrolled: dict[str, list[str]] = field(default_factory=dict)
    skipped: set[str] = field(default_factory=set)

    def report(self) -> str:
        return "\n\n".join(f"{url}\n{text}" for url, text in self.problems.items())


def is_file(view_name: str, path: str, query: str) -> bool:
    words = view_name.split(":")[-1].split("-")
    return (
        any(word in FILE_WORDS for word in words)
        or path.endswith(FILE_ENDINGS)
        or "download" in query
    )


def route_of(url: str, leave_out: tuple[str, ...] = ()) -> str | None:
    """The URL pattern the address belongs to, or None when it is not a page to walk."""
    parts = urlsplit(url)
    if parts.path.startswith("/admin/"):  # Django's own admin site: not the portal's pages
        return None
    try:
        match = resolve(parts.path)
    except Resolver404:
        return None
    if match.view_name in NOT_PAGES or is_file(match.view_name, parts.path, parts.query):
        return None
    if match.namespace in leave_out:
        return None
    return match.route


def look_at(page: Page, url: str, walk: Walk, first: bool) -> bool:
    """Open the page and check its width and axe's rules: all of them when it is the `first`
    of its kind, those that depend on how wide things are on the others (all of axe takes most
    of a walk's time, and finds the same again in another page drawn by the same template).
    False when it was not a page."""
    try:
        response = page.goto(url)
    except PlaywrightError as error:  # a download starting aborts the navigation
        if "Download is starting" in str(error) or "ERR_ABORTED" in str(error):
            walk.skipped.add(url)
            return False
        raise
    if response is None or "text/html" not in response.headers.get("content-type", ""):
        walk.skipped.add(url)
        return False
    here = urlsplit(page.url)
    if here.netloc != walk.host:
        return False
    walk.visited.append(url)
    found = []
    if wide := page.evaluate(TOO_WIDE):
        found.append(wide)
    if scrolled := page.evaluate(SCROLLED):
        walk.scrolled[url] = scrolled
    if serious := violations(page, rules=None if first else ALWAYS):
        found.append(describe(serious))
    if found:
        walk.problems[url] = "\n".join(found)
    return True


def links_on(page: Page, host: str) -> list[str]:
    found = []
    for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
        link = urlsplit(href)
        if link.scheme in ("http", "https") and link.netloc == host:
            found.append(urlunsplit(("", "", link.path, link.query, "")))
    return found


def walk_from(page: Page, start: list[str], walk: Walk, leave_out: tuple[str, ...] = ()) -> Walk:
    """Breadth first from `start` (each visited, however many of its kind), following the
    portal's links on every page reached, adding to `walk` (a walk taken before counts towards
    each kind of page's visits). `leave_out`: URL namespaces walked elsewhere."""
    queue: deque[tuple[str, int]] = deque((url, 0) for url in start)
    seen: set[str] = set()
    while queue and len(walk.visited) < MAX_PAGES:
        url, depth = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        route = route_of(url, leave_out)
        if route is None or (walk.routes[route] >= PER_ROUTE and url not in start):
            continue
        walk.routes[route] += 1
        if not look_at(page, url, walk, first=walk.routes[route] == 1) or depth >= MAX_DEPTH:
            continue
        queue.extend((link, depth + 1) for link in links_on(page, walk.host) if link not in seen)
    return walk
