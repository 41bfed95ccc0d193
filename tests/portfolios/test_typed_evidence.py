"""A reflective account written on the page: evidence without a file, whose text is the
evidence (its description), mapped and judged like any other."""

import datetime

import pytest
from django.urls import reverse

from portfolios.evidence import (
    ACCOUNT_MAX_LENGTH,
    ACCOUNT_NEEDED,
    ACCOUNT_TOO_LONG,
    DECLARATION_NEEDED,
    NO_FILES,
    ONLY_AN_ACCOUNT_WITHOUT_FILES,
    EvidenceDetails,
    EvidenceRejected,
    evidence_add,
    evidence_update,
    evidence_write,
)
from portfolios.models import Evidence, EvidenceMethod
from tests.audit import AuditWatch
from tests.portfolios.files import pdf

ON = datetime.date(2026, 10, 5)
ACCOUNT = "I calmed a customer <script>alert(1)</script> & agreed a refund.\nThen I logged it."


def write(client, registration, user, **overrides):
    client.force_login(user)
    data = {
        "title": "Handling a complaint",
        "occurred_on": ON.isoformat(),
        "text": ACCOUNT,
        "declaration": "on",
        **overrides,
    }
    return client.post(reverse("portfolios:evidence-write", args=[registration.pk]), data)


def test_a_learner_writes_an_account_which_becomes_evidence_without_a_file(
    client, registration, learner
):
    audit = AuditWatch()
    response = write(client, registration, learner)
    evidence = Evidence.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("portfolios:evidence-detail", args=[evidence.pk])
    assert evidence.method == EvidenceMethod.REFLECTIVE_ACCOUNT
    assert evidence.description.replace("\r\n", "\n") == ACCOUNT
    assert not evidence.files.exists() and evidence.created_by == learner
    (entry,) = audit.entries()
    after = entry.after or {}
    assert entry.action == "evidence.written" and after["files"] == 0
    assert "agreed a refund" in after["description"]


@pytest.mark.parametrize(
    ("page", "viewer"),
    [("portfolios:evidence-detail", "learner"), ("assessment:evidence-review", "assessor")],
)
def test_the_account_is_shown_escaped_to_the_learner_and_the_assessor(
    client, request, registration, learner, page, viewer
):
    write(client, registration, learner)
    evidence = Evidence.objects.get()
    client.force_login(request.getfixturevalue(viewer))
    shown = client.get(reverse(page, args=[evidence.pk])).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; agreed a refund" in shown
    assert "<script>alert(1)" not in shown
    assert "Then I logged it." in shown


@pytest.mark.parametrize("viewer", ["assessor", "iqa", "centre_admin"])
def test_nobody_but_the_learner_writes_one(client, request, registration, viewer):
    response = write(client, registration, request.getfixturevalue(viewer))
    assert response.status_code == 403 and not Evidence.objects.exists()


def test_another_centre_cannot_reach_the_page(client, registration, outsider):
    assert write(client, registration, outsider).status_code == 404
    assert not Evidence.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"text": "   "}, None),  # the form's own "required"
        ({"declaration": ""}, DECLARATION_NEEDED),
        (
            {"text": "x" * (ACCOUNT_MAX_LENGTH + 1)},
            ACCOUNT_TOO_LONG.format(length=ACCOUNT_MAX_LENGTH + 1, limit=ACCOUNT_MAX_LENGTH),
        ),
    ],
)
def test_bad_input_is_refused_in_words_and_saves_nothing(
    client, registration, learner, overrides, problem
):
    audit = AuditWatch()
    response = write(client, registration, learner, **overrides)
    assert response.status_code == 200 and not Evidence.objects.exists() and audit.actions() == []
    errors = [str(e) for errors in response.context["form"].errors.values() for e in errors]
    assert errors and (problem is None or problem in errors)


def test_an_account_of_exactly_the_limit_is_kept(registration, learner):
    text = "y" * ACCOUNT_MAX_LENGTH
    evidence = evidence_write(
        registration=registration,
        title="Long",
        occurred_on=ON,
        text=text,
        declared=True,
        actor=learner,
    )
    assert evidence.description == text


def test_through_the_upload_form_a_reflective_account_needs_no_file_but_its_text(
    registration, learner
):
    account = EvidenceDetails("Typed", ON, EvidenceMethod.REFLECTIVE_ACCOUNT, "What I did.")
    evidence = evidence_add(
        registration=registration, details=account, files=[], declared=True, actor=learner
    )
    assert evidence.description == "What I did." and not evidence.files.exists()
    empty = EvidenceDetails("Typed", ON, EvidenceMethod.REFLECTIVE_ACCOUNT, "  ")
    with pytest.raises(EvidenceRejected) as rejected:
        evidence_add(
            registration=registration, details=empty, files=[], declared=True, actor=learner
        )
    assert rejected.value.messages == [ACCOUNT_NEEDED]
    product = EvidenceDetails("A product", ON, EvidenceMethod.PRODUCT, "Some words")
    with pytest.raises(EvidenceRejected) as rejected:
        evidence_add(
            registration=registration, details=product, files=[], declared=True, actor=learner
        )
    assert rejected.value.messages == [NO_FILES]
    assert Evidence.objects.count() == 1


def test_an_account_cannot_be_edited_into_nothing_or_into_another_method(registration, learner):
    evidence = evidence_write(
        registration=registration,
        title="Mine",
        occurred_on=ON,
        text="What I did.",
        declared=True,
        actor=learner,
    )
    for details, problem in [
        (EvidenceDetails("Mine", ON, EvidenceMethod.REFLECTIVE_ACCOUNT, ""), ACCOUNT_NEEDED),
        (
            EvidenceDetails("Mine", ON, EvidenceMethod.PRODUCT, "What I did."),
            ONLY_AN_ACCOUNT_WITHOUT_FILES,
        ),
    ]:
        with pytest.raises(EvidenceRejected) as rejected:
            evidence_update(evidence=evidence, details=details, actor=learner)
        assert rejected.value.messages == [problem]
    evidence.refresh_from_db()
    assert evidence.description == "What I did."
    # Evidence with a file may still be relabelled and have its description emptied.
    with_file = evidence_add(
        registration=registration,
        details=EvidenceDetails("File", ON, EvidenceMethod.PRODUCT, "words"),
        files=[pdf()],
        declared=True,
        actor=learner,
    )
    changed = evidence_update(
        evidence=with_file,
        details=EvidenceDetails("File", ON, EvidenceMethod.CASE_STUDY, ""),
        actor=learner,
    )
    assert changed.method == EvidenceMethod.CASE_STUDY


def test_the_registration_page_offers_it_to_the_learner_only(
    client, registration, learner, assessor
):
    url = reverse("portfolios:evidence-write", args=[registration.pk])
    page = reverse("portfolios:registration-detail", args=[registration.pk])
    client.force_login(learner)
    assert url in client.get(page).content.decode()
    client.force_login(assessor)
    assert url not in client.get(page).content.decode()


def test_an_account_s_page_shows_no_empty_list_of_files(client, registration, learner):
    write(client, registration, learner)
    page = client.get(reverse("portfolios:evidence-detail", args=[Evidence.objects.get().pk]))
    text = page.content.decode()
    assert "Handling a complaint" in text and '<h2 class="h5">Files</h2>' not in text
