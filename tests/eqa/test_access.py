"""An external quality assurer sees one qualification at one centre, read-only, only while
their window is open; every page they view is in the centre's audit log (decision 29)."""

import html
import logging

import pytest
from django.urls import reverse

from eqa.models import EqaAccess
from eqa.services import WINDOW_CLOSED, EqaRefused, eqa_sample_record
from portal.audit import audit_verify
from portal.http import FILE_MISSING
from portfolios.services import RegistrationDetails, registration_create
from qualifications.models import Qualification
from tests.audit import AuditWatch
from tests.eqa.conftest import grant
from tests.portfolios.conftest import PROQUAL_OPTIONAL, START

pytestmark = pytest.mark.django_db

WINDOW_PAGES = ["eqa:window", "eqa:iqa", "eqa:sample", "eqa:claims", "eqa:report"]


def pages_of(window: EqaAccess, registration) -> list[str]:
    urls = [reverse(name, args=[window.pk]) for name in WINDOW_PAGES]
    return [*urls, reverse("eqa:registration", args=[window.pk, registration.pk])]


@pytest.mark.parametrize(("starts", "ends"), [(1, 3), (-3, -1)], ids=["before", "after"])
def test_outside_its_window_the_eqa_finds_none_of_its_pages_and_nothing_is_written(
    client, eqa, centre, sfj, registration, starts, ends
):
    window = grant(eqa, centre, sfj, starts, ends)
    client.force_login(eqa)
    watch = AuditWatch()
    for url in pages_of(window, registration):
        assert client.get(url).status_code == 404, url
    assert watch.actions() == []
    home = client.get(reverse("eqa:home")).content.decode()
    assert ("Not open yet" if starts > 0 else "Ended") in home
    assert reverse("eqa:window", args=[window.pk]) not in home


def test_during_its_window_the_eqa_reads_the_learners_portfolio_decisions_and_iqa_records(
    client, eqa, window, registration, assessor
):
    from tests.certification.conftest import achieve

    achieve(registration, assessor, codes={"F/506/2131"})
    client.force_login(eqa)
    learners = client.get(reverse("eqa:window", args=[window.pk])).content.decode()
    assert registration.learner.full_name in learners
    page = client.get(reverse("eqa:registration", args=[window.pk, registration.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "F/506/2131" in text and "signed off" in text
    assert assessor.full_name in text  # who decided
    stored = registration.evidence.get().files.get()
    assert stored.sha256 in text
    # The evidence itself opens from the page, as the centre's staff see it, and is audited.
    link = reverse("eqa:evidence-file", args=[window.pk, stored.pk])
    assert link in text
    watch = AuditWatch()
    opened = client.get(link)
    assert opened.status_code == 200
    assert b"".join(opened.streaming_content) == stored.file.open("rb").read()
    assert opened["Content-Security-Policy"].startswith("default-src 'none'")
    assert watch.actions() == ["eqa.viewed"]
    assert client.get(reverse("eqa:iqa", args=[window.pk])).status_code == 200


def test_the_window_ends_by_itself_with_no_sweep(client, eqa, window, registration):
    client.force_login(eqa)
    url = reverse("eqa:window", args=[window.pk])
    assert client.get(url).status_code == 200
    EqaAccess.objects.filter(pk=window.pk).update(
        ends_at=window.starts_at + (window.ends_at - window.starts_at) / 1000
    )
    assert client.get(url).status_code == 404
    with pytest.raises(EqaRefused, match=WINDOW_CLOSED):
        eqa_sample_record(
            access=window,
            registration=registration,
            unit=None,
            looked_at="Everything",
            finding="Sound.",
            actor=eqa,
        )


def test_the_eqa_sees_nothing_of_another_centre_or_another_qualification(
    client, eqa, window, registration, other_centre, centre, centre_admin, learner
):
    proqual = Qualification.objects.get(code="601/3576/1")
    elsewhere = registration_create(
        centre=centre,
        details=RegistrationDetails(learner=learner, qualification=proqual, start_date=START),
        optional_units=PROQUAL_OPTIONAL,
        actor=centre_admin,
    )
    theirs = grant(window.eqa, other_centre, window.qualification, -1, 2)
    client.force_login(eqa)
    # Another qualification's learner at the same centre, through this window: not found.
    assert (
        client.get(reverse("eqa:registration", args=[window.pk, elsewhere.pk])).status_code == 404
    )
    # This centre's learner through the window on another centre: not found either.
    assert (
        client.get(reverse("eqa:registration", args=[theirs.pk, registration.pk])).status_code
        == 404
    )
    # And the centre's own pages know nothing of the EQA.
    detail = reverse("portfolios:registration-detail", args=[registration.pk])
    assert client.get(detail).status_code == 404
    assert (
        learner.full_name
        not in client.get(reverse("eqa:window", args=[theirs.pk])).content.decode()
    )


def test_another_persons_window_is_not_found(client, window, assessor):
    client.force_login(assessor)
    assert client.get(reverse("eqa:window", args=[window.pk])).status_code == 404


def test_each_page_the_eqa_views_is_one_audit_entry_in_the_centres_chain(
    client, eqa, window, registration
):
    client.force_login(eqa)
    watch = AuditWatch()
    urls = pages_of(window, registration)
    for url in [*urls, urls[0]]:  # the first page twice: two views, two entries
        assert client.get(url).status_code == 200, url
    entries = list(watch.entries())
    assert [e.action for e in entries] == ["eqa.viewed"] * (len(urls) + 1)
    assert {(e.actor_id, e.centre_id) for e in entries} == {(eqa.pk, window.centre_id)}
    assert [(e.after or {})["page"] for e in entries][:2] == ["eqa:window", "eqa:iqa"]
    assert entries[-2].subject == f"registration:{registration.pk}"
    assert audit_verify()[1] is None


def test_an_eqa_without_a_role_is_sent_from_home_to_their_windows(client, eqa, window):
    client.force_login(eqa)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"] == reverse("eqa:home")


def test_an_eqa_who_takes_a_role_at_the_centre_loses_the_window_at_once(
    client, eqa, window, registration, centre
):
    """The assurer must be independent of the centre: checked at each request, not only when
    the window was granted (an invitation accepted later would otherwise let them release the
    centre's claims)."""
    from portal.models import RoleKind
    from tests.factories import RoleFactory

    client.force_login(eqa)
    url = reverse("eqa:window", args=[window.pk])
    assert client.get(url).status_code == 200
    RoleFactory.create(user=eqa, centre=centre, kind=RoleKind.ASSESSOR)
    assert client.get(url).status_code == 404
    with pytest.raises(EqaRefused, match=WINDOW_CLOSED):
        eqa_sample_record(
            access=window,
            registration=registration,
            unit=None,
            looked_at="Everything",
            finding="Sound.",
            actor=eqa,
        )


def test_a_decision_neither_release_nor_hold_changes_nothing(client, eqa, window, held):
    from certification.models import Certificate

    client.force_login(eqa)
    before = Certificate.objects.values().get(pk=held.pk)
    watch = AuditWatch()
    response = client.post(
        reverse("eqa:claims", args=[window.pk]),
        {"certificate": held.pk, "decision": "bogus", "reason": "a reason"},
        follow=True,
    )
    assert "Choose whether to release the claim or hold it" in response.content.decode()
    assert Certificate.objects.values().get(pk=held.pk) == before
    assert "certificate.held" not in watch.actions()


def test_an_evidence_file_missing_from_storage_is_not_found_and_not_recorded_as_seen(
    client, eqa, window, registration, assessor, caplog
):
    from tests.certification.conftest import achieve

    achieve(registration, assessor, codes={"F/506/2131"})
    stored = registration.evidence.get().files.get()
    stored.file.storage.delete(stored.file.name)
    client.force_login(eqa)
    watch = AuditWatch()
    with caplog.at_level(logging.ERROR):
        response = client.get(reverse("eqa:evidence-file", args=[window.pk, stored.pk]))
    assert response.status_code == 404 and FILE_MISSING in html.unescape(response.content.decode())
    assert any(r.levelno == logging.ERROR for r in caplog.records)
    assert watch.actions() == []
