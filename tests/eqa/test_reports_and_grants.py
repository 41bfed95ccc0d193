"""Who grants EQA access and Direct Claims Status (the portal's staff, for the awarding
organisation, audited), and the EQA's samples and report as the centre reads them."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from certification.models import DirectClaimsStatus
from eqa.models import EqaAccess, EqaReport, EqaSample
from eqa.services import FROM_THE_CENTRE, EqaRefused, eqa_access_grant
from tests.audit import AuditWatch
from tests.eqa.conftest import grant
from tests.factories import PASSWORD, ao_desk

pytestmark = pytest.mark.django_db


def test_only_the_portals_staff_grant_access_and_never_to_someone_of_the_centre(
    eqa, centre, sfj, centre_admin, iqa
):
    now = timezone.now()
    with pytest.raises(PermissionDenied):
        eqa_access_grant(
            eqa=eqa,
            centre=centre,
            qualification=sfj,
            starts_at=now,
            ends_at=now + datetime.timedelta(days=1),
            actor=centre_admin,
        )
    with pytest.raises(EqaRefused, match=FROM_THE_CENTRE.format(name=iqa.full_name, centre=centre)):
        grant(iqa, centre, sfj, 0, 1)
    watch = AuditWatch()
    window = grant(eqa, centre, sfj, 0, 1)
    [entry] = watch.entries()
    assert (entry.action, entry.actor, entry.centre_id) == (
        "eqa.access_granted",
        ao_desk(),
        centre.pk,
    )
    after = entry.after or {}
    assert after["eqa"] == eqa.pk and after["ends_at"] == window.ends_at.isoformat()


@pytest.fixture
def operator(client):
    user = ao_desk()
    user.is_superuser = True
    user.set_password(PASSWORD)
    user.save()
    client.force_login(user)
    return user


def test_the_staff_grant_a_window_and_direct_claims_status_in_the_admin_each_audited(
    client, operator, eqa, centre, sfj
):
    watch = AuditWatch()
    response = client.post(
        reverse("admin:eqa_eqaaccess_add"),
        {
            "eqa": eqa.pk,
            "centre": centre.pk,
            "qualification": sfj.pk,
            "starts_at_0": "2026-11-02",
            "starts_at_1": "09:00",
            "ends_at_0": "2026-11-04",
            "ends_at_1": "17:00",
            "note": "Visit 7",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    window = EqaAccess.objects.get()
    assert window.granted_by == operator
    response = client.post(
        reverse("admin:certification_directclaimsstatus_add"),
        {"centre": centre.pk, "qualification": sfj.pk, "note": "AO letter"},
    )
    assert response.status_code == 302
    assert DirectClaimsStatus.objects.get().granted_by == operator
    assert watch.actions() == ["eqa.access_granted", "direct_claims.granted"]
    again = client.post(
        reverse("admin:certification_directclaimsstatus_add"),
        {"centre": centre.pk, "qualification": sfj.pk},
    )
    assert (
        again.status_code == 200 and "already holds Direct Claims Status" in again.content.decode()
    )


def test_the_eqa_samples_and_reports_and_the_centre_admin_reads_and_downloads_the_report(
    client, window, registration, centre_admin, outsider, sfj
):
    client.force_login(window.eqa)
    sample_page = reverse("eqa:sample", args=[window.pk])
    form = client.get(sample_page, {"registration": registration.pk}).context["form"]
    token = form.initial["form_token"]
    sent = {
        "registration": registration.pk,
        "unit": "",
        "looked_at": "Evidence of unit F/506/2131 and its IQA sample",
        "finding": "Decisions sound.",
        "form_token": token,
    }
    assert client.post(sample_page, sent).status_code == 302
    client.post(sample_page, sent)  # the same form again makes no second sample
    assert EqaSample.objects.filter(access=window).count() == 1
    report_page = reverse("eqa:report", args=[window.pk])
    no_date = {"summary": "Sound.", "actions": "Date witness statements"}
    assert client.post(report_page, no_date).status_code == 200  # actions need a date
    assert not EqaReport.objects.exists()
    client.post(
        report_page,
        {
            **no_date,
            "due_on": "2026-12-01",
            "actions": "Date witness statements\n\nRecord IQA feedback",
        },
    )
    report = EqaReport.objects.get()
    assert [a.text for a in report.actions.all()] == [
        "Date witness statements",
        "Record IQA feedback",
    ]

    client.force_login(centre_admin)
    listing = client.get(reverse("eqa:centre-reports")).content.decode()
    assert window.eqa.full_name in listing and "Record IQA feedback" in listing
    detail = reverse("eqa:report-detail", args=[report.pk])
    assert "Decisions sound." in client.get(detail).content.decode()
    download = client.get(detail, {"download": "1"})
    assert download["Content-Disposition"].startswith('attachment; filename="eqa-report-')
    assert "Date witness statements" in download.content.decode()

    client.force_login(outsider)
    assert client.get(detail).status_code == 404
    # After the window the EQA no longer reads even their own report: the centre keeps it.
    EqaAccess.objects.filter(pk=window.pk).update(
        ends_at=timezone.now() - datetime.timedelta(seconds=1),
        starts_at=timezone.now() - datetime.timedelta(hours=2),
    )
    client.force_login(window.eqa)
    assert client.get(detail).status_code == 404
