"""What anonymisation leaves of the text in a learner's records and audit entries.

Text a person wrote or that names a person (titles, descriptions, statements, feedback,
reasons, signatures, file names) is replaced; what the records are about (statuses, outcomes,
methods, codes, dates, numbers, ids) stays, so the centre's history still adds up.
"""

from __future__ import annotations

from typing import Any

# What replaces removed text where a field must not be empty (a title, a reason).
REMOVED = "[removed]"

# Keys of audit entries whose text is a code, a status or a date, never free text. Any other
# text is removed, including keys this list has never heard of: new kinds of entry are
# redacted in full until someone decides otherwise here.
KEPT = frozenset(
    {
        "expires_at",
        "from",
        "funding",
        "kind",
        "method",
        "number",
        "occurred_on",
        "optional_units",
        "outcome",
        "planned_end_date",
        "qualification",
        "qualification_title",
        "replacement",
        "sha256",
        "stage",
        "start_date",
        "status",
        "to",
        "units",
        "verdict",
    }
)


def redacted(value: Any, key: str | None = None) -> Any:
    """`value` (an audit entry's before or after) with free text replaced by REMOVED; numbers,
    booleans, empty text and the text of KEPT keys are kept."""
    if isinstance(value, dict):
        return {k: redacted(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [redacted(v, key) for v in value]
    if isinstance(value, str) and value and key not in KEPT:
        return REMOVED
    return value
