"""Search across units and criteria by words: full-text search on PostgreSQL, a plain word
match elsewhere (the local SQLite default)."""

from __future__ import annotations

from functools import reduce
from operator import and_

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Q, QuerySet

from qualifications.models import Criterion, Unit

LIMIT = 50


def words(query: str) -> list[str]:
    return [word for word in query.split() if word]


def search_units(query: str) -> QuerySet[Unit]:
    if connection.vendor == "postgresql":
        vector = SearchVector("title", weight="A", config="english") + SearchVector(
            "aim", weight="B", config="english"
        )
        found = Unit.objects.annotate(rank=SearchRank(vector, full_text(query)))
        return found.filter(rank__gt=0).order_by("-rank", "code")[:LIMIT]
    match = [
        Q(title__icontains=w) | Q(aim__icontains=w) | Q(code__icontains=w) for w in words(query)
    ]
    return Unit.objects.filter(reduce(and_, match)).order_by("code")[:LIMIT]


def search_criteria(query: str) -> QuerySet[Criterion]:
    found = Criterion.objects.select_related("unit", "outcome")
    if connection.vendor == "postgresql":
        rank = SearchRank(SearchVector("text", config="english"), full_text(query))
        return found.annotate(rank=rank).filter(rank__gt=0).order_by("-rank", "unit__code")[:LIMIT]
    match = [Q(text__icontains=w) for w in words(query)]
    return found.filter(reduce(and_, match)).order_by("unit__code", "position")[:LIMIT]


def full_text(query: str) -> SearchQuery:
    # "websearch" understands what people type: quoted phrases, OR, and -excluded words.
    return SearchQuery(query, config="english", search_type="websearch")
