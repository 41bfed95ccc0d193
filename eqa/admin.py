"""EQA access windows in the administration site: the portal's staff grant them for the
awarding organisation, and move their start or end (to end one early). Every change goes
through the services, so each is audited; nothing is deleted (decision 29)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from eqa.models import EqaAccess, EqaReport, EqaSample
from eqa.services import ENDS_BEFORE_START, FROM_THE_CENTRE, eqa_access_grant, eqa_access_move
from portal.models import Role, User


class WindowForm(forms.ModelForm):
    class Meta:
        model = EqaAccess
        fields = ["eqa", "centre", "qualification", "starts_at", "ends_at", "note"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", ENDS_BEFORE_START)
        eqa, centre = data.get("eqa"), data.get("centre")
        if eqa and centre and Role.objects.filter(user=eqa, centre=centre).exists():
            self.add_error("eqa", FROM_THE_CENTRE.format(name=eqa.full_name, centre=centre))
        return data


@admin.register(EqaAccess)
class EqaAccessAdmin(admin.ModelAdmin):
    form = WindowForm
    list_display = ["eqa", "centre", "qualification", "starts_at", "ends_at", "granted_by"]
    list_filter = ["centre", "qualification"]
    raw_id_fields = ["eqa"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # Once granted, only its start and end move: another person, centre or qualification
        # is another window.
        return [] if obj is None else ["eqa", "centre", "qualification", "note"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            made = eqa_access_grant(
                eqa=obj.eqa,
                centre=obj.centre,
                qualification=obj.qualification,
                starts_at=obj.starts_at,
                ends_at=obj.ends_at,
                note=obj.note,
                actor=operator(request),
            )
            obj.pk, obj.granted_by, obj.granted_at = made.pk, made.granted_by, made.granted_at
        elif {"starts_at", "ends_at"} & set(form.changed_data):
            eqa_access_move(
                access=obj, starts_at=obj.starts_at, ends_at=obj.ends_at, actor=operator(request)
            )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# What an EQA recorded is theirs: the administration site shows it and changes nothing.
@admin.register(EqaSample, EqaReport)
class EqaRecordAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def operator(request: HttpRequest) -> User:
    """The staff member using the administration site (which only they can reach)."""
    assert isinstance(request.user, User)
    return request.user
