"""The demo's prior learning (decisions 50 and 54), through the services: Noah Williams, on the
ProQual diploma, came with a contact centre certificate (Samir agrees it meets his telephone
unit: RPL), a unit from another qualification his awarding organisation accepts in place of one
optional unit (Ada records the exemption), and the certificate covered a criterion of the
customer service unit he is working on (Samir agrees it: RPL for a criterion). Zara, who has
just started, is left with her first evidence still to add."""

from __future__ import annotations

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile

from portal.models import User
from portfolios.evidence import EvidenceDetails, evidence_add
from portfolios.models import EvidenceMethod, PriorLearning, Registration
from portfolios.prior_learning import (
    PriorDetails,
    exemption_record,
    rpl_items_record,
    rpl_record,
)
from qualifications.models import Criterion, Unit

RPL_UNIT = "H/506/2154"  # Deal with incoming telephone calls from customers
EXEMPT_UNIT = "K/506/2155"
CRITERION_UNIT, CRITERION = "A/506/2130", "3.1"  # Deliver customer service: not begun
CERTIFICATE = (
    "Level 2 Certificate in Contact Centre Skills\n"
    "Awarded to Noah Williams, 14 July 2023, certificate no. CCS-23-55102.\n"
    "Units: handling inbound calls; call logging; customer care on the telephone.\n"
)


def demo_prior_learning() -> bool:
    """Record Noah's RPL and exemption, once; returns whether anything was made."""
    noah = Registration.objects.filter(
        learner__email="noah@riverside.test", qualification__code="601/3576/1"
    ).first()
    if noah is None or PriorLearning.objects.filter(registration=noah).exists():
        return False
    planned = set(noah.planned_units.values_list("unit__code", flat=True))
    if not {RPL_UNIT, EXEMPT_UNIT, CRITERION_UNIT} <= planned:
        return False
    samir = User.objects.get(email="assessor@riverside.test")
    ada = User.objects.get(email="admin@riverside.test")
    copy = evidence_add(
        registration=noah,
        details=EvidenceDetails(
            "Contact centre certificate (2023)",
            datetime.date(2023, 7, 14),
            EvidenceMethod.RPL,
            "A copy of my certificate from my last job.",
        ),
        files=[
            SimpleUploadedFile("contact-centre-certificate.txt", CERTIFICATE.encode(), "text/plain")
        ],
        declared=True,
        actor=noah.learner,
    )
    rpl_record(
        registration=noah,
        details=PriorDetails(
            Unit.objects.get(code=RPL_UNIT).pk,
            "Level 2 Certificate in Contact Centre Skills, certificate no. CCS-23-55102: its "
            "inbound calls unit covers every criterion of this one.",
            datetime.date(2023, 7, 14),
            copy,
        ),
        actor=samir,
    )
    exemption_record(
        registration=noah,
        details=PriorDetails(
            Unit.objects.get(code=EXEMPT_UNIT).pk,
            "Unit 4 of the Level 2 Award in Customer Handling (certificate no. CH-22-0913), "
            "accepted by ProQual in place of this unit.",
            datetime.date(2022, 5, 20),
        ),
        actor=ada,
    )
    criterion = Criterion.objects.get(unit__code=CRITERION_UNIT, number=CRITERION)
    rpl_items_record(
        registration=noah,
        details=PriorDetails(
            criterion.unit_id,
            "The certificate's customer care unit covered it.",
            datetime.date(2023, 7, 14),
            copy,
        ),
        items=[("criterion", criterion.pk)],
        actor=samir,
    )
    return True
