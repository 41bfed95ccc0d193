"""axe-core (from npm, see package.json) run inside a page by Playwright."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page

from tests.conftest import need

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
SEVERE = ("serious", "critical")


def violations(page: Page, rules: list[str] | None = None) -> list[dict[str, Any]]:
    """axe's serious and critical violations on the page as it is now (WCAG 2.1 A and AA and
    best practices, or only the `rules` named), each with the rule, its help text and the
    offending elements."""
    need(AXE.exists(), "the accessibility checks need axe-core: run `npm ci` (./test.sh does)")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the browser's debugging protocol, which the page's Content Security
        # Policy does not govern (a <script> tag added to the page would be refused by it).
        page.evaluate(AXE.read_text())
    found = page.evaluate(
        """async (rules) => {
            const result = await axe.run(document, {
                runOnly: rules ? {type: 'rule', values: rules} : {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']},
                resultTypes: ['violations'],
            });
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5),
            }));
        }""",
        rules,
    )
    return [v for v in found if v["impact"] in SEVERE]


def describe(found: list[dict[str, Any]]) -> str:
    return "\n".join(f"{v['impact']}: {v['id']} ({v['help']}) at {v['nodes']}" for v in found)
