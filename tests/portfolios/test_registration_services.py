import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from portal.audit import audit_verify
from portal.models import RoleKind
from portfolios import services
from portfolios.models import Registration, RegistrationStatus
from portfolios.services import (
    ALREADY_REGISTERED,
    ENDS_BEFORE_START,
    SAME_PERSON_ASSESSOR_IQA,
    RegistrationDetails,
    RegistrationRejected,
    registration_choose_units,
    registration_create,
)
from qualifications.models import Qualification
from tests.audit import AuditWatch
from tests.factories import RoleFactory
from tests.portfolios.conftest import SFJ_ENOUGH, START


def details(learner, qualification, **extra):
    return RegistrationDetails(
        learner=learner, qualification=qualification, start_date=START, **extra
    )


def register(centre, centre_admin, learner, qualification, units=SFJ_ENOUGH, **extra):
    return registration_create(
        centre=centre,
        details=details(learner, qualification, **extra),
        optional_units=units,
        actor=centre_admin,
    )


def test_a_centre_admin_registers_a_learner_with_mandatory_and_chosen_units(
    centre, centre_admin, learner, assessor, iqa, sfj
):
    registration = register(
        centre,
        centre_admin,
        learner,
        sfj,
        assessor=assessor,
        iqa=iqa,
        ao_registration_number="SFJ-0001",
    )
    planned = {p.unit.code: p.mandatory for p in registration.planned_units.all()}
    assert planned == {
        "A/506/2130": True,
        "F/506/2131": True,
        "SFJ-CS2-03": True,
        "L/506/1788": True,
        "SFJ-CS2-07": False,
        "K/503/0421": False,
        "T/506/2126": False,
    }
    assert (registration.assessor, registration.iqa) == (assessor, iqa)


def test_a_choice_that_cannot_meet_the_rules_is_refused_with_the_engines_words(
    centre, centre_admin, learner, sfj
):
    with pytest.raises(RegistrationRejected) as rejected:
        register(centre, centre_admin, learner, sfj, units=["SFJ-CS2-07"])
    assert (
        "Optional units: 5 of at least 13 credits (8 more credits needed)"
        in rejected.value.messages
    )
    assert rejected.value.messages[-1].startswith("To complete it:")
    assert Registration.objects.count() == 0


def test_a_unit_from_another_qualification_is_refused(centre, centre_admin, learner, sfj):
    with pytest.raises(RegistrationRejected) as rejected:
        register(centre, centre_admin, learner, sfj, units=[*SFJ_ENOUGH, "J/506/2132"])
    assert rejected.value.messages == [
        "J/506/2132 is not a unit of SFJ Awards Level 2 Certificate in Customer Service."
    ]


def test_a_qualification_without_rules_accepts_any_of_its_units(
    centre, centre_admin, learner, catalogue_db
):
    candidate = Qualification.objects.get(code="3412-03")
    registration = register(centre, centre_admin, learner, candidate, units=["L/601/0933"])
    assert [p.unit.code for p in registration.planned_units.all()] == ["L/601/0933"]


def test_people_must_hold_their_roles_at_the_centre(
    centre, centre_admin, learner, assessor, sfj, outsider
):
    with pytest.raises(RegistrationRejected) as rejected:
        register(centre, centre_admin, assessor, sfj, assessor=learner, iqa=outsider)
    assert rejected.value.messages[:3] == [
        f"{assessor.full_name} is not a learner at {centre}.",
        f"{learner.full_name} is not an assessor at {centre}.",
        f"{outsider.full_name} is not an IQA at {centre}.",
    ]


def test_the_iqa_cannot_be_the_assessor(centre, centre_admin, learner, assessor, sfj):
    RoleFactory.create(user=assessor, centre=centre, kind=RoleKind.IQA)
    with pytest.raises(RegistrationRejected) as rejected:
        register(centre, centre_admin, learner, sfj, assessor=assessor, iqa=assessor)
    assert rejected.value.messages == [SAME_PERSON_ASSESSOR_IQA]


def test_the_end_cannot_come_before_the_start(centre, centre_admin, learner, sfj):
    with pytest.raises(RegistrationRejected) as rejected:
        register(
            centre, centre_admin, learner, sfj, planned_end_date=START - datetime.timedelta(days=1)
        )
    assert rejected.value.messages == [ENDS_BEFORE_START]


def test_only_a_centre_admin_of_the_centre_may_register(centre, learner, assessor, outsider, sfj):
    for actor in (assessor, outsider):
        with pytest.raises(PermissionDenied):
            register(centre, actor, learner, sfj)


def test_a_learner_may_hold_registrations_on_several_qualifications(
    centre, centre_admin, learner, sfj, catalogue_db
):
    register(centre, centre_admin, learner, sfj)
    register(centre, centre_admin, learner, Qualification.objects.get(code="3412-03"), units=[])
    assert learner.registrations.count() == 2


def test_a_learner_is_registered_on_a_qualification_once_at_a_time(
    centre, centre_admin, learner, sfj
):
    first = register(centre, centre_admin, learner, sfj)
    audit = AuditWatch()
    with pytest.raises(RegistrationRejected) as rejected:
        register(centre, centre_admin, learner, sfj)
    assert rejected.value.messages == [
        ALREADY_REGISTERED.format(learner=learner.full_name, title=sfj.title)
    ]
    assert list(Registration.objects.filter(learner=learner)) == [first]
    assert audit.actions() == []


@pytest.mark.parametrize("status", [RegistrationStatus.COMPLETED, RegistrationStatus.WITHDRAWN])
def test_a_learner_is_registered_again_once_the_last_registration_is_over(
    centre, centre_admin, learner, sfj, status
):
    first = register(centre, centre_admin, learner, sfj)
    Registration.objects.filter(pk=first.pk).update(status=status)
    again = register(centre, centre_admin, learner, sfj)
    assert again.status == RegistrationStatus.ACTIVE


def test_a_learner_active_at_another_centre_is_not_registered_here_too(
    centre, other_centre, centre_admin, outsider, learner, sfj
):
    RoleFactory.create(user=learner, centre=other_centre, kind=RoleKind.LEARNER)
    register(other_centre, outsider, learner, sfj)
    with pytest.raises(RegistrationRejected) as rejected:
        register(centre, centre_admin, learner, sfj)
    # The message names neither the other centre nor anything about its registration.
    assert rejected.value.messages == [
        ALREADY_REGISTERED.format(learner=learner.full_name, title=sfj.title)
    ]


def test_the_database_refuses_a_second_active_registration_whatever_the_path(
    centre, centre_admin, learner, sfj
):
    first = register(centre, centre_admin, learner, sfj)
    with pytest.raises(IntegrityError), transaction.atomic():
        Registration.objects.create(
            centre=centre,
            learner=learner,
            qualification=sfj,
            pinned_rules=first.pinned_rules,
            start_date=START,
        )
    assert list(Registration.objects.filter(learner=learner)) == [first]


def test_a_registration_that_loses_a_race_is_refused_in_the_same_words(
    monkeypatch, centre, centre_admin, learner, sfj
):
    # A request running alongside registered the learner after this one checked: the
    # database's constraint refuses the insert, and the learner is told why, not shown a 500.
    first = register(centre, centre_admin, learner, sfj)
    checked = []
    real = services.already_registered

    def missed_the_other_request(details):
        checked.append(details)
        return [] if len(checked) == 1 else real(details)

    monkeypatch.setattr(services, "already_registered", missed_the_other_request)
    audit = AuditWatch()
    with pytest.raises(RegistrationRejected) as rejected:
        register(centre, centre_admin, learner, sfj)
    assert rejected.value.messages == [
        ALREADY_REGISTERED.format(learner=learner.full_name, title=sfj.title)
    ]
    assert len(checked) == 2  # before saving, and again once the database refused
    assert list(Registration.objects.filter(learner=learner)) == [first]
    assert audit.actions() == []


def test_an_ao_registration_number_is_used_once_per_qualification(
    centre, centre_admin, learner, sfj
):
    register(centre, centre_admin, learner, sfj, ao_registration_number="N1")
    another = RoleFactory.create(centre=centre, kind=RoleKind.LEARNER).user
    with pytest.raises(RegistrationRejected) as rejected:
        register(centre, centre_admin, another, sfj, ao_registration_number="N1")
    assert rejected.value.messages == [
        "AO registration number N1 is already used for SFJ Awards Level 2 Certificate in Customer Service."
    ]


def test_the_centre_admin_changes_the_units_with_the_same_check(centre, centre_admin, learner, sfj):
    registration = register(centre, centre_admin, learner, sfj)
    with pytest.raises(RegistrationRejected):
        registration_choose_units(
            registration=registration, optional_units=["SFJ-CS2-07"], actor=centre_admin
        )
    assert registration.planned_units.filter(unit__code="K/503/0421").exists()
    registration_choose_units(
        registration=registration,
        optional_units=["K/503/0421", "A/506/2158", "T/506/2126"],
        actor=centre_admin,
    )
    optional = set(
        registration.planned_units.filter(mandatory=False).values_list("unit__code", flat=True)
    )
    assert optional == {"K/503/0421", "A/506/2158", "T/506/2126"}


# The audit log


def test_registering_a_learner_writes_who_is_registered_on_what_and_with_which_units(
    centre, centre_admin, learner, assessor, iqa, sfj
):
    audit = AuditWatch()
    registration = register(
        centre, centre_admin, learner, sfj, assessor=assessor, iqa=iqa, ao_registration_number="N7"
    )
    assert audit.actions() == ["registration.created"]
    entry = audit.entries().get()
    assert entry.subject == f"registration:{registration.pk}" and entry.actor == centre_admin
    assert entry.before is None
    assert entry.after == {
        "learner": learner.pk,
        "qualification": "SFJ-L2-CS",
        "centre": centre.pk,
        "assessor": assessor.pk,
        "iqa": iqa.pk,
        "ao_registration_number": "N7",
        "funding": "",
        "start_date": "2026-09-01",
        "planned_end_date": None,
        "rules_version": 1,  # the catalogue as loaded: the first version of its rules
        "units": [
            "A/506/2130",
            "F/506/2131",
            "K/503/0421",
            "L/506/1788",
            "SFJ-CS2-03",
            "SFJ-CS2-07",
            "T/506/2126",
        ],
    }
    assert audit_verify()[1] is None


def test_a_refused_registration_writes_nothing_to_the_audit_log(
    centre, centre_admin, learner, assessor, outsider, sfj
):
    audit = AuditWatch()
    with pytest.raises(RegistrationRejected):
        register(centre, centre_admin, learner, sfj, units=["SFJ-CS2-07"])
    for actor in (assessor, outsider):
        with pytest.raises(PermissionDenied):
            register(centre, actor, learner, sfj)
    assert not audit.entries().exists()
    register(centre, centre_admin, learner, sfj)
    assert audit.actions() == ["registration.created"]


def test_changing_the_units_writes_the_units_before_and_after(centre, centre_admin, learner, sfj):
    registration = register(centre, centre_admin, learner, sfj)
    audit = AuditWatch()
    registration_choose_units(
        registration=registration,
        optional_units=["K/503/0421", "A/506/2158", "T/506/2126"],
        actor=centre_admin,
    )
    assert audit.actions() == ["registration.units_chosen"]
    entry = audit.entries().get()
    assert entry.subject == f"registration:{registration.pk}" and entry.actor == centre_admin
    mandatory = ["A/506/2130", "F/506/2131", "L/506/1788", "SFJ-CS2-03"]
    assert entry.before == {"units": sorted([*mandatory, *SFJ_ENOUGH])}
    assert entry.after == {"units": sorted([*mandatory, "K/503/0421", "A/506/2158", "T/506/2126"])}
    assert audit_verify()[1] is None


def test_choosing_the_same_units_or_a_refused_choice_writes_nothing_to_the_audit_log(
    centre, centre_admin, learner, assessor, outsider, sfj
):
    registration = register(centre, centre_admin, learner, sfj)
    audit = AuditWatch()
    registration_choose_units(
        registration=registration, optional_units=reversed(SFJ_ENOUGH), actor=centre_admin
    )
    with pytest.raises(RegistrationRejected):
        registration_choose_units(
            registration=registration, optional_units=["SFJ-CS2-07"], actor=centre_admin
        )
    for actor in (assessor, outsider):
        with pytest.raises(PermissionDenied):
            registration_choose_units(
                registration=registration, optional_units=["A/506/2158"], actor=actor
            )
    assert not audit.entries().exists()
    registration_choose_units(
        registration=registration,
        optional_units=["K/503/0421", "A/506/2158", "T/506/2126"],
        actor=centre_admin,
    )
    assert audit.actions() == ["registration.units_chosen"]
