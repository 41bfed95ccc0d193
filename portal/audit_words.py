"""What each audit entry's action means, in the words of the people who read history pages:
the codes (`decision.recorded`) are for the log and its tools, never shown as they are."""

from __future__ import annotations

ACTION_WORDS: dict[str, str] = {
    "account.notification_email": "E-mail choice for notifications changed",
    "account.password_reset": "Password changed",
    "audit.redacted": "Personal details removed after the retention period",
    "certificate.claimed": "Certificate claimed",
    "certificate.held": "Claim held by the external quality assurer",
    "certificate.released": "Claim released by the external quality assurer",
    "certificate.render_retried": "Certificate PDF made again",
    "certificate.replaced": "Certificate replaced",
    "certificate.revoked": "Certificate revoked",
    "certification.portfolio_pack_downloaded": "Portfolio pack downloaded",
    "certification.results_exported": "Results file for the awarding organisation exported",
    "decision.countersigned": "Decision countersigned",
    "decision.returned": "Decision returned to the trainee",
    "decision.recorded": "Decision made",
    "direct_claims.granted": "Direct Claims Status recorded for the centre",
    "direct_claims.withdrawn": "Direct Claims Status withdrawn",
    "eqa.access_granted": "External quality assurer given access",
    "eqa.access_moved": "External quality assurer's access window changed",
    "eqa.reported": "External quality assurer's report recorded",
    "eqa.sampled": "Sampled by the external quality assurer",
    "eqa.viewed": "Viewed by the external quality assurer",
    "evidence.acknowledged": "Assessor's record agreed by the learner as true",
    "evidence.added": "Evidence added",
    "evidence.commented": "Comment on the evidence",
    "evidence.edited": "Evidence details changed",
    "evidence.recorded": "Assessor's record added",
    "evidence.removed": "Evidence removed",
    "evidence.written": "Reflective account written",
    "invitation.accepted": "Invitation accepted",
    "invitation.created": "Invitation sent",
    "invitation.resent": "Invitation sent again",
    "invitation.withdrawn": "Invitation withdrawn",
    "registration.staff_changed": "Assessor or IQA changed",
    "registration.unit_assessor_changed": "A unit's assessor changed",
    "registration.withdrawn": "Registration withdrawn",
    "person.deactivated": "Access to the centre ended (a leaver)",
    "person.reactivated": "Access to the centre given back",
    "iqa.action_closed": "IQA action closed",
    "iqa.action_not_accepted": "IQA did not accept the answer to an action",
    "iqa.action_responded": "Assessor answered an IQA action",
    "iqa.lock_lifted": "Lock after IQA sampling lifted",
    "iqa.plan_generated": "Sampling plan made",
    "iqa.plan_item_added": "Work added to a sampling plan",
    "iqa.plan_item_removed": "Work removed from a sampling plan",
    "iqa.sampled": "Sampled by the IQA",
    "iqa.strategy_saved": "Sampling strategy changed",
    "learner.identity_changed": "Learner's details changed",
    "mapping.confirmed": "Evidence link confirmed by the assessor",
    "mapping.proposed": "Evidence linked by the learner",
    "mapping.rejected": "Evidence link rejected by the assessor",
    "privacy.anonymised": "Learner's personal details removed",
    "privacy.retention_applied": "Records past the retention period anonymised",
    "privacy.subject_access_exported": "Copy of the learner's records exported",
    "registration.created": "Learner registered",
    "registration.funding_changed": "Funding changed",
    "registration.rules_transferred": "Moved to the current rules of combination",
    "registration.units_chosen": "Optional units chosen",
    "unit.learner_countersigned": "Unit countersigned by the learner",
    "unit.signed_off": "Unit signed off by the assessor",
    "unit.unlocked": "Unit unlocked by a centre admin",
    "witness.confirmed": "Witness statement signed",
    "witness.requested": "Witness asked for a statement",
}


def action_words(action: str) -> str:
    """The action in words; one not in the table (a code added without words, which a test
    forbids) is still shown as words, never as a code."""
    if found := ACTION_WORDS.get(action):
        return found
    return action.replace(".", " ").replace("_", " ").capitalize()
