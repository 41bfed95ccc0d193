"""Who may agree RPL at a centre that enforces its competence register (decisions 49 and 54).

RPL is a judgement of competence, as a decision is: at an enforcing centre the unit's qualified
assessor must also hold a current assessor award whose scope covers the unit (or its
qualification). A decision outside that scope is made provisional for a countersigner; RPL has
no countersigning, so it is refused, naming who may agree it. `portfolios.prior_learning` cannot
read the register (a floor of its own), so it asks through its signal and this answers."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from competence.models import Practice
from competence.standing import competent, enforced
from portal.models import User
from portfolios.models import Registration
from portfolios.prior_learning import PriorLearningRefused, rpl_agreeing

OUTSIDE_SCOPE = (
    "Your centre enforces its competence register, and your current assessor awards do not "
    "cover this unit: RPL for it is agreed by an assessor of the unit whose award covers it "
    "(the centre admin records awards and their scope on the register)."
)


def refuse_outside_scope(
    sender: Any, *, registration: Registration, unit_id: int, actor: User, **kwargs: Any
) -> None:
    if not enforced(registration.centre_id):
        return
    if not competent(
        person_id=actor.pk,
        centre_id=registration.centre_id,
        qualification_id=registration.qualification_id,
        unit_id=unit_id,
        practice=Practice.ASSESSING,
        day=timezone.localdate(),
    ):
        raise PriorLearningRefused(OUTSIDE_SCOPE, {OUTSIDE_SCOPE: "unit"})


def connect_signals() -> None:
    rpl_agreeing.connect(refuse_outside_scope, dispatch_uid="assessment-rpl-competence")
