from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ketaclinic.audit.records import AppendOnlyQuerySet


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
