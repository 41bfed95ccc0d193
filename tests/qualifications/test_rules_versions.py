"""Rules versions (decision 27): the loader and the admin number a new version when a
qualification's rules change, never otherwise; a version holds the rules exactly, never changes,
and is read once per process."""

from __future__ import annotations

import copy

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from qualifications.loader import catalogue_load
from qualifications.models import Qualification, RulesVersion
from qualifications.rules import versions
from qualifications.rules.adapter import read_rules, rules_for
from qualifications.rules.snapshot import fingerprint, rules_data, rules_from_data
from tests.qualifications.conftest import BASE
from tests.qualifications.test_rules_cache import fresh, operator, post_change

__all__ = ["operator"]

pytestmark = pytest.mark.django_db


def numbers(code: str) -> list[tuple[int, int | None]]:
    found = RulesVersion.objects.filter(qualification__code=code).order_by("number")
    return [(v.number, v.rules["min_credits"]) for v in found]


def test_every_qualification_of_the_real_catalogue_has_its_rules_as_version_1(catalogue_db):
    for qualification in Qualification.objects.all():
        (only,) = qualification.rules_versions.all()
        rules = read_rules(qualification)
        assert only.number == 1 and rules_from_data(only.rules) == rules
        assert only.fingerprint == fingerprint(rules, qualification.rules_version)


def test_a_load_numbers_a_new_version_only_for_the_qualification_whose_rules_changed(write):
    catalogue_load([write(BASE)])
    changed = copy.deepcopy(BASE)
    changed["qualifications"][0]["rules"]["min_credits"] = 14
    changed["qualifications"][0]["title"] = "Test Level 2 Certificate (renamed)"
    catalogue_load([write(changed)])
    assert numbers("T/1") == [(1, 12), (2, 14)]
    assert numbers("T/2") == [(1, None)]
    first = RulesVersion.objects.get(qualification__code="T/1", number=1)
    assert first.rules["title"] == "Test Level 2 Certificate"  # as it was, never changed


def test_a_new_declared_version_is_a_new_version_and_wording_alone_is_not(write):
    catalogue_load([write(BASE)])
    reworded = copy.deepcopy(BASE)
    reworded["qualifications"][0]["rules"]["groups"][1]["title"] = "Optional units"
    reworded["units"][2]["title"] = "Unit U/3, corrected"
    catalogue_load([write(reworded)])
    assert numbers("T/1") == [(1, 12)]
    reworded["qualifications"][0]["rules"]["version"] = 2
    catalogue_load([write(reworded)])
    assert [(v.number, v.declared_version) for v in fresh("T/1").rules_versions.all()] == [
        (1, 1),
        (2, 2),
    ]


def test_an_admin_edit_of_the_rules_numbers_a_new_version(client, operator):
    assert numbers("T/1") == [(1, 12)]
    post_change(client, "qualification", fresh("T/1").pk, min_credits=13)
    assert numbers("T/1") == [(1, 12), (2, 13)]
    assert rules_from_data(fresh("T/1").rules_versions.get(number=2).rules) == read_rules(
        fresh("T/1")
    )


def test_a_change_by_another_path_is_numbered_by_the_next_registration(write):
    catalogue_load([write(BASE)])
    qualification = fresh("T/1")
    qualification.min_credits = 15
    qualification.save()  # a shell or a script: a new revision, no version yet
    assert versions.recorded_current(fresh("T/1")) is None
    made = versions.current_version(fresh("T/1"))
    assert (made.number, made.rules.min_credits) == (2, 15)
    assert versions.current_version(fresh("T/1")).id == made.id


def test_the_rules_read_back_from_a_version_are_the_rules_it_was_made_from(catalogue_db):
    for qualification in Qualification.objects.all():
        rules = rules_for(qualification)
        assert rules_from_data(rules_data(rules)) == rules


def test_a_version_is_read_once_and_then_costs_no_query(catalogue_db):
    pk = fresh("601/3576/1").rules_versions.get().pk
    rules_for(fresh("601/3576/1"))  # the catalogue's rules, kept as before versions
    with CaptureQueriesContext(connection) as captured:
        first = versions.version(pk)
    assert len(captured) == 1
    with CaptureQueriesContext(connection) as captured:
        assert versions.version(pk) is first
        assert versions.pinned_rules(fresh("601/3576/1"), pk) is rules_for(fresh("601/3576/1"))
    assert len(captured) == 2  # the two rows of `fresh`, nothing for the rules


def test_a_version_made_in_a_transaction_is_kept_only_once_it_commits(
    write, django_capture_on_commit_callbacks
):
    catalogue_load([write(BASE)])
    qualification = fresh("T/1")
    qualification.min_credits = 15
    qualification.save()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        made = versions.current_version(fresh("T/1"))
    # Rolled back, SQLite could give its id to another version: nothing is kept of it yet.
    assert made.id not in versions._versions
    assert versions.recorded_current(fresh("T/1")) is not None
    assert fresh("T/1").pk not in versions._current
    for callback in callbacks:
        callback()
    versions.recorded_current(fresh("T/1"))
    assert versions.version(made.id) is versions._versions[made.id]
    assert versions._current[fresh("T/1").pk][1].id == made.id
