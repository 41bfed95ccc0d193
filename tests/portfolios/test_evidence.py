import datetime
import html
import re

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from portal.audit import audit_verify
from portfolios.evidence import (
    DECLARATION_NEEDED,
    LOCKED,
    NO_FILES,
    EvidenceDetails,
    EvidenceRejected,
    check_files,
    evidence_add,
    evidence_delete,
    evidence_store,
    evidence_update,
)
from portfolios.evidence_views import FILES_CHOOSE_AGAIN
from portfolios.mapping import Targets, mapping_propose
from portfolios.models import Evidence, EvidenceFile, EvidenceMethod
from portfolios.uploads import EMPTY
from qualifications.models import Criterion
from tests.audit import AuditWatch
from tests.portfolios.files import PDF as PDF_BYTES
from tests.portfolios.files import pdf, png, text, upload

DETAILS = EvidenceDetails(
    "Handling a complaint", datetime.date(2026, 10, 5), EvidenceMethod.PRODUCT, "An e-mail thread."
)


def add(registration, learner, files, declared=True):
    return evidence_add(
        registration=registration, details=DETAILS, files=files, declared=declared, actor=learner
    )


def test_a_learner_adds_one_evidence_item_with_two_files(registration, learner):
    evidence = add(registration, learner, [pdf(), png()])
    stored = list(evidence.files.all())
    assert [(f.original_name, f.content_type) for f in stored] == [
        ("record.pdf", "application/pdf"),
        ("photo.png", "image/png"),
    ]
    for f in stored:
        # Stored under the portal's own name, never the uploader's.
        assert (
            f.file.name.startswith(f"evidence/{registration.pk}/") and "record" not in f.file.name
        )
        assert default_storage.exists(f.file.name)
        assert len(f.sha256) == 64 and f.size > 0


def test_the_same_file_twice_in_a_portfolio_is_recognised(registration, learner):
    add(registration, learner, [pdf()])
    with pytest.raises(EvidenceRejected) as rejected:
        add(registration, learner, [pdf("copy.pdf")])
    assert rejected.value.messages[0].startswith(
        "copy.pdf is already in this portfolio, in “Handling a complaint”"
    )
    assert Evidence.objects.count() == 1


def test_one_bad_file_saves_nothing_and_every_problem_is_told(registration, learner):
    with pytest.raises(EvidenceRejected) as rejected:
        add(
            registration,
            learner,
            [pdf(), upload("blank.txt", b""), upload("x.html", b"<html></html>")],
            declared=False,
        )
    messages = rejected.value.messages
    assert messages[0] == DECLARATION_NEEDED
    assert EMPTY.format(name="blank.txt") in messages
    assert any(m.startswith("x.html is not a type of file") for m in messages)
    assert Evidence.objects.count() == 0 and EvidenceFile.objects.count() == 0


def test_evidence_needs_a_file(registration, learner):
    with pytest.raises(EvidenceRejected) as rejected:
        add(registration, learner, [])
    assert rejected.value.messages == [NO_FILES]


def test_only_the_learner_adds_to_their_portfolio(registration, assessor, centre_admin):
    for actor in (assessor, centre_admin):
        with pytest.raises(PermissionDenied):
            add(registration, actor, [pdf()])


def test_judged_evidence_can_no_longer_be_changed_or_removed(registration, learner):
    evidence = add(registration, learner, [pdf()])
    Evidence.objects.filter(pk=evidence.pk).update(judged_at=timezone.now())
    with pytest.raises(EvidenceRejected, match=LOCKED):
        evidence_update(evidence=evidence, details=DETAILS, actor=learner)
    with pytest.raises(EvidenceRejected, match=LOCKED):
        evidence_delete(evidence=evidence, actor=learner)
    assert EvidenceFile.objects.filter(evidence=evidence).exists()


def test_unjudged_evidence_is_removed_with_its_files(registration, learner):
    evidence = add(registration, learner, [text()])
    name = evidence.files.get().file.name
    evidence_delete(evidence=evidence, actor=learner)
    assert not Evidence.objects.exists()
    assert not default_storage.exists(name)


# -- the audit log --------------------------------------------------------------------

CHANGED = EvidenceDetails(
    "Handling a complaint by phone", datetime.date(2026, 10, 6), EvidenceMethod.PRODUCT, "A call."
)


def test_adding_evidence_writes_its_details_and_how_many_files_came_with_it(registration, learner):
    audit = AuditWatch()
    evidence = add(registration, learner, [pdf(), png()])
    assert audit.actions() == ["evidence.added"]
    entry = audit.entries().get()
    assert entry.subject == f"evidence:{evidence.pk}" and entry.actor == learner
    assert entry.before is None
    assert entry.after == {
        "title": "Handling a complaint",
        "method": "product",
        "occurred_on": "2026-10-05",
        "description": "An e-mail thread.",
        "setting": "real_work",
        "kind": "",
        "files": 2,
    }
    assert audit_verify()[1] is None


def test_refused_evidence_writes_nothing_to_the_audit_log(
    registration, learner, assessor, centre_admin
):
    audit = AuditWatch()
    with pytest.raises(EvidenceRejected):
        add(registration, learner, [pdf(), upload("blank.txt", b"")])
    with pytest.raises(EvidenceRejected):
        add(registration, learner, [pdf()], declared=False)
    for actor in (assessor, centre_admin):
        with pytest.raises(PermissionDenied):
            add(registration, actor, [pdf()])
    assert not audit.entries().exists()
    add(registration, learner, [pdf()])
    assert audit.actions() == ["evidence.added"]


def test_changing_evidence_writes_its_details_before_and_after(registration, learner):
    evidence = add(registration, learner, [pdf()])
    audit = AuditWatch()
    evidence_update(evidence=evidence, details=CHANGED, actor=learner)
    assert audit.actions() == ["evidence.edited"]
    entry = audit.entries().get()
    assert entry.subject == f"evidence:{evidence.pk}" and entry.actor == learner
    assert entry.before == {
        "title": "Handling a complaint",
        "method": "product",
        "occurred_on": "2026-10-05",
        "description": "An e-mail thread.",
        "setting": "real_work",
        "kind": "",
    }
    assert entry.after == {
        "title": "Handling a complaint by phone",
        "method": "product",
        "occurred_on": "2026-10-06",
        "description": "A call.",
        "setting": "real_work",
        "kind": "",
    }
    assert audit_verify()[1] is None


def test_saving_evidence_unchanged_writes_nothing_to_the_audit_log(registration, learner):
    evidence = add(registration, learner, [pdf()])
    same = EvidenceDetails(
        evidence.title, evidence.occurred_on, evidence.method, evidence.description
    )
    audit = AuditWatch()
    evidence_update(evidence=evidence, details=same, actor=learner)
    assert audit.actions() == []


def test_a_browsers_crlf_line_endings_are_not_an_edit_and_the_text_is_kept(registration, learner):
    # Browsers send a textarea's lines ending in CRLF, whatever the stored text has.
    evidence = add(registration, learner, [pdf()])
    Evidence.objects.filter(pk=evidence.pk).update(description="First line.\n\nSecond line.")
    evidence.refresh_from_db()
    sent = EvidenceDetails(
        evidence.title, evidence.occurred_on, evidence.method, "First line.\r\n\r\nSecond line."
    )
    audit = AuditWatch()
    evidence_update(evidence=evidence, details=sent, actor=learner)
    assert audit.actions() == []
    evidence.refresh_from_db()
    assert evidence.description == "First line.\n\nSecond line."


def test_removing_evidence_keeps_its_details_its_files_and_its_mappings_in_the_audit_log(
    registration, learner
):
    evidence = add(registration, learner, [pdf(), text()])
    files = {
        f.original_name: (f.sha256, f.size, f.content_type, f.file.name)
        for f in evidence.files.all()
    }
    criterion = Criterion.objects.filter(unit__code="SFJ-CS2-07").order_by("pk")[0]
    mapping_propose(
        evidence=evidence, targets=Targets(criteria=frozenset({criterion.pk})), actor=learner
    )
    audit = AuditWatch()
    evidence_delete(evidence=evidence, actor=learner)
    assert audit.actions() == ["evidence.removed"]
    entry = audit.entries().get()
    assert entry.subject == f"evidence:{evidence.pk}" and entry.actor == learner
    before = entry.before or {}
    assert (before["title"], before["registration"]) == ("Handling a complaint", registration.pk)
    assert {
        f["name"]: (f["sha256"], f["size"], f["content_type"], f["stored_as"])
        for f in before["files"]
    } == files
    assert sorted(files) == ["notes.txt", "record.pdf"]
    assert before["mapped"] == {"criterion": [criterion.pk], "range_item": [], "knowledge_item": []}
    assert entry.after is None
    assert audit_verify()[1] is None


def test_a_refused_change_or_removal_writes_nothing_to_the_audit_log(
    registration, learner, assessor, centre_admin
):
    evidence = add(registration, learner, [pdf()])
    audit = AuditWatch()
    for actor in (assessor, centre_admin):
        with pytest.raises(PermissionDenied):
            evidence_update(evidence=evidence, details=CHANGED, actor=actor)
        with pytest.raises(PermissionDenied):
            evidence_delete(evidence=evidence, actor=actor)
    Evidence.objects.filter(pk=evidence.pk).update(judged_at=timezone.now())
    with pytest.raises(EvidenceRejected, match=LOCKED):
        evidence_update(evidence=evidence, details=CHANGED, actor=learner)
    with pytest.raises(EvidenceRejected, match=LOCKED):
        evidence_delete(evidence=evidence, actor=learner)
    assert not audit.entries().exists()
    Evidence.objects.filter(pk=evidence.pk).update(judged_at=None)
    evidence_update(evidence=evidence, details=CHANGED, actor=learner)
    evidence_delete(evidence=evidence, actor=learner)
    assert audit.actions() == ["evidence.edited", "evidence.removed"]


# -- pages and file downloads -----------------------------------------------------------


def test_the_learner_uploads_through_the_page(client, registration, learner):
    client.force_login(learner)
    response = client.post(
        reverse("portfolios:evidence-new", args=[registration.pk]),
        {
            "title": "Call log",
            "occurred_on": "2026-10-05",
            "method": EvidenceMethod.PRODUCT,
            "description": "",
            "evidence_files": [pdf(), png()],
            "declaration": "on",
        },
        follow=True,
    )
    assert "“Call log” is in your portfolio." in response.content.decode()
    assert Evidence.objects.get().files.count() == 2


def test_a_refused_upload_shows_the_reasons_and_keeps_the_typed_text(client, registration, learner):
    client.force_login(learner)
    page = client.post(
        reverse("portfolios:evidence-new", args=[registration.pk]),
        {
            "title": "Keep this title",
            "occurred_on": "2026-10-05",
            "method": EvidenceMethod.PRODUCT,
            "evidence_files": [upload("blank.txt", b"")],
        },
    ).content.decode()
    assert DECLARATION_NEEDED in page and EMPTY.format(name="blank.txt") in page
    assert 'value="Keep this title"' in page


def evidence_form(client, registration, **sent):
    fields = {"title": "Call log", "occurred_on": "2026-10-05", "method": EvidenceMethod.PRODUCT}
    return client.post(
        reverse("portfolios:evidence-new", args=[registration.pk]), {**fields, **sent}
    ).content.decode()


def test_the_declaration_box_is_required_in_the_page(client, registration, learner):
    """The browser asks for the tick before sending (and the files chosen with it)."""
    client.force_login(learner)
    page = client.get(reverse("portfolios:evidence-new", args=[registration.pk])).content.decode()
    [box] = re.findall(r'<input type="checkbox" name="declaration"[^>]*>', page)
    assert " required" in box


def test_a_form_sent_back_after_files_were_chosen_says_to_choose_them_again(
    client, registration, learner
):
    """Browsers cannot keep a chosen file in a form that comes back: it says so beside the
    file field, whatever sent it back; and nothing of it where no file was chosen."""
    client.force_login(learner)
    refused = evidence_form(client, registration, evidence_files=[pdf()])  # not declared
    invalid = evidence_form(
        client, registration, evidence_files=[pdf()], title="", declaration="on"
    )
    for page in (refused, invalid):
        [field] = re.findall(r'<div id="div_id_evidence_files".*?</div>\s*</div>', page, re.S)
        assert FILES_CHOOSE_AGAIN in html.unescape(field)
    assert FILES_CHOOSE_AGAIN not in html.unescape(evidence_form(client, registration))


@pytest.fixture
def stored(registration, learner):
    evidence = add(registration, learner, [png(), upload("notes.txt", b"plain words")])
    return {f.content_type: f for f in evidence.files.all()}


@pytest.mark.parametrize("persona", ["learner", "assessor", "iqa", "centre_admin"])
def test_those_allowed_open_a_file_images_inline(client, request, stored, persona):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(reverse("portfolios:evidence-file", args=[stored["image/png"].pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_anything_but_media_and_pdf_downloads_and_cannot_run(client, learner, stored):
    client.force_login(learner)
    response = client.get(reverse("portfolios:evidence-file", args=[stored["text/plain"].pk]))
    assert response["Content-Disposition"].startswith("attachment")
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == b"plain words"


def test_an_outsider_or_another_learner_cannot_open_a_file_or_evidence_by_guessing(
    client, centre, outsider, stored
):
    from portal.models import RoleKind
    from tests.factories import RoleFactory

    peer = RoleFactory.create(centre=centre, kind=RoleKind.LEARNER).user
    a_file = stored["image/png"]
    for person in (outsider, peer):
        client.force_login(person)
        assert client.get(reverse("portfolios:evidence-file", args=[a_file.pk])).status_code == 404
        assert (
            client.get(reverse("portfolios:evidence-detail", args=[a_file.evidence_id])).status_code
            == 404
        )
        assert (
            client.post(
                reverse("portfolios:evidence-remove", args=[a_file.evidence_id])
            ).status_code
            == 404
        )
    client.logout()
    assert client.get(reverse("portfolios:evidence-file", args=[a_file.pk])).status_code == 302


def test_the_assessor_cannot_change_or_remove_a_learners_evidence(client, assessor, stored):
    evidence_id = stored["image/png"].evidence_id
    client.force_login(assessor)
    assert client.get(reverse("portfolios:evidence-edit", args=[evidence_id])).status_code == 403
    assert client.post(reverse("portfolios:evidence-remove", args=[evidence_id])).status_code == 403
    assert Evidence.objects.filter(pk=evidence_id).exists()


@pytest.mark.parametrize(
    ("persona", "status"),
    [("assessor", 403), ("iqa", 403), ("centre_admin", 403), ("outsider", 404)],
)
def test_nobody_but_the_learner_adds_evidence_through_the_page(
    client, request, registration, persona, status
):
    client.force_login(request.getfixturevalue(persona))
    response = client.post(
        reverse("portfolios:evidence-new", args=[registration.pk]),
        {
            "title": "x",
            "occurred_on": "2026-10-05",
            "method": EvidenceMethod.PRODUCT,
            "evidence_files": [pdf()],
            "declaration": "on",
        },
    )
    assert response.status_code == status
    assert not Evidence.objects.exists()


def multipart(fields: dict[str, str], filename: str, content: bytes) -> tuple[bytes, str]:
    """A request body made by hand, so the file name is sent exactly as given."""
    boundary = "----portal-test-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="evidence_files"; filename="{filename}"\r\n'
        f"Content-Type: application/pdf\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize(
    "name", ["../../etc/passwd.pdf", "C:\\\\Users\\\\leo\\\\record.pdf", "bad\x07name.pdf"]
)
def test_a_sent_name_with_folders_or_control_characters_is_refused_with_a_message(
    client, registration, learner, name
):
    client.force_login(learner)
    body, content_type = multipart(
        {
            "title": "Named badly",
            "occurred_on": "2026-10-05",
            "method": EvidenceMethod.PRODUCT,
            "declaration": "on",
        },
        name,
        PDF_BYTES,
    )
    response = client.post(
        reverse("portfolios:evidence-new", args=[registration.pk]),
        data=body,
        content_type=content_type,
    )
    assert response.status_code == 200
    assert "contains folder names or control characters: rename it." in response.content.decode()
    assert not Evidence.objects.exists() and not EvidenceFile.objects.exists()


def test_changing_the_details_shows_the_date_already_given_in_the_date_picker(
    client, learner, stored
):
    # A browser's date picker reads ISO dates only: any other format shows it empty.
    client.force_login(learner)
    evidence = stored["image/png"].evidence
    page = client.get(reverse("portfolios:evidence-edit", args=[evidence.pk])).content.decode()
    assert f'value="{evidence.occurred_on.isoformat()}"' in page


def test_a_file_added_by_a_request_running_alongside_is_refused_with_where_it_went(
    registration, learner
):
    # Two uploads of one file at once both pass the first check; the second, once it has the
    # registration to itself, is told where the first one put the file.
    checked = check_files(registration, [pdf()])
    first = add(registration, learner, [pdf()])
    audit = AuditWatch()
    with pytest.raises(EvidenceRejected) as rejected:
        evidence_store(registration, DETAILS, [pdf()], checked, learner, action="evidence.added")
    [message] = rejected.value.messages
    assert "record.pdf is already in this portfolio" in message and first.title in message
    assert Evidence.objects.filter(registration=registration).count() == 1
    assert audit.actions() == []
