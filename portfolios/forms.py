import re
from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format

from portal import identity
from portal.models import Centre, RoleKind, User
from portfolios.evidence import ACCOUNT_MAX_LENGTH, method_problems
from portfolios.models import (
    COMMENT_MAX_LENGTH,
    LEARNER_METHODS,
    Evidence,
    EvidenceMethod,
    EvidenceSetting,
    Funding,
    Registration,
    RegistrationUnit,
)
from portfolios.services import LearnerIdentity
from qualifications.lifecycle import closed_status
from qualifications.models import Qualification, QualificationStatus
from qualifications.requirements import EvidenceKind
from qualifications.rules import Rules


def date_input() -> forms.DateInput:
    """A browser date picker. It reads and writes ISO dates only, so the initial value (a
    date being changed, say) must be rendered that way or the picker shows it empty."""
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def people(centre: Centre, kind: RoleKind) -> Any:
    return User.objects.filter(roles__centre=centre, roles__kind=kind, is_active=True).distinct()


class PersonChoice(forms.ModelChoiceField):
    # People offered only because the registration still names them, though they have left.
    left: frozenset[int] = frozenset()

    def label_from_instance(self, obj: Any) -> str:
        return person_label(obj.full_name, obj.email, left=obj.pk in self.left)


def person_label(name: str, email: str, *, left: bool = False) -> str:
    """A person as a drop-down names them; one kept only because they are still named, though
    they have left the centre, says so."""
    return f"{name} ({email}{', has left the centre' if left else ''})"


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


def checked_by(problem: Callable[[Any], str]) -> Callable[[Any], None]:
    """A field validator saying what `portal.identity` says, in the same words."""

    def validate(value: Any) -> None:
        if said := problem(value):
            raise ValidationError(said)

    return validate


def dob_checked(value: Any) -> None:
    if said := identity.date_of_birth_problem(value, today=timezone.localdate()):
        raise ValidationError(said)


class LearnerDetailsForm(forms.Form):
    """The learner's identity as awarding organisations register it, and whether the
    registration is funded (docs/learner-identity.md). Every field may be left blank."""

    legal_first_names = forms.CharField(
        label="Legal first name(s)",
        required=False,
        validators=[checked_by(identity.first_names_problem)],
        help_text=f"As on their identity document; at most {identity.FIRST_NAMES_MAX} characters.",
    )
    legal_last_name = forms.CharField(
        label="Legal last name",
        required=False,
        validators=[checked_by(identity.last_name_problem)],
        help_text=f"At most {identity.LAST_NAME_MAX} characters.",
    )
    date_of_birth = forms.DateField(
        label="Date of birth", required=False, widget=date_input(), validators=[dob_checked]
    )
    sex = forms.ChoiceField(
        choices=[("", "Not recorded"), *identity.Sex.choices],
        required=False,
        help_text="As the awarding organisations' registration templates take it.",
    )
    postcode = forms.CharField(label="Postcode", required=False)
    uln = forms.CharField(
        label="ULN (Unique Learner Number)",
        required=False,
        help_text="10 digits, from the Learning Records Service. Needed for learners in England.",
    )
    funding = forms.ChoiceField(
        label="Funding",
        choices=[("", "Not known yet"), *Funding.choices],
        required=False,
        help_text="City & Guilds asks for every registration to be marked.",
    )
    ao_registration_number = forms.CharField(
        label="AO registration number",
        max_length=40,
        required=False,
        help_text="The number the awarding organisation gave when the learner was registered "
        "with it. Some ask for it before they accept a claim.",
    )

    def clean_postcode(self) -> str:
        value = identity.normalise_postcode(self.cleaned_data["postcode"])
        if value and (said := identity.postcode_problem(value)):
            raise ValidationError(said)
        return value

    def clean_uln(self) -> str:
        value = identity.normalise_uln(self.cleaned_data["uln"])
        if value and (said := identity.uln_problem(value)):
            raise ValidationError(said)
        return value

    def identity(self) -> LearnerIdentity:
        data = self.cleaned_data
        return LearnerIdentity(
            legal_first_names=data["legal_first_names"],
            legal_last_name=data["legal_last_name"],
            date_of_birth=data["date_of_birth"],
            sex=data["sex"],
            postcode=data["postcode"],
            uln=data["uln"],
        )

    @classmethod
    def initial_for(cls, registration: Registration) -> dict[str, Any]:
        return {
            **LearnerIdentity.of(registration.learner).facts(),
            "funding": registration.funding,
            "ao_registration_number": registration.ao_registration_number,
        }


IDENTITY_FIELDS = [
    "legal_first_names",
    "legal_last_name",
    "date_of_birth",
    "sex",
    "postcode",
    "uln",
]


class RegistrationForm(UnitChoiceForm, LearnerDetailsForm):
    # Each list holds this centre's people in that role only (set per centre below); anyone
    # else joins by invitation first, or from a CSV file, which invites them.
    learner = PersonChoice(
        queryset=User.objects.none(),
        empty_label="Choose a learner",
        help_text="The centre's learners. Someone new joins by invitation (Invitations) or "
        "from a CSV file, which invites them and registers them once they accept.",
    )
    assessor = PersonChoice(
        queryset=User.objects.none(), required=False, empty_label="Not allocated yet"
    )
    iqa = PersonChoice(
        queryset=User.objects.none(), required=False, label="IQA", empty_label="Not allocated yet"
    )
    start_date = forms.DateField(widget=date_input())
    planned_end_date = forms.DateField(required=False, widget=date_input())

    field_order = [
        "learner",
        "assessor",
        "iqa",
        "ao_registration_number",
        "start_date",
        "planned_end_date",
        "funding",
        *IDENTITY_FIELDS,
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
    """Which qualification to register a learner on. Only the operational ones are offered; a
    consultation draft or a withdrawn one, sent by hand, gets the lifecycle's reason."""

    qualification = forms.ModelChoiceField(
        queryset=Qualification.objects.order_by("title"), empty_label="Choose a qualification"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["qualification"]
        assert isinstance(field, forms.ModelChoiceField)
        offered = Qualification.objects.filter(status=QualificationStatus.OPERATIONAL)
        field.widget.choices = [
            ("", field.empty_label),
            *((q.pk, field.label_from_instance(q)) for q in offered.order_by("title")),
        ]

    def clean_qualification(self) -> Qualification:
        qualification: Qualification = self.cleaned_data["qualification"]
        closed = closed_status(qualification, "registrations")
        if closed:
            raise forms.ValidationError(closed)
        return qualification


class BulkUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file", help_text="One row per learner; the columns are listed above."
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field; the portal checks each one itself (portfolios/uploads.py)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        # Emptiness, size and type are the service's to judge, with its own messages.
        items = data if isinstance(data, list | tuple) else [data]
        return [item for item in items if item]


# What the browser offers; on a phone, image, video and audio let the learner use the camera
# or microphone. The portal decides by content whatever the browser sends.
ACCEPT = "image/*,video/*,audio/*,.pdf,.doc,.docx,.odt,.xlsx,.ods,.pptx,.odp,.txt"


# A learner labels their own evidence only with a learner's method: the assessor records
# observations, discussions and questioning, and witnesses sign testimony (decision 17).
LEARNER_METHOD_CHOICES = [(m.value, m.label) for m in EvidenceMethod if m in LEARNER_METHODS]
METHOD_CHOICES = [("", "Choose how the evidence was produced"), *LEARNER_METHOD_CHOICES]


class LearnerMethodField(forms.ChoiceField):
    """The learner's methods only. Another method, sent by hand, is refused in the service's
    words rather than as an unknown choice."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=METHOD_CHOICES, label="Method", **kwargs)

    def validate(self, value: Any) -> None:
        if value in EvidenceMethod.values:
            problems = method_problems(value)
            if problems:
                raise forms.ValidationError(problems)
        super().validate(value)


KIND_CHOICES = [("", "Not stated"), *EvidenceKind.choices]


def setting_field(required: bool = False) -> forms.TypedChoiceField:
    """Real work or simulated (decision 51): real work unless said otherwise (also, where it
    is not `required`, when a form is sent without it)."""
    return forms.TypedChoiceField(
        label="Real work or simulated",
        choices=EvidenceSetting.choices,
        required=required,
        empty_value=EvidenceSetting.REAL_WORK,
        initial=EvidenceSetting.REAL_WORK,
        help_text=(
            "Simulated: done in a realistic exercise rather than at real work. A realistic "
            "working environment counts as real work only in the units whose specification "
            "accepts it, and as simulated in the others."
        ),
    )


def kind_field() -> forms.ChoiceField:
    return forms.ChoiceField(label="Kind of evidence", choices=KIND_CHOICES, required=False)


class EvidenceForm(forms.Form):
    title = forms.CharField(max_length=200)
    occurred_on = forms.DateField(label="Date", widget=date_input())
    method = LearnerMethodField()
    setting = setting_field()
    kind = kind_field()
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What happened, where, and what it shows.",
    )
    evidence_files = MultipleFileField(
        label="Files",
        required=False,
        help_text="Documents, photos, audio or video; choose several at once if you like.",
    )
    # Not required of the form: the service says a missing declaration with every other
    # problem of the upload at once. But `required` in the page, so the browser asks for the
    # tick before sending the files (static/js/upload-progress.js, the form being novalidate).
    declaration = forms.BooleanField(
        required=False,
        label="I declare that this evidence is my own work and a true record of what I did.",
        widget=forms.CheckboxInput(attrs={"required": True}),
    )


class AccountForm(forms.Form):
    """A reflective account written on the page: the text is the evidence (no file)."""

    title = forms.CharField(max_length=200, help_text="e.g. Handling a complaint at the till")
    occurred_on = forms.DateField(label="Date of what you describe", widget=date_input())
    text = forms.CharField(
        label="Your account",
        widget=forms.Textarea(attrs={"rows": 12, "maxlength": ACCOUNT_MAX_LENGTH}),
        help_text=(
            "In your own words: what you did, why, how it went and what you would do "
            f"differently. At most {ACCOUNT_MAX_LENGTH:,} characters."
        ),
    )
    # As on the upload form (decision 51): real work unless said otherwise, kind not stated.
    setting = setting_field()
    kind = kind_field()
    declaration = forms.BooleanField(
        required=False,
        label="I declare that this account is my own work and a true record of what I did.",
    )


# Said under "Real work or simulated" and "Kind of evidence" once the assessor set them.
SET_BY_ASSESSOR_HELP = "Your assessor set this on {day}: only they can change it now."


class EvidenceEditForm(forms.Form):
    title = forms.CharField(max_length=200)
    occurred_on = forms.DateField(label="Date", widget=date_input())
    method = LearnerMethodField()
    setting = setting_field()
    kind = kind_field()
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args: Any, evidence: Evidence | None = None, **kwargs: Any) -> None:
        """`evidence`: the evidence changed. A form sent without "Real work or simulated"
        keeps what the evidence says; once the assessor has said it, and its kind, both are
        shown read-only, and what is sent for them is ignored (decision 53)."""
        super().__init__(*args, **kwargs)
        if evidence is None:
            return
        setting = self.fields["setting"]
        assert isinstance(setting, forms.TypedChoiceField)
        setting.empty_value = evidence.setting
        if evidence.classified_at is not None:
            day = date_format(timezone.localtime(evidence.classified_at), "j F Y")
            for name in ("setting", "kind"):
                self.fields[name].disabled = True
                self.fields[name].help_text = SET_BY_ASSESSOR_HELP.format(day=day)


# The witness's name and role go into the portal's e-mail to them: no web addresses, which
# would read there as the portal's own links.
WEB_ADDRESS = re.compile(r"://|\bwww\.|[\w-]+\.[\w.-]+/", re.IGNORECASE)
NO_WEB_ADDRESS = "This goes into the portal's e-mail to the witness: leave out web addresses."


def no_web_address(value: str) -> None:
    if WEB_ADDRESS.search(value):
        raise ValidationError(NO_WEB_ADDRESS)


class WitnessAskForm(forms.Form):
    name = forms.CharField(label="Witness's name", max_length=200, validators=[no_web_address])
    email = forms.EmailField(label="Witness's e-mail address")
    role = forms.CharField(
        label="Who they are to you",
        max_length=200,
        help_text="e.g. Line manager, customer",
        validators=[no_web_address],
    )
    statement = forms.CharField(
        label="What you ask them to confirm",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Describe what they saw you do, when and where, in your own words.",
    )


class WitnessConfirmForm(forms.Form):
    signed_name = forms.CharField(label="Your full name", max_length=200)
    job_title = forms.CharField(label="Your job title", max_length=200)
    relationship = forms.CharField(
        label="How you know the learner", max_length=200, help_text="e.g. I manage them"
    )
    signature = forms.CharField(
        label="Signature", max_length=200, help_text="Type your name again to sign."
    )
    truthful = forms.BooleanField(label="I confirm that the statement above is true.")


class RulesTransferForm(forms.Form):
    """Why a registration moves to the current rules of combination: kept in the audit log."""

    reason = forms.CharField(
        label="Reason for the transfer",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=500,
        error_messages={"required": "Give the reason: it is kept with the registration's history."},
    )


class RegistrationStaffForm(forms.Form):
    """Who assesses the learner and who quality-assures them on this registration: the
    centre's assessors (trainees too) and IQAs."""

    assessor = PersonChoice(
        queryset=User.objects.none(), required=False, empty_label="Not allocated yet"
    )
    iqa = PersonChoice(
        queryset=User.objects.none(), required=False, label="IQA", empty_label="Not allocated yet"
    )

    def __init__(
        self, *args: Any, centre: Centre, current: Registration | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        for name, kind in (("assessor", RoleKind.ASSESSOR), ("iqa", RoleKind.IQA)):
            self.fields[name].queryset = people(centre, kind)  # type: ignore[attr-defined]
            named = getattr(current, f"{name}_id", None)
            if named is not None:
                self.keep(name, named, kind, centre)

    def keep(self, name: str, named: int, kind: RoleKind, centre: Centre) -> None:
        """The person the registration names stays a choice, and the one shown, even after
        they have left the centre: otherwise "Not allocated yet" would be shown and sent, and
        changing only the other person would take them off unasked (the service keeps one who
        stays, as docs/people.md says)."""
        field = self.fields[name]
        assert isinstance(field, PersonChoice)
        if people(centre, kind).filter(pk=named).exists():
            return
        offered = people(centre, kind).values("pk")
        field.queryset = User.objects.filter(Q(pk__in=offered) | Q(pk=named))
        field.left = frozenset({named})


class UnitAssessorForm(forms.Form):
    """Who assesses one unit of the learner's plan: one of the centre's assessors, or (empty)
    the registration's assessor. The choices are read once for all the page's units
    (`people_choices`): a model choice field reads its list again for each form."""

    assessor = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)

    def __init__(
        self,
        *args: Any,
        planned: RegistrationUnit,
        choices: list[tuple[int, str]],
        default: str,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("auto_id", f"unit-{planned.unit_id}-%s")
        kwargs.setdefault("initial", {"assessor": planned.assessor_id})
        super().__init__(*args, **kwargs)
        self.planned = planned
        field = self.fields["assessor"]
        field.label = f"{planned.unit.code} {planned.unit.title}"
        field.choices = [("", default), *kept(planned, choices)]  # type: ignore[attr-defined]
        field.error_messages["invalid_choice"] = NOT_AN_ASSESSOR_HERE


def kept(planned: RegistrationUnit, choices: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """The choices, with the unit's own assessor kept among them, and shown chosen, after they
    have left the centre (first, after the registration's assessor): otherwise the registration's
    assessor would be shown as the unit's, and saving the unit unchanged would give it back
    unasked. Only this unit keeps them."""
    own = planned.assessor
    if own is None or any(pk == own.pk for pk, _ in choices):
        return choices
    leaver = (own.pk, person_label(own.full_name, own.email, left=True))
    return [leaver, *choices]


# What the field says when the choice is not one of the centre's active assessors.
NOT_AN_ASSESSOR_HERE = "Choose one of the centre's assessors, or the registration's assessor."


def people_choices(centre: Centre, kind: RoleKind) -> list[tuple[int, str]]:
    """The centre's active people in a role, as a select's choices, by name."""
    found = people(centre, kind).order_by("full_name", "pk")
    return [
        (pk, person_label(name, email))
        for pk, name, email in found.values_list("pk", "full_name", "email")
    ]


class WithdrawForm(forms.Form):
    """Why a learner's registration is withdrawn: kept in the audit log."""

    reason = forms.CharField(
        label="Reason for the withdrawal",
        help_text="For example: left the course on 30 November. Kept in its history.",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=500,
        error_messages={"required": "Give the reason: it is kept with the registration's history."},
    )


class CommentForm(forms.Form):
    """A comment in the conversation on a piece of evidence: plain text."""

    text = forms.CharField(
        label="Your comment",
        max_length=COMMENT_MAX_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": COMMENT_MAX_LENGTH}),
        help_text=f"Plain text, up to {COMMENT_MAX_LENGTH:,} characters. "
        "Comments cannot be changed or removed once sent.",
        error_messages={
            "required": "Write your comment before you send it.",
            "max_length": "A comment can be at most %(limit_value)s characters long: "
            "this one has %(show_value)s.",
        },
    )


class PriorLearningForm(forms.Form):
    """RPL (by the unit's assessor) or an exemption (by a centre admin) for one unit of the
    learner's plan, with what the prior learning was and the evidence of it (decision 50)."""

    unit = forms.TypedChoiceField(coerce=int, label="Unit")
    description = forms.CharField(
        label="The prior learning",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        help_text=(
            "The certificate, course or experience: its title, who awarded it, its number, "
            "and what it covered."
        ),
        error_messages={"required": "Describe the prior learning: it is kept with the unit."},
    )
    achieved_on = forms.DateField(label="Date achieved", widget=date_input())
    evidence = forms.ModelChoiceField(
        queryset=Evidence.objects.none(),
        required=False,
        label="Evidence in the portfolio",
        empty_label="None chosen",
        help_text="A copy of the certificate the learner already added, for instance.",
    )
    evidence_files = MultipleFileField(
        label="Or upload a copy",
        required=False,
        help_text="Kept in the learner's portfolio as evidence of prior learning.",
    )

    def __init__(
        self,
        *args: Any,
        units: list[tuple[int, str]],
        evidence: QuerySet[Evidence],
        exemption: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", "Choose a unit"), *units]  # type: ignore[attr-defined]
        self.fields["evidence"].queryset = evidence  # type: ignore[attr-defined]
        if exemption:
            # Credit from another qualification, not prior learning to be judged (DOMAIN.md,
            # rules of combination item 7; decision 54): the award it rests on, no evidence.
            del self.fields["evidence"], self.fields["evidence_files"]
            description = self.fields["description"]
            description.label = "The award that exempts the learner"
            description.help_text = (
                "The qualification or unit the learner holds that the awarding organisation "
                "accepts in place of this unit: its title, who awarded it, the certificate "
                "number, and the AO's confirmation if any."
            )
            description.error_messages["required"] = (
                "Say which award exempts the learner: it is kept with the unit."
            )
            self.fields["achieved_on"].label = "Date of that award"


class PriorLearningItemsForm(PriorLearningForm):
    """RPL for some items of one unit (decision 54): which criteria (or CVQ range and
    knowledge items) the prior learning covers, what it was and the evidence of it."""

    items = forms.MultipleChoiceField(
        label="What the prior learning covers",
        widget=forms.CheckboxSelectMultiple,
        help_text="Each item ticked counts as met with no decision; the unit is still signed "
        "off by assessment once its other items are met.",
        error_messages={
            "required": "Tick the criteria (or range and knowledge items) the prior learning "
            "covers."
        },
    )
    field_order = ["items", "description", "achieved_on", "evidence", "evidence_files"]

    def __init__(
        self,
        *args: Any,
        items: list[tuple[str, str]],
        evidence: QuerySet[Evidence],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, units=[], evidence=evidence, **kwargs)
        del self.fields["unit"]
        self.fields["items"].choices = items  # type: ignore[attr-defined]


class PriorLearningWithdrawForm(forms.Form):
    """Why RPL or an exemption is withdrawn: kept with the record."""

    reason = forms.CharField(
        label="Reason for the withdrawal",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=500,
        error_messages={"required": "Give the reason: it is kept with the record's history."},
    )
