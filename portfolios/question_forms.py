"""The forms of questions an assessor sets and the learner answers (decision 42)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.template.defaultfilters import truncatewords

from portfolios.evidence import DECLARATION_NEEDED
from portfolios.models import QuestionSet, Registration
from portfolios.questions import (
    ANSWER_MAX_LENGTH,
    ANSWER_NEEDED,
    MAX_QUESTIONS,
    QUESTION_MAX_LENGTH,
)
from qualifications.models import KnowledgeItem, Unit


class QuestionSetForm(forms.Form):
    title = forms.CharField(
        label="Title", max_length=200, help_text="e.g. Handling complaints: what you know"
    )
    questions = forms.CharField(
        label="Questions",
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=f"One question a line, at most {MAX_QUESTIONS}. Empty lines are left out.",
    )
    units = forms.ModelMultipleChoiceField(
        label="Units they are about (optional)",
        queryset=Unit.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    knowledge_items = forms.ModelMultipleChoiceField(
        label="Knowledge items the answers can cover (optional)",
        queryset=KnowledgeItem.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The learner's answers are proposed for these when they send them.",
    )

    def __init__(self, *args: Any, registration: Registration, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        planned = registration.planned_units.values("unit_id")
        units: Any = self.fields["units"]
        units.queryset = Unit.objects.filter(pk__in=planned).order_by("code")
        units.label_from_instance = lambda u: f"{u.code} {u.title}"
        knowledge: Any = self.fields["knowledge_items"]
        knowledge.queryset = (
            KnowledgeItem.objects.filter(unit__in=planned)
            .select_related("unit")
            .order_by("unit__code", "pk")
        )
        knowledge.label_from_instance = lambda k: (
            f"{k.unit.code} K{k.number} {truncatewords(k.text, 14)}"
        )
        if not knowledge.queryset.exists():
            del self.fields["knowledge_items"]

    def clean_questions(self) -> list[str]:
        lines = [q.strip() for q in self.cleaned_data["questions"].splitlines()]
        found = [q for q in lines if q]
        too_long = [n for n, q in enumerate(found, 1) if len(q) > QUESTION_MAX_LENGTH]
        if too_long:
            raise forms.ValidationError(
                f"Question {too_long[0]} is longer than {QUESTION_MAX_LENGTH} characters."
            )
        return found


class AnswersForm(forms.Form):
    """One box for each question, labelled with it; answers kept as typed (not trimmed)."""

    declared = forms.BooleanField(
        label="These answers are my own work.",
        required=False,
        help_text="Needed to send them; not to save a draft.",
    )

    def __init__(self, *args: Any, question_set: QuestionSet, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        declared = self.fields.pop("declared")
        for n, (question, answer) in enumerate(question_set.pairs()):
            self.fields[f"answer_{n}"] = forms.CharField(
                label=f"{n + 1}. {question}",
                required=False,
                strip=False,
                max_length=ANSWER_MAX_LENGTH,
                initial=answer,
                widget=forms.Textarea(attrs={"rows": 4}),
            )
        self.fields["declared"] = declared

    def answers(self) -> list[str]:
        names = [name for name in self.fields if name.startswith("answer_")]
        return [self.cleaned_data[name].replace("\r\n", "\n") for name in names]

    def ready_to_send(self) -> bool:
        """Whether every question is answered and the declaration ticked; if not, says so
        under each field that lacks it (the service checks the same again)."""
        for name in self.fields:
            if name.startswith("answer_") and not self.cleaned_data[name].strip():
                self.add_error(name, ANSWER_NEEDED)
        if not self.cleaned_data["declared"]:
            self.add_error("declared", DECLARATION_NEEDED)
        return not self.errors
