from typing import Any

from django import forms

from portal.models import Centre, RoleKind, User
from qualifications.models import Qualification
from qualifications.rules import Rules


def people(centre: Centre, kind: RoleKind) -> Any:
    return User.objects.filter(roles__centre=centre, roles__kind=kind, is_active=True).distinct()


class PersonChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.full_name} ({obj.email})"


def unit_choices(rules: Rules) -> list[tuple[str, list[tuple[str, str]]]]:
    """Optional units grouped by their rule group, for checkboxes."""
    grouped = []
    for group in rules.groups:
        if group.mandatory:
            continue
        options = []
        for code in group.units:
            unit = rules.units[code]
            credit = f", {unit.credits} credits" if unit.credits else ""
            hours = f", {unit.glh} GLH" if unit.glh else ""
            options.append((code, f"{code} {unit.title} (level {unit.level}{credit}{hours})"))
        grouped.append((group.title, options))
    if not rules.groups:  # no published rules: every unit is available
        grouped.append(
            ("Available units", [(c, f"{c} {u.title}") for c, u in sorted(rules.units.items())])
        )
    return grouped


class UnitChoiceForm(forms.Form):
    optional_units = forms.MultipleChoiceField(
        label="Optional units", required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, rules: Rules, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["optional_units"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = unit_choices(rules)


class RegistrationForm(UnitChoiceForm):
    learner = PersonChoice(queryset=User.objects.none())
    assessor = PersonChoice(queryset=User.objects.none(), required=False)
    iqa = PersonChoice(queryset=User.objects.none(), required=False, label="IQA")
    ao_registration_number = forms.CharField(
        label="AO registration number", max_length=40, required=False
    )
    start_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    planned_end_date = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    field_order = [
        "learner",
        "assessor",
        "iqa",
        "ao_registration_number",
        "start_date",
        "planned_end_date",
        "optional_units",
    ]

    def __init__(self, *args: Any, centre: Centre, rules: Rules, **kwargs: Any) -> None:
        super().__init__(*args, rules=rules, **kwargs)
        for name, kind in (
            ("learner", RoleKind.LEARNER),
            ("assessor", RoleKind.ASSESSOR),
            ("iqa", RoleKind.IQA),
        ):
            self.fields[name].queryset = people(centre, kind)  # type: ignore[attr-defined]


class QualificationChoiceForm(forms.Form):
    qualification = forms.ModelChoiceField(
        queryset=Qualification.objects.order_by("title"), empty_label="Choose a qualification"
    )


class BulkUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file", help_text="One row per learner; the columns are listed above."
    )
