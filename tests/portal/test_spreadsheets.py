"""Every CSV the portal writes is safe to open in a spreadsheet: a cell that would run as a
formula is written as text (OWASP's CSV injection guidance), and numbers stay numbers."""

import csv
import io

import pytest

from portal.spreadsheets import csv_text, neutralised

HOSTILE = [
    '=HYPERLINK("http://127.0.0.1:9/?leak="&A2, "Click for your certificate")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    "   =1+1",
    "\u00a0=1+1",
    "\uff1d1+1",
    "-3+A1",
    "-1)",
    " -3",
]


@pytest.mark.parametrize("cell", HOSTILE)
def test_a_cell_a_spreadsheet_would_run_is_written_as_text(cell):
    assert neutralised(cell) == "'" + cell


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("Leo Brown", "Leo Brown"),
        ("O'Neil-Smith", "O'Neil-Smith"),
        ("Date every record.", "Date every record."),
        ("2026-10-05", "2026-10-05"),
        ("-3", "-3"),
        ("+4.5", "+4.5"),
        ("12", "12"),
        ("", ""),
        (None, ""),
        (7, 7),
        (-7, -7),
        (-2.5, -2.5),
    ],
)
def test_ordinary_text_and_plain_numbers_are_written_as_they_are(cell, written):
    assert neutralised(cell) == written


def test_the_csv_reads_back_with_the_hostile_cells_as_text_and_the_rest_unchanged():
    text = csv_text(["Name", "Feedback", "Score"], [["=1+1", '@cmd "quoted", too', -4]])
    assert list(csv.reader(io.StringIO(text))) == [
        ["Name", "Feedback", "Score"],
        ["'=1+1", '\'@cmd "quoted", too', "-4"],
    ]
