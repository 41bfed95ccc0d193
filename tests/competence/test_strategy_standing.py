"""The strategy page says what each assessor and IQA may assess or verify of the strategy's own
qualification, counting only their current entries (held, not expired, not ended), in the same
number of queries however many people the centre has."""

import datetime

from django.db import connection
from django.template import Context, Template
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from competence.models import Award
from competence.services import entry_end
from portal.models import RoleKind
from qualifications.models import Qualification, QualificationUnit
from tests.competence.register import award
from tests.factories import RoleFactory, UserFactory


def page_of(person, sfj) -> str:
    client = Client()
    client.force_login(person)
    return client.get(reverse("iqa:strategy", args=[sfj.pk])).content.decode()


def standing_here(page: str, name: str) -> str:
    """What the page says of one person for this qualification."""
    [card] = [c for c in page.split('data-testid="person-standing"')[1:] if f">{name} <" in c]
    return card.split('data-testid="standing-here">')[1].split("</ul>")[0]


def other_qualification(sfj) -> Qualification:
    return Qualification.objects.exclude(pk=sfj.pk).order_by("pk")[0]


def practitioner(centre, name: str, kind: RoleKind = RoleKind.ASSESSOR):
    person = UserFactory.create(full_name=name)
    RoleFactory.create(user=person, centre=centre, kind=kind)
    return person


def test_each_person_is_said_to_assess_or_verify_this_qualification_by_current_entries_only(
    centre, centre_admin, iqa, sfj
):
    whole = practitioner(centre, "Whole Scope")
    award(centre, whole, centre_admin, qualifications=[sfj])
    ended = practitioner(centre, "Ended Entry")
    entry_end(
        entry=award(centre, ended, centre_admin, qualifications=[sfj]),
        reason="Recorded in error.",
        actor=centre_admin,
    )
    expired = practitioner(centre, "Expired Award")
    award(centre, expired, centre_admin, qualifications=[sfj], expires_on=datetime.date(2021, 1, 1))
    towards = practitioner(centre, "Working Towards")
    award(centre, towards, centre_admin, qualifications=[sfj], deadline=datetime.date(2030, 1, 1))
    elsewhere = practitioner(centre, "Other Qualification")
    award(centre, elsewhere, centre_admin, qualifications=[other_qualification(sfj)])
    some = practitioner(centre, "Some Units")
    [first, second] = [
        m.unit for m in QualificationUnit.objects.filter(qualification=sfj).order_by("pk")[:2]
    ]
    award(centre, some, centre_admin, units=[second, first])
    award(centre, iqa, centre_admin, kind=Award.IQA, qualifications=[sfj])

    page = page_of(iqa, sfj)

    assert "May assess every unit of this qualification" in standing_here(page, "Whole Scope")
    for name in ("Ended Entry", "Expired Award", "Working Towards", "Other Qualification"):
        assert "No current award to assess this qualification" in standing_here(page, name)
    codes = sorted([first.code, second.code])
    assert (
        f"May assess only units {codes[0]} and {codes[1]} of this qualification"
        in standing_here(page, "Some Units")
    )
    assert "May verify every unit of this qualification" in standing_here(page, iqa.full_name)


def test_a_person_in_two_roles_is_said_to_assess_and_to_verify(centre, centre_admin, iqa, sfj):
    both = practitioner(centre, "Both Roles")
    RoleFactory.create(user=both, centre=centre, kind=RoleKind.IQA)
    award(centre, both, centre_admin, qualifications=[sfj])
    said = standing_here(page_of(iqa, sfj), "Both Roles")
    assert "May assess every unit of this qualification" in said
    assert "No current award to verify this qualification" in said


def test_the_strategy_page_reads_the_same_number_of_queries_for_two_people_or_twelve(
    centre, centre_admin, iqa, sfj
):
    def queries() -> int:
        with CaptureQueriesContext(connection) as done:
            page_of(iqa, sfj)
        return len(done)

    def add_people(count: int) -> None:
        for n in range(count):
            person = practitioner(centre, f"Person {n} {count}")
            award(centre, person, centre_admin, qualifications=[sfj])
            entry_end(
                entry=award(centre, person, centre_admin, qualifications=[sfj]),
                reason="Recorded in error.",
                actor=centre_admin,
            )

    add_people(2)
    small = queries()
    add_people(10)
    assert queries() == small


# What the strategy page's template drew for each person before `Standing.card`.
CARD = Template(
    """
  <div class="card card-body mb-2" data-testid="person-standing">
    <h3 class="h6">{{ row.person.full_name }} <span class="small text-body-secondary">· {{ row.roles|join:", " }}</span>{% if row.standing.flagged %} <span class="badge text-bg-danger">Needs attention</span>{% endif %}</h3>
    <ul class="list-unstyled mb-2" data-testid="standing-here">
      {% for here in row.here %}<li>{% if here.in_scope %}{{ here.words }}{% else %}<span class="badge text-bg-warning text-wrap text-start">{{ here.words }}</span>{% endif %}</li>{% endfor %}
    </ul>
    {% with standing=row.standing %}{% include "competence/partials/standing.html" %}{% endwith %}
  </div>
  """
)


def test_each_persons_card_drawn_in_python_is_the_templates(centre, centre_admin, iqa, sfj):
    from iqa.pages import centre_practitioners, practitioner_standings

    flagged = practitioner(centre, 'O\'Brien <&> "Flagged"')
    award(centre, flagged, centre_admin, qualifications=[sfj], expires_on=datetime.date(2021, 1, 1))
    both = practitioner(centre, "Both Roles")
    RoleFactory.create(user=both, centre=centre, kind=RoleKind.IQA)
    award(centre, both, centre_admin, qualifications=[sfj])
    some = practitioner(centre, "Some Units")
    units = [m.unit for m in QualificationUnit.objects.filter(qualification=sfj).order_by("pk")]
    award(centre, some, centre_admin, units=units[:3])
    practitioner(centre, "Nothing Recorded", RoleKind.IQA)
    rows = practitioner_standings(centre, sfj, centre_practitioners(centre))
    assert len(rows) == 5 and any(row.standing.flagged for row in rows)
    for row in rows:
        assert row.card == CARD.render(Context({"row": row}))
