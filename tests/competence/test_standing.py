"""Standing: whether a person may assess (or verify) a unit of a qualification on a day, by
their current entries in the centre's register."""

import datetime

from competence.models import Award, Practice
from competence.standing import competent, standings
from qualifications.models import Qualification, Unit
from tests.competence.register import award
from tests.factories import RoleFactory

TODAY = datetime.date(2026, 10, 6)
SFJ_UNIT = "A/506/2130"  # in both the SFJ certificate and the ProQual diploma
OTHER_SFJ_UNIT = "F/506/2131"
PROQUAL = "601/3576/1"


def may_assess(person, centre, qualification, code, day=TODAY, practice=Practice.ASSESSING):
    return competent(
        person_id=person.pk,
        centre_id=centre.pk,
        qualification_id=qualification.pk,
        unit_id=Unit.objects.get(code=code).pk,
        practice=practice,
        day=day,
    )


def test_an_award_covering_a_qualification_covers_every_unit_of_it_and_no_other_qualification(
    centre, centre_admin, assessor, sfj
):
    award(centre, assessor, centre_admin, qualifications=[sfj])
    assert may_assess(assessor, centre, sfj, SFJ_UNIT)
    assert may_assess(assessor, centre, sfj, OTHER_SFJ_UNIT)
    proqual = Qualification.objects.get(code=PROQUAL)
    assert not may_assess(assessor, centre, proqual, SFJ_UNIT)


def test_a_unit_in_scope_is_covered_in_every_qualification_it_sits_in_and_no_other_unit_is(
    centre, centre_admin, assessor, sfj
):
    award(centre, assessor, centre_admin, units=[Unit.objects.get(code=SFJ_UNIT)])
    proqual = Qualification.objects.get(code=PROQUAL)
    assert may_assess(assessor, centre, sfj, SFJ_UNIT)
    assert may_assess(assessor, centre, proqual, SFJ_UNIT)
    assert not may_assess(assessor, centre, sfj, OTHER_SFJ_UNIT)


def test_an_award_is_current_until_the_end_of_its_expiry_day_and_not_before_it_was_achieved(
    centre, centre_admin, assessor, sfj
):
    award(
        centre,
        assessor,
        centre_admin,
        qualifications=[sfj],
        achieved_on=datetime.date(2021, 1, 4),
        expires_on=TODAY,
    )
    assert may_assess(assessor, centre, sfj, SFJ_UNIT, day=TODAY)
    assert not may_assess(assessor, centre, sfj, SFJ_UNIT, day=TODAY + datetime.timedelta(days=1))
    assert not may_assess(assessor, centre, sfj, SFJ_UNIT, day=datetime.date(2021, 1, 3))


def test_an_assessor_award_does_not_make_an_iqa_nor_an_iqa_award_an_assessor(
    centre, centre_admin, assessor, iqa, sfj
):
    award(centre, assessor, centre_admin, qualifications=[sfj])
    award(centre, iqa, centre_admin, kind=Award.IQA, qualifications=[sfj])
    assert not may_assess(assessor, centre, sfj, SFJ_UNIT, practice=Practice.VERIFYING)
    assert not may_assess(iqa, centre, sfj, SFJ_UNIT)
    assert may_assess(iqa, centre, sfj, SFJ_UNIT, practice=Practice.VERIFYING)


def test_working_towards_an_award_counts_for_nothing_and_is_flagged_once_past_its_deadline(
    centre, centre_admin, trainee_assessor, sfj
):
    deadline = datetime.date(2026, 9, 30)
    award(centre, trainee_assessor, centre_admin, qualifications=[sfj], deadline=deadline)
    assert not may_assess(trainee_assessor, centre, sfj, SFJ_UNIT)
    [before] = standings(centre.pk, [trainee_assessor.pk], deadline)[trainee_assessor.pk].entries
    [after] = standings(centre.pk, [trainee_assessor.pk], TODAY)[trainee_assessor.pk].entries
    assert not before.overdue and before.flag == ""
    assert after.overdue and after.flag == "Past its deadline of 30 September 2026"


def test_an_expired_award_is_flagged_and_the_person_has_no_current_award(
    centre, centre_admin, assessor, sfj
):
    award(
        centre, assessor, centre_admin, qualifications=[sfj], expires_on=datetime.date(2026, 1, 31)
    )
    standing = standings(centre.pk, [assessor.pk], TODAY)[assessor.pk]
    assert standing.flagged and not standing.current(Practice.ASSESSING)
    # Current until the end of its expiry day (`current_on`), and said so.
    assert standing.entries[0].flag == "Expired at the end of 31 January 2026"


def test_an_expired_award_under_a_current_one_covering_its_scope_needs_no_attention(
    centre, centre_admin, assessor, sfj
):
    achieved, expired = datetime.date(2018, 5, 1), datetime.date(2020, 1, 1)
    award(
        centre,
        assessor,
        centre_admin,
        qualifications=[sfj],
        achieved_on=achieved,
        expires_on=expired,
    )
    assert standings(centre.pk, [assessor.pk], TODAY)[assessor.pk].flagged
    unit = Unit.objects.get(code=SFJ_UNIT)
    award(centre, assessor, centre_admin, units=[unit])  # current, but covers one unit only
    assert standings(centre.pk, [assessor.pk], TODAY)[assessor.pk].flagged
    award(centre, assessor, centre_admin, qualifications=[sfj])  # current: covers it all
    standing = standings(centre.pk, [assessor.pk], TODAY)[assessor.pk]
    assert not standing.flagged
    assert "Expired at the end of 1 January 2020" in [s.flag for s in standing.entries]


def test_another_centres_entries_give_no_standing_here(
    centre, other_centre, outsider, assessor, sfj
):
    RoleFactory.create(user=assessor, centre=other_centre, kind="assessor")
    award(other_centre, assessor, outsider, qualifications=[sfj])
    assert may_assess(assessor, other_centre, sfj, SFJ_UNIT)
    assert not may_assess(assessor, centre, sfj, SFJ_UNIT)
