"""Reading a qualification's rules from the database into the engine's plain data."""

from __future__ import annotations

from qualifications.models import LevelRule as LevelRuleRow
from qualifications.models import Qualification
from qualifications.rules.model import Equivalence, Group, LevelRule, Rules, Unit


def rules_for(qualification: Qualification) -> Rules:
    memberships = list(qualification.memberships.select_related("unit", "group"))
    units = {
        m.unit.code: Unit(m.unit.code, m.unit.title, m.unit.level, m.unit.credits, m.unit.glh)
        for m in memberships
    }
    groups = tuple(
        Group(
            code=g.code,
            title=g.title,
            units=tuple(m.unit.code for m in memberships if m.group_id == g.pk),
            mandatory=g.mandatory,
            min_credits=g.min_credits,
            max_credits=g.max_credits,
            min_units=g.min_units,
            max_units=g.max_units,
        )
        for g in qualification.groups.all()
    )
    level_rules = tuple(
        LevelRule(
            r.level,
            max_credits=r.credits if r.kind == LevelRuleRow.Kind.CAP else None,
            min_credits=r.credits if r.kind == LevelRuleRow.Kind.MINIMUM else None,
            or_above=r.or_above,
        )
        for r in qualification.level_rules.all()
    )
    return Rules(
        code=qualification.code,
        title=qualification.title,
        units=units,
        published=qualification.rules_published,
        groups=groups,
        min_credits=qualification.min_credits if qualification.rules_published else None,
        min_units=qualification.min_units,
        min_glh=qualification.min_glh,
        level_rules=level_rules,
        barred=tuple(
            tuple(sorted(u.code for u in b.units.all()))
            for b in qualification.barred_combinations.all()
        ),
        equivalences=tuple(
            Equivalence(e.unit.code, tuple(sorted(u.code for u in e.satisfied_by.all())), e.note)
            for e in qualification.equivalences.select_related("unit")
        ),
    )
