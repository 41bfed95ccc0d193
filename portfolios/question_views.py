"""The pages of questions an assessor sets and the learner answers (decision 42)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from portal.http import PortalRequest
from portal.refusals import refused_on_form
from portfolios.access import closed_redirect, question_set_for, registration_for
from portfolios.models import QuestionSet
from portfolios.question_forms import AnswersForm, QuestionSetForm
from portfolios.questions import (
    ONLY_THE_ASSESSOR,
    ONLY_THE_LEARNER,
    Questions,
    QuestionsRefused,
    assesses,
    question_set_create,
    question_set_save,
    question_set_submit,
)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def question_set_new(request: PortalRequest, pk: int) -> HttpResponse:
    """One of the learner's assessors writes a set of questions for them."""
    registration = registration_for(request, pk)
    if not assesses(request.user, registration):
        raise PermissionDenied(ONLY_THE_ASSESSOR)
    if closed := closed_redirect(request, registration):
        return closed
    form = QuestionSetForm(request.POST or None, registration=registration)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        asked = Questions(
            title=data["title"],
            questions=data["questions"],
            unit_ids=frozenset(u.pk for u in data["units"]),
            knowledge_ids=frozenset(k.pk for k in data.get("knowledge_items", [])),
        )
        try:
            made = question_set_create(registration=registration, asked=asked, actor=request.user)
        except QuestionsRefused as refused:
            refused_on_form(form, refused)
        else:
            messages.success(request, f"“{made.title}” is set: the learner has been told.")
            return redirect("portfolios:question-set-detail", made.pk)
    context = {"form": form, "registration": registration}
    return render(request, "portfolios/question_set_form.html", context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def question_set_detail(request: PortalRequest, pk: int) -> HttpResponse:
    """The questions: the learner answers them (a draft, then sent once); their assessor and
    anyone else who may see the portfolio reads them, and the answers once sent."""
    question_set = question_set_for(request, pk)
    registration = question_set.registration
    is_learner = registration.learner_id == request.user.pk
    form = AnswersForm(request.POST or None, question_set=question_set)
    if request.method == "POST":
        if not is_learner:
            raise PermissionDenied(ONLY_THE_LEARNER)
        if form.is_valid() and (done := answer(request, question_set, form)):
            return done
    context = {
        "question_set": question_set,
        "registration": registration,
        "is_learner": is_learner,
        "form": form,
        "answerable": is_learner and not (question_set.is_submitted or registration.closed_because),
        "closed": registration.closed_because,
    }
    return render(request, "portfolios/question_set_detail.html", context)


def answer(
    request: PortalRequest, question_set: QuestionSet, form: AnswersForm
) -> HttpResponse | None:
    """Save the draft or send the answers; None to show the form again with the refusal."""
    sending = request.POST.get("action") == "send"
    if sending and not form.ready_to_send():
        return None
    try:
        if sending:
            evidence = question_set_submit(
                question_set=question_set,
                answers=form.answers(),
                declared=form.cleaned_data["declared"],
                actor=request.user,
            )
        else:
            question_set_save(question_set=question_set, answers=form.answers(), actor=request.user)
            messages.success(request, "Your answers are saved. Send them when they are ready.")
            return redirect("portfolios:question-set-detail", question_set.pk)
    except QuestionsRefused as refused:
        refused_on_form(form, refused)
        return None
    messages.success(request, f"Your answers are sent: “{evidence.title}” is in your portfolio.")
    return redirect("portfolios:evidence-detail", evidence.pk)
