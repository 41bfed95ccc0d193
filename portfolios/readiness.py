"""Keeping the stored claim readiness (`ClaimReadiness`) true: what marks it out of date.

Certification, on a higher floor, works readiness out and stores it. The services below it
cannot import it, so they only say "this registration changed" here, in their own transaction,
after their centre's audit chain (the house lock order): one UPDATE, and the next page that
shows the registration works it out again. A change to the catalogue's rules renews the
qualification's `revision` (`qualifications.revisions`), with which kept readiness is stamped, so
it is out of date for every centre at once without touching the registrations. A change of a
learner's name, which the claims page's lists are sorted by, is caught by a model signal
(connected in `PortfoliosConfig.ready`), since the account is the portal's, below.
"""

from __future__ import annotations

from typing import Any

from portal.lookups import one_of
from portal.models import User
from portfolios.models import ClaimReadiness, Registration


def readiness_changed(*registrations: Registration | int) -> None:
    """Mark the kept claim readiness of these registrations stale. Call it inside the write's
    transaction, after its centre's chain, from every service that changes what readiness is
    worked out from or which list of the claims page it puts the registration on: the units
    achieved (the learner's countersignature of a sign-off, an unlock), what IQA holds back
    (summative samples planned, by hand or in a generated plan, and removed; samples recorded,
    with or without actions; actions closed), claims, registrations closed, and the AO
    registration number the AO's claim policy may ask for (decision 28). Decisions,
    countersignatures of decisions, sign-offs not yet countersigned by the learner, answers to
    actions, lifted locks, changed unit choices, revocations and replacements change nothing it
    depends on (tests/certification/test_readiness_kept.py puts each through the same check;
    decision 19)."""
    ids = {r if isinstance(r, int) else r.pk for r in registrations}
    if ids:
        # The ids as one array (`one_of`): a generated plan marks dozens.
        ClaimReadiness.objects.filter(one_of("registration_id", ids), stale=False).update(
            stale=True
        )


# What of a learner's account kept readiness depends on: the name the lists are sorted by, and
# the date of birth an age limit is checked against (the AO's claim policy, decision 28).
READ_OF_THE_LEARNER = frozenset({"full_name", "date_of_birth"})


def learner_saved(sender: type[User], instance: User, **kwargs: Any) -> None:
    """The claims page lists learners by the name kept with their readiness, and an age limit
    reads their date of birth: a save that may have changed either (not a login's, which saves
    `last_login` only) marks theirs stale."""
    fields = kwargs.get("update_fields")
    if not kwargs.get("created") and (fields is None or READ_OF_THE_LEARNER & set(fields)):
        kept = ClaimReadiness.objects.filter(registration__learner=instance, stale=False)
        kept.update(stale=True)


def connect_signals() -> None:
    from django.db.models.signals import post_save

    post_save.connect(learner_saved, sender=User, dispatch_uid="readiness-learner-name")
