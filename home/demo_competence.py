"""The demo's competence register (decision 49): each assessor and IQA with the awards seed 001
names, covering what they assess or verify, so that Riverside enforces its register and the
demo behaves as it did before (Samir's and Grace's work counts, Tom's waits as a trainee's)."""

from __future__ import annotations

import datetime

from competence.models import Award, EntryStatus, RegisterEnforced
from competence.services import EntryDetails, entry_record, register_enforce
from portal.models import Centre, User
from qualifications.models import Qualification

RIVERSIDE, HARBOUR = "RSA-04721", "HTC-10388"
# (centre, person, award, status, achieved on or deadline, certificate reference)
ENTRIES = (
    (
        RIVERSIDE,
        "assessor@riverside.test",
        Award.ASSESSING_COMPETENCE,
        EntryStatus.HELD,
        datetime.date(2019, 6, 14),
        "ACWE-19-20417",
    ),
    (
        RIVERSIDE,
        "trainee@riverside.test",
        Award.ASSESSING_COMPETENCE,
        EntryStatus.WORKING_TOWARDS,
        datetime.date(2027, 6, 30),
        "",
    ),
    (
        RIVERSIDE,
        "iqa@riverside.test",
        Award.IQA,
        EntryStatus.HELD,
        datetime.date(2018, 3, 2),
        "IQA-18-0311",
    ),
    (
        HARBOUR,
        "iqa@riverside.test",
        Award.CAVA,
        EntryStatus.HELD,
        datetime.date(2015, 11, 20),
        "CAVA-15-7730",
    ),
)
ADMINS = {RIVERSIDE: "admin@riverside.test", HARBOUR: "admin@harbour.test"}


def demo_competence() -> None:
    """Record the entries (the same again changes nothing) and enforce Riverside's register.
    Every entry covers every qualification of the catalogue: the demo's learners take some of
    them, and a centre adding one later still finds its people competent."""
    qualifications = list(Qualification.objects.order_by("pk"))
    if not qualifications:
        return
    for number, email, award, status, day, reference in ENTRIES:
        centre = Centre.objects.get(ao_centre_number=number)
        held = status == EntryStatus.HELD
        entry_record(
            centre=centre,
            person=User.objects.get(email=email),
            details=EntryDetails(
                award=award,
                status=status,
                achieved_on=day if held else None,
                deadline=None if held else day,
                certificate_reference=reference,
                qualifications=qualifications,
            ),
            actor=User.objects.get(email=ADMINS[number]),
        )
    riverside = Centre.objects.get(ao_centre_number=RIVERSIDE)
    if not RegisterEnforced.objects.filter(centre=riverside).exists():
        register_enforce(centre=riverside, on=True, actor=User.objects.get(email=ADMINS[RIVERSIDE]))
