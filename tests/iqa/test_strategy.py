"""The sampling strategy page: shares by risk, stages, and assessors' risk."""

from django.urls import reverse

from iqa.models import AssessorRisk, Risk, SamplingStrategy
from iqa.services import risk_of
from portal.models import AuditEntry


def strategy_url(sfj):
    return reverse("iqa:strategy", args=[sfj.pk])


def test_the_iqa_sets_the_shares_and_an_assessors_risk(
    client, centre, sfj, iqa, assessor, trainee_assessor
):
    client.force_login(iqa)
    response = client.post(
        strategy_url(sfj),
        {
            "trainee_percent": 100,
            "new_percent": 60,
            "standard_percent": 30,
            "experienced_percent": 5,
            "summative_required": "on",
            f"risk-{assessor.pk}": "experienced",
            f"risk-{trainee_assessor.pk}": "experienced",  # a trainee stays a trainee
        },
    )
    assert response.status_code == 302
    strategy = SamplingStrategy.objects.get(centre=centre, qualification=sfj)
    assert (strategy.new_percent, strategy.experienced_percent) == (60, 5)
    assert not strategy.interim_required and strategy.summative_required
    assert risk_of(centre, [assessor.pk, trainee_assessor.pk]) == {
        assessor.pk: Risk.EXPERIENCED,
        trainee_assessor.pk: Risk.TRAINEE,
    }
    assert AuditEntry.objects.filter(action="iqa.strategy_saved").count() == 1


def test_a_share_over_a_hundred_is_refused_and_nothing_changes(client, centre, sfj, iqa, assessor):
    client.force_login(iqa)
    page = client.post(
        strategy_url(sfj),
        {
            "trainee_percent": 150,
            "new_percent": 50,
            "standard_percent": 25,
            "experienced_percent": 10,
            f"risk-{assessor.pk}": "new",
        },
    ).content.decode()
    assert "A share is at most 100 per cent." in page
    assert not AssessorRisk.objects.exists()
    assert SamplingStrategy.objects.get(centre=centre, qualification=sfj).trainee_percent == 100


def test_only_an_iqa_or_a_centre_admin_sets_the_strategy(
    client, sfj, assessor, learner, centre_admin
):
    for person in (assessor, learner):
        client.force_login(person)
        assert client.get(strategy_url(sfj)).status_code == 403
    client.force_login(centre_admin)
    assert client.get(strategy_url(sfj)).status_code == 200
