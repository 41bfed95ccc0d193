"""With Redis down the public verification page still answers: its rate limit gives way. The
Redis here is one of the test's own, on its own port, really stopped mid-test; the shared one
is left alone."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from django.test import override_settings
from django.urls import reverse

from tests.conftest import need


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    need(
        shutil.which("redis-server"), "stopping a Redis needs redis-server (apt-get install redis)"
    )
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 20
    while True:
        try:
            redis.Redis.from_url(url, socket_connect_timeout=1).ping()
            break
        except redis.RedisError:
            assert time.monotonic() < deadline, "our own Redis did not start"
            time.sleep(0.1)
    try:
        yield url, server
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=10)


@pytest.mark.django_db
def test_the_verification_page_answers_when_redis_stops(real_services, client, own_redis):
    url, server = own_redis
    cache = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}}
    with override_settings(CACHES=cache):
        page = reverse("certification:verify")
        assert client.get(page, {"number": "QP-AAAAA-BBBBB"}).status_code == 200
        assert redis.Redis.from_url(url).keys("*"), "the lookup was counted in our Redis"
        server.terminate()  # Redis stops
        server.wait(timeout=10)
        response = client.get(page, {"number": "QP-AAAAA-BBBBB"})
        assert response.status_code == 200
        assert "No certificate has the number QP-AAAAA-BBBBB" in response.content.decode()
