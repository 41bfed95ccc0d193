"""The demo centre: people in every role, with a known password, for trying the portal locally."""

from dataclasses import dataclass

from django.db import transaction

from portal.models import Centre, Role, RoleKind, User

DEMO_PASSWORD = "demo-portal-2026"


@dataclass(frozen=True)
class DemoRole:
    centre: str
    kind: RoleKind
    is_trainee: bool = False


@dataclass(frozen=True)
class DemoPerson:
    email: str
    full_name: str
    roles: tuple[DemoRole, ...]


RIVERSIDE = ("Riverside Skills Academy", "RSA-04721")
HARBOUR = ("Harbour Training Centre", "HTC-10388")
CENTRES = (RIVERSIDE, HARBOUR)

PEOPLE = (
    DemoPerson(
        "admin@riverside.test", "Ada Okafor", (DemoRole(RIVERSIDE[0], RoleKind.CENTRE_ADMIN),)
    ),
    DemoPerson(
        "assessor@riverside.test", "Samir Patel", (DemoRole(RIVERSIDE[0], RoleKind.ASSESSOR),)
    ),
    DemoPerson(
        "trainee@riverside.test",
        "Tom Reyes",
        (DemoRole(RIVERSIDE[0], RoleKind.ASSESSOR, is_trainee=True),),
    ),
    # The IQA at Riverside also assesses at Harbour: two roles in two centres, one login.
    DemoPerson(
        "iqa@riverside.test",
        "Grace Mensah",
        (DemoRole(RIVERSIDE[0], RoleKind.IQA), DemoRole(HARBOUR[0], RoleKind.ASSESSOR)),
    ),
    DemoPerson("leo@riverside.test", "Leo Brown", (DemoRole(RIVERSIDE[0], RoleKind.LEARNER),)),
    DemoPerson("mia@riverside.test", "Mia Campbell", (DemoRole(RIVERSIDE[0], RoleKind.LEARNER),)),
    DemoPerson("noah@riverside.test", "Noah Williams", (DemoRole(RIVERSIDE[0], RoleKind.LEARNER),)),
    DemoPerson("zara@riverside.test", "Zara Ahmed", (DemoRole(RIVERSIDE[0], RoleKind.LEARNER),)),
    DemoPerson(
        "admin@harbour.test", "Hannah Lewis", (DemoRole(HARBOUR[0], RoleKind.CENTRE_ADMIN),)
    ),
    DemoPerson("kofi@harbour.test", "Kofi Asante", (DemoRole(HARBOUR[0], RoleKind.LEARNER),)),
)


@transaction.atomic
def demo_seed() -> list[DemoPerson]:
    """Create the demo centres and people, or bring them back to their demo state.

    Running it again changes nothing but the demo passwords, which it resets.
    """
    centres = {}
    for name, number in CENTRES:
        centres[name], _ = Centre.objects.update_or_create(
            ao_centre_number=number, defaults={"name": name}
        )
    for person in PEOPLE:
        user, _ = User.objects.update_or_create(
            email=person.email, defaults={"full_name": person.full_name, "is_active": True}
        )
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
        for role in person.roles:
            Role.objects.update_or_create(
                user=user,
                centre=centres[role.centre],
                kind=role.kind,
                defaults={"is_trainee": role.is_trainee},
            )
    return list(PEOPLE)
