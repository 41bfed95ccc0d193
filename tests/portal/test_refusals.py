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
from portal.refusals import (
    NOT_SENT,
    Refused,
    attempt,
    attempt_form,
    form_sent_back,
    refused_on_form,
    refused_redirect,
    send_back,
)
from portfolios.evidence import EvidenceRejected
from portfolios.services import RegistrationRejected
from portfolios.uploads import UploadRejected
from portfolios.witness import WitnessAnswerIncomplete, WitnessLinkProblem


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=5)


def posted(data=None):
    request = RequestFactory().post("/", data or {})
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


def page_after(request):
    """The next page the person opens, with the same session."""
    page = RequestFactory().get("/back/")
    page.session = request.session
    return page


def test_an_invalid_form_attempt_does_nothing_and_sends_the_form_back_to_its_page():
    request, done = posted({"reason": "far too long", "csrfmiddlewaretoken": "t"}), []
    response = attempt_form(
        request,
        ReasonForm(request.POST),
        lambda data: done.append(data),
        success="Saved.",
        to="/back/",
        key="reason:7",
    )
    assert done == [] and response["Location"] == "/back/"
    assert flashed(request) == [("error", NOT_SENT)]
    page = page_after(request)
    assert not form_sent_back(page, ReasonForm, "reason:8").is_bound  # another form's page
    form = form_sent_back(page, ReasonForm, "reason:7")
    assert form.data["reason"] == "far too long" and "csrfmiddlewaretoken" not in form.data
    assert form.errors == {"reason": ["Ensure this value has at most 5 characters (it has 12)."]}
    assert not form_sent_back(page, ReasonForm, "reason:7").is_bound  # once only


def test_a_password_typed_is_never_kept_in_a_form_sent_back():
    class Signed(forms.Form):
        signature = forms.CharField(max_length=3)
        password = forms.CharField(widget=forms.PasswordInput)

    request = posted({"signature": "too long", "password": "secret-words"})
    send_back(request, Signed(request.POST), "signed", "/back/")
    assert "secret-words" not in str(dict(request.session))
    form = form_sent_back(page_after(request), Signed, "signed")
    assert form.data["signature"] == "too long" and set(form.errors) == {"signature", "password"}


def test_a_form_attempt_hands_the_cleaned_data_to_the_action():
    request, done = posted(), []
    attempt_form(
        request,
        ReasonForm({"reason": " ok "}),
        lambda data: done.append(data),
        success="Saved.",
        to="/back/",
        key="reason:7",
    )
    assert done == [{"reason": "ok"}] and flashed(request) == [("success", "Saved.")]
