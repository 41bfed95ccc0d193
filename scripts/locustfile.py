"""Locust users for the load benchmark: started by scripts/bench_load.py, not by hand.

It reads the plan bench_load.py wrote (BENCH_PLAN, JSON): the role's mix (page names and
weights), the people to log in as (each with the concrete path of every page of the mix, and the
form of each write) and their password, how long to measure, and where to write the figures.

Each locust user is one person, the next on the list (distinct people while they last; a
population with fewer people of the role than users shares them, each user with its own
session), who logs in for real: the login page, then its form POSTed with the CSRF token, so
django-axes and the sessions do their work (a wrong password would count against that person
only: the lockout is per address and login name). Then, once every user has logged in, the
figures gathered so far are put aside (the logins are reported on their own) and the measured
window begins: each user fetches the pages of the mix in proportion to their weights, back to
back (no think time unless BENCH_WAIT says so), until the window ends.

A page counts as an error unless it answers 200, a write unless it redirects (its form shown
again means it was refused), and either if it sends the person to the login page.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import gevent
from gevent.event import Event
from locust import FastHttpUser, constant, events, task
from locust.env import Environment
from locust.exception import StopUser

PLAN: dict[str, Any] = json.loads(Path(os.environ["BENCH_PLAN"]).read_text())
PEOPLE = itertools.cycle(PLAN["people"])
LOGIN = "/accounts/login/"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n"

arrived = 0
measuring = Event()


def csrf_token(user: FastHttpUser) -> str:
    for cookie in user.client.cookiejar:
        if cookie.name == "csrftoken" and cookie.value:
            return cookie.value
    raise StopUser()


def multipart(fields: dict[str, Any], upload: tuple[str, str, bytes]) -> tuple[bytes, str]:
    """A multipart/form-data body: the form's fields and one file."""
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        for each in value if isinstance(value, list) else [value]:
            head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            parts.append(f"{head}{each}\r\n".encode())
    field, filename, content = upload
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
        f'filename="{filename}"\r\nContent-Type: application/pdf\r\n\r\n'.encode()
        + content
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class PortalUser(FastHttpUser):
    wait_time = constant(float(os.environ.get("BENCH_WAIT", "0")))
    # Logins are many at once at the start; a slow answer must not read as a failure.
    network_timeout = 120.0
    connection_timeout = 120.0

    def on_start(self) -> None:
        self.person = next(PEOPLE)
        mix = [(name, weight) for name, weight in PLAN["mix"] if name in self.person["pages"]]
        self.names = [name for name, _ in mix]
        self.weights = [weight for _, weight in mix]
        try:
            self.log_in()
        finally:
            arrive(self.environment)
        measuring.wait()

    def log_in(self) -> None:
        self.client.get(LOGIN, name="login page")
        fields = {
            "username": self.person["email"],
            "password": PLAN["password"],
            "csrfmiddlewaretoken": csrf_token(self),
        }
        self.expect("POST", LOGIN, "login", urlencode(fields), FORM, redirect=True)
        if self.person["switch"]:  # someone with several roles chooses the one to act in
            role = {"role": self.person["role_id"], "csrfmiddlewaretoken": csrf_token(self)}
            self.expect("POST", "/role/", "role switch", urlencode(role), FORM, redirect=True)

    @task
    def next_page(self) -> None:
        name = random.choices(self.names, self.weights)[0]
        path = self.person["pages"][name]
        form = self.person["forms"].get(name)
        if form is None:
            self.expect("GET", path, name)
            return
        fields = {**form, "csrfmiddlewaretoken": csrf_token(self)}
        if "feedback" in fields:  # the same decision twice is refused as a repeat
            fields["feedback"] = f"{fields['feedback']} ({uuid.uuid4().hex[:6]})"
        if "form_token" in fields:  # a fresh form each time
            fields["form_token"] = str(uuid.uuid4())
        if name in self.person["uploads"]:
            content = PDF + f"%{uuid.uuid4().hex}\n%%EOF\n".encode()
            body, kind = multipart(fields, ("evidence_files", "till.pdf", content))
            self.expect("POST", path, name, body, {"Content-Type": kind}, redirect=True)
        else:
            self.expect("POST", path, name, urlencode(fields, doseq=True), FORM, redirect=True)

    def expect(
        self,
        method: str,
        path: str,
        name: str,
        body: Any = None,  # str or bytes: geventhttpclient sends either as it is
        headers: dict[str, str] | None = None,
        redirect: bool = False,
    ) -> None:
        """Send the request; anything but the expected answer is an error, named."""
        with self.client.request(
            method, path, name=name, data=body, headers=headers, allow_redirects=False,
            catch_response=True,
        ) as response:  # fmt: skip
            status = response.status_code
            location = response.headers.get("Location", "") if response.headers else ""
            if LOGIN in location and name != "login":
                response.failure("sent to the login page: the session was lost")
            elif redirect and status != 302:
                response.failure(f"{status} where a redirect was expected (refused?)")
            elif not redirect and status != 200:
                response.failure(f"{status}")
            else:
                response.success()


def arrive(environment: Environment) -> None:
    """Count the users that have logged in; the last one opens the measured window."""
    global arrived
    arrived += 1
    runner = environment.runner
    if runner is not None and arrived == runner.target_user_count and not measuring.is_set():
        gevent.spawn(measure, environment)


def figures(environment: Environment, seconds: float) -> dict[str, Any]:
    stats = environment.stats
    rows = []
    for entry in [*stats.entries.values(), stats.total]:
        if not entry.num_requests and entry is not stats.total:
            continue
        rows.append(
            {
                "name": entry.name,
                "method": entry.method or "",
                "requests": entry.num_requests,
                "failures": entry.num_failures,
                "per_second": entry.num_requests / seconds if seconds else 0.0,
                "p50": entry.get_response_time_percentile(0.5) if entry.num_requests else None,
                "p95": entry.get_response_time_percentile(0.95) if entry.num_requests else None,
                "p99": entry.get_response_time_percentile(0.99) if entry.num_requests else None,
                "average_bytes": entry.avg_content_length if entry.num_requests else 0,
            }
        )
    errors = [
        {"name": e.name, "method": e.method, "error": str(e.error), "count": e.occurrences}
        for e in stats.errors.values()
    ]
    return {"seconds": seconds, "rows": rows, "errors": errors}


def measure(environment: Environment) -> None:
    """Put the logins' figures aside, reset, let everyone go for the window, write, quit."""
    summary: dict[str, Any] = {"users": arrived, "logins": figures(environment, 0.0)}
    environment.stats.reset_all()
    began = time.monotonic()
    Path(f"{PLAN['summary']}.started").touch()  # bench_load.py starts counting CPU here
    measuring.set()
    gevent.sleep(float(PLAN["seconds"]))
    summary["window"] = figures(environment, time.monotonic() - began)
    Path(PLAN["summary"]).write_text(json.dumps(summary, indent=1))
    assert environment.runner is not None
    environment.runner.quit()


@events.quitting.add_listener
def nothing_measured(environment: Environment, **_: Any) -> None:
    """If the run ended before the window did (locust's own time limit), say so in the file."""
    if not Path(PLAN["summary"]).exists():
        Path(PLAN["summary"]).write_text(json.dumps({"users": arrived, "incomplete": True}))
