"""A transfer accepted on PostgreSQL through gunicorn (decision 40): the receiving admin's accept
sent from ten tabs at once, while the sending admin cancels, moves the learner once or not at
all, with both centres' chains taken in order (the lock-order check is on in the servers), and
every other answer a refusal in words, never a 500."""

from __future__ import annotations

import datetime
import threading

from certification.models import CentreApproval, Transfer, TransferStatus
from certification.transfers import transfer_start
from portal.audit import audit_verify
from portal.models import AuditEntry, RoleKind
from portfolios.models import Registration
from tests.factories import CentreFactory, RoleFactory, UserFactory
from tests.integration.served import Browser
from tests.integration.test_repeated_requests import TIMES, portfolio, server

__all__ = ["portfolio", "server"]


def test_accepts_from_many_tabs_and_a_cancel_at_once_act_once(server, portfolio):
    registration = portfolio.registration
    northgate = CentreFactory.create(name="Northgate College")
    CentreApproval.objects.create(
        centre=northgate,
        qualification=registration.qualification,
        approved_on=datetime.date.today(),
    )
    people = {}
    for kind, email in [
        (RoleKind.CENTRE_ADMIN, "admin@northgate.example.org"),
        (RoleKind.ASSESSOR, "assessor@northgate.example.org"),
    ]:
        people[kind] = UserFactory.create(email=email)
        RoleFactory.create(user=people[kind], centre=northgate, kind=kind)
    sender = registration.created_by
    transfer = transfer_start(
        registration=registration, to_centre=northgate, reason="Moves north.", actor=sender
    )
    path = f"/transfers/{transfer.pk}/"
    receiving, sending = Browser(server), Browser(server)
    receiving.log_in("admin@northgate.example.org")
    sending.log_in("admin@example.org")
    accept = {"action": "accept", "assessor": str(people[RoleKind.ASSESSOR].pk), "iqa": ""}
    barrier = threading.Barrier(TIMES + 1)
    answers: list[tuple[str, int, str]] = []

    def send(who: str, browser: Browser, fields: dict[str, str]) -> None:
        barrier.wait(timeout=30)
        answers.append((who, *browser.post_page(path, fields)))

    threads = [
        threading.Thread(target=send, args=("accept", receiving, accept)) for _ in range(TIMES)
    ]
    threads.append(threading.Thread(target=send, args=("cancel", sending, {"action": "cancel"})))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert len(answers) == TIMES + 1 and all(status in (200, 302) for _, status, _ in answers)
    transfer.refresh_from_db()
    moved = Registration.objects.get(pk=registration.pk).centre_id == northgate.pk
    assert moved == (transfer.status == TransferStatus.ACCEPTED)
    done = [a for a in answers if a[1] == 302 and a[0] == "accept"]
    assert len(done) == (1 if moved else 0)
    # Every accept that did not act was told why, on the page.
    told = [page for who, status, page in answers if who == "accept" and status == 200]
    assert all("nothing changed" in page for page in told)
    subject = f"registration:{registration.pk}"
    for action in ("registration.transferred_in", "registration.transferred_out"):
        assert AuditEntry.objects.filter(action=action, subject=subject).count() == int(moved)
    cancelled = AuditEntry.objects.filter(action="registration.transfer_cancelled").count()
    assert cancelled == int(transfer.status == TransferStatus.CANCELLED)
    assert Transfer.objects.filter(status=TransferStatus.PENDING).count() == 0
    assert audit_verify()[1] is None
