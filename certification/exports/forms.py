import datetime
from typing import Any

from django import forms

from certification.exports.formats import FORMATS, FORMATS_OF, Format, family_of
from qualifications.models import Qualification

WRONG_WAY_ROUND = "The first date must be on or before the second."
LONGEST = datetime.timedelta(days=366)
TOO_LONG = "Choose at most a year at a time."
DATE = forms.DateInput({"type": "date"}, format="%Y-%m-%d")


class ExportForm(forms.Form):
    """Which claims of a qualification go in the AO's file, and in which of its layouts."""

    format = forms.ChoiceField(label="File", choices=Format.choices)
    start = forms.DateField(label="Claimed (or registered) from", widget=DATE)
    end = forms.DateField(label="to", widget=DATE)

    def __init__(self, *args: Any, qualification: Qualification, **kwargs: Any) -> None:
        today = datetime.date.today()
        kwargs.setdefault("initial", {"start": today.replace(day=1), "end": today})
        super().__init__(*args, **kwargs)
        self.qualification = qualification
        self.family = family_of(qualification)
        offered = FORMATS_OF[self.family]
        field = self.fields["format"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(f.value, f.label) for f in offered]
        field.initial = offered[0].value

    @property
    def layouts(self) -> list[str]:
        """What each file offered holds, in words, for the page."""
        return [f"{f.label}: {FORMATS[f].selects}." for f in FORMATS_OF[self.family]]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and start > end:
            raise forms.ValidationError(WRONG_WAY_ROUND)
        if start and end and end - start > LONGEST:
            raise forms.ValidationError(TOO_LONG)
        return cleaned


def export_key(qualification_pk: int) -> str:
    """The key the AO's file form is sent back under (portal.refusals.send_back)."""
    return f"certification:results-file:{qualification_pk}"
