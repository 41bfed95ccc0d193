"""What the centre admin is told of claims held for the EQA names the qualification when the
claims are all of one, and does not call several qualifications "the qualification" (a claim of
fifty learners across five qualifications said so: found by the seventh round's new user)."""

from types import SimpleNamespace

from certification.views import held_message


def held(*titles):
    return [
        SimpleNamespace(registration=SimpleNamespace(qualification=SimpleNamespace(title=t)))
        for t in titles
    ]


def test_claims_of_one_qualification_name_it():
    assert held_message(held("Diploma in Retail")) == (
        "1 claim held: your centre does not hold Direct Claims Status for the qualification "
        "Diploma in Retail, so the awarding organisation's external quality assurer must "
        "release them first."
    )
    assert held_message(held("Diploma in Retail", "Diploma in Retail")).startswith(
        "2 claims held: your centre does not hold Direct Claims Status for the qualification "
        "Diploma in Retail, so"
    )


def test_claims_of_several_qualifications_say_these_qualifications():
    message = held_message(held("Diploma in Retail", "Certificate in Care", "Diploma in Retail"))
    assert message.startswith(
        "3 claims held: your centre does not hold Direct Claims Status for these qualifications, so"
    )
