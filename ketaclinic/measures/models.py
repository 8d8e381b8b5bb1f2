from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ketaclinic.audit.records import AboutOnePatient, AppendOnlyQuerySet, ClinicalRecord


class ResponseSource(models.TextChoices):
    PATIENT = "patient", _("Patient (own device or waiting-room tablet)")
    STAFF = "staff", _("Staff, reading the questions to the patient")
    CLINICIAN = "clinician", _("Clinician rating")


class QuestionnaireResponse(ClinicalRecord):
    """One administration of a rating scale: raw answers, and the verdict with the rule it used."""

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETED = "completed", _("Completed")

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="questionnaire_responses")
    instrument_code = models.CharField(max_length=32)
    instrument_version = models.CharField(max_length=64)
    language = models.CharField(max_length=8, default="en")
    source = models.CharField(max_length=12, choices=ResponseSource.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.IN_PROGRESS)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answers = models.JSONField(default=dict, help_text=_("Item number -> raw option value, as answered."))
    started_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    scoring_rule_version = models.CharField(max_length=64, blank=True)
    total = models.IntegerField(null=True, blank=True)
    severity = models.CharField(max_length=40, blank=True)
    severity_label = models.CharField(max_length=80, blank=True)
    completeness = models.CharField(max_length=12, blank=True)
    flags = models.JSONField(default=list, blank=True)
    verdict = models.JSONField(
        default=dict, blank=True, help_text=_("Reasons, thresholds and settings the score was computed with.")
    )
    due = models.ForeignKey(
        "measures.MeasurementDue", on_delete=models.PROTECT, null=True, blank=True, related_name="responses"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-completed_at", "-started_at"]
        indexes = [
            models.Index(fields=["patient", "instrument_code", "completed_at"], name="response_patient_scale"),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_code} {self.total if self.total is not None else '-'} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse(
            "measures:response", kwargs={"patient_id": self.patient.external_id, "response_id": self.external_id}
        )

    @property
    def answers_by_item(self) -> dict[int, int | None]:
        return {int(number): value for number, value in self.answers.items()}

    @property
    def band_is_minimum(self) -> bool:
        """Unanswered items could still raise the band (an unfinished C-SSRS)."""
        return bool(self.verdict.get("band_could_rise_to"))

    @property
    def band_display(self) -> str:
        """The band as every page shows it: an unfinished screen reads "Incomplete, at least ..."."""
        label = self.severity_label or self.severity
        if label and self.band_is_minimum:
            return gettext("Incomplete, at least %(band)s") % {"band": label}
        return label


class MeasurementDue(AboutOnePatient, models.Model):
    """A questionnaire a patient should complete by a date, from their measurement schedule."""

    class Kind(models.TextChoices):
        BASELINE = "baseline", _("Baseline")
        PRE_SESSION = "pre_session", _("Before a treatment session")
        DAY_AFTER_FIRST = "day_after_first", _("Day after the first session")
        INDUCTION_WEEKLY = "induction_weekly", _("Weekly during induction")
        MAINTENANCE_MONTHLY = "maintenance_monthly", _("Monthly in maintenance")

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="measurements_due")
    instrument_code = models.CharField(max_length=32)
    kind = models.CharField(max_length=24, choices=Kind.choices)
    due_on = models.DateField()
    overdue_after_days = models.PositiveSmallIntegerField(default=0)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_reason = models.CharField(max_length=200, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "instrument_code"]
        indexes = [
            models.Index(fields=["patient", "due_on"], name="due_patient_date"),
            models.Index(fields=["due_on"], name="due_open", condition=models.Q(completed_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_code} due {self.due_on} ({self.get_kind_display()})"


class QuestionnaireLink(AboutOnePatient, models.Model):
    """A single-use, expiring link that opens one questionnaire for one patient.

    Only a hash of the token is stored: the link itself exists only in the QR code, the
    message sent to the patient, or the page shown to the staff member who made it.
    """

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    token_hash = models.CharField(max_length=64, unique=True)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="questionnaire_links")
    instrument_code = models.CharField(max_length=32)
    language = models.CharField(max_length=8, default="en")
    due = models.ForeignKey(MeasurementDue, on_delete=models.PROTECT, null=True, blank=True, related_name="links")
    response = models.OneToOneField(
        QuestionnaireResponse, on_delete=models.PROTECT, null=True, blank=True, related_name="link"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    identity_confirmed_at = models.DateTimeField(null=True, blank=True)
    failed_identity_attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.instrument_code} link for patient {self.patient_id}"


class InstrumentWording(models.Model):
    """Licensed item wording a center admin loaded for an instrument shipped without it.

    Each load is a new row; the newest for an organization, instrument and language is used.
    """

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("clinics.Organization", on_delete=models.PROTECT, related_name="+")
    instrument_code = models.CharField(max_length=32)
    language = models.CharField(max_length=8, default="en")
    instructions = models.TextField(blank=True)
    item_texts = models.JSONField(help_text=_("Item number -> wording as licensed."))
    option_labels = models.JSONField(
        default=dict,
        blank=True,
        help_text=_("Item number -> answer value -> label, where they differ from the bundle."),
    )
    licence_reference = models.CharField(
        max_length=200, help_text=_("The licence or agreement that allows this wording, e.g. a permission letter.")
    )
    loaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    loaded_at = models.DateTimeField(auto_now_add=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-loaded_at"]
        indexes = [
            models.Index(fields=["organization", "instrument_code", "language", "-loaded_at"], name="wording_latest")
        ]

    def __str__(self) -> str:
        return f"{self.instrument_code} ({self.language}) wording loaded {self.loaded_at:%Y-%m-%d}"


class OutgoingMessage(models.Model):
    """A reminder to send by email or text message, kept as a record of what was sent."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        SMS = "sms", _("Text message")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    due = models.ForeignKey(MeasurementDue, on_delete=models.PROTECT, null=True, blank=True, related_name="messages")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    to = models.CharField(max_length=254)
    subject = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="message_status")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} to patient {self.patient_id}: {self.get_status_display()}"
