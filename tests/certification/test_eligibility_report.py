"""`manage.py eligibility_report`: every open registration of a centre judged against its rules of
combination in one process, in a number of queries that does not grow with the learners."""

import csv
import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessment.models import UnitSignOff
from certification.models import Certificate, Kind
from portal.models import Centre, Role, RoleKind, User
from portfolios.models import Registration, RegistrationStatus, RegistrationUnit
from qualifications.models import Qualification, Unit
from qualifications.rules.adapter import forget_rules
from qualifications.rules.versions import current_version, forget_versions
from tests.factories import CentreFactory
from tests.portfolios.conftest import SFJ, SFJ_ENOUGH

pytestmark = pytest.mark.django_db

PROQUAL = "601/3576/1"
SIGNED = timezone.make_aware(datetime.datetime(2026, 11, 2, 10, 0))


def mandatory(code: str) -> list[str]:
    qualification = Qualification.objects.get(code=code)
    return list(
        qualification.memberships.filter(group__mandatory=True).values_list("unit__code", flat=True)
    )


def learners(
    centre: Centre, code: str, achieved: list[str], n: int, name: str = "Learner"
) -> list[Registration]:
    """n learners at the centre on the qualification, each with `achieved` signed off and
    countersigned, made in bulk (the report reads rows; how they came is tested elsewhere)."""
    qualification = Qualification.objects.get(code=code)
    assessor, _ = User.objects.get_or_create(
        email=f"assessor{centre.pk}@example.org", defaults={"full_name": "Sam Assessor"}
    )
    first = User.objects.count()
    users = User.objects.bulk_create(
        User(email=f"{name.lower()}{first + i}@example.org", full_name=f"{name} {first + i:04d}")
        for i in range(n)
    )
    Role.objects.bulk_create(Role(user=u, centre=centre, kind=RoleKind.LEARNER) for u in users)
    pinned = current_version(qualification).id
    registrations = Registration.objects.bulk_create(
        Registration(
            learner=u,
            centre=centre,
            qualification=qualification,
            pinned_rules_id=pinned,
            start_date=SIGNED.date(),
        )
        for u in users
    )
    units = list(Unit.objects.filter(code__in=achieved))
    RegistrationUnit.objects.bulk_create(
        RegistrationUnit(registration=r, unit=u) for r in registrations for u in units
    )
    UnitSignOff.objects.bulk_create(
        UnitSignOff(
            registration=r,
            unit=u,
            signed_by=assessor,
            signed_at=SIGNED,
            signature="Sam Assessor",
            learner_signature=r.learner.full_name,
            learner_signed_at=SIGNED,
        )
        for r in registrations
        for u in units
    )
    return registrations


def report(*args: str) -> str:
    out = io.StringIO()
    call_command("eligibility_report", *args, stdout=out)
    return out.getvalue()


def check_eligibility(code: str, units: list[str]) -> str:
    out = io.StringIO()
    call_command(
        "check_eligibility", "--qualification", code, "--units", ",".join(units), stdout=out
    )
    return out.getvalue()


@pytest.fixture
def here(catalogue_db) -> Centre:
    return CentreFactory.create(name="Riverside Skills Academy")


def test_each_learner_gets_the_verdict_check_eligibility_gives_with_its_sentences(here):
    done = mandatory(SFJ) + SFJ_ENOUGH
    (ready,) = learners(here, SFJ, done, 1, name="Ready")
    (halfway,) = learners(here, SFJ, mandatory(SFJ), 1, name="Halfway")
    text = report("--centre", "Riverside Skills Academy")
    for registration, units in ((ready, done), (halfway, mandatory(SFJ))):
        block = text.split(f"{registration.learner.full_name} <")[1].split("\n\n")[0]
        verdict = check_eligibility(SFJ, units).splitlines()[1:]  # after the title line
        assert block.splitlines()[1:] == verdict
    assert "Eligible: " in text.split("Ready ")[1].split("\n\n")[0]
    assert "NOT MET" in text.split("Halfway ")[1].split("\n\n")[0]
    assert text.rstrip().endswith(
        "Riverside Skills Academy: 1 of 2 open registrations eligible; 0 of them have their full "
        "certificate claimed, 1 to claim."
    )


def test_the_csv_has_a_row_a_registration_with_the_rules_not_met(here):
    learners(here, SFJ, mandatory(SFJ) + SFJ_ENOUGH, 1, name="Ready")
    learners(here, SFJ, mandatory(SFJ), 1, name="Halfway")
    rows = list(csv.DictReader(io.StringIO(report("--centre", here.name, "--format", "csv"))))
    assert [(r["Learner"].split()[0], r["Eligible"]) for r in rows] == [
        ("Halfway", "no"),
        ("Ready", "yes"),
    ]
    assert rows[0]["Rules not met"].startswith("Optional units: 0 of at least 13 credits")
    assert rows[1]["Rules not met"] == "" and rows[1]["Qualification"] == SFJ
    assert set(rows[1]["Units achieved"].split()) == set(mandatory(SFJ) + SFJ_ENOUGH)


def certificate(registration: Registration, number: str, *, revoked: bool = False) -> None:
    """A full certificate of the registration, as a row (how claims make them is tested
    elsewhere)."""
    Certificate.objects.create(
        number=number,
        learner_identifier="L1",
        registration=registration,
        kind=Kind.FULL,
        centre=registration.centre,
        snapshot={"units": []},
        issued_at=SIGNED,
        issued_by=registration.learner,
        revoked_at=SIGNED if revoked else None,
        revoked_by=registration.learner if revoked else None,
        revocation_reason="Issued in error." if revoked else "",
    )


def test_the_eligible_who_have_their_full_certificate_are_told_apart_from_the_claims_to_make(
    here,
):
    done = mandatory(SFJ) + SFJ_ENOUGH
    certified, revoked, ready = learners(here, SFJ, done, 3, name="Done")
    (halfway,) = learners(here, SFJ, mandatory(SFJ), 1, name="Halfway")
    certificate(certified, "C-0001")
    certificate(revoked, "C-0002", revoked=True)
    text = report("--centre", here.name)
    blocks = {b.splitlines()[0].split(" <")[0]: b for b in text.split("\n\n")[:-1]}
    assert "  Full certificate: C-0001" in blocks[certified.learner.full_name].splitlines()
    assert "  Full certificate: C-0002 (revoked)" in blocks[revoked.learner.full_name]
    assert "Full certificate" not in blocks[ready.learner.full_name]
    assert "Full certificate" not in blocks[halfway.learner.full_name]
    assert text.rstrip().endswith(
        "3 of 4 open registrations eligible; 2 of them have their full certificate claimed, "
        "1 to claim."
    )
    rows = list(csv.DictReader(io.StringIO(report("--centre", here.name, "--format", "csv"))))
    assert list(rows[0])[-2:] == ["Shortest route", "Full certificate"]  # the old ones first
    assert {r["Registration"]: r["Full certificate"] for r in rows} == {
        str(certified.pk): "C-0001",
        str(revoked.pk): "C-0002 (revoked)",
        str(ready.pk): "",
        str(halfway.pk): "",
    }


def test_only_the_centres_open_registrations_on_the_qualification_asked_for_are_reported(here):
    (sfj,) = learners(here, SFJ, [], 1, name="Sfj")
    learners(here, PROQUAL, [], 1, name="Proqual")
    (withdrawn,) = learners(here, SFJ, [], 1, name="Withdrawn")
    Registration.objects.filter(pk=withdrawn.pk).update(status=RegistrationStatus.WITHDRAWN)
    learners(CentreFactory.create(name="Harbour Training Centre"), SFJ, [], 1, name="Elsewhere")
    text = report("--centre", here.name, "--qualification", SFJ)
    assert sfj.learner.full_name in text
    assert "Proqual" not in text and "Withdrawn" not in text and "Elsewhere" not in text
    assert "Proqual" in report("--centre", here.name)


def routes(text: str) -> dict[str, str]:
    """Each learner's first name and the route the report gives them."""
    found = {}
    for block in text.split("\n\n")[:-1]:
        lines = block.splitlines()
        (route,) = [line for line in lines if line.startswith("  Shortest route: ")]
        found[lines[0].split()[0]] = route.removeprefix("  Shortest route: ")
    return found


def test_the_route_is_given_when_asked_for_beyond_the_units_of_the_plan(here):
    learners(here, SFJ, mandatory(SFJ), 1, name="Halfway")
    (planned,) = learners(here, SFJ, mandatory(SFJ), 1, name="Planned")
    learners(here, SFJ, mandatory(SFJ) + SFJ_ENOUGH, 1, name="Ready")
    for code in SFJ_ENOUGH:  # chosen, not achieved yet
        RegistrationUnit.objects.create(registration=planned, unit=Unit.objects.get(code=code))
    assert "Shortest route" not in report("--centre", here.name)
    found = routes(report("--centre", here.name, "--route"))
    assert found["Halfway"].startswith("the units of the plan still to achieve, and also ")
    assert (
        found["Planned"] == "the units of the plan still to achieve; together they meet the rules."
    )
    assert found["Ready"] == "nothing more is needed: the rules are met."


def test_an_unknown_or_ambiguous_centre_or_qualification_is_refused_with_exit_2(here):
    for args, message in (
        (["--centre", "Nowhere"], "No centre is called 'Nowhere'."),
        (["--centre", here.name, "--qualification", "NOPE"], "No qualification has the code"),
    ):
        with pytest.raises(CommandError, match=message) as refused:
            report(*args)
        assert refused.value.returncode == 2
    twin = CentreFactory.create(name=here.name)
    with pytest.raises(CommandError, match="2 centres are called") as refused:
        report("--centre", here.name)
    assert str(twin.pk) in str(refused.value)
    assert "0 of 0 open registrations" in report("--centre", str(twin.pk))


def queries(*args: str) -> int:
    forget_rules()  # as in a new process: the rules of each qualification are read once
    forget_versions()
    with CaptureQueriesContext(connection) as captured:
        report(*args)
    return len(captured)


@pytest.mark.parametrize("options", [[], ["--format", "csv"], ["--route"]])
def test_the_queries_do_not_grow_with_the_learners(here, options):
    learners(here, SFJ, mandatory(SFJ), 2)
    learners(here, PROQUAL, mandatory(PROQUAL), 1)
    args = ["--centre", here.name, *options]
    few = queries(*args)
    learners(here, SFJ, mandatory(SFJ) + SFJ_ENOUGH, 40)
    learners(here, PROQUAL, [], 40)
    for i, registration in enumerate(learners(here, SFJ, mandatory(SFJ) + SFJ_ENOUGH, 3)):
        certificate(registration, f"C-{i:04d}")
    assert queries(*args) == few
    assert report(*args).count(SFJ) >= 45
