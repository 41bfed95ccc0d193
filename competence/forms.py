"""The register's forms: an entry (award, dates, scope) and the centre's enforcement switch."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils import timezone

from competence.models import Award, CompetenceEntry, EntryStatus
from competence.services import REASON_NEEDED, EntryDetails, entry_problems
from qualifications.models import Qualification, Unit

UNKNOWN_UNITS = "No unit has the code {codes}: give the codes as the catalogue shows them."


def date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class EntryForm(forms.Form):
    award = forms.ChoiceField(choices=Award.choices)
    title = forms.CharField(
        label="Title of the award", max_length=200, required=False, help_text="Only for another."
    )
    status = forms.ChoiceField(
        choices=EntryStatus.choices, widget=forms.RadioSelect, initial=EntryStatus.HELD
    )
    achieved_on = forms.DateField(label="Achieved on", required=False, widget=date_input())
    certificate_reference = forms.CharField(max_length=100, required=False)
    expires_on = forms.DateField(
        label="Expires on",
        required=False,
        widget=date_input(),
        help_text="Where one applies: current until the end of that day.",
    )
    deadline = forms.DateField(
        label="Deadline (working towards)", required=False, widget=date_input()
    )
    qualifications = forms.ModelMultipleChoiceField(
        queryset=Qualification.objects.order_by("code"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Qualifications they may assess or verify (every unit of them)",
    )
    units = forms.CharField(
        label="Or single units, by code",
        required=False,
        max_length=2000,
        help_text="Codes separated by commas or spaces, e.g. A/506/2130, 208, U00306.",
    )

    def clean_units(self) -> list[Unit]:
        codes = [c for c in re.split(r"[,\s]+", self.cleaned_data.get("units", "")) if c]
        found = {u.code: u for u in Unit.objects.filter(code__in=codes)}
        if unknown := [c for c in codes if c not in found]:
            raise forms.ValidationError(UNKNOWN_UNITS.format(codes=", ".join(unknown)))
        return list(dict.fromkeys(found[c] for c in codes))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            for name, message in entry_problems(self.details(), timezone.localdate()):
                self.add_error(name, message)
        return data

    def details(self) -> EntryDetails:
        data = self.cleaned_data
        return EntryDetails(
            award=data["award"],
            status=data["status"],
            title=data.get("title", ""),
            achieved_on=data.get("achieved_on"),
            certificate_reference=data.get("certificate_reference", ""),
            expires_on=data.get("expires_on"),
            deadline=data.get("deadline"),
            qualifications=list(data.get("qualifications") or []),
            units=list(data.get("units") or []),
        )

    @classmethod
    def initial_of(cls, entry: CompetenceEntry) -> dict[str, Any]:
        return {
            "award": entry.award,
            "title": entry.title,
            "status": entry.status,
            "achieved_on": entry.achieved_on,
            "certificate_reference": entry.certificate_reference,
            "expires_on": entry.expires_on,
            "deadline": entry.deadline,
            "qualifications": list(entry.qualifications.all()),
            "units": ", ".join(u.code for u in entry.units.all()),
        }


class EndForm(forms.Form):
    """Why an entry ends (recorded in error, no longer true): kept with the entry."""

    reason = forms.CharField(
        label="Why it ends",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="e.g. recorded in error; the award was withdrawn. Kept with the entry.",
        error_messages={"required": REASON_NEEDED},
    )
