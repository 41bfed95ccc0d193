"""A verdict as the command line prints it: a headline and one line per rule, or JSON. Shared by
`check_eligibility` (one learner) and `eligibility_report` (a centre's learners)."""

from __future__ import annotations

from typing import Any

from qualifications.rules.engine import Verdict


def verdict_headline(verdict: Verdict) -> str:
    headline = "Eligible" if verdict.eligible else "Not eligible"
    return (
        f"{headline}: {verdict.counted_credits} credits count "
        f"({verdict.achieved_credits} achieved in this qualification)."
    )


def verdict_text(verdict: Verdict) -> list[str]:
    lines = [verdict_headline(verdict)]
    lines += [f"  {'met' if r.met else 'NOT MET'}  {r.message}" for r in verdict.rules]
    lines += [f"  note  {note}" for note in verdict.notes]
    return lines


def verdict_json(verdict: Verdict) -> dict[str, Any]:
    return {
        "eligible": verdict.eligible,
        "counted_credits": verdict.counted_credits,
        "achieved_credits": verdict.achieved_credits,
        "rules": [{"rule": r.rule, "met": r.met, "message": r.message} for r in verdict.rules],
        "notes": list(verdict.notes),
        "rpl_units": list(verdict.rpl_units),
        "exempt_units": list(verdict.exempt_units),
        "outside_units": list(verdict.outside_units),
    }
