from portal.templatetags.sentences import joined


def test_reasons_are_written_as_sentences_not_run_together_after_full_stops():
    reasons = ["Record the AO number on the learner's details page.", "Group B: 1 of 2 units", " "]
    assert joined(reasons) == (
        "Record the AO number on the learner's details page. Group B: 1 of 2 units."
    )
    assert joined([]) == ""
