"""Several people at once on ONE gunicorn worker, on PostgreSQL: each sees only their own data.

What every request reads is compiled once per process and run again with other ids (the session
row, the person, their roles, the unread count: decision 68), objects are made by makers kept
per process (`portal.compiled_objects`), and base.html's fixed addresses are worked out once
per process (`portal/templatetags/kept.py`). None of it may carry one request's person into
another's. Learners at two centres, an assessor, an IQA and two centre admins are logged in
with real sessions, and a few hundred of their requests are sent interleaved, from several
threads, at pages that name the person and show their data: their home page, notifications,
the learner's registration, the admin's lists. Every answer must name its own person, role,
centre and unread count, show their own notifications, and show no one else's name, address,
centre or notification. One person logs out and back in (and then as someone else) in the
middle, and anonymous requests are sent throughout: each is sent to the login page, and shows
no one. Both with gunicorn's sync worker (as the production image runs) and with four threads
in the worker (gthread: the integration suite's servers), where requests of different people
run in the same process at the same time.

Under threads a compiled query (`portal.compiled.Compiled`) is shared: it keeps the compiler
it was compiled with, but that compiler's connection is Django's `connection` proxy, which
finds the running thread's own connection at each use, its rows are read on that thread's
cursor, and its parameters are copied for each run. Seen failing: with one list of parameters
shared by a query's runs, the gthread run shows people each other's names, centres, counts and
notices (the sync run cannot); compiled against the compiling thread's own connection and run
on it, the gthread run answers 500 (Django refuses to share a connection between threads);
with the roles or the unread count kept across requests, or the person read by id answering
the previous request's person (Django then ends the session), both runs fail."""

from __future__ import annotations

import random
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from portal.models import Centre, NotificationKind, RoleKind, User
from portal.notifications import Notice, notify
from portfolios.models import Registration
from portfolios.services import RegistrationDetails, registration_create
from qualifications.models import Qualification
from tests.catalogue import load_test_world
from tests.factories import CentreFactory, RoleFactory, UserFactory
from tests.integration.served import Browser, gunicorn
from tests.portfolios.conftest import SFJ_ENOUGH, START

# Requests each logged-in person sends (in all, with the anonymous ones and the person who logs
# out and in: about 260 a run), from CLIENTS threads, in an order shuffled with a fixed seed.
EACH = 30
ANONYMOUS = 24
CLIENTS = 8
SEED = 20261207

NORTH, SOUTH = "Northgate Skills Centre", "Southbank Training Centre"


@dataclass
class Person:
    """Someone logged in during the test, with what their pages must and must not show."""

    name: str
    email: str
    kind: RoleKind
    centre: str
    unread: int
    pages: list[str] = field(default_factory=list)
    # Names their pages may show besides their own (their learners, their assessor).
    sees: set[str] = field(default_factory=set)
    # What the page at each path must show of theirs, below the navigation bar.
    shows: dict[str, list[str]] = field(default_factory=dict)
    user: User | None = None

    @property
    def account(self) -> User:
        assert self.user is not None, "made by world()"
        return self.user

    @property
    def notice(self) -> str:
        return f"A notice for {self.name} alone"

    @property
    def role_label(self) -> str:
        return str(self.kind.label)


def cast() -> dict[str, Person]:
    """Who is who: each with a different name, address and unread count."""
    people = [
        Person("Amara Okafor", "amara@north.test", RoleKind.LEARNER, NORTH, 1),
        Person("Bram Nilsen", "bram@north.test", RoleKind.LEARNER, NORTH, 2),
        Person("Chidi Mensah", "chidi@south.test", RoleKind.LEARNER, SOUTH, 3),
        Person("Dinah Petrova", "dinah@north.test", RoleKind.ASSESSOR, NORTH, 4),
        Person("Eitan Rossi", "eitan@north.test", RoleKind.IQA, NORTH, 5),
        Person("Farah Quint", "farah@north.test", RoleKind.CENTRE_ADMIN, NORTH, 6),
        Person("Gideon Hale", "gideon@south.test", RoleKind.CENTRE_ADMIN, SOUTH, 7),
        Person("Hana Sato", "hana@south.test", RoleKind.ASSESSOR, SOUTH, 8),
        Person("Ivo Brandt", "ivo@south.test", RoleKind.LEARNER, SOUTH, 9),
    ]
    return {p.email.split("@")[0]: p for p in people}


def world() -> dict[str, Person]:
    """The two centres and their people, each learner registered with their centre's assessor,
    and each person's unread notifications."""
    load_test_world()
    people = cast()
    centres = {
        NORTH: CentreFactory.create(name=NORTH),
        SOUTH: CentreFactory.create(name=SOUTH),
    }
    for person in people.values():
        person.user = UserFactory.create(email=person.email, full_name=person.name)
        RoleFactory.create(user=person.user, centre=centres[person.centre], kind=person.kind)
    assessors = {NORTH: people["dinah"], SOUTH: people["hana"]}
    admins = {NORTH: people["farah"], SOUTH: people["gideon"]}
    sfj = Qualification.objects.get(code="SFJ-L2-CS")
    for learner in [p for p in people.values() if p.kind == RoleKind.LEARNER]:
        assessor, admin = assessors[learner.centre], admins[learner.centre]
        registration = registration_create(
            centre=centres[learner.centre],
            details=RegistrationDetails(
                learner=learner.account,
                qualification=sfj,
                start_date=START,
                assessor=assessor.account,
            ),
            optional_units=SFJ_ENOUGH,
            actor=admin.account,
        )
        own = f"/registrations/{registration.pk}/"
        learner.pages = ["/", own, "/notifications/"]
        learner.shows[own] = [f'<h1 class="h2 mb-1">{learner.name}</h1>']
        learner.sees = {assessor.name}
        assessor.shows.setdefault("/", []).append(learner.name)  # the caseload
    for person in people.values():
        colleagues = [p for p in people.values() if p.centre == person.centre and p is not person]
        if person.kind == RoleKind.ASSESSOR or person.kind == RoleKind.IQA:
            person.pages = ["/", "/notifications/", "/accounts/password_change/"]
            person.sees |= {p.name for p in colleagues if p.kind == RoleKind.LEARNER}
        elif person.kind == RoleKind.CENTRE_ADMIN:
            person.pages = ["/", "/registrations/", "/notifications/"]
            person.sees |= {p.name for p in colleagues}
            person.shows["/"] = [p.email for p in colleagues]  # the centre's people
            person.shows["/registrations/"] = [
                p.name for p in colleagues if p.kind == RoleKind.LEARNER
            ]
        person.shows["/notifications/"] = [person.notice]
        notify(
            Notice(
                recipient_id=person.account.pk,
                kind=NotificationKind.EVIDENCE_JUDGED,
                key=f"concurrency:{person.email}:{n}",
                text=person.notice if n == 0 else f"Another notice, number {n}",
                link="/",
                centre_id=centres[person.centre].pk,
                role_kind=person.kind,
            )
            for n in range(person.unread)
        )
    assert Registration.objects.count() == 4
    assert Centre.objects.filter(name__in=[NORTH, SOUTH]).count() == 2
    return people


@dataclass(frozen=True)
class Answer:
    status: int
    location: str
    text: str


def fetch(browser: Browser, path: str) -> Answer:
    """GET the path in the browser's session, not following a redirect."""
    try:
        with browser.opener.open(f"{browser.base}{path}", timeout=60) as answer:
            return Answer(int(answer.status), "", answer.read().decode())
    except urllib.error.HTTPError as error:
        return Answer(int(error.code), error.headers.get("Location", ""), error.read().decode())


NAV_NAME = re.compile(r'<span class="navbar-text small me-2">([^<]*)</span>')
ROLE_BADGE = re.compile(r'data-testid="role-badge">([^<]*)</span>')
UNREAD = re.compile(
    r'data-testid="notifications-link">Notifications'
    r'(?: <span class="badge text-bg-light">(\d+)<span class="visually-hidden"> unread)?'
)


def problems(person: Person, everyone: dict[str, Person], path: str, answer: Answer) -> list[str]:
    """What is wrong with the answer to the person's request for `path` (nothing: [])."""
    if answer.status != 200:
        return [f"{path} answered {answer.status} {answer.location}"]
    page = answer.text
    wrong = []
    if NAV_NAME.findall(page) != [person.name]:
        wrong.append(f"the bar names {NAV_NAME.findall(page)}")
    if ROLE_BADGE.findall(page) != [f"{person.role_label} · {person.centre}"]:
        wrong.append(f"the role badge says {ROLE_BADGE.findall(page)}")
    if UNREAD.findall(page) != [str(person.unread)]:
        wrong.append(f"the unread count is {UNREAD.findall(page)}")
    other_centre = SOUTH if person.centre == NORTH else NORTH
    if other_centre in page:
        wrong.append(f"the page names {other_centre}")
    for other in everyone.values():
        if other is person:
            continue
        if other.name not in person.sees:
            if other.name in page:
                wrong.append(f"the page names {other.name}")
            if other.email in page:
                wrong.append(f"the page shows {other.email}")
        if other.notice in page:
            wrong.append(f"the page shows {other.name}'s notice")
    main = page.partition('<main id="main"')[2]
    wrong += [f"{own!r} is missing" for own in person.shows.get(path, []) if own not in main]
    return [f"{path}: {w}" for w in wrong]


def sent_to_login(path: str, answer: Answer, everyone: dict[str, Person]) -> list[str]:
    """What is wrong with an anonymous request's answer: it must send them to log in."""
    wrong = []
    if answer.status != 302 or not answer.location.startswith("/accounts/login/"):
        wrong.append(f"answered {answer.status} {answer.location}")
    wrong += [f"names {p.name}" for p in everyone.values() if p.name in answer.text]
    return [f"anonymous {path}: {w}" for w in wrong]


@dataclass
class Run:
    """The requests sent and everything found wrong with their answers."""

    sent: int = 0
    bad: int = 0  # answers with something wrong
    wrong: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, found: list[str]) -> None:
        with self.lock:
            self.sent += 1
            self.bad += bool(found)
            self.wrong += found


def comes_and_goes(
    server: str, first: Person, then: Person, everyone: dict[str, Person], run: Run
) -> None:
    """One browser, while the others send theirs: `first` logs in, uses the portal, logs out
    (the old session's cookie, sent again, is anonymous), logs in again, out again, and
    `then` logs in with the same browser and uses it."""
    browser = Browser(server)
    for person, rounds in [(first, 2), (then, 1)]:
        for _ in range(rounds):
            browser.log_in(person.email)
            for n in range(8):
                path = person.pages[n % len(person.pages)]
                run.record(problems(person, everyone, path, fetch(browser, path)))
            stale = Browser(server)
            for cookie in browser.jar:
                stale.jar.set_cookie(cookie)
            assert browser.post("/accounts/logout/", {}) == 302
            for who in (browser, stale):
                run.record(sent_to_login("/", fetch(who, "/"), everyone))


def send_all(jobs: list[Callable[[], list[str]]], run: Run, alongside: Callable[[], None]) -> None:
    """Run the jobs from CLIENTS threads, taking them in turn from the shuffled list, with
    `alongside` in a thread of its own. A job or `alongside` that raises is one more answer
    wrong, not a thread lost."""
    queue = iter(jobs)
    lock = threading.Lock()

    def client() -> None:
        while True:
            with lock:
                job = next(queue, None)
            if job is None:
                return
            try:
                found = job()
            except Exception as error:
                found = [f"a request raised {error!r}"]
            run.record(found)

    def alongside_guarded() -> None:
        try:
            alongside()
        except Exception as error:
            run.record([f"logging out and in raised {error!r}"])

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    threads.append(threading.Thread(target=alongside_guarded))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "requests still hang"


@pytest.fixture
def people(real_services, transactional_db) -> dict[str, Person]:
    return world()


def served_to_all(base: str, people: dict[str, Person]) -> Run:
    """Log everyone in, send every request, and say what was wrong with the answers."""
    everyone = dict(people)
    comer, goer = people["bram"], people["ivo"]
    browsers = {}
    for key, person in people.items():
        if person not in (comer, goer):
            browsers[key] = Browser(base)
            browsers[key].log_in(person.email)

    def request_of(person: Person, browser: Browser, path: str) -> Callable[[], list[str]]:
        return lambda: problems(person, everyone, path, fetch(browser, path))

    def anonymous(path: str) -> Callable[[], list[str]]:
        return lambda: sent_to_login(path, fetch(Browser(base), path), everyone)

    jobs = [
        request_of(people[key], browser, people[key].pages[n % len(people[key].pages)])
        for key, browser in browsers.items()
        for n in range(EACH)
    ]
    anonymous_paths = ["/", "/notifications/", "/registrations/", "/accounts/password_change/"]
    jobs += [anonymous(anonymous_paths[n % len(anonymous_paths)]) for n in range(ANONYMOUS)]
    random.Random(SEED).shuffle(jobs)
    run = Run()
    send_all(jobs, run, lambda: comes_and_goes(base, comer, goer, everyone, run))
    expected = len(jobs) + 3 * (8 + 2)  # and the three sessions of `comes_and_goes`
    if run.sent != expected:
        run.wrong.append(f"{run.sent} answers of {expected}")
    return run


def test_each_person_sees_only_their_own_data_on_one_worker(people, tmp_path: Path):
    """ONE worker, sync and then gthread with four threads, keeping its database connections
    as production's settings do (CONN_MAX_AGE); the same people, pages and order each time."""
    wrong: list[str] = []
    sent = bad = 0
    for worker_class, threads in [("sync", 1), ("gthread", 4)]:
        folder = tmp_path / worker_class
        folder.mkdir()
        with gunicorn(folder, {"CONN_MAX_AGE": "60"}, workers=1, threads=threads) as base:
            run = served_to_all(base, people)
        sent, bad = sent + run.sent, bad + run.bad
        wrong += [f"{worker_class}: {w}" for w in run.wrong]
        # One worker of the kind asked for served them all, never restarted (a crash, a timeout).
        log = (folder / "gunicorn.log").read_text()
        assert f"Using worker: {worker_class}" in log, log
        assert log.count("Booting worker with pid") == 1, log
    assert wrong == [], f"{bad} of {sent} answers wrong:\n" + "\n".join(wrong[:40])
