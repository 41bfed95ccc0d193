"""Search across units and criteria by words: full-text search on PostgreSQL, a plain word
match elsewhere (the local SQLite default)."""

from __future__ import annotations

import re
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
    return SearchQuery(websearch_text(query), config="english", search_type="websearch")


# A term as websearch reads it: a quoted phrase or a run of other characters, either perhaps
# preceded by minus signs.
TERM = re.compile(r'-*"[^"]*"?|\S+')
# What separates words within a term: anything but letters, digits and single hyphens between
# them (which join a compound such as "self-assessment").
BETWEEN_WORDS = re.compile(r"[^\w-]+|-{2,}|(?<!\w)-|-(?!\w)")
MAX_WORDS = 16


def websearch_text(query: str) -> str:
    """The query as websearch_to_tsquery can always take it. PostgreSQL nests an operator for
    every minus sign or bracket-like character it reads, and a few hundred of them overflow its
    stack ("tsquery stack too small"): each term keeps one minus at most and only its words,
    terms with no words are dropped, and a query has at most MAX_WORDS words."""
    terms, room = [], MAX_WORDS
    for token in TERM.findall(query):
        negated, body = token.startswith("-"), token.lstrip("-")
        words = []
        for word in BETWEEN_WORDS.sub(" ", body).split():
            room -= word.count("-") + 1
            if room < 0:
                break
            words.append(word)
        if words:
            term = f'"{" ".join(words)}"' if body.startswith('"') else " ".join(words)
            terms.append(f"-{term}" if negated else term)
        if room <= 0:
            break
    return " ".join(terms)
