"""The README's run command, run as a newcomer runs it: it must bring up a portal that answers.

A slow test (it installs and migrates in a subprocess), so it runs with the integration suite.
"""

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read().decode()


def test_the_run_command_starts_a_portal_with_demo_data_that_answers(tmp_path):
    port = free_port()
    # The embedded default, in a folder of its own so the developer's var/ is left alone.
    # (pytest-django's DJANGO_SETTINGS_MODULE too: a newcomer has the portal's own settings.)
    unset = {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "MEDIA_ROOT"}
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update(PORT=str(port), PORTAL_VAR_DIR=str(tmp_path), PYTHONUNBUFFERED="1")
    log = tmp_path / "run.log"
    with open(log, "w") as output:
        server = subprocess.Popen(
            ["./run.sh"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        status, page = wait_for(f"http://127.0.0.1:{port}/accounts/login/", server, log)
        assert status == 200
        assert '<h1 class="h3 mb-3">Log in</h1>' in page
        assert fetch(f"http://127.0.0.1:{port}/healthz") == (200, "ok")
        printed = log.read_text()
        assert "Password for every demo account (local use only)" in printed
        # The demo's invitation e-mail, printed here, links to where this portal listens.
        assert f"http://127.0.0.1:{port}/accounts/invitation/" in printed
        # The address to open is printed once the server answers, not before it listens.
        printed = printed_soon(log, f"Open http://127.0.0.1:{port}/ and log in")
        opened = printed.index(f"Open http://127.0.0.1:{port}/ and log in")
        assert printed.index("Starting development server") < opened
        assert (tmp_path / "db.sqlite3").is_file()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def printed_soon(log: Path, line: str) -> str:
    """The log once it holds `line` (run.sh prints it a moment after the server answers)."""
    deadline = time.monotonic() + 30
    while line not in (printed := log.read_text()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return printed


def wait_for(url: str, server: subprocess.Popen[bytes], log: Path) -> tuple[int, str]:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"run.sh exited with {server.returncode}:\n{log.read_text()}")
        try:
            return fetch(url)
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.5)
    raise AssertionError(f"No answer from {url} within 300 s:\n{log.read_text()}")
