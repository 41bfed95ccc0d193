import datetime
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from portfolios.models import Evidence, EvidenceMethod, WitnessRequest
from portfolios.witness import LINK_EXPIRED, LINK_UNKNOWN, LINK_USED

STATEMENT = "On 3 October I watched Leo calm an angry customer and agree a refund."


def ask(client, registration, actor):
    client.force_login(actor)
    return client.post(
        reverse("portfolios:witness-ask", args=[registration.pk]),
        {
            "name": "Wendy Witness",
            "email": "wendy@example.org",
            "role": "Line manager",
            "statement": STATEMENT,
        },
    )


def link_in_mail() -> str:
    match = re.search(r"https?://[^/]+(/witness/[^/\s]+/)", str(mail.outbox[-1].body))
    assert match, mail.outbox[-1].body
    return match.group(1)


def confirm(client, path, **overrides):
    data = {
        "signed_name": "Wendy Witness",
        "job_title": "Store manager",
        "relationship": "I manage Leo",
        "signature": "Wendy Witness",
        "truthful": "on",
        **overrides,
    }
    return client.post(path, data)


def test_a_learner_asks_and_the_witness_confirms_through_the_emailed_link(
    client, registration, learner
):
    ask(client, registration, learner)
    assert mail.outbox[-1].to == ["wendy@example.org"]
    path = link_in_mail()
    client.logout()
    page = client.get(path).content.decode()
    assert STATEMENT in page and registration.learner.full_name in page
    response = confirm(client, path)
    assert "Thank you" in response.content.decode()
    evidence = Evidence.objects.get(method=EvidenceMethod.WITNESS_TESTIMONY)
    assert evidence.registration == registration
    assert evidence.title == "Witness testimony from Wendy Witness"
    assert "signed “Wendy Witness”" in evidence.description
    witness = WitnessRequest.objects.get()
    assert (witness.job_title, witness.relationship, witness.evidence) == (
        "Store manager",
        "I manage Leo",
        evidence,
    )


def test_the_secret_is_not_stored_only_its_hash(client, registration, learner):
    ask(client, registration, learner)
    token = link_in_mail().split("/")[2]
    assert token not in WitnessRequest.objects.get().token_hash


def test_a_used_link_gets_a_clear_page_and_changes_nothing(client, registration, learner):
    ask(client, registration, learner)
    path = link_in_mail()
    confirm(client, path)
    second = confirm(client, path, signed_name="Someone Else", signature="Someone Else")
    assert second.status_code == 410 and LINK_USED in second.content.decode()
    assert Evidence.objects.count() == 1
    assert WitnessRequest.objects.get().signed_name == "Wendy Witness"


def test_an_expired_link_gets_a_clear_page_and_changes_nothing(client, registration, learner):
    ask(client, registration, learner)
    path = link_in_mail()
    WitnessRequest.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    for response in (client.get(path), confirm(client, path)):
        assert response.status_code == 410
        assert LINK_EXPIRED.format(learner=learner.full_name) in response.content.decode()
    assert not Evidence.objects.exists()


def test_an_unknown_link_says_so(client, db):
    response = client.get(reverse("portfolios:witness-confirm", args=["not-a-real-token"]))
    assert response.status_code == 410 and LINK_UNKNOWN in response.content.decode()


def test_the_witness_must_sign(client, registration, learner):
    ask(client, registration, learner)
    response = confirm(client, link_in_mail(), signature="   ")
    assert response.status_code == 200
    assert not Evidence.objects.exists()


def test_the_assessor_may_ask_too(client, registration, assessor):
    assert ask(client, registration, assessor).status_code == 302
    assert WitnessRequest.objects.get().requested_by == assessor


@pytest.mark.parametrize(
    ("persona", "status"), [("iqa", 403), ("centre_admin", 403), ("outsider", 404)]
)
def test_nobody_else_asks_for_a_testimony(client, request, registration, persona, status):
    assert ask(client, registration, request.getfixturevalue(persona)).status_code == status
    assert not WitnessRequest.objects.exists() and mail.outbox == []
