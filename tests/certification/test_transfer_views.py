"""The transfer pages (certification.transfer_views, decision 40): started from the registration
page, listed for both admins, answered by the receiving admin, the pack downloaded."""

import html
import io
import logging
import zipfile

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from certification.models import Transfer, TransferStatus
from certification.transfer_pack import transfer_pack_make
from certification.transfers import NOT_APPROVED, transfer_start
from portal.http import FILE_MISSING
from tests.certification.conftest import REASON, more_learners
from tests.writes import watch_writes, written


def as_(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def detail(registration) -> str:
    return reverse("portfolios:registration-detail", args=[registration.pk])


def test_the_admin_starts_a_transfer_from_the_registration_page(
    registration, centre_admin, northgate
):
    admin = as_(centre_admin)
    start = reverse("certification:transfer-new", args=[registration.pk])
    assert start in admin.get(detail(registration)).content.decode()
    response = admin.post(start, {"to_centre": northgate.pk, "reason": REASON})
    transfer = Transfer.objects.get()
    assert response["Location"] == reverse("certification:transfer-detail", args=[transfer.pk])
    page = admin.get(detail(registration)).content.decode()
    assert 'data-testid="transfer-pending"' in page and start not in page


def test_a_centre_not_approved_is_refused_under_the_form(
    registration, centre_admin, other_centre, sfj
):
    start = reverse("certification:transfer-new", args=[registration.pk])
    response = as_(centre_admin).post(start, {"to_centre": other_centre.pk, "reason": REASON})
    assert response.status_code == 200
    said = NOT_APPROVED.format(centre=other_centre, title=sfj.title)
    assert said.replace("'", "&#x27;") in response.content.decode()
    assert not Transfer.objects.exists()


@pytest.mark.parametrize("who, status", [("learner", 403), ("assessor", 403), ("outsider", 404)])
def test_nobody_but_the_centre_admin_opens_the_start_page(request, registration, who, status):
    start = reverse("certification:transfer-new", args=[registration.pk])
    assert as_(request.getfixturevalue(who)).get(start).status_code == status


def test_the_receiving_admin_accepts_and_the_learner_downloads_the_pack(
    asked,
    registration,
    learner,
    centre_admin,
    their_admin,
    their_assessor,
    their_iqa,
    django_capture_on_commit_callbacks,
):
    page = reverse("certification:transfer-detail", args=[asked.pk])
    receiving = as_(their_admin)
    assert "Moved to Leeds" in receiving.get(page).content.decode()
    form = {"action": "accept", "assessor": their_assessor.pk, "iqa": their_iqa.pk}
    with django_capture_on_commit_callbacks(execute=True):
        response = receiving.post(page, form)
    assert response["Location"] == detail(registration)
    shown = receiving.get(detail(registration)).content.decode()
    assert 'data-testid="transfer-accepted"' in shown
    pack = reverse("certification:transfer-pack", args=[asked.pk])
    download = as_(learner).post(pack)
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(download.getvalue()))
    assert "candidate.json" in archive.namelist()
    # The sending centre no longer reaches the learner's registration, nor the pack.
    assert as_(centre_admin).post(pack).status_code == 404
    # A second tab's accept, from the page shown before: refused on the form, nothing twice.
    again = receiving.post(page, form)
    assert "This transfer was accepted already: nothing changed." in again.content.decode()
    assert Transfer.objects.get().status == TransferStatus.ACCEPTED


def test_another_centres_admin_cannot_open_or_answer_it(asked, outsider, their_assessor):
    page = reverse("certification:transfer-detail", args=[asked.pk])
    other = as_(outsider)
    assert other.get(page).status_code == 404
    assert other.post(page, {"action": "accept", "assessor": their_assessor.pk}).status_code == 404
    asked.refresh_from_db()
    assert asked.is_pending


def test_the_sender_cannot_accept_but_may_cancel(asked, centre_admin, their_assessor):
    page = reverse("certification:transfer-detail", args=[asked.pk])
    sender = as_(centre_admin)
    assert sender.post(page, {"action": "accept", "assessor": ""}).status_code == 403
    sender.post(page, {"action": "cancel"})
    asked.refresh_from_db()
    assert asked.status == TransferStatus.CANCELLED


def test_the_receiving_admin_declines_with_a_reason_under_the_field(asked, their_admin):
    page = reverse("certification:transfer-detail", args=[asked.pk])
    receiving = as_(their_admin)
    empty = receiving.post(page, {"action": "decline", "reason": ""}).content.decode()
    # Under the field, which names it (decision 41's rule, as tests/test_form_errors_shown.py
    # checks of the pages the permission matrix's world reaches).
    under = empty[empty.index('id="id_reason_error"') :]
    assert under[: under.index("</div>")].count("Say why you decline") == 1
    assert 'aria-describedby="id_reason_helptext id_reason_error"' in empty
    receiving.post(page, {"action": "decline", "reason": "No assessor free."})
    asked.refresh_from_db()
    assert (asked.status, asked.decline_reason) == (TransferStatus.DECLINED, "No assessor free.")


def list_queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("certification:transfers")).status_code == 200
    return len(captured)


def test_the_list_shows_both_ways_in_the_same_queries_for_one_learner_or_many(
    registration, centre_admin, northgate, their_admin
):
    transfer_start(
        registration=registration, to_centre=northgate, reason=REASON, actor=centre_admin
    )
    receiving = as_(their_admin)
    one = list_queries(receiving)
    assert (
        registration.learner.full_name
        in receiving.get(reverse("certification:transfers")).content.decode()
    )
    for other in more_learners(registration, 5, "moving"):
        transfer_start(registration=other, to_centre=northgate, reason=REASON, actor=centre_admin)
    assert list_queries(receiving) == one
    assert list_queries(as_(centre_admin)) == one


def test_the_receiving_admins_home_says_a_learner_waits_for_their_answer(asked, their_admin):
    page = as_(their_admin).get(reverse("home")).content.decode()
    assert "1 learner from another centre waiting for your answer" in page
    assert reverse("certification:transfers") in page


def test_a_pack_missing_from_storage_is_not_found_and_not_recorded_as_downloaded(
    asked,
    learner,
    their_admin,
    their_assessor,
    their_iqa,
    caplog,
    django_capture_on_commit_callbacks,
):
    page = reverse("certification:transfer-detail", args=[asked.pk])
    form = {"action": "accept", "assessor": their_assessor.pk, "iqa": their_iqa.pk}
    with django_capture_on_commit_callbacks(execute=True):
        as_(their_admin).post(page, form)
    transfer_pack_make(asked.pk)  # as its task does (run here: Celery may not be eager)
    transfer = Transfer.objects.get()
    transfer.pack.storage.delete(str(transfer.pack.name))
    client = as_(learner)
    watch_writes()
    with caplog.at_level(logging.ERROR):
        response = client.post(reverse("certification:transfer-pack", args=[asked.pk]))
    assert response.status_code == 404 and FILE_MISSING in html.unescape(response.content.decode())
    assert any(r.levelno == logging.ERROR for r in caplog.records)
    assert written() == []
