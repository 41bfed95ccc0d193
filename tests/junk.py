"""Junk for every parameter of every view, generated with Hypothesis from the table in
tests/urlmap.py and the URL configuration: path arguments, every GET key a view reads, every
field of the forms it binds and every raw POST key, file fields and htmx headers.

A drawn `Junk` says which persona sends which method on whose things, and what to put in
place of the table's valid values (or beside them); `send_junk` turns it into a request
against the world and returns the answer, which `problems` judges: never a 500 (the test
client raises what the view raised, so Hypothesis shows the traceback), and nothing written
by a GET or HEAD or by a request that was turned down (4xx, or sent to log in).

The same generator serves the fast suite on SQLite (tests/test_junk.py) and CI on PostgreSQL
(tests/integration/test_junk_on_postgresql.py), which refuses NUL in text and overflows a
bigint where SQLite does not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import quote, quote_plus

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import converters, reverse
from hypothesis import strategies as st

from tests.matrix import Answer, send
from tests.urlmap import URLS, Entry, form_fields, routes
from tests.world import ASSESSOR, PERSONAS, World

# Values a form never sends: digits that str.isdigit() accepts and int() may not, numbers too
# big for a bigint, negatives, NUL (PostgreSQL refuses it in text), a lone surrogate (not
# UTF-8 at all: sent as the bytes Python would write for it), whitespace, markup, SQL, empty
# values, impossible dates, and a string far longer than any field.
CURATED = [
    "²",
    "٣",
    "١٢",
    "\U0001d7d7",  # a bold nine, a digit to str.isdigit()
    "Ⅻ",
    "½",
    "9" * 30,
    "-1",
    "-" + "9" * 25,
    "0",
    "00000000000000000001",
    "1e309",
    "NaN",
    "-0",
    "1.5",
    "0x1F",
    "\x00",
    "a\x00b",
    "%00",
    "\ud800",
    "x\udfffy",
    "",
    " ",
    "\t\r\n",
    "\u00a0\u2003",
    "\u202egnp.exe",
    "😀",
    "<script>alert(1)</script>",
    "\"'><img src=x onerror=alert(1)>",
    "' OR 1=1 --",
    "1; DROP TABLE portal_user",
    "2026-02-30",
    "0000-00-00",
    "9999-12-31",
    "10000-01-01",
    "2026-13-01",
    "31/12/2026",
    "²⁰²⁶-01-01",
    "on",
    "null",
    "[]",
    "../../../etc/passwd",
    "x" * 20_000,
]
DROP = object()  # leave the key out altogether
HTMX: dict[str, Any] = {
    "HTTP_HX_REQUEST": "true",
    "HTTP_HX_TARGET": "main",
    "HTTP_HX_TRIGGER": "evidence-form",
    "HTTP_HX_CURRENT_URL": "http://testserver/\x00²",
}

# The sharpest of them, sent more often: each broke a view once, here or elsewhere.
SHARP = ["²", "9" * 30, "-1", "\x00", "\ud800", "", "2026-02-30", "x" * 20_000]

text = st.one_of(
    st.sampled_from(SHARP),
    st.sampled_from(SHARP),
    st.sampled_from(CURATED),
    st.text(max_size=30),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.dates().map(lambda d: d.isoformat()),
)
value = st.one_of(text, st.lists(text, min_size=2, max_size=4))  # a list: a repeated key
digits = st.one_of(
    st.sampled_from(["0", "9" * 19, "9" * 40, "00000000000000000001", "987654321"]),
    st.from_regex(r"[0-9]{1,40}", fullmatch=True),
    st.sampled_from(SHARP),  # which the URL pattern itself turns away: a 404
)
JUNK, KEEP, LEAVE_OUT = "junk", "keep", "leave out"
# Most parameters junk at once, so that a few examples reach many of them.
fate = st.sampled_from([JUNK, JUNK, JUNK, KEEP, LEAVE_OUT])


@dataclass(frozen=True)
class Junk:
    method: str
    persona: str
    side: str
    kwargs: dict[str, Any] = field(default_factory=dict)  # path arguments to replace
    query: dict[str, Any] = field(default_factory=dict)  # GET keys to set (or DROP)
    form: dict[str, Any] = field(default_factory=dict)  # POST keys to set (or DROP)
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    htmx: bool = False

    def __repr__(self) -> str:  # what Hypothesis prints for a failing example
        shown = {k: v for k, v in vars(self).items() if v not in ({}, False)}
        return f"Junk({', '.join(f'{k}={v!r:.300}' for k, v in shown.items())})"


def methods_of(entry: Entry) -> list[str]:
    found = ["GET", "HEAD"] if entry.get is not None else []
    return [*found, "POST"] if entry.post is not None else found


@cache
def post_fields(entry: Entry) -> list[str]:
    names = [n for form in entry.forms for n in form_fields(form)]
    return sorted({*names, *entry.post_keys, *entry.files})


@cache
def get_fields(entry: Entry) -> list[str]:
    names = [n for form in entry.forms for n in form_fields(form)]
    return sorted({*names, *entry.get_keys})


@cache
def path_converters(name: str) -> dict[str, Any]:
    return next(r.converters for r in routes() if r.name == name)


@st.composite
def junk_for(draw: st.DrawFn, name: str) -> Junk:
    """Junk for one URL: a method it answers, a persona, whose things, and junk in some of
    its parameters (each one kept valid, replaced, repeated or left out)."""
    entry = URLS[name]
    method = draw(st.sampled_from(methods_of(entry)))
    # Mostly someone who may use it, so that the junk gets past the door.
    allowed = [p for p in PERSONAS if p in (entry.may(method) or ())]
    persona = draw(st.sampled_from([*allowed, *allowed, *allowed, *PERSONAS]))
    side = draw(st.sampled_from(["ours", "ours", "theirs"] if entry.private else ["ours"]))
    kwargs = {
        key: draw(digits if isinstance(converter, converters.IntConverter) else text)
        for key, converter in path_converters(name).items()
        if draw(fate) == JUNK
    }
    query = some(draw, get_fields(entry)) if method != "POST" else {}
    form = some(draw, post_fields(entry)) if method == "POST" else {}
    files: dict[str, tuple[str, bytes]] = {}
    contents = st.binary(max_size=64)
    if entry.csv_columns:  # a file of the right shape, with junk in its cells
        contents = st.one_of(contents, csv_of(entry.csv_columns).map(raw))
        if method == "POST" and draw(st.booleans()):
            form["content"] = draw(csv_of(entry.csv_columns))
    for key in entry.files if method == "POST" else ():
        if draw(fate) == JUNK:
            files[key] = (draw(text), draw(contents))
    return Junk(method, persona, side, kwargs, query, form, files, draw(st.booleans()))


def csv_of(columns: tuple[str, ...]) -> st.SearchStrategy[str]:
    """A CSV file with the columns, and a few rows of junk (a quote or comma in a cell is
    junk too)."""
    row = st.lists(text, min_size=len(columns), max_size=len(columns))
    rows = st.lists(row, min_size=1, max_size=3)
    return rows.map(lambda found: "\n".join([",".join(columns), *map(",".join, found)]))


def sharp_csv(columns: tuple[str, ...], sharp: str) -> str:
    return f"{','.join(columns)}\n{','.join(sharp for _ in columns)}\n"


def sharp_junk(name: str) -> list[Junk]:
    """Each sharp value in every parameter at once (path arguments that take any text, GET keys,
    form fields, a file's name), sent by the first persona who may; and each path argument
    that takes digits given too many of them."""
    entry = URLS[name]
    found = []
    for method in methods_of(entry):
        # The first persona who may; where nobody may with a session (the REST API's endpoints,
        # which answer tokens only), the first persona: the junk must still be refused cleanly.
        persona = next((p for p in PERSONAS if p in (entry.may(method) or ())), PERSONAS[0])
        numbers = [k for k, c in path_converters(name).items() if is_int(c)]
        for sharp in SHARP:
            kwargs = {k: sharp for k, c in path_converters(name).items() if not is_int(c)}
            query = {k: sharp for k in get_fields(entry)} if method != "POST" else {}
            form: dict[str, Any] = (
                {k: sharp for k in post_fields(entry)} if method == "POST" else {}
            )
            content = raw(sharp_csv(entry.csv_columns, sharp)) if entry.csv_columns else b"%PDF"
            files = {k: (sharp, content) for k in entry.files} if method == "POST" else {}
            if entry.csv_columns and method == "POST":  # the file as pasted, and as uploaded
                form["content"] = sharp_csv(entry.csv_columns, sharp)
                found.append(Junk(method, persona, "ours", kwargs, query, form, files))
                form = {**form, **{k: DROP for k in entry.post_keys}}
            found.append(Junk(method, persona, "ours", kwargs, query, form, files, True))
        found += [Junk(method, persona, "ours", {k: "9" * 30}) for k in numbers]
    return found


def is_int(converter: Any) -> bool:
    return isinstance(converter, converters.IntConverter)


def some(draw: st.DrawFn, fields: list[str]) -> dict[str, Any]:
    """Junk for each of the fields (or none, or leaving it out) as its fate is drawn."""
    found: dict[str, Any] = {}
    for key in fields:
        chosen = draw(fate)
        if chosen != KEEP:
            found[key] = draw(value) if chosen == JUNK else DROP
    return found


def send_junk(world: World, name: str, junk: Junk) -> Answer:
    """The junk as a request against the world: the table's valid request with the junk in."""
    entry = URLS[name]
    side = world.ours if junk.side == "ours" else world.theirs
    kwargs = {**entry.kwargs(side), **junk.kwargs}
    path = raw_path(name, kwargs)
    query = merged(entry.query(side), junk.query)
    # A key named after someone ("risk-{assessor}": one per assessor) names the side's.
    form = {k.format(assessor=side.people[ASSESSOR].pk): v for k, v in junk.form.items()}
    data = merged(entry.data(side, world.person(junk.persona)), form)
    headers = HTMX if junk.htmx else {}
    uploads = {k: SimpleUploadedFile(safe(n) or "x", c) for k, (n, c) in junk.files.items()}
    if junk.method != "POST":
        return send(junk.persona, junk.method, with_query(path, query), headers=headers)
    body, content_type = encoded(data, uploads)
    path = with_query(path, query)
    return send(junk.persona, "POST", path, data=body, headers=headers, content_type=content_type)


def merged(valid: dict[str, Any], junk: dict[str, Any]) -> dict[str, Any]:
    together = {**valid, **junk}
    return {k: v for k, v in together.items() if v is not DROP}


def raw_path(name: str, kwargs: dict[str, Any]) -> str:
    """The URL's path with the arguments put in as they come, percent-encoded (reverse() would
    refuse what the pattern does not match: the request is what tests the pattern)."""
    stand_ins = {key: stand_in(name, key) for key in kwargs}
    path = reverse(name, kwargs=stand_ins)
    for key, placeholder in stand_ins.items():
        path = path.replace(f"/{placeholder}/", f"/{quote(raw(str(kwargs[key])), safe='')}/", 1)
    return path


def stand_in(name: str, key: str) -> str:
    """A value the pattern accepts, unlike any other part of the path, to be replaced."""
    found = path_converters(name)
    if key not in found:  # a regular expression's group (the API's catch-all) takes any text
        return f"k{len(found)}k"
    index = list(found).index(key)
    return str(7770001 + index) if isinstance(found[key], converters.IntConverter) else f"k{index}k"


def raw(value: str) -> bytes:
    return value.encode("utf-8", "surrogatepass")


def safe(value: str) -> str:
    return value.encode("utf-8", "replace").decode()


def pairs(data: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(k, item) for k, v in data.items() for item in (v if isinstance(v, list) else [v])]


def with_query(path: str, query: dict[str, Any]) -> str:
    if not query:
        return path
    encoded = "&".join(f"{quote_plus(raw(k))}={quote_plus(raw(str(v)))}" for k, v in pairs(query))
    return f"{path}?{encoded}"


BOUNDARY = "JunkBoundary7MA4YWxkTrZu0gW"


def encoded(data: dict[str, Any], uploads: dict[str, SimpleUploadedFile]) -> tuple[bytes, str]:
    """The form as a browser would send it, but byte for byte what we chose: urlencoded, or
    multipart when there are files (the test client would refuse a lone surrogate)."""
    if not uploads and not any(isinstance(v, SimpleUploadedFile) for _, v in pairs(data)):
        form = "&".join(f"{quote_plus(raw(k))}={quote_plus(raw(str(v)))}" for k, v in pairs(data))
        return form.encode(), "application/x-www-form-urlencoded"
    parts = []
    for key, item in [*pairs(data), *uploads.items()]:
        disposition = f'form-data; name="{safe(key)}"'
        if isinstance(item, SimpleUploadedFile):
            item.seek(0)
            head = f'{disposition}; filename="{safe(item.name or "")}"'
            content, kind = item.read(), "Content-Type: application/octet-stream\r\n"
        else:
            head, content, kind = disposition, raw(str(item)), ""
        header = f"--{BOUNDARY}\r\nContent-Disposition: {head}\r\n{kind}\r\n"
        parts.append(header.encode() + content + b"\r\n")
    body = b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()
    return body, f"multipart/form-data; boundary={BOUNDARY}"


def problems(junk: Junk, answer: Answer) -> list[str]:
    """What is wrong with the answer to junk (nothing, usually)."""
    found = []
    if answer.status >= 500:
        found.append(f"answered {answer.status}")
    refused = 400 <= answer.status < 500 or "?next=" in answer.location or answer.turned_down
    if answer.wrote and (junk.method in ("GET", "HEAD") or refused):
        how = "turned it down" if answer.turned_down else f"answered {answer.status}"
        found.append(f"{how} and wrote {sorted(set(answer.wrote))}")
    return found
