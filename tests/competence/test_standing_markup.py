"""The strategy page draws each person's register entries in Python (`standing_markup`), as
competence/partials/standing.html draws them for the register's pages: the two must give the
same markup for every shape of entry (held or worked towards, with or without a certificate
and an expiry, flagged or not, assessing or verifying, titles needing escaping) and for nobody."""

import datetime

from django.template.loader import render_to_string

from competence.models import Award, EntryStatus
from competence.services import EntryDetails, entry_end, entry_record
from competence.standing import standing_markup, standings
from portal.models import RoleKind
from qualifications.models import Qualification, Unit
from tests.competence.register import award
from tests.factories import RoleFactory, UserFactory

TODAY = datetime.date(2026, 10, 6)


def test_the_markup_drawn_in_python_is_the_partials_for_every_shape_of_entry(
    centre, centre_admin, sfj
):
    person = UserFactory.create(full_name="Every Shape")
    RoleFactory.create(user=person, centre=centre, kind=RoleKind.ASSESSOR)
    RoleFactory.create(user=person, centre=centre, kind=RoleKind.IQA)
    nobody = UserFactory.create(full_name="No Entries")
    RoleFactory.create(user=nobody, centre=centre, kind=RoleKind.ASSESSOR)
    other = Qualification.objects.exclude(pk=sfj.pk).order_by("pk")[0]
    units = list(Unit.objects.order_by("pk")[:2])
    award(centre, person, centre_admin, qualifications=[sfj, other])
    award(centre, person, centre_admin, units=units, expires_on=datetime.date(2021, 1, 1))
    award(centre, person, centre_admin, kind=Award.IQA, units=units[:1])
    award(centre, person, centre_admin, qualifications=[sfj], deadline=datetime.date(2026, 1, 1))
    award(centre, person, centre_admin, kind=Award.IQA, units=units, deadline=TODAY)
    entry_record(
        centre=centre,
        person=person,
        details=EntryDetails(
            award=Award.OTHER_ASSESSING,
            status=EntryStatus.HELD,
            title='Tom & Jerry\'s <"award">',
            achieved_on=datetime.date(2019, 12, 31),
            certificate_reference="<C&1>'\"",
            expires_on=datetime.date(2030, 2, 28),
            qualifications=[other],
        ),
        actor=centre_admin,
    )
    entry_end(
        entry=award(centre, person, centre_admin, qualifications=[sfj]),
        reason="Recorded in error.",
        actor=centre_admin,
    )
    shapes = 0
    for day in (datetime.date(2020, 6, 1), TODAY, datetime.date(2035, 1, 1)):
        found = standings(centre.pk, [person.pk, nobody.pk], day)
        assert len(found[person.pk].entries) == 6 and not found[nobody.pk].entries
        for standing in found.values():
            drawn = render_to_string("competence/partials/standing.html", {"standing": standing})
            assert standing_markup(standing) == drawn
            shapes += 1
    flagged = standings(centre.pk, [person.pk], datetime.date(2035, 1, 1))[person.pk]
    assert sum(bool(s.flag) for s in flagged.entries) >= 3 and shapes == 6
