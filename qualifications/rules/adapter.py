"""Reading a qualification's rules from the database into the engine's plain data.

Reading them takes five queries, and the pages that judge many learners at once (claims, the
admin's home, the caseload) need the rules of each qualification among them on every request.
The rules change only when the catalogue does, so each process keeps what it built under the
qualification's id and `revision`, which every edit of the catalogue changes
(`qualifications.revisions`): the qualification row the caller has just read says whether the
kept rules are still those of the database, at no cost. `Rules` is immutable plain data, safe to
share between requests and threads.
"""

from __future__ import annotations

import uuid

from qualifications.models import LevelRule as LevelRuleRow
from qualifications.models import Qualification
from qualifications.rules.model import Equivalence, Group, LevelRule, Rules, Unit

# qualification id -> (the revision they were built at, the rules). One entry a qualification:
# a new revision replaces the old one, so the dictionary never grows past the catalogue.
_kept: dict[int, tuple[uuid.UUID, Rules]] = {}


def rules_for(qualification: Qualification) -> Rules:
    """The qualification's rules as of the revision on the row given: read from the database the
    first time this process sees that revision, kept afterwards."""
    kept = _kept.get(qualification.pk)
    if kept is not None and kept[0] == qualification.revision:
        return kept[1]
    rules = read_rules(qualification)
    _kept[qualification.pk] = (qualification.revision, rules)
    return rules


def forget_rules() -> None:
    """Drop every kept rules (the tests do, between tests whose rolled-back catalogue edits may
    not have changed a revision)."""
    _kept.clear()


def read_rules(qualification: Qualification) -> Rules:
    """The rules as the database holds them now, never kept (what `validate_qualifications`
    checks, whatever path changed the rows)."""
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
