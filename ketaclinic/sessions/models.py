from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ketaclinic.audit.records import ClinicalRecord


class TreatmentSession(ClinicalRecord):
    """One booked dosing session in a chair; cancelled and missed ones stay on record."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        CANCELLED = "cancelled", _("Cancelled")
        NO_SHOW = "no_show", _("Did not attend")
        COMPLETED = "completed", _("Completed")

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="treatment_sessions")
    plan = models.ForeignKey("treatment.TreatmentPlan", on_delete=models.PROTECT, related_name="sessions")
    chair = models.ForeignKey("clinics.Chair", on_delete=models.PROTECT, related_name="sessions")
    nurse = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    number_in_series = models.PositiveSmallIntegerField()
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(help_text=_("Dosing time plus the minimum observation time."))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    status_reason = models.TextField(blank=True)
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    booked_at = models.DateTimeField()

    class Meta:
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["chair", "starts_at"], name="session_chair_time"),
            models.Index(fields=["patient", "starts_at"], name="session_patient_time"),
            models.Index(fields=["nurse", "starts_at"], name="session_nurse_time"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="session_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"Session {self.number_in_series} at {self.starts_at:%Y-%m-%d %H:%M} ({self.get_status_display()})"

    @property
    def audit_center_id(self) -> int | None:
        return self.patient.center_id


class MonitorDevice(models.Model):
    """A vital-signs monitor allowed to post readings for sessions at its center."""

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    center = models.ForeignKey("clinics.TreatmentCenter", on_delete=models.PROTECT, related_name="monitor_devices")
    label = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True, help_text=_("SHA-256 of the device's token."))
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.label


class VitalSign(ClinicalRecord):
    """One set of readings during a session, by hand or from a monitor, with the alerts it raised."""

    class Source(models.TextChoices):
        HAND = "hand", _("Entered by hand")
        DEVICE = "device", _("Monitor")

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="vital_signs")
    measured_at = models.DateTimeField()
    source = models.CharField(max_length=8, choices=Source.choices)
    device = models.ForeignKey(MonitorDevice, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Monitors resend on timeout; the key stops a retry adding a second reading.
    idempotency_key = models.CharField(max_length=100)
    systolic_mmhg = models.PositiveSmallIntegerField(null=True, blank=True)
    diastolic_mmhg = models.PositiveSmallIntegerField(null=True, blank=True)
    heart_rate_bpm = models.PositiveSmallIntegerField(null=True, blank=True)
    spo2_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    respiratory_rate = models.PositiveSmallIntegerField(null=True, blank=True)
    moaas = models.PositiveSmallIntegerField(null=True, blank=True)
    alerts = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["measured_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["session", "idempotency_key"], name="vital_sign_idempotent"),
        ]

    def __str__(self) -> str:
        return f"Vitals at {self.measured_at:%H:%M}"

    @property
    def audit_patient_id(self) -> int | None:
        return self.session.patient_id

    @property
    def audit_center_id(self) -> int | None:
        return self.session.patient.center_id


class PreSessionCheck(ClinicalRecord):
    """The checklist before a dose; the session may start only when it passes or is overridden."""

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="checks")
    items = models.JSONField(help_text=_("Item -> {ok, how}: each answer and where it came from."))
    overrides = models.JSONField(default=dict, blank=True, help_text=_("Item -> {reason, by, at}."))
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    checked_at = models.DateTimeField()

    class Meta:
        ordering = ["-checked_at"]

    def __str__(self) -> str:
        return f"Checklist {self.checked_at:%Y-%m-%d %H:%M}"

    @property
    def open_items(self) -> list[str]:
        return [item for item, answer in self.items.items() if not answer["ok"] and item not in self.overrides]

    @property
    def passed(self) -> bool:
        return not self.open_items

    @property
    def audit_patient_id(self) -> int | None:
        return self.session.patient_id

    @property
    def audit_center_id(self) -> int | None:
        return self.session.patient.center_id


class RemsEnrollment(ClinicalRecord):
    """The patient's enrollment in the esketamine REMS, submitted before the first treatment."""

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="rems_enrollments")
    enrollment_reference = models.CharField(max_length=64, help_text=_("The REMS patient or form identifier."))
    enrolled_on = models.DateField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-enrolled_on"]

    def __str__(self) -> str:
        return f"REMS {self.enrollment_reference} ({self.enrolled_on})"
