"""One way to refuse: a refusal carries its messages; views flash them or put them on a form."""

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.test import RequestFactory

from assessment.services import DecisionRefused
from certification.services import ClaimRefused
from iqa.services import IqaRefused
from portal.refusals import Refused, attempt, attempt_form, refused_on_form, refused_redirect
from portfolios.evidence import EvidenceRejected
from portfolios.services import RegistrationRejected
from portfolios.uploads import UploadRejected
from portfolios.witness import WitnessAnswerIncomplete, WitnessLinkProblem


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=5)


def posted():
    request = RequestFactory().post("/")
    request.session = SessionStore()
    request._messages = FallbackStorage(request)  # type: ignore[attr-defined]
    return request


def flashed(request):
    return [(m.level_tag, m.message) for m in get_messages(request)]


@pytest.mark.parametrize(
    "kind",
    [
        DecisionRefused,
        ClaimRefused,
        IqaRefused,
        EvidenceRejected,
        RegistrationRejected,
        UploadRejected,
        WitnessLinkProblem,
        WitnessAnswerIncomplete,
    ],
)
def test_every_apps_refusal_is_a_refused_with_its_messages(kind):
    refused = kind(["First reason.", "Second reason."])
    assert isinstance(refused, Refused)
    assert refused.messages == ["First reason.", "Second reason."]
    assert str(refused) == "First reason.; Second reason."


def test_a_refusal_of_one_sentence_reads_as_that_sentence():
    refused = Refused("Write the reason.")
    assert refused.messages == ["Write the reason."] and str(refused) == "Write the reason."


def test_a_form_that_failed_validation_becomes_a_refusal_with_its_messages():
    form = ReasonForm({"reason": "far too long"})
    assert not form.is_valid()
    refused = Refused.from_form(form)
    assert refused.messages == ["Reason: Ensure this value has at most 5 characters (it has 12)."]


def test_a_missing_field_reads_as_its_own_sentence_in_a_refusal():
    class Asked(forms.Form):
        reason = forms.CharField(error_messages={"required": "Write the reason."})

    form = Asked({"reason": "  "})
    assert not form.is_valid()
    assert Refused.from_form(form).messages == ["Write the reason."]


def test_a_refusal_redirects_and_flashes_each_message():
    request = posted()
    response = refused_redirect(request, Refused(["One.", "Two."]), "/back/")
    assert response.status_code == 302 and response["Location"] == "/back/"
    assert flashed(request) == [("error", "One."), ("error", "Two.")]


def test_a_refusal_on_a_form_keeps_what_was_typed_and_shows_why():
    form = ReasonForm({"reason": "ok"})
    assert form.is_valid()
    refused_on_form(form, Refused("Not now."))
    assert form.non_field_errors() == ["Not now."] and form.data["reason"] == "ok"
    refused_on_form(form, Refused("Not this one."), field="reason")
    assert form.errors["reason"] == ["Not this one."]


def test_an_attempt_flashes_success_when_the_action_goes_through():
    request, done = posted(), []
    response = attempt(request, lambda: done.append(1), success="Saved.", to="/next/")
    assert done == [1] and response["Location"] == "/next/"
    assert flashed(request) == [("success", "Saved.")]


def test_an_attempt_flashes_why_when_the_action_is_refused_and_not_success():
    def refuse() -> None:
        raise IqaRefused("This action is already closed.")

    request = posted()
    response = attempt(request, refuse, success="Closed.", to="/next/")
    assert response.status_code == 302 and response["Location"] == "/next/"
    assert flashed(request) == [("error", "This action is already closed.")]


def test_an_attempt_lets_anything_but_a_refusal_through():
    def fail() -> None:
        raise PermissionError("not a refusal")

    with pytest.raises(PermissionError):
        attempt(posted(), fail, success="Done.", to="/next/")


def test_a_form_attempt_shows_the_forms_own_messages_and_does_nothing_when_invalid():
    request, done = posted(), []
    response = attempt_form(
        request,
        ReasonForm({"reason": "far too long"}),
        lambda data: done.append(data),
        success="Saved.",
        to="/back/",
    )
    assert done == [] and response["Location"] == "/back/"
    assert flashed(request) == [
        ("error", "Reason: Ensure this value has at most 5 characters (it has 12).")
    ]


def test_a_form_attempt_hands_the_cleaned_data_to_the_action():
    request, done = posted(), []
    attempt_form(
        request,
        ReasonForm({"reason": " ok "}),
        lambda data: done.append(data),
        success="Saved.",
        to="/back/",
    )
    assert done == [{"reason": "ok"}] and flashed(request) == [("success", "Saved.")]
