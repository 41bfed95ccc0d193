"""A learner's records as plain data for their subject-access export, one document per part.

What a learner is given (decision 15): everything about them and their work, including what
staff wrote about it (staff are named, as they acted in their role, but their e-mail addresses
are not given); witnesses' testimony about them, but not the witnesses' e-mail addresses; the
invitations sent to them; the login records kept under their address, with the network
addresses the attempts came from; nothing about other learners; no secrets (password hashes,
link tokens, session keys).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from assessment.models import Decision, RequirementShown, SufficiencyRecord, UnitSignOff
from iqa.models import Action, PlanItem, Sample
from portal.archives import StoredFile, safe_name
from portal.models import AuditEntry, Invitation, User
from portfolios.models import (
    EvidenceFile,
    Mapping,
    PriorLearning,
    PriorLearningItem,
    QuestionSet,
    WitnessRequest,
)
from privacy.logins import session_ends
from privacy.records import LearnerRecords

WITHHELD = [
    "Your password: the portal keeps only a one-way hash of it, which is not given.",
    "Staff members' e-mail addresses: assessors, IQAs and centre admins are named, as they "
    "acted in their role, but their contact details are theirs.",
    "Witnesses' e-mail addresses: you gave them when you asked for testimony; the testimony "
    "about you, with the witness's name, role and confirmation, is given.",
    "The secret of each witness link: only its hash is stored, and it opens nothing now.",
    "Other learners: sampling plans and reports that cover several learners are not given; "
    "the parts about your work (planned units, samples of your work) are.",
    "IQA PDFs: the IQA samples of your work are given as data (iqa.json) instead.",
    "The secret of each invitation link: only its hash is stored, and it opens nothing once "
    "the invitation is accepted or withdrawn.",
    "Your sessions' keys: a session key lets whoever holds it act as you while the session "
    "lasts; when each session ends is given. A session holds nothing else about you but your "
    "account's id.",
    "The form each counted failed login sent, as django-axes keeps it: the password and the "
    "address masked, and the page's anti-forgery token; the address typed is given.",
]


def logs_said() -> str:
    """Whether django-axes logs every login and every failure, as the settings say now."""
    logins = "kept" if not settings.AXES_DISABLE_ACCESS_LOG else "not kept"
    failures = "kept" if getattr(settings, "AXES_ENABLE_ACCESS_FAILURE_LOG", False) else "not kept"
    return (
        f"As the portal is set up now, a log of successful logins is {logins}, and a log of "
        f"each failed login is {failures}; whatever either log holds under your address is "
        "given."
    )


def login_records_said() -> list[str]:
    """What the portal keeps about logins, as the README and the manifest of every export say."""
    cool_off = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return [
        "Failed logins: to slow down password guessing, the portal counts failed logins under "
        "each e-mail address from each network address (django-axes). Such a record holds the "
        "address typed, the network address and the browser the attempt came from, and when. "
        f"It counts for {cool_off} minutes; the first login or failed login to the portal after "
        "that deletes it, and a successful login from the same network address deletes it at "
        "once. An attempt under your address may have been made by someone else.",
        logs_said(),
        "Your last login is in account.json. While you are logged in, the portal keeps a "
        f"session, which ends after {settings.SESSION_IDLE_MINUTES} minutes without a request; "
        "the table keeps an ended session until an operator clears ended sessions out.",
        "Login records belong to the portal, not to a centre: an export of one centre's "
        "records has none.",
    ]


def name_of(user: User | None) -> str | None:
    return user.full_name if user is not None else None


# How a criterion (or range or knowledge item) met through RPL is said (decision 54).
ITEM_RPL = "Met through recognition of prior learning (RPL)"


TARGETS = ("criterion__unit", "range_item__unit", "knowledge_item__unit")


def target_of(row: Decision | Mapping | PriorLearningItem) -> str:
    """`F/506/2131 1.1 Describe ...`: the unit and the item, as the catalogue prints them."""
    target = row.target
    unit = getattr(target, "unit", None)
    return f"{unit.code if unit else ''} {target}".strip()


@dataclass
class Collected:
    documents: dict[str, Any] = field(default_factory=dict)  # path: data
    files: list[StoredFile] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def rows(queryset: QuerySet[Any], *related: str) -> list[Any]:
    return list(queryset.select_related(*related).order_by("pk"))


def account(records: LearnerRecords) -> dict[str, Any]:
    user = records.learner
    return {
        "id": user.pk,
        "email": user.email,
        "full_name": user.full_name,
        # Their identity as centres recorded it for awarding organisations.
        "legal_first_names": user.legal_first_names,
        "legal_last_name": user.legal_last_name,
        "date_of_birth": user.date_of_birth,
        "sex": user.get_sex_display(),
        "postcode": user.postcode,
        "uln": user.uln,
        "date_joined": user.date_joined,
        "last_login": user.last_login,
        "is_active": user.is_active,
        "roles": [
            {"centre": role.centre.name, "role": role.label, "since": role.created_at}
            for role in records.roles.order_by("pk")
        ],
    }


def registrations(records: LearnerRecords) -> list[dict[str, Any]]:
    found = []
    for r in records.registrations.select_related(
        "centre", "qualification", "assessor", "iqa", "created_by"
    ).order_by("pk"):
        units = r.planned_units.select_related("unit").order_by("unit__code")
        found.append(
            {
                "id": r.pk,
                "centre": r.centre.name,
                "qualification": {
                    "code": r.qualification.code,
                    "number": r.qualification.number,
                    "title": r.qualification.title,
                },
                "assessor": name_of(r.assessor),
                "iqa": name_of(r.iqa),
                "ao_registration_number": r.ao_registration_number,
                "funding": r.get_funding_display(),
                "start_date": r.start_date,
                "planned_end_date": r.planned_end_date,
                "status": r.get_status_display(),
                "registered_at": r.created_at,
                "registered_by": name_of(r.created_by),
                "units_chosen": [
                    {
                        "code": u.unit.code,
                        "reference": u.unit.reference,
                        "title": u.unit.title,
                        "mandatory": u.mandatory,
                    }
                    for u in units
                ],
            }
        )
    return found


def file_path(row: EvidenceFile) -> str:
    safe = safe_name(row.original_name, row.content_type)
    return f"evidence/{row.registration_id}/{row.evidence_id}/{row.pk}-{safe}"


def evidence(records: LearnerRecords, collected: Collected) -> list[dict[str, Any]]:
    files: dict[int, list[EvidenceFile]] = {}
    for row in records.files.select_related("uploaded_by").order_by("pk"):
        files.setdefault(row.evidence_id, []).append(row)
    mappings: dict[int, list[Mapping]] = {}
    for m in records.mappings.select_related(
        "criterion__unit", "range_item__unit", "knowledge_item__unit", "proposed_by", "reviewed_by"
    ).order_by("pk"):
        mappings.setdefault(m.evidence_id, []).append(m)
    comments: dict[int, list[dict[str, Any]]] = {}
    for c in records.comments.select_related("author").order_by("created_at", "pk"):
        comments.setdefault(c.evidence_id, []).append(
            {
                "by": name_of(c.author),
                "as": c.get_author_kind_display(),
                "at": c.created_at,
                "text": c.text,
            }
        )
    found = []
    for item in rows(records.evidence, "created_by"):
        for row in files.get(item.pk, []):
            what = f"a file of evidence item {item.pk}, uploaded as {row.original_name!r}"
            collected.files.append(
                StoredFile(file_path(row), row.file.name or "", what, row.sha256)
            )
        found.append(
            {
                "id": item.pk,
                "registration": item.registration_id,
                "title": item.title,
                "date": item.occurred_on,
                "method": item.get_method_display(),
                "description": item.description,
                "declared_own_work_at": item.declared_at,
                "added_by": name_of(item.created_by),
                "added_at": item.created_at,
                "judged_at": item.judged_at,
                # On an assessor's record: when the learner agreed it is a true record.
                "agreed_true_by_learner_at": item.acknowledged_at,
                "files": [
                    {
                        "id": row.pk,
                        "original_name": row.original_name,
                        "in_this_export": file_path(row),
                        "size": row.size,
                        "content_type": row.content_type,
                        "sha256": row.sha256,
                        "uploaded_by": name_of(row.uploaded_by),
                        "uploaded_at": row.uploaded_at,
                    }
                    for row in files.get(item.pk, [])
                ],
                "mappings": [mapping(m) for m in mappings.get(item.pk, [])],
                "comments": comments.get(item.pk, []),
            }
        )
    return found


def mapping(m: Mapping) -> dict[str, Any]:
    return {
        "item": target_of(m),
        "status": m.get_status_display(),
        "proposed_by": name_of(m.proposed_by),
        "proposed_at": m.proposed_at,
        "reviewed_by": name_of(m.reviewed_by),
        "reviewed_at": m.reviewed_at,
        "feedback": m.feedback,
    }


def decision(d: Decision) -> dict[str, Any]:
    return {
        "id": d.pk,
        "registration": d.registration_id,
        "item": target_of(d),
        "outcome": d.get_outcome_display(),
        "method": d.get_method_display(),
        "assessed_on": d.assessed_on,
        "feedback": d.feedback,
        "evidence": sorted(e.pk for e in d.evidence.all()),
        "decided_by": name_of(d.decided_by),
        "decided_at": d.decided_at,
        "provisional": d.provisional,
        "countersigned_by": name_of(d.countersigned_by),
        "countersigned_at": d.countersigned_at,
        "current": d.current,
    }


def sign_off(s: UnitSignOff) -> dict[str, Any]:
    return {
        "id": s.pk,
        "registration": s.registration_id,
        "unit": s.unit.code,
        "signed_off_by": name_of(s.signed_by),
        "signed_off_at": s.signed_at,
        "assessor_signature": s.signature,
        "your_signature": s.learner_signature,
        "you_signed_at": s.learner_signed_at,
        "unlocked_by": name_of(s.unlocked_by),
        "unlocked_at": s.unlocked_at,
        "unlock_reason": s.unlock_reason,
    }


def withdrawal(r: RequirementShown | SufficiencyRecord) -> dict[str, Any]:
    return {
        "withdrawn_by": name_of(r.withdrawn_by),
        "withdrawn_at": r.withdrawn_at,
        "withdraw_reason": r.withdraw_reason,
    }


def requirement_shown(r: RequirementShown) -> dict[str, Any]:
    return {
        "id": r.pk,
        "registration": r.registration_id,
        "unit": r.unit.code,
        "requirement_item": r.reference,
        "evidence": sorted(e.pk for e in r.evidence.all()),
        "recorded_by": name_of(r.recorded_by),
        "recorded_at": r.recorded_at,
        **withdrawal(r),
    }


def sufficiency_record(r: SufficiencyRecord) -> dict[str, Any]:
    return {
        "id": r.pk,
        "registration": r.registration_id,
        "unit": r.unit.code,
        "measure": r.measure,
        "evidence": r.evidence_id,
        "description": r.description,
        "recorded_by": name_of(r.recorded_by),
        "recorded_at": r.recorded_at,
        **withdrawal(r),
    }


def prior(r: PriorLearning | PriorLearningItem) -> dict[str, Any]:
    """A unit (or one item of it) met through RPL, or exempt (decisions 50 and 54)."""
    if isinstance(r, PriorLearning):
        what = {"unit": r.unit.code, "kind": r.get_kind_display()}
    else:
        what = {"unit": r.unit.code, "item": target_of(r), "kind": ITEM_RPL}
    return {
        "id": r.pk,
        "registration": r.registration_id,
        **what,
        "prior_learning": r.description,
        "achieved_on": r.achieved_on,
        "evidence": r.evidence_id,
        "agreed_by": name_of(r.agreed_by),
        "agreed_at": r.agreed_at,
        "withdrawn_by": name_of(r.withdrawn_by),
        "withdrawn_at": r.withdrawn_at,
        "withdrawal_reason": r.withdrawal_reason,
    }


def assessment(records: LearnerRecords) -> dict[str, Any]:
    decisions = records.decisions.select_related(
        "criterion__unit",
        "range_item__unit",
        "knowledge_item__unit",
        "decided_by",
        "countersigned_by",
    ).prefetch_related("evidence")
    sign_offs = records.sign_offs.select_related("unit", "signed_by", "unlocked_by")
    return {
        "decisions": [decision(d) for d in decisions.order_by("pk")],
        "sign_offs": [sign_off(s) for s in sign_offs.order_by("pk")],
        "requirements_shown": [
            requirement_shown(r)
            for r in records.requirements_shown.select_related(
                "unit", "recorded_by", "withdrawn_by"
            )
            .prefetch_related("evidence")
            .order_by("pk")
        ],
        "sufficiency_records": [
            sufficiency_record(r)
            for r in records.sufficiency_records.select_related(
                "unit", "recorded_by", "withdrawn_by"
            ).order_by("pk")
        ],
        "prior_learning": [
            prior(r)
            for r in records.prior_learning.select_related(
                "unit", "agreed_by", "withdrawn_by"
            ).order_by("pk")
        ]
        + [
            prior(r)
            for r in records.prior_learning_items.select_related(
                "unit", "agreed_by", "withdrawn_by", *TARGETS
            ).order_by("pk")
        ],
    }


def question_set(q: QuestionSet) -> dict[str, Any]:
    return {
        "id": q.pk,
        "registration": q.registration_id,
        "title": q.title,
        "set_by": name_of(q.set_by),
        "set_at": q.set_at,
        "questions_and_answers": [{"question": a, "answer": b} for a, b in q.pairs()],
        "draft_saved_at": q.saved_at,
        "sent_at": q.submitted_at,
        "evidence": q.evidence_id,
    }


def witness(w: WitnessRequest) -> dict[str, Any]:
    return {
        "id": w.pk,
        "registration": w.registration_id,
        "asked_by": name_of(w.requested_by),
        "asked_at": w.requested_at,
        "witness_name": w.witness_name,
        "witness_role": w.witness_role,
        "statement": w.statement,
        "link_expires_at": w.expires_at,
        "confirmed_at": w.confirmed_at,
        "signed_name": w.signed_name,
        "job_title": w.job_title,
        "relationship": w.relationship,
        "signature": w.signature,
        "evidence": w.evidence_id,
    }


def action(a: Action) -> dict[str, Any]:
    return {
        "text": a.text,
        "due_on": a.due_on,
        "status": a.get_status_display(),
        "assessor_response": a.response,
        "responded_at": a.responded_at,
        "closed_by": name_of(a.closed_by),
        "closed_at": a.closed_at,
    }


def sample(s: Sample) -> dict[str, Any]:
    return {
        "id": s.pk,
        "registration": s.registration_id,
        "unit": s.unit.code,
        "stage": s.get_stage_display(),
        "assessor": name_of(s.assessor),
        "rules_of_evidence": {rule: getattr(s, rule) for rule in Sample.RULES_OF_EVIDENCE},
        "verdict": s.get_verdict_display(),
        "feedback": s.feedback,
        "sampled_by": name_of(s.sampled_by),
        "sampled_at": s.sampled_at,
        "decisions_looked_at": sorted(d.pk for d in s.decisions.all()),
        "evidence_looked_at": sorted(e.pk for e in s.evidence.all()),
        "lock_lifted_by": name_of(s.lock_lifted_by),
        "lock_lifted_at": s.lock_lifted_at,
        "lock_lift_reason": s.lock_lift_reason,
        "actions": [action(a) for a in s.actions.all()],
    }


def planned(p: PlanItem) -> dict[str, Any]:
    return {
        "registration": p.registration_id,
        "unit": p.unit.code,
        "stage": p.get_stage_display(),
        "assessor": name_of(p.assessor),
        "iqa": name_of(p.plan.iqa),
        "plan_from": p.plan.starts_on,
        "plan_to": p.plan.ends_on,
    }


def iqa(records: LearnerRecords) -> dict[str, Any]:
    samples = records.samples.select_related(
        "unit", "assessor", "sampled_by", "lock_lifted_by"
    ).prefetch_related("decisions", "evidence", "actions__closed_by")
    items = records.plan_items.select_related("unit", "assessor", "plan__iqa")
    return {
        "planned_for_sampling": [planned(p) for p in items.order_by("pk")],
        "samples": [sample(s) for s in samples.order_by("pk")],
    }


def certificates(records: LearnerRecords, collected: Collected) -> list[dict[str, Any]]:
    found = []
    for c in rows(records.certificates, "issued_by", "revoked_by", "replaces"):
        pdf = f"certificates/{c.number}.pdf" if c.file.name else None
        if pdf:
            what = f"the PDF of certificate {c.number}, as issued"
            collected.files.append(StoredFile(pdf, c.file.name or "", what))
        found.append(
            {
                "number": c.number,
                "kind": c.get_kind_display(),
                "learner_identifier": c.learner_identifier,
                "registration": c.registration_id,
                "what_it_states": c.snapshot,
                "issued_at": c.issued_at,
                "issued_by": name_of(c.issued_by),
                "replaces": c.replaces.number if c.replaces else None,
                "replacement_reason": c.replacement_reason,
                "revoked_at": c.revoked_at,
                "revoked_by": name_of(c.revoked_by),
                "revocation_reason": c.revocation_reason,
                "pdf": pdf,
            }
        )
    return found


def asked(registrations: list[dict[str, Any]], names: dict[int, str]) -> list[dict[str, Any]]:
    """The registrations an invitation asked for, with the assessor and IQA by name."""
    return [
        {**row, **{k: names.get(row[k]) for k in ("assessor", "iqa") if row.get(k)}}
        for row in registrations
    ]


def invitation(i: Invitation, names: dict[int, str]) -> dict[str, Any]:
    return {
        "id": i.pk,
        "centre": i.centre.name,
        "role": i.role_label,
        "name_given": i.full_name,
        "email": i.email,
        "invited_by": name_of(i.invited_by),
        "invited_at": i.created_at,
        "last_sent_at": i.sent_at,
        "link_expires_at": i.expires_at,
        "status": i.status.label,
        "accepted_at": i.accepted_at,
        "withdrawn_at": i.withdrawn_at,
        # What a centre admin's CSV file asked to register them for, and what came of it.
        "registrations_asked_for": asked(i.registrations, names),
    }


def invitations(records: LearnerRecords) -> list[dict[str, Any]]:
    found = list(records.invitations.select_related("centre", "invited_by").order_by("pk"))
    staff = {row.get(k) for i in found for row in i.registrations for k in ("assessor", "iqa")}
    names = dict(User.objects.filter(pk__in=staff - {None}).values_list("pk", "full_name"))
    return [invitation(i, names) for i in found]


def attempt(row: Any, **more: Any) -> dict[str, Any]:
    return {
        "at": row.attempt_time,
        "email_typed": row.username,
        "network_address": row.ip_address,
        "browser": row.user_agent,
        "page": row.path_info,
        **more,
    }


def logins(records: LearnerRecords, sessions: list[str]) -> dict[str, Any]:
    """django-axes' rows under their address, and when their sessions end (not their keys)."""
    counting, logged, failed = (rows.order_by("attempt_time") for rows in records.login_records)
    return {
        "what_is_kept": login_records_said(),
        "failed_logins_counting": [attempt(a, failures=a.failures_since_start) for a in counting],
        "logins": [attempt(a, logged_out_at=a.logout_time) for a in logged],
        "failed_logins": [attempt(a, locked_out=a.locked_out) for a in failed],
        "sessions": [{"ends_at": end} for end in session_ends(sessions)],
    }


def audit_log(records: LearnerRecords) -> list[dict[str, Any]]:
    entries = records.audit_entries()
    actors = {
        u.pk: u.full_name
        for u in User.objects.filter(pk__in={e.actor_id for e in entries if e.actor_id})
    }
    return [entry(e, actors) for e in entries]


def entry(e: AuditEntry, actors: dict[int, str]) -> dict[str, Any]:
    return {
        "id": e.pk,
        "at": e.at,
        "action": e.action,
        "subject": e.subject,
        "by": actors.get(e.actor_id) if e.actor_id else None,
        "before": e.before,
        "after": e.after,
    }


def collect(records: LearnerRecords) -> Collected:
    """Every document of the export, and the stored files to copy beside them."""
    collected = Collected()
    person = account(records)
    invited = invitations(records)
    logged = logins(records, records.session_keys())
    studies = registrations(records)
    items = evidence(records, collected)
    assessed = assessment(records)
    testimony = [
        witness(w) for w in records.witness_requests.select_related("requested_by").order_by("pk")
    ]
    asked = [question_set(q) for q in records.question_sets.select_related("set_by").order_by("pk")]
    quality = iqa(records)
    issued = certificates(records, collected)
    log = audit_log(records)
    collected.documents = {
        "data/account.json": person,
        "data/registrations.json": studies,
        "data/evidence.json": items,
        "data/assessment.json": assessed,
        "data/witness_testimony.json": testimony,
        "data/questions.json": asked,
        "data/iqa.json": quality,
        "data/certificates.json": issued,
        "data/invitations.json": invited,
        "data/logins.json": logged,
        "data/audit_log.json": log,
    }
    collected.counts = {
        "roles": len(person["roles"]),
        "registrations": len(studies),
        "evidence_items": len(items),
        "evidence_files": sum(1 for f in collected.files if f.stored_sha256),
        "decisions": len(assessed["decisions"]),
        "sign_offs": len(assessed["sign_offs"]),
        "requirements_shown": len(assessed["requirements_shown"]),
        "sufficiency_records": len(assessed["sufficiency_records"]),
        "prior_learning": len(assessed["prior_learning"]),
        "witness_requests": len(testimony),
        "question_sets": len(asked),
        "iqa_samples": len(quality["samples"]),
        "certificates": len(issued),
        "certificate_pdfs": sum(1 for f in collected.files if not f.stored_sha256),
        "invitations": len(invited),
        "login_records": sum(
            len(logged[part]) for part in ("failed_logins_counting", "logins", "failed_logins")
        ),
        "sessions": len(logged["sessions"]),
        "audit_entries": len(log),
    }
    return collected
