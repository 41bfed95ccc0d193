"""factory_boy factories for the models the tests build on."""

import factory

from portal.models import Centre, Role, RoleKind, User

PASSWORD = "correct-horse-battery"
FIRST = ["Amara", "Ben", "Chloe", "Dev", "Ella", "Finn", "Grace", "Hamza", "Isla", "Jonah", "Kai"]
LAST = ["Adams", "Baker", "Clarke", "Davies", "Evans", "Foster", "Green", "Hughes", "Iqbal", "Jones",
        "Khan", "Lewis", "Morgan"]  # fmt: skip


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    # Names from fixed lists, not Faker: a random "O'Neill" once in a while turned an assertion on
    # the page (where the apostrophe is escaped) into a flaky test. Escaping has its own tests.
    full_name = factory.Sequence(lambda n: f"{FIRST[n % len(FIRST)]} {LAST[n * 7 % len(LAST)]}")
    password = factory.django.Password(PASSWORD)


class CentreFactory(factory.django.DjangoModelFactory[Centre]):
    class Meta:
        model = Centre

    name = factory.Sequence(lambda n: f"Centre {n}")
    ao_centre_number = factory.Sequence(lambda n: f"C{n:05d}")


class RoleFactory(factory.django.DjangoModelFactory[Role]):
    class Meta:
        model = Role

    user = factory.SubFactory(UserFactory)
    centre = factory.SubFactory(CentreFactory)
    kind = RoleKind.LEARNER


def ao_desk() -> User:
    """The portal's staff member who records what awarding organisations grant: Direct Claims
    Status and external quality assurers' access (decision 29)."""
    return UserFactory.create(email="ao.desk@example.org", full_name="AO Desk", is_staff=True)


def grant_direct_claims(centre: Centre) -> None:
    """The centre holds Direct Claims Status for every qualification: its claims are issued at
    once, without waiting for an external quality assurer (decision 29)."""
    from certification.services import direct_claims_grant
    from qualifications.models import Qualification

    for qualification in Qualification.objects.all():
        direct_claims_grant(centre=centre, qualification=qualification, actor=ao_desk())
