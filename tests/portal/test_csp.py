"""The Content Security Policy on every page, the PDF viewer's own stricter one, and templates
that need no exception from it (the browser suite's tests/browser/test_csp.py walks the pages)."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def directives(header: str) -> dict[str, list[str]]:
    parts = [part.split() for part in header.split(";") if part.strip()]
    return {part[0]: part[1:] for part in parts}


@pytest.mark.parametrize("persona", [None, "learner", "assessor", "centre_admin"])
def test_every_page_carries_the_policy(client, db, request, persona):
    if persona:
        client.force_login(request.getfixturevalue(persona))
    for url in ("/", reverse("certification:verify"), reverse("password_reset")):
        response = client.get(url, follow=True)
        policy = directives(response["Content-Security-Policy"])
        assert policy["default-src"] == ["'none'"]
        assert policy["script-src"] == ["'self'"]
        assert policy["style-src"] == ["'self'"]
        assert policy["img-src"] == ["'self'", "data:"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert policy["form-action"] == ["'self'"]
        assert policy["base-uri"] == ["'none'"]
        assert policy["object-src"] == ["'none'"]
        assert policy["frame-src"] == ["'self'"]
        assert response["X-Frame-Options"] == "DENY"


def test_nothing_in_the_policy_lets_inline_code_or_eval_in(client, db):
    header = client.get(reverse("login"))["Content-Security-Policy"]
    for loophole in ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*", "http:", "https:"):
        assert loophole not in header.split()


def test_the_pdf_viewer_is_a_sandbox_that_only_the_portal_s_own_pages_may_frame(client):
    response = client.get(reverse("pdf-viewer"))
    policy = directives(response["Content-Security-Policy"])
    assert policy["sandbox"] == ["allow-scripts"]  # an opaque origin: not allow-same-origin
    assert policy["frame-ancestors"] == ["'self'"]
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert policy["default-src"] == ["'none'"]
    assert "connect-src" not in policy  # the viewer sends nothing anywhere
    assert policy["form-action"] == ["'none'"]


# Templates rendered for browsers (the PDF templates are WeasyPrint's, which runs no script).
PAGE_TEMPLATES = [
    p for p in TEMPLATES.rglob("*.html") if "pdf" not in p.relative_to(TEMPLATES).parts
]
INLINE = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "inline style element": re.compile(r"<style\b", re.I),
    "style attribute": re.compile(r"\sstyle\s*=", re.I),
    "event handler attribute": re.compile(r"\son[a-z]+\s*=", re.I),
    "javascript: address": re.compile(r"javascript:", re.I),
    "htmx code attribute": re.compile(r"\shx-on|js:", re.I),
}
COMMENTS = re.compile(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}|{#.*?#}", re.S)


@pytest.mark.parametrize("what", INLINE)
def test_no_page_template_needs_an_exception_from_the_policy(what):
    offenders = [
        str(path.relative_to(TEMPLATES))
        for path in PAGE_TEMPLATES
        if INLINE[what].search(COMMENTS.sub("", path.read_text()))
    ]
    assert PAGE_TEMPLATES and offenders == [], f"{what} in {offenders}"


def test_htmx_is_told_to_add_no_style_evaluate_nothing_and_run_no_returned_script():
    base = (TEMPLATES / "base.html").read_text()
    for setting in (
        '"includeIndicatorStyles": false',
        '"allowEval": false',
        '"allowScriptTags": false',
    ):
        assert setting in base
