import datetime
import logging
import re

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import escape

from portal.audit import audit_verify
from portfolios.forms import NO_WEB_ADDRESS
from portfolios.models import Evidence, EvidenceMethod, WitnessRequest
from portfolios.services import registration_withdraw
from portfolios.witness import (
    DAILY_LIMIT,
    LINK_EXPIRED,
    LINK_UNKNOWN,
    LINK_USED,
    OPEN_LIMIT,
    SIGNATURE_NEEDED,
    TOO_MANY_TODAY,
    TOO_MANY_WAITING,
    WitnessAnswer,
    WitnessAnswerIncomplete,
    WitnessAsk,
    WitnessLinkProblem,
    witness_confirm,
    witness_request_create,
)
from tests.audit import AuditWatch

STATEMENT = "On 3 October I watched Leo calm an angry customer and agree a refund."


def ask(client, registration, actor, **overrides):
    client.force_login(actor)
    # The e-mail goes once the request's transaction commits (as in use: tests run in one).
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(
            reverse("portfolios:witness-ask", args=[registration.pk]),
            {
                "name": "Wendy Witness",
                "email": "wendy@example.org",
                "role": "Line manager",
                "statement": STATEMENT,
                **overrides,
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


# -- the e-mail, and how many may be sent ------------------------------------------------


def test_with_the_mail_server_down_the_request_is_saved_and_the_page_answers(
    client, registration, learner, settings, caplog
):
    settings.EMAIL_BACKEND = "tests.mail_backends.RefusingBackend"
    with caplog.at_level(logging.ERROR):
        response = ask(client, registration, learner)
    assert response.status_code == 302
    assert WitnessRequest.objects.get().witness_email == "wendy@example.org"
    assert "E-mail to wendy@example.org not sent" in caplog.text  # not silently lost


def test_the_e_mail_quotes_what_the_learner_typed_as_their_words(client, registration, learner):
    ask(client, registration, learner, name="Wendy\n\nYour account is locked", role="Boss")
    body = mail.outbox[-1].body
    assert "(their words, not checked by the portal)" in body
    assert "    Name: “Wendy Your account is locked”\n    Who you are to them: “Boss”\n" in body
    assert body.startswith("Hello,\n\nThis is the Qualifications Portal.")


@pytest.mark.parametrize("field", ["name", "role"])
def test_a_web_address_in_the_witness_name_or_role_is_refused(client, registration, learner, field):
    response = ask(client, registration, learner, **{field: "Support: see evil.example/unlock"})
    assert response.status_code == 200 and escape(NO_WEB_ADDRESS) in response.content.decode()
    assert not WitnessRequest.objects.exists() and mail.outbox == []


def asked_already(registration, count: int, days_ago: int = 0) -> None:
    now = timezone.now()
    WitnessRequest.objects.bulk_create(
        WitnessRequest(
            registration=registration, requested_by=registration.learner, witness_name=f"W{n}",
            witness_email=f"w{n}@example.org", witness_role="Customer", statement="x",
            token_hash=f"{days_ago}-{n}", expires_at=now + datetime.timedelta(days=7),
        )
        for n in range(count)
    )  # fmt: skip
    WitnessRequest.objects.update(requested_at=now - datetime.timedelta(days=days_ago))


def test_a_day_s_requests_are_limited_with_a_clear_refusal(client, registration, learner):
    asked_already(registration, DAILY_LIMIT)
    response = ask(client, registration, learner)
    assert TOO_MANY_TODAY.format(limit=DAILY_LIMIT) in response.content.decode()
    assert WitnessRequest.objects.count() == DAILY_LIMIT and mail.outbox == []
    WitnessRequest.objects.update(requested_at=timezone.now() - datetime.timedelta(days=1))
    assert ask(client, registration, learner).status_code == 302


def test_requests_waiting_for_an_answer_are_limited_until_some_are_answered_or_expire(
    client, registration, learner
):
    asked_already(registration, OPEN_LIMIT, days_ago=2)
    response = ask(client, registration, learner)
    assert TOO_MANY_WAITING.format(limit=OPEN_LIMIT, days=7) in response.content.decode()
    assert WitnessRequest.objects.count() == OPEN_LIMIT and mail.outbox == []
    WitnessRequest.objects.filter(witness_name="W0").update(confirmed_at=timezone.now())
    assert ask(client, registration, learner).status_code == 302


# -- the audit log --------------------------------------------------------------------

WENDY = WitnessAsk("Wendy Witness", "wendy@example.org", "Line manager", STATEMENT)
SIGNED = WitnessAnswer("Wendy Witness", "Store manager", "I manage Leo", "Wendy Witness")


def request_testimony(registration, actor) -> tuple[WitnessRequest, str]:
    """The request and the secret token its e-mailed link carries."""
    tokens: list[str] = []

    def link_for(token: str) -> str:
        tokens.append(token)
        return f"http://testserver/witness/{token}/"

    request = witness_request_create(
        registration=registration, ask=WENDY, actor=actor, link_for=link_for
    )
    return request, tokens[0]


@pytest.mark.parametrize("persona", ["learner", "assessor"])
def test_asking_a_witness_writes_who_was_asked_to_confirm_what(request, registration, persona):
    actor = request.getfixturevalue(persona)
    audit = AuditWatch()
    witness, _token = request_testimony(registration, actor)
    assert audit.actions() == ["witness.requested"]
    entry = audit.entries().get()
    assert entry.subject == f"witness_request:{witness.pk}" and entry.actor == actor
    after = entry.after or {}
    assert {k: v for k, v in after.items() if k != "expires_at"} == {
        "registration": registration.pk,
        "witness": "Wendy Witness",
        "role": "Line manager",
        "statement": STATEMENT,
    }
    expires = parse_datetime(after["expires_at"])
    assert expires is not None
    assert abs(expires - witness.expires_at) < datetime.timedelta(milliseconds=1)
    assert audit_verify()[1] is None


@pytest.mark.parametrize("persona", ["iqa", "centre_admin", "outsider"])
def test_nobody_else_asking_writes_nothing_to_the_audit_log(
    request, registration, learner, persona
):
    audit = AuditWatch()
    with pytest.raises(PermissionDenied):
        request_testimony(registration, request.getfixturevalue(persona))
    assert not audit.entries().exists()
    request_testimony(registration, learner)
    assert audit.actions() == ["witness.requested"]


def test_the_witness_confirming_writes_who_signed_with_no_actor(registration, learner):
    witness, token = request_testimony(registration, learner)
    audit = AuditWatch()
    evidence = witness_confirm(token=token, answer=SIGNED)
    assert audit.actions() == ["witness.confirmed"]
    entry = audit.entries().get()
    assert entry.subject == f"witness_request:{witness.pk}" and entry.actor is None
    assert entry.after == {
        "evidence": evidence.pk,
        "signed_name": "Wendy Witness",
        "job_title": "Store manager",
        "relationship": "I manage Leo",
    }
    assert audit_verify()[1] is None


def test_a_refused_confirmation_writes_nothing_to_the_audit_log(registration, learner):
    _witness, token = request_testimony(registration, learner)
    used, used_token = request_testimony(registration, learner)
    witness_confirm(token=used_token, answer=SIGNED)
    audit = AuditWatch()
    with pytest.raises(WitnessAnswerIncomplete, match=SIGNATURE_NEEDED):
        witness_confirm(token=token, answer=WitnessAnswer("Wendy Witness", "", "", "  "))
    with pytest.raises(WitnessLinkProblem, match=LINK_USED):
        witness_confirm(token=used_token, answer=SIGNED)
    with pytest.raises(WitnessLinkProblem, match=LINK_UNKNOWN):
        witness_confirm(token="not-a-real-token", answer=SIGNED)
    WitnessRequest.objects.exclude(pk=used.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    with pytest.raises(WitnessLinkProblem, match=LINK_EXPIRED.format(learner=learner.full_name)):
        witness_confirm(token=token, answer=SIGNED)
    assert not audit.entries().exists()
    _fresh, fresh_token = request_testimony(registration, learner)
    witness_confirm(token=fresh_token, answer=SIGNED)
    assert audit.actions() == ["witness.requested", "witness.confirmed"]


# -- the requests on the registration's page, with their state ----------------------------


def witnesses_shown(client, registration, viewer) -> str:
    client.force_login(viewer)
    response = client.get(reverse("portfolios:registration-detail", args=[registration.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    start = page.find('data-testid="witness-requests"')
    return "" if start < 0 else page[start : page.index("</section>", start)]


@pytest.mark.parametrize("viewer", ["learner", "assessor"])
def test_a_sent_request_is_shown_with_its_state_as_it_changes(
    client, request, registration, learner, viewer
):
    ask(client, registration, learner, name="Wendy <b>Witness</b>")
    person = request.getfixturevalue(viewer)
    shown = witnesses_shown(client, registration, person)
    assert "Sent" in shown and "waiting for the witness" in shown
    assert "Wendy &lt;b&gt;Witness&lt;/b&gt;" in shown and "<b>Witness" not in shown
    sent = WitnessRequest.objects.get()
    assert f"{timezone.localtime(sent.expires_at):%-d %B %Y}" in shown

    WitnessRequest.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    shown = witnesses_shown(client, registration, person)
    assert "Expired" in shown and "Sent</span>" not in shown

    WitnessRequest.objects.update(expires_at=timezone.now() + datetime.timedelta(days=1))
    client.logout()
    confirm(client, link_in_mail())
    shown = witnesses_shown(client, registration, person)
    evidence = Evidence.objects.get()
    assert "Confirmed" in shown and "Expired" not in shown and escape(evidence.title) in shown
    target = "assessment:evidence-review" if viewer == "assessor" else "portfolios:evidence-detail"
    assert reverse(target, args=[evidence.pk]) in shown


@pytest.mark.parametrize("viewer", ["iqa", "centre_admin"])
def test_others_who_see_the_registration_do_not_see_whom_the_learner_asked(
    client, request, registration, learner, viewer
):
    ask(client, registration, learner)
    assert witnesses_shown(client, registration, request.getfixturevalue(viewer)) == ""


def test_the_requests_are_not_shown_in_another_centre(client, registration, learner, outsider):
    ask(client, registration, learner)
    client.force_login(outsider)
    url = reverse("portfolios:registration-detail", args=[registration.pk])
    assert client.get(url).status_code == 404


def test_on_a_closed_registration_a_waiting_request_says_it_can_no_longer_be_confirmed(
    client, registration, learner, centre_admin
):
    ask(client, registration, learner)
    registration_withdraw(registration=registration, reason="Left.", actor=centre_admin)
    shown = witnesses_shown(client, registration, learner)
    assert "can no longer be confirmed" in shown and "waiting for the witness" not in shown
