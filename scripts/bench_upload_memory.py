"""Benchmark: a large evidence upload must stream, not sit in the server's memory.

    .venv/bin/python scripts/bench_upload_memory.py [--size-mb 1024]

Starts the portal under gunicorn (one sync worker) on a throwaway SQLite database, logs a
learner in, and uploads one generated video of the given size (an MP4 header and zeros, sent in
1 MB chunks: the client holds no more than that either). It reads the worker's resident memory
when idle and its peak during the upload from /proc, and prints both and the difference. The
goal (issue 5) is a peak within 100 MB of the idle process for a 1 GB file.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MP4_HEAD = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"
CHUNK = 1024 * 1024


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def kilobytes(pid: int, field: str) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(rf"^{field}:\s+(\d+) kB", status, re.MULTILINE)
    assert match, f"{field} not in /proc/{pid}/status"
    return int(match.group(1))


def worker_of(master: int) -> int:
    for _ in range(100):
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise RuntimeError("gunicorn started no worker")


def prepare(var_dir: str, size: int) -> tuple[int, str, str]:
    """Create a learner with a registration; return its id, a session key and the e-mail."""
    os.environ.update(PORTAL_VAR_DIR=var_dir, DJANGO_SETTINGS_MODULE="portal.settings")
    os.environ["EVIDENCE_MAX_BYTES"] = str(size + CHUNK)
    import django

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command

    from portal.models import Centre, Role, RoleKind, User
    from portfolios.models import Registration
    from qualifications.models import Qualification
    from qualifications.rules.versions import current_version

    call_command("migrate", verbosity=0)
    centre = Centre.objects.create(name="Benchmark centre")
    learner = User.objects.create_user("bench@example.org", "Bench Learner", "unused-password")
    Role.objects.create(user=learner, centre=centre, kind=RoleKind.LEARNER)
    qualification = Qualification.objects.create(code="BENCH", title="Benchmark", level=2)
    registration = Registration.objects.create(
        learner=learner,
        centre=centre,
        qualification=qualification,
        pinned_rules_id=current_version(qualification).id,
        start_date="2026-09-01",
    )
    session = SessionStore()
    session[SESSION_KEY] = str(learner.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = learner.get_session_auth_hash()
    session.create()
    assert session.session_key is not None
    return registration.pk, session.session_key, learner.email


def upload(port: int, path: str, cookies: str, token: str, size: int) -> http.client.HTTPResponse:
    boundary = uuid.uuid4().hex
    fields = {
        "title": "A long video",
        "occurred_on": "2026-10-05",
        "method": "observation",
        "description": "",
        "declaration": "on",
        "csrfmiddlewaretoken": token,
    }
    preamble = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
        for k, v in fields.items()
    )
    preamble += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="evidence_files"; '
        f'filename="video.mp4"\r\nContent-Type: video/mp4\r\n\r\n'
    )
    epilogue = f"\r\n--{boundary}--\r\n".encode()
    head = preamble.encode()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    connection.putrequest("POST", path)
    connection.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    connection.putheader("Content-Length", str(len(head) + size + len(epilogue)))
    connection.putheader("Cookie", cookies)
    connection.putheader("Referer", f"http://127.0.0.1:{port}{path}")
    connection.endheaders()
    connection.send(head)
    connection.send(MP4_HEAD)
    zeros, left = bytes(CHUNK), size - len(MP4_HEAD)
    while left > 0:
        connection.send(zeros[: min(CHUNK, left)])
        left -= CHUNK
    connection.send(epilogue)
    return connection.getresponse()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    args = parser.parse_args()
    size = args.size_mb * 1024 * 1024
    var_dir = tempfile.mkdtemp(prefix="bench-upload-")
    registration, session_key, _ = prepare(var_dir, size)
    port = free_port()
    env = {**os.environ, "PORTAL_VAR_DIR": var_dir, "EVIDENCE_MAX_BYTES": str(size + CHUNK)}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "portal.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--timeout",
            "600",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        worker = worker_of(server.pid)
        path = f"/registrations/{registration}/evidence/new/"
        for _ in range(100):
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                connection.request("GET", path, headers={"Cookie": f"sessionid={session_key}"})
                page = connection.getresponse()
                break
            except OSError:
                time.sleep(0.2)
        token = re.search(r"csrftoken=([^;]+)", page.getheader("Set-Cookie") or "")
        assert page.status == 200 and token, f"the form did not load ({page.status})"
        page.read()
        idle = kilobytes(worker, "VmRSS")
        Path(f"/proc/{worker}/clear_refs").write_text("5")  # reset the peak to now
        began = time.perf_counter()
        response = upload(
            port, path, f"sessionid={session_key}; csrftoken={token.group(1)}", token.group(1), size
        )
        seconds = time.perf_counter() - began
        peak = kilobytes(worker, "VmHWM")
        location = response.getheader("Location") or ""
        response.read()
        ok = response.status == 302 and "/evidence/" in location
        print(
            f"upload of {args.size_mb} MB: HTTP {response.status} {'saved' if ok else 'NOT SAVED'} "
            f"in {seconds:.1f} s"
        )
        print(
            f"worker memory: idle {idle / 1024:.1f} MB, peak during upload {peak / 1024:.1f} MB, "
            f"difference {(peak - idle) / 1024:.1f} MB (goal: under 100 MB)"
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        subprocess.run(["rm", "-rf", var_dir], check=False)


if __name__ == "__main__":
    main()
