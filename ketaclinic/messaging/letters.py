"""The consultation summary letter to the referring clinician and primary care provider.

It reads the consultation and its signed decisions (intake) and the current plan (treatment), so it
is written here, above both.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ketaclinic.audit.actions import AuditAction
from ketaclinic.audit.services import audit_change_record
from ketaclinic.clinics.actors import Actor
from ketaclinic.clinics.authorization import require
from ketaclinic.core.errors import RuleViolation
from ketaclinic.core.permissions import Perm
from ketaclinic.intake.assessment import treatment_resistance
from ketaclinic.intake.models import Consultation, EligibilityDecision
from ketaclinic.intake.selectors.consultations import prior_trials_for
from ketaclinic.patients.models import CareTeamMember
from ketaclinic.printing import pdf_from_template, sha256_of
from ketaclinic.treatment.services import plan_current


def consultation_letter_render(*, actor: Actor, consultation: Consultation, recipient: CareTeamMember) -> bytes:
    """Render the letter from the signed record; refused without the patient's consent to share."""
    require(actor, Perm.LETTER_SEND, center_id=consultation.patient.center_id)
    # Always from the record as stored, never from a copy the caller may hold.
    consultation = Consultation.objects.select_related("patient", "patient__center").get(pk=consultation.pk)
    if recipient.patient_id != consultation.patient_id or recipient.is_entered_in_error:
        raise RuleViolation(_("That clinician is not on this patient's care team."), code="not_care_team")
    if not recipient.has_consent_to_share:
        raise RuleViolation(_("The patient has not agreed to share records with this clinician."), code="no_consent")
    decisions = list(
        EligibilityDecision.objects.in_use()
        .filter(consultation=consultation)
        .select_related("signed_by")
        .order_by("route")
    )
    if not decisions:
        raise RuleViolation(_("Sign an eligibility decision before writing to the care team."), code="not_signed")
    trials = prior_trials_for(actor=actor, consultation=consultation)
    context = {
        "consultation": consultation,
        "patient": consultation.patient,
        "center": consultation.patient.center,
        "recipient": recipient,
        "decisions": decisions,
        "resistance": treatment_resistance(consultation, trials),
        "plan": plan_current(patient=consultation.patient),
        "author": actor.user,
        "today": timezone.localdate(),
    }
    pdf = pdf_from_template("intake/letter_pdf.html", context)
    # The letter is not stored: its entry stands alone, in a transaction of its own after the render.
    with transaction.atomic(savepoint=False):
        audit_change_record(
            actor=actor,
            instance=consultation,
            action=AuditAction.CONSULTATION_LETTER_GENERATED,
            changes={
                "recipient": [None, f"{recipient.name} ({recipient.get_role_display()})"],
                "pdf_sha256": [None, sha256_of(pdf)],
            },
        )
    return pdf
