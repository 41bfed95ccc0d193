"""Keeping note of upload names that Django had to clean.

Django strips folder names and control characters from an uploaded file's name before any view
sees it ("../../x.pdf" arrives as "x.pdf"). That protects storage, but the portal's rule is that
such a name is bad input the learner is told about. This middleware parses multipart requests
with a parser that records every name it had to change, on `request.altered_upload_names`.
It must come before CsrfViewMiddleware, which reads the body first.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParser
from django.utils.datastructures import ImmutableList


class RecordingParser(MultiPartParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.altered: list[str] = []

    def sanitize_file_name(self, file_name: str) -> str | None:
        cleaned = super().sanitize_file_name(file_name)
        if cleaned != html.unescape(file_name):
            self.altered.append(html.unescape(file_name))
        return cleaned


class UploadNameMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.altered_upload_names = []  # type: ignore[attr-defined]

        def parse_file_upload(meta: Any, post_data: Any) -> Any:
            request.upload_handlers = ImmutableList(request.upload_handlers)
            parser = RecordingParser(meta, post_data, request.upload_handlers, request.encoding)
            parsed = parser.parse()
            request.altered_upload_names = parser.altered  # type: ignore[attr-defined]
            return parsed

        request.parse_file_upload = parse_file_upload  # type: ignore[method-assign,assignment]
        return self.get_response(request)
