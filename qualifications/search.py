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
        wanted = full_text(query)
        # A unit's code or reference (e.g. "A/506/2130", "U09602") finds it too.
        by_code = Q(code__iexact=query.strip()) | Q(reference__iexact=query.strip())
        found = Unit.objects.annotate(document=vector).filter(Q(document=wanted) | by_code)
        return found.annotate(rank=SearchRank(vector, wanted)).order_by("-rank", "code")[:LIMIT]
    match = [
        Q(title__icontains=w) | Q(aim__icontains=w) | Q(code__icontains=w) for w in words(query)
    ]
    return Unit.objects.filter(reduce(and_, match)).order_by("code")[:LIMIT]


def search_criteria(query: str) -> QuerySet[Criterion]:
    found = Criterion.objects.select_related("unit", "outcome")
    if connection.vendor == "postgresql":
        vector, wanted = SearchVector("text", config="english"), full_text(query)
        found = found.annotate(document=vector).filter(document=wanted)
        ranked = found.annotate(rank=SearchRank(vector, wanted))
        return ranked.order_by("-rank", "unit__code", "position")[:LIMIT]
    match = [Q(text__icontains=w) for w in words(query)]
    return found.filter(reduce(and_, match)).order_by("unit__code", "position")[:LIMIT]


def full_text(query: str) -> SearchQuery:
    # "websearch" understands what people type: quoted phrases, OR, and -excluded words.
    return SearchQuery(query, config="english", search_type="websearch")
