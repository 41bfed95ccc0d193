"""What the API reads and writes of learners and their invitations (decision 57)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from api.serializers import LearnerSerializer, RegistrationFields
from portal.identity import Sex

IDENTITY_FIELDS = (
    "legal_first_names",
    "legal_last_name",
    "date_of_birth",
    "sex",
    "postcode",
    "uln",
)
UNKNOWN = "There is no field called {name!r} here."
READ_ONLY = "{name!r} cannot be changed through the API."


class Strict(serializers.Serializer):
    """Refuses a field it does not take (400 naming it) rather than ignoring it: an integrator's
    misspelt field would otherwise be dropped without a word. `read_only_names` are fields the
    resource shows but a write cannot change."""

    read_only_names: tuple[str, ...] = ()

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            extra = {
                str(name): [
                    (READ_ONLY if name in self.read_only_names else UNKNOWN).format(name=name)
                ]
                for name in data
                if name not in self.fields
            }
            if extra:
                raise serializers.ValidationError(extra)
        return super().to_internal_value(data)


class IdentityFields(Strict):
    """The learner's identity as awarding organisations register it (docs/learner-identity.md);
    checked by portal/identity.py through the portfolios services, as on the pages."""

    legal_first_names = serializers.CharField(required=False, allow_blank=True, max_length=200)
    legal_last_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    date_of_birth = serializers.DateField(required=False, allow_null=True)
    sex = serializers.ChoiceField(Sex.choices, required=False, allow_blank=True)
    postcode = serializers.CharField(required=False, allow_blank=True, max_length=20)
    uln = serializers.CharField(
        required=False, allow_blank=True, max_length=20, help_text="10 digits, from the LRS."
    )


class LearnerChangeSerializer(IdentityFields):
    """PATCH /learners/{id}/: the fields the learner's details page lets a centre admin change."""

    read_only_names = ("id", "full_name", "email")


class LearnerWithIdentitySerializer(LearnerSerializer):
    legal_first_names = serializers.CharField()
    legal_last_name = serializers.CharField()
    date_of_birth = serializers.DateField(allow_null=True)
    sex = serializers.CharField(help_text="F, M, or blank (not recorded).")
    postcode = serializers.CharField()


class RegistrationAskedSerializer(RegistrationFields):
    """A registration made when the learner accepts, as a CSV file's row asks for one."""


class LearnerInviteSerializer(IdentityFields):
    email = serializers.EmailField(max_length=254)
    full_name = serializers.CharField(max_length=200, help_text="The name the invitation uses.")
    registration = RegistrationAskedSerializer(
        required=False,
        help_text="Register the learner on a qualification when they accept. The identity "
        "fields are recorded then too, where the learner's record has none.",
    )


class RegistrationOutcomeSerializer(serializers.Serializer):
    qualification = serializers.CharField(help_text="The qualification's code.")
    qualification_title = serializers.CharField()
    state = serializers.ChoiceField(["waiting", "registered", "refused"])
    registration = serializers.IntegerField(allow_null=True)
    problems = serializers.ListField(child=serializers.CharField())
    details_not_recorded = serializers.ListField(child=serializers.CharField())


class InvitationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    state = serializers.ChoiceField(
        ["invited", "expired", "accepted", "withdrawn"],
        help_text="invited: the link works; expired: send it again; accepted: `learner` is "
        "their id in /learners/.",
    )
    email = serializers.EmailField()
    full_name = serializers.CharField()
    sent_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    accepted_at = serializers.DateTimeField(allow_null=True)
    learner = serializers.IntegerField(allow_null=True, source="accepted_by_id")
    registrations = RegistrationOutcomeSerializer(many=True, source="api_registrations")
