"""The machinery of the permission matrix: the world built once per module, one logged-in
client per persona, the cells generated from tests/urlmap.py, and what each must answer."""

from __future__ import annotations

import html
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from unittest.mock import patch
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.files.storage import default_storage
from django.db import transaction
from django.test import Client, override_settings
from django.urls import reverse

from tests.urlmap import ANONYMOUS, PORTFOLIO, TURNED_AWAY, URLS, Entry
from tests.world import ADMIN, OUTSIDER, PERSONAS, World, build_world
from tests.writes import watch_writes, written

METHODS = ("GET", "HEAD", "POST")
OTHER_METHODS = ("PUT", "PATCH", "DELETE", "OPTIONS")
GHOST = 987654321  # an id nothing has

# What a cell may answer.
ALLOWED = "allowed"  # the page, a file, or a redirect that is not to the login page
REFUSED = "403 or 404"
NOT_FOUND = "404"
LOGIN = "sent to log in"
NO_METHOD = "405"
LIKE_GET = "405 or as a GET"
API_ERROR = "the API's error shape:"  # the REST API, to a session: tests/urlmap.py `api_answer`


@dataclass
class Setting:
    world: World
    clients: dict[str, Client] = field(default_factory=dict)


_current: list[Setting] = []
ADDRESSES = (f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}" for n in itertools.count(1))


def world_for_module(blocker: Any) -> Iterator[World]:
    """Build the world in a transaction that is rolled back when the module is done.

    Stored files are kept while it lasts: a request that removes evidence deletes its files
    once its own transaction is over, and the test then rolls the rows back, files gone.

    Everything happens inside that one transaction, which has written before any request
    takes an audit chain: the lock-order check (portal.audit.lock_chain) cannot tell anything
    here, so it stands aside, as it does in pytest-django's own wrapping transaction."""
    kept = patch.object(default_storage, "delete")
    unchecked = override_settings(AUDIT_CHECK_LOCK_ORDER=False)
    with blocker.unblock(), transaction.atomic(), kept, unchecked:
        world = build_world()
        clients = {persona: Client() for persona in PERSONAS}
        for persona, client in clients.items():
            if (user := world.person(persona)) is not None:
                client.force_login(user)
        watch_writes()
        _current.append(Setting(world, clients))
        try:
            yield world
        finally:
            _current.pop()
            transaction.set_rollback(True)


def client_of(persona: str) -> Client:
    return _current[-1].clients[persona]


@dataclass(frozen=True)
class Cell:
    name: str
    method: str
    persona: str
    side: str  # "ours" or "theirs": whose things the URL and form name

    def __str__(self) -> str:
        where = "ours" if self.side == "ours" else "the other centre's"
        return f"{self.method:7} {self.persona:9} on {where}"


@dataclass(frozen=True)
class Answer:
    status: int
    location: str
    allow: str
    body: str
    wrote: list[str]
    turned_down: bool = False  # it said no: an error flashed, or a form shown with errors

    def __str__(self) -> str:
        to = f" to {self.location}" if self.location else ""
        return f"{self.status}{to}" + (f", wrote {sorted(set(self.wrote))}" if self.wrote else "")


def cells_of(name: str, *, every: bool) -> Iterator[Cell]:
    """The cells of one URL. With `every`, every method by every persona on both centres'
    things; without, what the fast suite can afford (see the module's docstring)."""
    entry = URLS[name]
    for side in ("ours", "theirs") if entry.private else ("ours",):
        for persona in PERSONAS:
            if side == "theirs" and persona == ANONYMOUS:
                continue  # nobody logged in is sent to log in whoever's things they name
            for method in (*METHODS, *OTHER_METHODS):
                cell = Cell(name, method, persona, side)
                if every or in_the_fast_suite(cell):
                    yield cell


def in_the_fast_suite(cell: Cell) -> bool:
    """What the fast suite can afford (tests/test_permission_matrix.py says what and why)."""
    entry = URLS[cell.name]
    declared = cell.method in ("GET", "POST") and entry.may(cell.method) is not None
    if not declared:
        return False
    if cell.side == "ours":
        return True
    home = Cell(cell.name, cell.method, cell.persona, "ours")
    return cell.persona != OUTSIDER and expected(home) == ALLOWED


def request_parts(world: World, cell: Cell) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """The path, query and form a cell sends: the table's valid ones for the side."""
    entry = URLS[cell.name]
    side = world.ours if cell.side == "ours" else world.theirs
    path = reverse(cell.name, kwargs=entry.kwargs(side) or None)
    return path, entry.query(side), entry.data(side, world.person(cell.persona))


def send(
    persona: str,
    method: str,
    path: str,
    query: dict[str, Any] | None = None,
    data: dict[str, Any] | bytes | None = None,
    *,
    headers: dict[str, Any] | None = None,
    content_type: str | None = None,
) -> Answer:
    """Send one request as the persona, in a savepoint rolled back after it. The client's
    cookies are put back too, so a login, logout or message does not carry to the next."""
    client = client_of(persona)
    cookies = client.cookies
    client.cookies = type(cookies)(cookies)
    # Each request from an address of its own: limits counted per address (the verification
    # page's) never add up over the matrix.
    extra = {"REMOTE_ADDR": next(ADDRESSES), **(headers or {})}
    if content_type:
        extra["content_type"] = content_type
    try:
        with transaction.atomic():
            response = call(client, method, path, query or {}, data or {}, extra)
            wrote = written()  # each request starts with none: the one before was rolled back
            transaction.set_rollback(True)
    finally:
        client.cookies = cookies
    return Answer(
        response.status_code,
        response.get("Location", ""),
        response.get("Allow", ""),
        body(response),
        wrote,
        bool(wrote) and turned_down(response),  # it matters only if something was written
    )


def turned_down(response: Any) -> bool:
    """Whether the answer says no: an error message for the person, or a form with errors."""
    storage = getattr(response.wsgi_request, "_messages", None)
    said = [*getattr(storage, "_loaded_messages", []), *getattr(storage, "_queued_messages", [])]
    if any(m.level >= messages.ERROR for m in said):
        return True
    shown = [v for c in (response.context or []) for d in c.dicts for v in d.values()]
    return any(isinstance(v, forms.BaseForm) and v.is_bound and v.errors for v in shown)


def call(
    client: Client,
    method: str,
    path: str,
    query: dict[str, Any],
    data: dict[str, Any] | bytes,
    extra: dict[str, Any],
) -> Any:
    if method in ("GET", "HEAD"):
        return getattr(client, method.lower())(path, {**query}, **extra)
    if query:
        path = f"{path}?{urlencode(query, doseq=True)}"
    if method == "POST":
        return client.post(path, data, **extra)
    assert isinstance(data, dict)
    form = urlencode({k: v for k, v in data.items() if isinstance(v, str | int | list)}, True)
    return client.generic(method, path, form, "application/x-www-form-urlencoded", **extra)


def body(response: Any) -> str:
    # Reading a streamed answer to its end closes it as a server would (the test client wraps
    # it so); closing it here would also close the database connection, mid-transaction.
    streamed = response.streaming
    content = b"".join(response.streaming_content) if streamed else response.content
    return html.unescape(content.decode("utf-8", "replace"))


def expected(cell: Cell) -> str:
    entry = URLS[cell.name]
    if entry.api_answer is not None:
        return f"{API_ERROR} {entry.api_answer}"
    who = entry.may(cell.method) if cell.method in METHODS else None
    if who is None:
        return LIKE_GET if entry.get is not None else NO_METHOD
    if cell.persona == ANONYMOUS:
        return ALLOWED if ANONYMOUS in who else LOGIN
    role = ADMIN if cell.persona == OUTSIDER else cell.persona
    at_home = (cell.side == "ours") != (cell.persona == OUTSIDER)
    if not entry.private or at_home:
        if role in who:
            return ALLOWED
        return REFUSED if role in entry.reach or not entry.private else NOT_FOUND
    if role in who:  # another centre's things, which this role may use at its own
        return TURNED_AWAY if entry.outside == TURNED_AWAY else NOT_FOUND
    return NOT_FOUND


def check_cell(world: World, cell: Cell) -> str:
    """What is wrong with the cell's answer, in words ("" when it is as the table says)."""
    entry = URLS[cell.name]
    path, query, data = request_parts(world, cell)
    answer = send(cell.persona, cell.method, path, query, data)
    want = expected(cell)
    if want in (LIKE_GET, NO_METHOD):
        like = expected(Cell(cell.name, "GET", cell.persona, cell.side))
        ok = answer.status == 405 or (want == LIKE_GET and fits(answer, like))
        # Django's class-based views answer OPTIONS themselves, with the methods they allow.
        ok = ok or (cell.method == "OPTIONS" and bool(answer.allow) and not answer.body)
    else:
        ok = fits(answer, want)
    if not ok and want == NOT_FOUND and answer.status == 403:
        ok = ghost_answers_the_same(world, cell, answer)
    problems = [] if ok else [f"expected {want}, got {answer}"]
    may_write = cell.method == "POST" and want == ALLOWED
    if answer.wrote and not may_write:
        problems.append(f"wrote {sorted(set(answer.wrote))}")
    if leaked := leaks(world, cell, entry, answer, want):
        problems.append(f"shows {leaked}")
    return f"  {cell}: " + "; ".join(problems) if problems else ""


def fits(answer: Answer, want: str) -> bool:
    if want.startswith(API_ERROR):
        status = int(want.removeprefix(API_ERROR))
        shaped = answer.body.startswith('{"error":') or not answer.body  # HEAD: no body
        return answer.status == status and shaped
    login = reverse(settings.LOGIN_URL) + "?next="
    to_login = answer.status == 302 and answer.location.startswith(login)
    if want in (ALLOWED, TURNED_AWAY):
        return answer.status in (200, 302) and not to_login
    if want == REFUSED:
        return answer.status in (403, 404)
    if want == NOT_FOUND:
        return answer.status == 404
    if want == LOGIN:
        return to_login
    return answer.status == 405


def ghost_answers_the_same(world: World, cell: Cell, answer: Answer) -> bool:
    """A 403 for things out of the person's reach is no clue only if things that do not exist
    get it too (their role was checked before any lookup)."""
    path, query, data = request_parts(world, cell)
    ghost = {k: ghostly(v) for k, v in data.items()}
    ghost_path = "/".join(str(GHOST) if p.isdigit() else p for p in path.split("/"))
    return send(cell.persona, cell.method, ghost_path, query, ghost).status == answer.status


def ghostly(value: Any) -> Any:
    if isinstance(value, list):
        return [ghostly(item) for item in value]
    return GHOST if isinstance(value, int) else value


def leaks(world: World, cell: Cell, entry: Entry, answer: Answer, want: str) -> list[str]:
    if entry.reveals and want in (ALLOWED, LIKE_GET):
        return []
    hidden = []
    if cell.persona not in PORTFOLIO | entry.shown_to:
        hidden += world.ours.secrets
    if cell.persona != OUTSIDER:
        hidden += world.theirs.secrets
    return [secret for secret in hidden if secret in answer.body]
