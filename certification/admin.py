"""Direct Claims Status in the administration site: the portal's staff record it for the
awarding organisation (decision 29). Every grant and withdrawal goes through the services, so
each is audited; nothing is deleted."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from certification.models import CentreApproval, DirectClaimsStatus
from certification.services import ALREADY_DIRECT, direct_claims_grant, direct_claims_withdraw
from certification.transfers import centre_approval_record
from portal.models import User

SHOWN = [
    "centre",
    "qualification",
    "note",
    "granted_at",
    "granted_by",
    "withdrawn_at",
    "withdrawn_by",
]


class GrantForm(forms.ModelForm):
    class Meta:
        model = DirectClaimsStatus
        fields = ["centre", "qualification", "note"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        centre, qualification = data.get("centre"), data.get("qualification")
        if (
            centre
            and qualification
            and DirectClaimsStatus.objects.held_by(centre.pk, qualification.pk)
        ):
            raise forms.ValidationError(
                ALREADY_DIRECT.format(centre=centre, qualification=qualification)
            )
        return data


@admin.register(DirectClaimsStatus)
class DirectClaimsStatusAdmin(admin.ModelAdmin):
    list_display = ["centre", "qualification", "granted_at", "granted_by", "withdrawn_at"]
    list_filter = ["centre", "qualification"]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = GrantForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["centre", "qualification", "note"] if obj is None else [*SHOWN, "withdrawal_reason"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return []
        # Only a withdrawal (with its reason) changes a status in force.
        return SHOWN if obj.in_force else [*SHOWN, "withdrawal_reason"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            made = direct_claims_grant(
                centre=obj.centre,
                qualification=obj.qualification,
                note=obj.note,
                actor=operator(request),
            )
            obj.pk, obj.granted_at, obj.granted_by = made.pk, made.granted_at, made.granted_by
        elif "withdrawal_reason" in form.changed_data and obj.withdrawal_reason.strip():
            direct_claims_withdraw(
                status=obj, reason=obj.withdrawal_reason, actor=operator(request)
            )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def operator(request: HttpRequest) -> User:
    """The staff member using the administration site (which only they can reach)."""
    assert isinstance(request.user, User)
    return request.user


@admin.register(CentreApproval)
class CentreApprovalAdmin(admin.ModelAdmin):
    """The AO's approval of a centre for a qualification, recorded for the AO (decision 40):
    added through the service, so it is audited; never changed afterwards."""

    list_display = ["centre", "qualification", "approved_on"]
    list_filter = ["centre", "qualification"]
    fields = ["centre", "qualification", "approved_on", "note"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [] if obj is None else ["centre", "qualification", "approved_on", "note"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            made = centre_approval_record(
                centre=obj.centre,
                qualification=obj.qualification,
                approved_on=obj.approved_on,
                note=obj.note,
                actor=operator(request),
            )
            obj.pk = made.pk
