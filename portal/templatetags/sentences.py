"""`{{ reasons|sentences }}`: reasons given as a list, written one after another as sentences
(each ending in a full stop), not run together with semicolons after full stops."""

from collections.abc import Iterable

from django import template

register = template.Library()


@register.filter
def sentences(reasons: Iterable[str]) -> str:
    return joined(reasons)


def joined(reasons: Iterable[str]) -> str:
    said = [r.strip() for r in reasons if r and r.strip()]
    return " ".join(r if r.endswith((".", "!", "?", ":")) else f"{r}." for r in said)
