"""History pages speak people's language: every audit action the portal writes has words."""

import re
from pathlib import Path

from portal.audit import REDACTED
from portal.audit_words import ACTION_WORDS, action_words

ROOT = Path(__file__).resolve().parents[2]
APPS = ("portal", "qualifications", "portfolios", "assessment", "iqa", "certification", "eqa", "home", "privacy")  # fmt: skip
# An action named in a call (action="decision.recorded") or chosen between two ("a" if ... else).
WRITTEN = re.compile(r"""["']([a-z]+\.[a-z_]+)["']""")


def actions_written() -> set[str]:
    found = {REDACTED}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            source = path.read_text()
            for call in re.finditer(r"action\s*=\s*([^\n]+)", source):
                found |= set(WRITTEN.findall(call.group(1)))
    return found


def test_the_scan_finds_the_actions_the_services_write():
    assert {
        "decision.recorded",
        "iqa.action_not_accepted",
        "invitation.resent",
    } <= actions_written()


def test_every_action_written_has_words():
    assert sorted(actions_written() - set(ACTION_WORDS)) == []


def test_an_action_without_words_is_still_shown_as_words():
    assert action_words("decision.recorded") == "Decision made"
    assert action_words("thing.done_again") == "Thing done again"
