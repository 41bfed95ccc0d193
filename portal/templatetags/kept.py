"""`{% kept_url 'name' %}` and `{% kept_static 'path' %}`: `{% url 'name' %}` (a page that takes
no arguments) and `{% static 'path' %}`, worked out once per process rather than on every page.

base.html draws seven or so addresses of the navigation bar and five of static files on every
page, each the same every time: Django's tags reverse or look them up afresh (about 1,000 of
the floor page's Python calls). These give the same text, escaped as those tags escape it, from
what was worked out the first time for the same URL configuration, script prefix, static URL
and storage. Only a name or path written in quotes is taken (anything else would vary)."""

from __future__ import annotations

import functools
from collections.abc import Callable

from django import template
from django.conf import settings
from django.template.base import Parser, Token
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape

register = template.Library()


class KeptNode(template.Node):
    def __init__(self, find: Callable[[str], str], name: str) -> None:
        self.find = find
        self.name = name

    def render(self, context: template.Context) -> str:
        found = self.find(self.name)
        return conditional_escape(found) if context.autoescape else found


def quoted(token: Token) -> str:
    bits = token.split_contents()
    if len(bits) != 2 or len(bits[1]) < 2 or bits[1][0] not in "'\"" or bits[1][-1] != bits[1][0]:
        raise template.TemplateSyntaxError(f"{bits[0]} takes one name or path, in quotes.")
    return bits[1][1:-1]


@register.tag
def kept_url(parser: Parser, token: Token) -> KeptNode:
    return KeptNode(url_of, quoted(token))


@register.tag
def kept_static(parser: Parser, token: Token) -> KeptNode:
    return KeptNode(static_of, quoted(token))


def url_of(name: str) -> str:
    return _url(name, settings.ROOT_URLCONF, get_urlconf(), get_script_prefix())


def static_of(path: str) -> str:
    storage = settings.STORAGES["staticfiles"]
    return _static(path, settings.STATIC_URL, str(storage["BACKEND"]))  # type: ignore[index]


@functools.lru_cache(maxsize=128)
def _url(name: str, root: str, urlconf: str | None, prefix: str) -> str:
    return reverse(name, urlconf=urlconf)


@functools.lru_cache(maxsize=128)
def _static(path: str, static_url: str, storage: str) -> str:
    return static(path)
