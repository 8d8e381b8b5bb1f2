"""The prescriber's signed eligibility decision for a route, stored with the findings it was made on."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ketaclinic.accounts.signatures import signature_password_check
from ketaclinic.audit.actions import AuditAction
from ketaclinic.audit.services import audit_change_record, changes_between, jsonable, snapshot
from ketaclinic.clinics.actors import Actor
from ketaclinic.clinics.authorization import require
from ketaclinic.core import eligibility
from ketaclinic.core.errors import RuleViolation
from ketaclinic.core.permissions import Perm
from ketaclinic.intake.assessment import consultation_facts
from ketaclinic.intake.models import Consultation, EligibilityDecision
from ketaclinic.validation import validated


def _finding_record(finding: eligibility.EligibilityFinding) -> dict[str, Any]:
    return {
        "rule_id": finding.rule_id,
        "rule_version": finding.rule_version,
        "kind": finding.kind.value,
        "explanation": finding.explanation,
        "source": finding.source,
        "evidence": jsonable(finding.evidence),
    }


def eligibility_decision_sign(
    *,
    actor: Actor,
    consultation: Consultation,
    route: str,
    decision: str,
    reason: str,
    justifications: Mapping[str, str],
    password: str,
) -> EligibilityDecision:
    """Record the prescriber's decision for a route, signed with their password.

    The findings are computed again here, from the record as it stands, and stored with the
    decision. Eligible is refused while a label contraindication stands; every relative
    finding and every rule left unassessed needs a written justification.
    """
    require(actor, Perm.ELIGIBILITY_DECIDE, center_id=consultation.patient.center_id)
    # Checked outside the write's transaction, so a wrong password counts towards the lock.
    signature_password_check(signer=actor.user, password=password)
    return _eligibility_decision_record(
        actor=actor,
        consultation=consultation,
        route=route,
        decision=decision,
        reason=reason,
        justifications=justifications,
    )


@transaction.atomic
def _eligibility_decision_record(
    *,
    actor: Actor,
    consultation: Consultation,
    route: str,
    decision: str,
    reason: str,
    justifications: Mapping[str, str],
) -> EligibilityDecision:
    if not reason.strip():
        raise RuleViolation(_("Give the reason for the decision."), code="reason_required", field="reason")
    consultation = Consultation.objects.select_for_update().select_related("patient").get(pk=consultation.pk)
    evaluation = eligibility.evaluate(consultation_facts(consultation), eligibility.Route(route))
    given = {rule: text.strip() for rule, text in justifications.items() if text.strip()}
    if decision == EligibilityDecision.Decision.ELIGIBLE:
        absolute = [f.rule_id for f in evaluation.findings if f.kind is eligibility.RuleKind.ABSOLUTE]
        if absolute:
            raise RuleViolation(
                _("A label contraindication stands (%(rules)s): this route cannot be marked eligible.")
                % {"rules": ", ".join(absolute)},
                code="absolute_contraindication",
            )
        needing = [f.rule_id for f in evaluation.needing_written_justification] + [
            n.rule_id for n in evaluation.not_assessed
        ]
        missing = [rule for rule in needing if rule not in given]
        if missing:
            raise RuleViolation(
                _("Write why you accept %(rules)s.") % {"rules": ", ".join(missing)}, code="justification_required"
            )
    record = {
        "route": route,
        "decision": decision,
        "reason": reason.strip(),
        "justifications": given,
        "rule_set_version": evaluation.rule_set_version,
        "findings": [_finding_record(f) for f in evaluation.findings],
        "not_assessed": [
            {"rule_id": n.rule_id, "missing_facts": list(n.missing_facts)} for n in evaluation.not_assessed
        ],
        "consultation": str(consultation.external_id),
        "consultation_updated_at": consultation.updated_at.isoformat(),
    }
    signed = EligibilityDecision(
        consultation=consultation,
        route=route,
        decision=decision,
        reason=reason.strip(),
        justifications=given,
        findings={"findings": record["findings"], "not_assessed": record["not_assessed"]},
        rule_set_version=evaluation.rule_set_version,
        signed_by=actor.user,
        signed_at=timezone.now(),
        content_sha256=hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest(),
    )
    validated(signed)
    signed.save()
    if consultation.status != Consultation.Status.SIGNED:
        consultation.status = Consultation.Status.SIGNED
        consultation.save(update_fields=["status", "updated_at"])
    audit_change_record(
        actor=actor,
        instance=signed,
        action=AuditAction.ELIGIBILITY_DECISION_SIGNED,
        changes=changes_between({}, snapshot(signed)),
    )
    return signed
