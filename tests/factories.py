"""factory_boy factories for the models the tests build on."""

import factory

from portal.models import Centre, Role, RoleKind, User

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    full_name = factory.Faker("name", locale="en_GB")
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
