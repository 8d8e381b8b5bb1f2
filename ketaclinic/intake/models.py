from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ketaclinic.audit.records import AppendOnlyQuerySet, ClinicalRecord
from ketaclinic.patients.models import TreatmentRoute


class ConsultationRequest(models.Model):
    """Someone asked a center for a consultation through its public page."""

    class Status(models.TextChoices):
        NEW = "new", _("New")
        CONTACTED = "contacted", _("Contacted")
        BOOKED = "booked", _("Consultation booked")
        DECLINED = "declined", _("Declined or not reachable")

    class HeardAbout(models.TextChoices):
        CLINICIAN = "clinician", _("My doctor or therapist")
        SEARCH = "search", _("Internet search")
        FRIEND = "friend", _("Friend or family")
        INSURANCE = "insurance", _("My insurance")
        OTHER = "other", _("Other")

    class ContactBy(models.TextChoices):
        PHONE = "phone", _("Phone call")
        TEXT = "text", _("Text message")
        EMAIL = "email", _("Email")

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    center = models.ForeignKey(
        "clinics.TreatmentCenter", on_delete=models.PROTECT, related_name="consultation_requests"
    )
    given_name = models.CharField(_("first name"), max_length=100)
    family_name = models.CharField(_("last name"), max_length=100)
    date_of_birth = models.DateField(null=True, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    email = models.EmailField(blank=True)
    contact_by = models.CharField(max_length=8, choices=ContactBy.choices, default=ContactBy.PHONE)
    preferred_language = models.CharField(max_length=8, default="en")
    reason = models.TextField(_("what brings you to us"), max_length=2000)
    heard_about = models.CharField(max_length=12, choices=HeardAbout.choices, blank=True)
    referring_clinician = models.CharField(max_length=200, blank=True)
    has_consent_to_contact = models.BooleanField(default=False)
    received_at = models.DateTimeField()
    ip = models.GenericIPAddressField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    staff_note = models.TextField(blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, null=True, blank=True, related_name="consultation_requests"
    )
    consultation_at = models.DateTimeField(null=True, blank=True)
    consultation_with = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["center", "status", "-received_at"], name="inquiry_center_status"),
            models.Index(fields=["ip", "received_at"], name="inquiry_ip_time"),
        ]

    def __str__(self) -> str:
        return f"{self.family_name}, {self.given_name} ({self.get_status_display()})"

    @classmethod
    def from_db(cls, db: str | None, field_names: Any, values: Any, *, fetch_mode: Any = None) -> ConsultationRequest:
        instance = super().from_db(db, field_names, values, fetch_mode=fetch_mode)
        from ketaclinic.audit.access import person_loaded

        person_loaded(instance)
        return instance

    @property
    def audit_patient_id(self) -> int | None:
        return self.patient_id

    @property
    def audit_center_id(self) -> int | None:
        return self.center_id

    @property
    def display_name(self) -> str:
        return f"{self.family_name}, {self.given_name}"


class EpisodeSeverityChoice(models.TextChoices):
    SUBSYNDROMAL = "subsyndromal", _("Subsyndromal")
    MILD = "mild", _("Mild")
    MODERATE = "moderate", _("Moderate")
    SEVERE_WITHOUT_PSYCHOSIS = "severe_without_psychosis", _("Severe, without psychosis")
    SEVERE_WITH_PSYCHOSIS = "severe_with_psychosis", _("Severe, with psychosis")


class Consultation(ClinicalRecord):
    """The prescriber's consultation: history, medications, prior trials and baseline vitals."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SIGNED = "signed", _("Signed")

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="consultations")
    prescriber = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    presenting_problem = models.TextField(blank=True)
    diagnosis_codes = models.JSONField(default=list, blank=True, help_text=_("ICD-10-CM codes, e.g. F33.2."))
    prior_suicide_attempts = models.PositiveSmallIntegerField(null=True, blank=True)
    episode_duration_months = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text=_("Length of the current episode, for Maudsley staging.")
    )
    episode_severity = models.CharField(max_length=32, choices=EpisodeSeverityChoice.choices, blank=True)
    has_had_ect = models.BooleanField(null=True, blank=True, verbose_name=_("had ECT in this episode"))
    history = models.JSONField(default=dict, blank=True, help_text=_("Fact name -> true / false; absent = not asked."))
    medications = models.TextField(blank=True, help_text=_("Current medications with doses, one per line."))
    medication_classes = models.JSONField(default=list, blank=True)
    are_medications_reconciled = models.BooleanField(default=False)
    systolic_mmhg = models.PositiveSmallIntegerField(null=True, blank=True)
    diastolic_mmhg = models.PositiveSmallIntegerField(null=True, blank=True)
    heart_rate_bpm = models.PositiveSmallIntegerField(null=True, blank=True)
    weight_kg = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    height_cm = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"Consultation {self.started_at:%Y-%m-%d} ({self.get_status_display()})"

    @property
    def bmi(self) -> Decimal | None:
        if not self.weight_kg or not self.height_cm:
            return None
        metres = self.height_cm / 100
        return (self.weight_kg / (metres * metres)).quantize(Decimal("0.1"))


class AboutItsConsultation:
    """Rows of a consultation: the audit trail files them under the consultation's patient."""

    consultation: Consultation

    @property
    def audit_patient_id(self) -> int | None:
        return self.consultation.patient_id

    @property
    def audit_center_id(self) -> int | None:
        return self.consultation.patient.center_id


class PriorTrial(AboutItsConsultation, ClinicalRecord):
    """One antidepressant (or augmentation) trial the patient had before."""

    class Outcome(models.TextChoices):
        NON_RESPONSE = "non_response", _("No response")
        PARTIAL_RESPONSE = "partial_response", _("Partial response")
        RESPONSE = "response", _("Response")
        REMISSION = "remission", _("Remission")
        UNKNOWN = "unknown", _("Unknown")

    class Role(models.TextChoices):
        ANTIDEPRESSANT = "antidepressant", _("Antidepressant")
        AUGMENTATION = "augmentation", _("Augmentation")

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    consultation = models.ForeignKey(Consultation, on_delete=models.PROTECT, related_name="prior_trials")
    drug = models.CharField(max_length=100)
    # From core/rules/antidepressants.yaml; the text above is kept as typed. Blank = not coded
    # (trials recorded before the list, or a name not in it): not counted toward resistance until reviewed.
    drug_code = models.CharField(
        max_length=40, blank=True, help_text=_("rxnorm:<RXCUI> or local:<ingredient> from the coded drug list.")
    )
    daily_dose_mg = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    weeks_at_dose = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    is_dose_adequate = models.BooleanField(null=True, blank=True)
    is_adherent = models.BooleanField(null=True, blank=True)
    is_current_episode = models.BooleanField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.UNKNOWN)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.ANTIDEPRESSANT)
    improvement_percent = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    stopped_for_intolerance = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.drug


class EligibilityDecision(AboutItsConsultation, ClinicalRecord):
    """The prescriber's signed decision for one route, with the findings it was made on."""

    class Decision(models.TextChoices):
        ELIGIBLE = "eligible", _("Eligible")
        NOT_ELIGIBLE = "not_eligible", _("Not eligible")
        NEEDS_CLEARANCE = "needs_clearance", _("Needs medical clearance")

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    consultation = models.ForeignKey(Consultation, on_delete=models.PROTECT, related_name="decisions")
    route = models.CharField(max_length=32, choices=TreatmentRoute.choices)
    decision = models.CharField(max_length=16, choices=Decision.choices)
    reason = models.TextField()
    justifications = models.JSONField(default=dict, blank=True, help_text=_("Rule id -> why it was accepted."))
    findings = models.JSONField(help_text=_("Every finding and unassessed rule at the time, with rule versions."))
    rule_set_version = models.CharField(max_length=40)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField()
    content_sha256 = models.CharField(max_length=64, help_text=_("Hash of what was signed."))

    class Meta:
        ordering = ["-signed_at"]

    def __str__(self) -> str:
        return f"{self.route}: {self.get_decision_display()}"
