"""What the API reads and writes, as plain serializers: every write goes through a service."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers

from api.events import KINDS, THROUGH
from certification.models import CertificateState, Kind, Release
from portal.models import RoleKind
from portfolios.models import Funding
from qualifications.models import Qualification

NOT_TAKEN = "This call does not set it: it takes only {fields}."
NOTHING_TO_CHANGE = "Nothing to change: send at least one of {fields}."


class Strict(serializers.Serializer):
    """A request's body: a field the call does not take (one only read, such as a
    registration's status, or none at all) is refused by name, never silently ignored."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            taken = [name for name, f in self.fields.items() if not f.read_only]
            unknown = sorted(str(name) for name in data if name not in taken)
            if unknown:
                message = NOT_TAKEN.format(fields=", ".join(taken))
                raise serializers.ValidationError({name: [message] for name in unknown})
        return super().to_internal_value(data)


class UnitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    reference = serializers.CharField()
    title = serializers.CharField()
    level = serializers.IntegerField()
    credits = serializers.IntegerField(allow_null=True)


class QualificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    number = serializers.CharField()
    title = serializers.CharField()
    level = serializers.IntegerField()
    min_credits = serializers.IntegerField(
        allow_null=True, help_text="The credits the qualification needs in all (null: no rule)."
    )
    status = serializers.CharField()
    awarding_organisation = serializers.SerializerMethodField()

    def get_awarding_organisation(self, qualification: Qualification) -> str | None:
        ao = qualification.awarding_organisation
        return ao.name if ao is not None else None


class RuleGroupSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    mandatory = serializers.BooleanField(help_text="Every unit of the group is needed.")
    min_credits = serializers.IntegerField(
        allow_null=True, help_text="At least this many credits from the group (null: no limit)."
    )
    max_credits = serializers.IntegerField(
        allow_null=True,
        help_text="At most this many of its credits count towards the total (null: no limit).",
    )
    min_units = serializers.IntegerField(allow_null=True, help_text="At least this many units.")
    max_units = serializers.IntegerField(allow_null=True, help_text="At most this many units.")
    units = serializers.ListField(
        child=serializers.CharField(), source="api_units", help_text="The codes of its units."
    )


class LevelRuleSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        ["cap", "minimum"],
        help_text="cap: at most `credits` at the level; minimum: at least `credits` there.",
    )
    level = serializers.IntegerField()
    credits = serializers.IntegerField()
    or_above = serializers.BooleanField(help_text="At the level or above it, not only at it.")


class QualificationDetailSerializer(QualificationSerializer):
    units = UnitSerializer(many=True, source="api_units")
    rules_published = serializers.BooleanField(
        help_text="Rules of combination are published: without them no full certificate can "
        "be claimed."
    )
    min_units = serializers.IntegerField(
        allow_null=True, help_text="At least this many units in all (null: no such rule)."
    )
    min_glh = serializers.IntegerField(
        allow_null=True, help_text="At least this many guided learning hours (null: none)."
    )
    groups = RuleGroupSerializer(
        many=True,
        source="api_groups",
        help_text="The rules of combination: the groups the units count in, as the catalogue "
        "has them now (a registration is judged by the version it is pinned to). min_credits "
        "(above) is the qualification's total.",
    )
    level_rules = LevelRuleSerializer(
        many=True, source="api_level_rules", help_text="Credits by level."
    )


class LearnerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    full_name = serializers.CharField()
    email = serializers.EmailField()
    uln = serializers.CharField()


class StaffRoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(
        [RoleKind.ASSESSOR.value, RoleKind.IQA.value],
        source="kind",
        help_text="assessor: as a registration's `assessor`; iqa: as its `iqa`.",
    )
    trainee = serializers.BooleanField(
        source="is_trainee",
        help_text="A trainee: their decisions need a qualified colleague's countersignature.",
    )


class StaffSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="What a registration's assessor or iqa takes.")
    full_name = serializers.CharField()
    roles = StaffRoleSerializer(
        many=True, source="api_roles", help_text="The roles held at the centre now."
    )


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    full_name = serializers.CharField()


class RegistrationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    learner = LearnerSerializer()
    qualification = serializers.IntegerField(source="qualification_id")
    qualification_code = serializers.CharField(source="qualification.code")
    assessor = PersonSerializer(allow_null=True)
    iqa = PersonSerializer(allow_null=True)
    status = serializers.CharField()
    start_date = serializers.DateField()
    planned_end_date = serializers.DateField(allow_null=True)
    ao_registration_number = serializers.CharField()
    funding = serializers.CharField()
    units = serializers.ListField(child=serializers.CharField(), source="api_units")


class RegistrationFields(Strict):
    """A registration's fields as the pages take them: made now for a learner of the centre
    (below), or on acceptance of an invitation (`learner_serializers`)."""

    qualification = serializers.IntegerField()
    start_date = serializers.DateField()
    planned_end_date = serializers.DateField(required=False, allow_null=True)
    assessor = serializers.IntegerField(required=False, allow_null=True)
    iqa = serializers.IntegerField(required=False, allow_null=True)
    ao_registration_number = serializers.CharField(required=False, allow_blank=True, max_length=40)
    funding = serializers.ChoiceField(Funding.choices, required=False, allow_blank=True)
    optional_units = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, max_length=200
    )


class RegistrationCreateSerializer(RegistrationFields):
    learner = serializers.IntegerField(help_text="A learner of the centre (GET /learners/).")


class RegistrationChangeSerializer(Strict):
    """The fields a registration's pages let a centre admin change."""

    funding = serializers.ChoiceField(Funding.choices, required=False, allow_blank=True)
    ao_registration_number = serializers.CharField(required=False, allow_blank=True, max_length=40)
    assessor = serializers.IntegerField(required=False, allow_null=True)
    iqa = serializers.IntegerField(required=False, allow_null=True)
    optional_units = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, max_length=200
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError(
                NOTHING_TO_CHANGE.format(fields=", ".join(self.fields))
            )
        return attrs


class WithdrawSerializer(Strict):
    reason = serializers.CharField(max_length=2000)


class RuleSerializer(serializers.Serializer):
    rule = serializers.CharField()
    met = serializers.BooleanField()
    message = serializers.CharField()


class AchievedUnitSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    credits = serializers.IntegerField(allow_null=True)
    how = serializers.CharField(help_text="signed_off, or rpl (recognised prior learning)")


class ExemptUnitSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    award = serializers.CharField(help_text="The award the exemption rests on, as recorded.")


ACHIEVED_CREDITS = "The credits of the units judged, each counted once."
COUNTED_CREDITS = (
    "The credits that count towards the qualification's total: those of the units judged, "
    "less any over a group's maximum."
)
SAME_AS = "The same as claim.{field} (kept for clients written before `claim`)."


class ClaimJudgementSerializer(serializers.Serializer):
    claimable_units = serializers.ListField(
        child=serializers.CharField(),
        help_text="The units achieved and cleared by IQA: the only ones a claim judges.",
    )
    achieved_credits = serializers.IntegerField(help_text=ACHIEVED_CREDITS)
    counted_credits = serializers.IntegerField(help_text=COUNTED_CREDITS)
    eligible = serializers.BooleanField(
        help_text="The rules of combination are met by the claimable units alone."
    )
    rules = RuleSerializer(many=True, help_text="The rules judged on the claimable units.")
    full_ready = serializers.BooleanField(help_text="A full certificate can be claimed now.")
    full_reasons = serializers.ListField(
        child=serializers.CharField(), help_text="Why not (empty when it can)."
    )
    unit_ready = serializers.BooleanField(help_text="A unit certificate can be claimed now.")
    unit_reasons = serializers.ListField(
        child=serializers.CharField(), help_text="Why not (empty when it can)."
    )


class ProgressSerializer(serializers.Serializer):
    registration = serializers.IntegerField()
    units_achieved = AchievedUnitSerializer(
        many=True, help_text="Signed off and countersigned, or through RPL."
    )
    units_exempt = ExemptUnitSerializer(
        many=True,
        help_text="Exempt on another award: they meet the rules of combination without credit "
        "and are not achieved.",
    )
    achieved_credits = serializers.IntegerField(
        help_text="Of every unit achieved, as the registration page counts them. "
        + ACHIEVED_CREDITS
    )
    counted_credits = serializers.IntegerField(help_text=COUNTED_CREDITS)
    eligible = serializers.BooleanField(
        help_text="The rules of combination are met by the units achieved (the registration "
        "page's verdict; a claim also needs them cleared by IQA: see claim)."
    )
    rules = RuleSerializer(
        many=True,
        help_text="The registration page's verdict on the units achieved: a sentence per rule.",
    )
    claim = ClaimJudgementSerializer(
        help_text="What a claim judges now: only the units cleared by IQA, with why a full or a "
        "unit certificate cannot be claimed."
    )
    claimable_units = serializers.ListField(
        child=serializers.CharField(), help_text=SAME_AS.format(field="claimable_units")
    )
    full_claim_ready = serializers.BooleanField(help_text=SAME_AS.format(field="full_ready"))
    full_claim_reasons = serializers.ListField(
        child=serializers.CharField(), help_text=SAME_AS.format(field="full_reasons")
    )
    unit_claim_ready = serializers.BooleanField(help_text=SAME_AS.format(field="unit_ready"))
    unit_claim_reasons = serializers.ListField(
        child=serializers.CharField(), help_text=SAME_AS.format(field="unit_reasons")
    )


class CertificateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    kind = serializers.ChoiceField(Kind.choices, help_text="full or unit.")
    registration = serializers.IntegerField(source="registration_id")
    state = serializers.ChoiceField(
        CertificateState.choices,
        help_text="ready, pending (its PDF being made), failed (its PDF), held (withheld by the "
        "EQA), replaced, superseded (by a later certificate listing more units) or revoked.",
    )
    release = serializers.ChoiceField(
        Release.choices,
        help_text="direct (Direct Claims Status), or awaiting, held or released by the EQA.",
    )
    issued_at = serializers.DateTimeField(
        source="let_out_at",
        allow_null=True,
        help_text="When it was issued to the learner: at its claim under Direct Claims Status, "
        "at the EQA's release otherwise; null while the EQA withholds it (release awaiting or "
        "held).",
    )
    claimed_at = serializers.DateTimeField(source="issued_at", help_text="When it was claimed.")
    released_at = serializers.DateTimeField(
        allow_null=True,
        help_text="When the awarding organisation's EQA released it (null: direct, or not yet).",
    )
    revoked_at = serializers.DateTimeField(allow_null=True)
    learner = serializers.CharField(source="snapshot.learner_name", default="")
    qualification = serializers.CharField(source="snapshot.qualification_title", default="")
    units = serializers.ListField(child=serializers.CharField(), source="api_units")


class ClaimReadinessSerializer(serializers.Serializer):
    registration = serializers.IntegerField()
    learner = serializers.CharField()
    full_claim_ready = serializers.BooleanField()
    full_claim_reasons = serializers.ListField(child=serializers.CharField())
    unit_claim_ready = serializers.BooleanField()
    unit_claim_reasons = serializers.ListField(child=serializers.CharField())
    claimable_units = serializers.ListField(child=serializers.CharField())


class ClaimSerializer(Strict):
    registration = serializers.IntegerField()
    kind = serializers.ChoiceField(Kind.choices)
    units = serializers.ListField(
        child=serializers.CharField(max_length=40),
        required=False,
        max_length=200,
        help_text="The unit codes you expect on the certificate: if what would be issued "
        "differs now, nothing is, and the refusal says so.",
    )


class EventSerializer(serializers.Serializer):
    cursor = serializers.CharField(help_text="Pass as ?after= to read what came after.")
    type = serializers.ChoiceField(KINDS)
    at = serializers.DateTimeField()
    registration = serializers.IntegerField()
    unit = serializers.CharField(
        required=False, help_text="unit.achieved, unit.exempted: its code."
    )
    through = serializers.ChoiceField(
        THROUGH,
        required=False,
        help_text="unit.achieved: signed_off (the learner countersigned the assessor's sign-off) "
        "or rpl (recognised prior learning agreed for the unit).",
    )
    certificate = serializers.CharField(required=False, help_text="The certificate's number.")
    replacement = serializers.CharField(
        required=False, help_text="certificate.replaced: the number of the one replacing it."
    )


class EventPageSerializer(serializers.Serializer):
    events = EventSerializer(many=True)
    next = serializers.CharField(
        help_text="The cursor to ask with next: past the last entry read, which may be one "
        "that makes no event (a claim withheld for the EQA, say); the same one when nothing at "
        "all came."
    )
