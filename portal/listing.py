"""Long lists sorted and paged in the database, from the query string: one way for every list
that can grow with a provider (registrations, certificates...)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet, Window
from django.http import HttpRequest, QueryDict

PER_PAGE = 25


@dataclass(frozen=True)
class Column:
    """A sortable column: its key in ?sort=, its heading, and the direction it is sorted in
    now ("ascending", "descending" or ""), for aria-sort and the arrow."""

    key: str
    label: str
    direction: str


def sorted_page(
    request: HttpRequest,
    found: QuerySet,
    sorts: Mapping[str, tuple[str, Sequence[str]]],
    default: str,
    rows_of: Callable[[list[int]], Mapping[int, Any]] | None = None,
) -> tuple[Page, list[Column]]:
    """`sorts` maps each key to its heading and the fields it orders by; "-key" sorts the other
    way. An unknown key falls back to `default`; the primary key breaks ties, so pages never
    overlap or skip a row. `rows_of`: the page's rows by their keys, read by the caller (SQL
    compiled once, say), in place of `found`'s objects."""
    sort = chosen_sort(request, sorts, default)
    descending = sort.startswith("-")
    fields = sorts[sort.lstrip("-")][1]
    ordered = found.order_by(*[f"-{f}" if descending else f for f in fields], "pk")
    # The page's keys first, joining only what the order needs; then those rows with everything
    # `found` selects. One query that joined every related row of the centre's thousand before
    # sorting (four joins, two of them over every person) took 10 ms where these take 3.
    page = Paginator(ordered.values_list("pk", flat=True), PER_PAGE).get_page(
        request.GET.get("page")
    )
    keys = list(page.object_list)
    if rows_of is not None:
        rows = rows_of(keys) if keys else {}
    else:
        rows = {row.pk: row for row in found.order_by().filter(pk__in=keys)} if keys else {}
    page.object_list = [rows[key] for key in keys if key in rows]
    return page, columns_of(sorts, sort)


@dataclass(frozen=True)
class PageLinks:
    """Where a pager's Previous and Next go, for a page whose number is not in ?page= (a page
    with several paged lists gives each its own parameter): query strings that keep everything
    else the request asked for."""

    previous: str
    next: str


def page_of(
    request: HttpRequest, found: QuerySet, param: str = "page", count: int | None = None
) -> Page:
    """One page of `found` (already ordered, with the primary key last so pages never overlap),
    its number read from ?`param`=. Counted with one COUNT (none if the caller counted them
    already: `count`), and that page's rows read here with one query, even when there are
    none, so a page costs the same queries whether or not each of its lists has anyone in it.
    `templates/partials/pager.html` follows `page.links`."""
    paginator = Paginator(found, PER_PAGE)
    if count is not None:
        paginator.__dict__["count"] = count  # a cached property, given rather than queried
    page = paginator.get_page(request.GET.get(param))
    first = (page.number - 1) * PER_PAGE
    page.object_list = list(found[first : first + PER_PAGE])
    page.links = PageLinks(  # type: ignore[attr-defined]
        previous=with_param(request.GET, param, page.number - 1),
        next=with_param(request.GET, param, page.number + 1),
    )
    return page


# The furthest page number read as asked: any further is past the end of any list (and its
# offset past what the database takes), so it is found as `page_of` finds it, the last page.
FURTHEST_PAGE = 10**6


def page_counted_with(request: HttpRequest, found: QuerySet, param: str = "page") -> Page:
    """`page_of` for a list not counted already, counted in the query that reads its page
    (`COUNT(*) OVER ()`): one query where `page_of` makes two, for the page asked for when it
    has rows or when the list is empty. A page number past the end, or below one, is found
    as `page_of` finds it (its last page), with the two queries of `page_of`."""

    def read(first: int, size: int) -> tuple[list[Any], int]:
        rows = list(found.annotate(_listed=Window(Count("pk")))[first : first + size])
        return rows, rows[0]._listed if rows else 0

    return page_read_counted(request, read, found.count, param)


def page_read_counted(
    request: HttpRequest,
    read: Callable[[int, int], tuple[Sequence[Any], int]],
    count: Callable[[], int],
    param: str = "page",
) -> Page:
    """`page_counted_with` for rows the caller reads (by SQL compiled once, say):
    `read(first, size)` gives the list's rows from offset `first` (at most `size`) and how many
    the whole list has (0 when it gives none), in one query; `count()` counts the list, only
    for a page number past the end or below one, whose page is then found as `page_of` finds
    it (its last page) and read."""
    asked = request.GET.get(param)
    try:
        number = 1 if asked is None else int(asked)
    except ValueError:
        number = 1  # not a number: the first page, as `Paginator.get_page` says
    paginator: Paginator[Any] = Paginator([], PER_PAGE)
    if 1 <= number <= FURTHEST_PAGE:
        rows, counted = read((number - 1) * PER_PAGE, PER_PAGE)
        if rows or number == 1:
            paginator.__dict__["count"] = counted  # a cached property, given rather than queried
            return _linked(request, paginator.get_page(number), rows, param)
    paginator.__dict__["count"] = count()
    page = paginator.get_page(asked)
    rows, _ = read((page.number - 1) * PER_PAGE, PER_PAGE)
    return _linked(request, page, rows, param)


def _linked(request: HttpRequest, page: Page, rows: Sequence[Any], param: str) -> Page:
    page.object_list = list(rows)
    page.links = PageLinks(  # type: ignore[attr-defined]
        previous=with_param(request.GET, param, page.number - 1),
        next=with_param(request.GET, param, page.number + 1),
    )
    return page


def pages_of(
    request: HttpRequest,
    counts: Mapping[str, int],
    read: Callable[[Mapping[str, int]], Mapping[str, Sequence[Any]]],
) -> dict[str, Page]:
    """`page_of` for several lists of one page counted already, whose pages are read together
    (one query for them all): each list's page number from ?`param`= (each list's key in
    `counts`) against its count, as `page_of` finds it; `read` is given the offset of each
    list's first row on its page and gives each list's rows (at most `PER_PAGE`)."""
    pages: dict[str, Page] = {}
    for param, count in counts.items():
        paginator: Paginator[Any] = Paginator([], PER_PAGE)
        paginator.__dict__["count"] = count  # a cached property, given rather than queried
        pages[param] = paginator.get_page(request.GET.get(param))
    rows = read({param: (page.number - 1) * PER_PAGE for param, page in pages.items()})
    for param, page in pages.items():
        page.object_list = list(rows.get(param, ()))
        page.links = PageLinks(  # type: ignore[attr-defined]
            previous=with_param(request.GET, param, page.number - 1),
            next=with_param(request.GET, param, page.number + 1),
        )
    return pages


def with_param(query: QueryDict, param: str, number: int) -> str:
    changed = query.copy()
    changed[param] = str(number)
    return f"?{changed.urlencode()}"


Row = TypeVar("Row")


def sorted_rows_page(
    request: HttpRequest,
    rows: Sequence[Row],
    sorts: Mapping[str, tuple[str, Callable[[Row], Any]]],
    default: str,
) -> tuple[Page, list[Column]]:
    """`sorted_page` for rows already read (as plain rows, not objects): each key maps to its
    heading and the sort key of a row, which should end with something unique so pages never
    overlap. For lists whose order needs what the database would join many tables for."""
    sort = chosen_sort(request, sorts, default)
    ordered = sorted(rows, key=sorts[sort.lstrip("-")][1], reverse=sort.startswith("-"))
    page = Paginator(ordered, PER_PAGE).get_page(request.GET.get("page"))
    return page, columns_of(sorts, sort)


def chosen_sort(request: HttpRequest, sorts: Mapping[str, object], default: str) -> str:
    """The ?sort= asked for ("key" or "-key"), or `default` for one the list does not have."""
    sort = request.GET.get("sort", default)
    return sort if sort.lstrip("-") in sorts else default


def columns_of(sorts: Mapping[str, tuple[str, object]], sort: str) -> list[Column]:
    """Each sortable column's heading and which way, if any, the list is sorted by it."""
    return [
        Column(key, label, {f"-{key}": "descending", key: "ascending"}.get(sort, ""))
        for key, (label, _) in sorts.items()
    ]
