import pytest
from django.db import IntegrityError

from portal.models import Role, RoleKind, User
from tests.factories import CentreFactory, RoleFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_person_is_created_with_a_lower_case_email_and_a_usable_password():
    user = User.objects.create_user("Ada.Okafor@Example.ORG", "Ada Okafor", "s3cret-pass")
    assert user.email == "ada.okafor@example.org"
    assert user.check_password("s3cret-pass")
    assert not user.is_staff


def test_a_person_needs_an_email_address():
    with pytest.raises(ValueError, match="e-mail address"):
        User.objects.create_user("", "Nobody")


def test_two_people_cannot_share_an_email_address_whatever_its_case():
    UserFactory.create(email="sam@example.org")
    with pytest.raises(IntegrityError):
        User.objects.create(email="SAM@example.org", full_name="Other Sam")


def test_a_superuser_may_use_the_admin_site():
    user = User.objects.create_superuser("root@example.org", "Root", "pw-123456789")
    assert user.is_staff and user.is_superuser


def test_logging_in_finds_a_person_whatever_the_case_of_their_email():
    user = UserFactory.create(email="grace@example.org")
    assert User.objects.get_by_natural_key("  Grace@Example.org ") == user


def test_a_person_may_hold_several_roles_in_several_centres():
    person = UserFactory.create()
    first, second = CentreFactory.create(), CentreFactory.create()
    RoleFactory.create(user=person, centre=first, kind=RoleKind.IQA)
    RoleFactory.create(user=person, centre=first, kind=RoleKind.ASSESSOR)
    RoleFactory.create(user=person, centre=second, kind=RoleKind.ASSESSOR)
    assert person.roles.count() == 3


def test_a_person_cannot_hold_the_same_role_twice_in_one_centre():
    role = RoleFactory.create(kind=RoleKind.ASSESSOR)
    with pytest.raises(IntegrityError):
        Role.objects.create(user=role.user, centre=role.centre, kind=RoleKind.ASSESSOR)


def test_only_assessors_and_iqas_can_be_trainees():
    RoleFactory.create(kind=RoleKind.ASSESSOR, is_trainee=True)
    RoleFactory.create(kind=RoleKind.IQA, is_trainee=True)
    with pytest.raises(IntegrityError):
        RoleFactory.create(kind=RoleKind.LEARNER, is_trainee=True)


def test_a_role_of_an_unknown_kind_is_refused_by_the_database():
    with pytest.raises(IntegrityError):
        RoleFactory.create(kind="examiner")


def test_two_centres_cannot_share_an_ao_centre_number_but_may_both_lack_one():
    CentreFactory.create(ao_centre_number="")
    CentreFactory.create(ao_centre_number="")
    CentreFactory.create(ao_centre_number="RSA-1")
    with pytest.raises(IntegrityError):
        CentreFactory.create(ao_centre_number="RSA-1")


def test_a_trainee_role_says_so_in_its_label():
    assert RoleFactory.create(kind=RoleKind.ASSESSOR, is_trainee=True).label == "Trainee assessor"
    assert RoleFactory.create(kind=RoleKind.IQA).label == "Internal quality assurer"
