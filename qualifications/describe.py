"""Rules of combination in plain words, as the catalogue pages show them."""

from __future__ import annotations

from qualifications.models import LevelRule, Qualification, RuleGroup
from qualifications.rules import Rules


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def describe_group(group: RuleGroup) -> list[str]:
    sentences = []
    if group.mandatory:
        total = f" ({plural(group.stated_credits, 'credit')})" if group.stated_credits else ""
        sentences.append(f"Every unit in this group is mandatory{total}.")
    if group.min_credits is not None:
        sentences.append(f"At least {plural(group.min_credits, 'credit')} from this group.")
    if group.max_credits is not None:
        sentences.append(
            f"At most {plural(group.max_credits, 'credit')} from this group count toward the "
            "total; more may be achieved, and still appear on a unit certificate."
        )
    if group.min_units is not None:
        sentences.append(f"At least {plural(group.min_units, 'unit')} from this group.")
    if group.max_units is not None:
        sentences.append(f"At most {plural(group.max_units, 'unit')} from this group count.")
    return sentences


def describe_level_rule(rule: LevelRule) -> str:
    scope = f"level {rule.level}{' or above' if rule.or_above else ''}"
    if rule.kind == LevelRule.Kind.CAP:
        return (
            f"At most {plural(rule.credits, 'credit')} at {scope} count toward the total; "
            "credits beyond that do not count, and do not by themselves block the award."
        )
    return f"At least {plural(rule.credits, 'credit')} at {scope}."


def describe_qualification(qualification: Qualification) -> list[str]:
    """The qualification-wide rules, one sentence each."""
    if not qualification.rules_published:
        return []
    sentences = []
    if qualification.min_credits is not None:
        sentences.append(f"At least {plural(qualification.min_credits, 'credit')} in total.")
    if qualification.min_units is not None:
        sentences.append(f"At least {plural(qualification.min_units, 'unit')} in total.")
    if qualification.min_glh is not None:
        sentences.append(f"At least {qualification.min_glh} guided learning hours.")
    sentences += [describe_level_rule(rule) for rule in qualification.level_rules.all()]
    sentences.append("Extra achieved units never block the award.")
    return sentences


def describe_in_full(qualification: Qualification) -> list[str]:
    """The qualification-wide rules, then each group's, named by the group."""
    sentences = describe_qualification(qualification)
    for group in qualification.groups.all():
        sentences += [f"{group.title}: {sentence}" for sentence in describe_group(group)]
    return sentences


def describe_rules(rules: Rules) -> list[str]:
    """`describe_in_full` for rules read as plain data: those of a rules version a registration
    is pinned to, which the catalogue's rows may no longer hold (decision 27). A mandatory
    group's credits are those of its units, where each states them."""
    if not rules.published:
        return []
    sentences = []
    if rules.min_credits is not None:
        sentences.append(f"At least {plural(rules.min_credits, 'credit')} in total.")
    if rules.min_units is not None:
        sentences.append(f"At least {plural(rules.min_units, 'unit')} in total.")
    if rules.min_glh is not None:
        sentences.append(f"At least {rules.min_glh} guided learning hours.")
    for rule in rules.level_rules:
        capped = rule.max_credits is not None
        level_row = LevelRule(
            kind=LevelRule.Kind.CAP if capped else LevelRule.Kind.MINIMUM,
            level=rule.level,
            credits=(rule.max_credits if capped else rule.min_credits) or 0,
            or_above=rule.or_above,
        )
        sentences.append(describe_level_rule(level_row))
    sentences.append("Extra achieved units never block the award.")
    for group in rules.groups:
        credits = [rules.units[code].credits for code in group.units if code in rules.units]
        stated = sum(c for c in credits if c) if credits and None not in credits else None
        group_row = RuleGroup(
            title=group.title,
            mandatory=group.mandatory,
            stated_credits=stated,
            min_credits=group.min_credits,
            max_credits=group.max_credits,
            min_units=group.min_units,
            max_units=group.max_units,
        )
        sentences += [f"{group.title}: {sentence}" for sentence in describe_group(group_row)]
    return sentences
