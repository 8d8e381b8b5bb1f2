from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ketaclinic.audit.records import ClinicalRecord
from ketaclinic.patients.models import TreatmentRoute


class TreatmentPlan(ClinicalRecord):
    """One signed version of a patient's plan; a change is a new version, the old one stays."""

    class Phase(models.TextChoices):
        EVALUATION = "evaluation", _("Evaluation")
        INDUCTION = "induction", _("Induction")
        MAINTENANCE = "maintenance", _("Maintenance")
        # Paused by the prescriber (illness, a pregnancy test, travel): nothing is dosed until a new version.
        ON_HOLD = "on_hold", _("On hold")
        ENDED = "ended", _("Ended")

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="treatment_plans")
    version = models.PositiveIntegerField()
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    decision = models.ForeignKey(
        "intake.EligibilityDecision",
        on_delete=models.PROTECT,
        related_name="plans",
        help_text=_("The signed 'eligible' decision for this route that the plan rests on."),
    )
    indication = models.CharField(max_length=200)
    route = models.CharField(max_length=32, choices=TreatmentRoute.choices)
    protocol_key = models.CharField(max_length=64)
    protocol_library_version = models.CharField(max_length=40)
    protocol_settings = models.JSONField(help_text=_("The protocol's settings as this plan uses them, with sources."))
    mg_per_kg = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    cap_mg = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    fixed_dose_mg = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    planned_sessions = models.PositiveSmallIntegerField()
    min_spacing_days = models.PositiveSmallIntegerField()
    monitoring_interval_minutes = models.PositiveSmallIntegerField()
    min_observation_minutes = models.PositiveSmallIntegerField()
    measurement_instruments = models.JSONField(default=list, blank=True)
    goals = models.TextField()
    phase = models.CharField(max_length=12, choices=Phase.choices, default=Phase.EVALUATION)
    phase_since = models.DateField()
    ended_reason = models.TextField(blank=True)
    re_evaluation_due_on = models.DateField()
    change_reason = models.TextField(blank=True, help_text=_("Why this version replaced the previous one."))
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField()
    content_sha256 = models.CharField(max_length=64)
    # A cap above the protocol's mg ceiling rests on a medical director's own signed sign-off.
    ceiling_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ceiling_approved_at = models.DateTimeField(null=True, blank=True)
    ceiling_approval_reason = models.TextField(
        blank=True, help_text=_("Why the medical director allowed a cap above the protocol's ceiling.")
    )

    class Meta:
        ordering = ["patient", "-version"]
        constraints = [models.UniqueConstraint(fields=["patient", "version"], name="plan_version_unique")]
        indexes = [models.Index(fields=["re_evaluation_due_on"], name="plan_reevaluation_due")]

    def __str__(self) -> str:
        return f"Plan v{self.version} ({self.get_route_display()}, {self.get_phase_display()})"

    def get_absolute_url(self) -> str:
        return reverse("treatment:plan", kwargs={"patient_id": self.patient.external_id, "plan_id": self.external_id})

    @property
    def is_current(self) -> bool:
        return self.superseded_by_id_or_none() is None

    def superseded_by_id_or_none(self) -> int | None:
        """The id of the version that replaced this one (a reverse one-to-one raises when absent)."""
        try:
            return self.superseded_by.pk
        except TreatmentPlan.DoesNotExist:
            return None
