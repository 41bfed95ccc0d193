"""One active registration per learner and qualification, held by gunicorn on PostgreSQL under
real concurrent requests: the same registration posted many times at once registers the learner
once, and a registration that loses a race to another centre's is refused in words, never with
a 500."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from django.db import connection, transaction
from django.utils.html import escape

from portal.audit import audit_verify
from portal.models import AuditEntry, RoleKind, User
from portfolios.models import Registration
from portfolios.services import ALREADY_REGISTERED, RegistrationDetails, registration_create
from qualifications.models import Qualification
from tests.factories import CentreFactory, RoleFactory, UserFactory
from tests.integration.served import Browser
from tests.integration.test_repeated_requests import TIMES, Portfolio, portfolio, server
from tests.portfolios.conftest import SFJ, SFJ_ENOUGH, START


def post_reading(
    browser: Browser, path: str, fields: dict[str, str | list[str]]
) -> tuple[int, str]:
    """Like Browser.post, and the page that came back too."""
    cookies = {c.name: c.value for c in browser.jar}
    data = urllib.parse.urlencode(fields, doseq=True).encode()
    request = urllib.request.Request(f"{browser.base}{path}", data=data, method="POST")
    request.add_header("X-CSRFToken", str(cookies["csrftoken"]))
    request.add_header("Referer", f"{browser.base}{path}")
    try:
        with browser.opener.open(request, timeout=60) as answer:
            return int(answer.status), answer.read().decode()
    except urllib.error.HTTPError as error:
        return int(error.code), error.read().decode()


def newcomer(portfolio: Portfolio) -> User:
    person = UserFactory.create(email="newcomer@example.org")
    RoleFactory.create(user=person, centre=portfolio.centre, kind=RoleKind.LEARNER)
    return person


def registration_form(learner: User) -> tuple[str, dict[str, str | list[str]]]:
    sfj = Qualification.objects.get(code=SFJ)
    path = f"/registrations/new/?qualification={sfj.pk}"
    return path, {
        "learner": str(learner.pk),
        "start_date": "2026-09-01",
        "optional_units": SFJ_ENOUGH,
    }


def refusal_for(learner: User) -> str:
    title = Qualification.objects.get(code=SFJ).title
    return escape(ALREADY_REGISTERED.format(learner=learner.full_name, title=title))


def test_the_same_registration_posted_at_once_registers_the_learner_once(server, portfolio):
    learner = newcomer(portfolio)
    browser = Browser(server)
    browser.log_in("admin@example.org")
    path, fields = registration_form(learner)
    barrier = threading.Barrier(TIMES)
    answers: list[tuple[int, str]] = []

    def send() -> None:
        barrier.wait(timeout=30)
        answers.append(post_reading(browser, path, fields))

    threads = [threading.Thread(target=send) for _ in range(TIMES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    # One registers and redirects; the others are shown the form again, with the reason.
    assert sorted(status for status, _ in answers) == [200] * (TIMES - 1) + [302]
    assert all(refusal_for(learner) in page for status, page in answers if status == 200)
    assert Registration.objects.filter(learner=learner).count() == 1
    created = AuditEntry.objects.filter(centre=portfolio.centre, action="registration.created")
    assert created.filter(after__learner=learner.pk).count() == 1
    assert audit_verify()[1] is None


def waiting_to_insert_a_registration() -> bool:
    """Whether a server's transaction is waiting on a lock to insert a registration (here:
    for the other centre's uncommitted registration of the same learner to end)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO \"portfolios_registration\"%%'"
        )
        return bool(cursor.fetchone()[0])


def test_a_registration_that_loses_a_race_to_another_centres_is_refused_in_words(server, portfolio):
    # Another centre registers the same learner at the same moment. The two centres' writes do
    # not take turns (each holds its own audit chain), so both pass the check; the database's
    # constraint makes the second insert wait for the first and then refuses it.
    learner = newcomer(portfolio)
    there = CentreFactory.create()
    admin_there = UserFactory.create()
    RoleFactory.create(user=admin_there, centre=there, kind=RoleKind.CENTRE_ADMIN)
    RoleFactory.create(user=learner, centre=there, kind=RoleKind.LEARNER)
    holding, release = threading.Event(), threading.Event()

    def register_there_and_hold() -> None:
        try:
            with transaction.atomic():
                registration_create(
                    centre=there,
                    details=RegistrationDetails(
                        learner=learner,
                        qualification=Qualification.objects.get(code=SFJ),
                        start_date=START,
                    ),
                    optional_units=SFJ_ENOUGH,
                    actor=admin_there,
                )
                holding.set()
                release.wait(timeout=60)
        finally:
            connection.close()

    holder = threading.Thread(target=register_there_and_hold)
    holder.start()
    try:
        assert holding.wait(timeout=30)
        browser = Browser(server)
        browser.log_in("admin@example.org")
        path, fields = registration_form(learner)
        answers: list[tuple[int, str]] = []
        here = threading.Thread(target=lambda: answers.append(post_reading(browser, path, fields)))
        here.start()
        deadline = time.monotonic() + 60
        while not waiting_to_insert_a_registration():
            assert here.is_alive(), f"the request ended without waiting: {answers}"
            assert time.monotonic() < deadline, "the request never reached its insert"
            time.sleep(0.05)
    finally:
        release.set()
        holder.join(timeout=60)
    here.join(timeout=60)
    [(status, page)] = answers
    assert status == 200 and refusal_for(learner) in page
    assert list(Registration.objects.filter(learner=learner).values_list("centre", flat=True)) == [
        there.pk
    ]
    assert audit_verify()[1] is None


__all__ = ["portfolio", "server"]  # the fixtures, shared with the repeated-requests tests
