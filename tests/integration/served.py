"""Real HTTP against a real server for the integration tests: gunicorn serving the test
database, and a person's session (cookie jar, CSRF token) to send requests from threads."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings

from tests.factories import PASSWORD
from tests.integration.conftest import ROOT, worker_database_url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def gunicorn(
    tmp_path: Path,
    extra_env: Mapping[str, str] | None = None,
    workers: int = 2,
    threads: int = 4,
) -> Iterator[str]:
    """gunicorn (two workers, four threads each, unless told otherwise: one thread is
    gunicorn's sync worker, as the production image runs) serving the test database, as
    production serves the real one; yields its address. `extra_env` overrides its environment
    (a Redis of the test's own, say). Its log is `tmp_path / "gunicorn.log"`."""
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings_test",
        "DATABASE_URL": worker_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        **(extra_env or {}),
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    log = tmp_path / "gunicorn.log"
    command = [sys.executable, "-m", "gunicorn", "portal.wsgi:application"]
    command += ["--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
    command += ["--worker-class", "sync"] if threads == 1 else ["--threads", str(threads)]
    with open(log, "w") as output:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base, process, log)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def wait_until_serving(
    base: str, server: subprocess.Popen[bytes], log: Path, name: str = "gunicorn"
) -> None:
    """Wait (a minute at most) until the server started as `server` answers its health check."""
    deadline = time.monotonic() + 60
    while True:
        if server.poll() is not None:
            pytest.fail(f"{name} exited:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=5) as answer:
                if answer.status == 200:
                    return
        # A worker still booting on a busy machine may take the connection and not answer in
        # time: a read timed out (TimeoutError) is one more try, as a refused connection is.
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if time.monotonic() > deadline:
                pytest.fail(f"{name} did not answer within 60 s:\n{log.read_text()}")
            time.sleep(0.3)


class Browser:
    """One logged-in person: a cookie jar, and their CSRF token for each POST."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        handlers = [urllib.request.HTTPCookieProcessor(self.jar), NoRedirects()]
        self.opener = urllib.request.build_opener(*handlers)

    def log_in(self, email: str) -> None:
        page = self.opener.open(f"{self.base}/accounts/login/", timeout=30).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token is not None
        status = self.post("/accounts/login/", {"username": email, "password": PASSWORD},
                           token=token.group(1))  # fmt: skip
        assert status == 302, "the login should redirect home"

    def post(
        self,
        path: str,
        fields: Mapping[str, str | list[str]],
        token: str | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        timeout: float = 60,
    ) -> int:
        """POST the fields (and `files`: field name to file name, content and type, sent as
        multipart form data, as a browser uploads); the status of the answer."""
        cookies = {c.name: c.value for c in self.jar}
        if files:
            data, content_type = multipart(fields, files)
        else:
            data = urllib.parse.urlencode(fields, doseq=True).encode()
            content_type = "application/x-www-form-urlencoded"
        request = urllib.request.Request(f"{self.base}{path}", data=data, method="POST")
        request.add_header("Content-Type", content_type)
        request.add_header("X-CSRFToken", token or str(cookies["csrftoken"]))
        request.add_header("Referer", f"{self.base}{path}")
        return self.send(request, timeout)[0]

    def send(self, request: urllib.request.Request, timeout: float) -> tuple[int, str]:
        try:
            with self.opener.open(request, timeout=timeout) as answer:
                return int(answer.status), answer.read().decode()
        except urllib.error.HTTPError as error:
            return int(error.code), error.read().decode()

    def post_page(
        self, path: str, fields: Mapping[str, str | list[str]], timeout: float = 60
    ) -> tuple[int, str]:
        """POST url-encoded fields; the status and text of the answer."""
        cookies = {c.name: c.value for c in self.jar}
        data = urllib.parse.urlencode(fields, doseq=True).encode()
        request = urllib.request.Request(f"{self.base}{path}", data=data, method="POST")
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
        request.add_header("X-CSRFToken", str(cookies["csrftoken"]))
        request.add_header("Referer", f"{self.base}{path}")
        return self.send(request, timeout)

    def claim(self, kind: str, registrations: list[str], timeout: float = 60) -> int:
        """Claim as a centre admin does (decision 36): tick, see the confirmation page, confirm
        with its one-time token. The status of the confirmation (302 when it went through), or
        of the first page if it offered nothing to confirm."""
        status, token = self.claim_confirmation(kind, registrations, timeout)
        if token is None:
            return status
        return self.post("/claims/confirm/", {"token": token}, timeout=timeout)

    def claim_confirmation(
        self, kind: str, registrations: list[str], timeout: float = 60
    ) -> tuple[int, str | None]:
        """The claims page's first step: the status of the confirmation page and its one-time
        token (None if it offered nothing to confirm)."""
        fields: dict[str, str | list[str]] = {"kind": kind, "registrations": registrations}
        status, page = self.post_page("/claims/new/", fields, timeout)
        token = re.search(r'name="token" value="([^"]+)"', page)
        return status, token.group(1) if status == 200 and token else None

    def get(self, path: str) -> tuple[int, str]:
        """The status and text of a page."""
        try:
            with self.opener.open(f"{self.base}{path}", timeout=60) as answer:
                return int(answer.status), answer.read().decode()
        except urllib.error.HTTPError as error:
            return int(error.code), error.read().decode()


def multipart(
    fields: Mapping[str, str | list[str]], files: Mapping[str, tuple[str, bytes, str]]
) -> tuple[bytes, str]:
    """The body and content type of a multipart/form-data POST."""
    boundary = uuid.uuid4().hex
    parts: list[bytes] = []
    for name, value in fields.items():
        for one in [value] if isinstance(value, str) else value:
            head = f'Content-Disposition: form-data; name="{name}"'
            parts.append(f"--{boundary}\r\n{head}\r\n\r\n{one}\r\n".encode())
    for name, (filename, content, kind) in files.items():
        head = f'Content-Disposition: form-data; name="{name}"; filename="{filename}"'
        parts.append(
            f"--{boundary}\r\n{head}\r\nContent-Type: {kind}\r\n\r\n".encode() + content + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None
