from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ketaclinic.audit.records import AboutOnePatient, AppendOnlyQuerySet, ClinicalRecord


class SexAtBirth(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    INTERSEX = "intersex", _("Intersex")
    UNKNOWN = "unknown", _("Unknown")
    NOT_DISCLOSED = "not_disclosed", _("Prefers not to say")


class GenderIdentity(models.TextChoices):
    WOMAN = "woman", _("Woman")
    MAN = "man", _("Man")
    NON_BINARY = "non_binary", _("Non-binary")
    TRANSGENDER_WOMAN = "transgender_woman", _("Transgender woman")
    TRANSGENDER_MAN = "transgender_man", _("Transgender man")
    OTHER = "other", _("Another identity")
    NOT_DISCLOSED = "not_disclosed", _("Prefers not to say")


class Language(models.TextChoices):
    """Languages patients in Orange County most often ask for; a center can serve more."""

    ENGLISH = "en", _("English")
    SPANISH = "es", _("Spanish")
    KOREAN = "ko", _("Korean")
    VIETNAMESE = "vi", _("Vietnamese")
    CHINESE = "zh", _("Chinese")
    TAGALOG = "tl", _("Tagalog")
    ARABIC = "ar", _("Arabic")
    PERSIAN = "fa", _("Persian")
    ARMENIAN = "hy", _("Armenian")
    OTHER = "other", _("Another language")


class Patient(ClinicalRecord):
    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("clinics.Organization", on_delete=models.PROTECT, related_name="patients")
    center = models.ForeignKey(
        "clinics.TreatmentCenter",
        on_delete=models.PROTECT,
        related_name="patients",
        help_text=_("The center that registered the patient and looks after the record."),
    )
    mrn = models.CharField(_("medical record number"), max_length=20)
    given_name = models.CharField(_("legal first name"), max_length=100)
    middle_name = models.CharField(max_length=100, blank=True)
    family_name = models.CharField(_("legal last name"), max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField()
    sex_at_birth = models.CharField(max_length=20, choices=SexAtBirth.choices)
    gender_identity = models.CharField(max_length=20, choices=GenderIdentity.choices, blank=True)
    pronouns = models.CharField(max_length=40, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    email = models.EmailField(blank=True)
    street = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2, blank=True)
    postal_code = models.CharField(max_length=10, blank=True)
    preferred_language = models.CharField(max_length=8, choices=Language.choices, default=Language.ENGLISH)
    needs_interpreter = models.BooleanField(default=False)
    emergency_contact_name = models.CharField(max_length=200, blank=True)
    emergency_contact_relationship = models.CharField(max_length=60, blank=True)
    emergency_contact_phone = models.CharField(max_length=30, blank=True)
    has_no_known_allergies = models.BooleanField(
        default=False, help_text=_("Confirmed with the patient: no known drug or other allergies.")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["family_name", "given_name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "mrn"], name="patient_mrn_unique_per_organization"),
        ]
        indexes = [
            models.Index(fields=["center", "family_name", "given_name"], name="patient_center_name"),
            models.Index(fields=["center", "given_name"], name="patient_center_given"),
            models.Index(fields=["center", "date_of_birth"], name="patient_center_dob"),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.mrn})"

    def get_absolute_url(self) -> str:
        return reverse("patients:chart", kwargs={"patient_id": self.external_id})

    @classmethod
    def from_db(cls, db: str | None, field_names: Any, values: Any, *, fetch_mode: Any = None) -> Patient:
        instance = super().from_db(db, field_names, values, fetch_mode=fetch_mode)
        from ketaclinic.audit.access import person_loaded

        person_loaded(instance)
        return instance

    @property
    def audit_patient_id(self) -> int | None:
        return self.pk

    @property
    def audit_center_id(self) -> int | None:
        return self.center_id

    @property
    def display_name(self) -> str:
        """Last name, first name, with the preferred name in quotes when it differs."""
        preferred = (
            f" “{self.preferred_name}”" if self.preferred_name and self.preferred_name != self.given_name else ""
        )
        return f"{self.family_name}, {self.given_name}{preferred}"

    def age_on(self, day: dt.date) -> int:
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


class Allergy(ClinicalRecord):
    class Severity(models.TextChoices):
        MILD = "mild", _("Mild")
        MODERATE = "moderate", _("Moderate")
        SEVERE = "severe", _("Severe")
        UNKNOWN = "unknown", _("Unknown")

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="allergies")
    substance = models.CharField(max_length=120)
    reaction = models.CharField(max_length=200, blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.UNKNOWN)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["substance"]
        verbose_name_plural = "allergies"

    def __str__(self) -> str:
        return self.substance


class CareTeamMember(ClinicalRecord):
    """A clinician outside the clinic who cares for the patient, and whether we may share with them."""

    class Role(models.TextChoices):
        PRIMARY_CARE = "primary_care", _("Primary care provider")
        PSYCHIATRIST = "psychiatrist", _("Psychiatrist")
        THERAPIST = "therapist", _("Therapist")
        REFERRING = "referring", _("Referring clinician")

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="care_team")
    role = models.CharField(max_length=20, choices=Role.choices)
    name = models.CharField(max_length=200)
    practice = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    fax = models.CharField(max_length=30, blank=True)
    email = models.EmailField(blank=True)
    npi = models.CharField(_("NPI"), max_length=10, blank=True)
    has_consent_to_share = models.BooleanField(
        default=False, help_text=_("The patient agreed that we may send records to this clinician.")
    )
    consent_recorded_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["role", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_role_display()})"


class PatientAlert(ClinicalRecord):
    """Something everyone opening the chart must see first: it shows on the banner until resolved."""

    class Kind(models.TextChoices):
        CLINICAL = "clinical", _("Clinical")
        SUICIDE_RISK = "suicide_risk", _("Suicide risk")
        SAFETY = "safety", _("Safety")
        ADMINISTRATIVE = "administrative", _("Administrative")

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="alerts")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    message = models.CharField(max_length=200)
    reason = models.TextField(help_text=_("Why the alert was raised: what was seen, with its source."))
    raised_at = models.DateTimeField()
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution = models.TextField(blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action_taken = models.TextField(blank=True, help_text=_("What the clinician did about the alert."))
    escalated_at = models.DateTimeField(null=True, blank=True)
    source_type = models.CharField(max_length=64, blank=True, help_text=_("The record that raised the alert."))
    source_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-raised_at"]
        indexes = [
            models.Index(fields=["patient", "resolved_at"], name="alert_patient_open"),
            models.Index(fields=["kind", "acknowledged_at", "raised_at"], name="alert_kind_unacknowledged"),
        ]

    def __str__(self) -> str:
        return self.message


class EmergencyAccess(AboutOnePatient, models.Model):
    """A break-the-glass grant: one member of staff may open one patient outside their centers."""

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="emergency_grants")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="emergency_grants")
    reason = models.TextField()
    granted_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    review_note = models.TextField(blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-granted_at"]
        verbose_name_plural = "emergency access grants"
        indexes = [models.Index(fields=["actor", "expires_at"], name="emergency_actor_expiry")]

    def __str__(self) -> str:
        return f"{self.actor} -> {self.patient_id} at {self.granted_at:%Y-%m-%d %H:%M}"

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        from ketaclinic.audit.records import HistoryBypassed

        raise HistoryBypassed("Emergency access grants are never deleted.")


class TreatmentRoute(models.TextChoices):
    """The routes a consent, a decision or a plan is for (``core.dosing.Route`` values)."""

    IV = "iv", _("IV ketamine infusion")
    IM = "im", _("IM ketamine injection")
    ESKETAMINE = "esketamine_nasal_spray", _("Esketamine nasal spray")
    ORAL = "oral_sublingual", _("Oral or sublingual ketamine")


class ConsentDocument(models.Model):
    """One version of the informed-consent text for a route; a change is a new version."""

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("clinics.Organization", on_delete=models.PROTECT, related_name="+")
    route = models.CharField(max_length=32, choices=TreatmentRoute.choices)
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField(help_text=_("Plain text; blank lines separate paragraphs."))
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["route", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "route", "version"], name="consent_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"

    @property
    def paragraphs(self) -> list[str]:
        return [part.strip() for part in self.body.split("\n\n") if part.strip()]


class ConsentSignature(ClinicalRecord):
    """A patient's signature on one version of a consent document, with its PDF copy."""

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="consents")
    document = models.ForeignKey(ConsentDocument, on_delete=models.PROTECT, related_name="signatures")
    typed_name = models.CharField(max_length=200)
    drawn_signature = models.TextField(blank=True, help_text=_("PNG data URL of the drawn signature, if any."))
    signed_at = models.DateTimeField()
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    witnessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    pdf = models.FileField(upload_to="consents/%Y/%m/")
    pdf_sha256 = models.CharField(max_length=64)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    # The drawn image is kept on the row and in the PDF; its hash covers it in the history.
    history_exclude = ("created_at", "updated_at", "drawn_signature")

    class Meta:
        ordering = ["-signed_at"]

    def __str__(self) -> str:
        return f"{self.document} signed {self.signed_at:%Y-%m-%d}"


class PregnancyTest(ClinicalRecord):
    """One pregnancy test result; a wrong entry is marked in error, never removed."""

    class Kind(models.TextChoices):
        URINE_HCG = "urine_hcg", _("Urine hCG")
        SERUM_HCG = "serum_hcg", _("Serum hCG")

    class Result(models.TextChoices):
        NEGATIVE = "negative", _("Negative")
        POSITIVE = "positive", _("Positive")

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="pregnancy_tests")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    result = models.CharField(max_length=10, choices=Result.choices)
    tested_at = models.DateTimeField(help_text=_("When the sample was tested."))
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-tested_at"]
        indexes = [models.Index(fields=["patient", "tested_at"], name="pregnancy_test_patient_time")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.get_result_display()} at {self.tested_at:%Y-%m-%d %H:%M}"
