from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import Any, Self

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ketaclinic.audit.records import AboutOnePatient, AppendOnlyQuerySet, ClinicalRecord
from ketaclinic.core.monitoring import MEASURES, RATINGS, Limit, ThresholdAlert, alert_sentence, as_written


class AboutOneSession:
    """For rows that hang off a session: their history is filed under the session's patient."""

    session: TreatmentSession

    @property
    def audit_patient_id(self) -> int | None:
        return self.session.patient_id

    @property
    def audit_center_id(self) -> int | None:
        return self.session.patient.center_id


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


class AlertState(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    RESOLVED = "resolved", _("Resolved")


# The limits compared with another level: the session's baseline, or the level before the dose.
COMPARED_LIMITS = (Limit.RISE_OVER_BASELINE, Limit.DROP_BELOW_PRE_DOSE)


@dataclasses.dataclass(frozen=True, slots=True)
class ReadingAlert:
    """One threshold alert a reading raised: the schema of each object in ``VitalSign.alerts``.

    The limit is data: its kind, the rule's threshold and the level compared with (the baseline
    for a rise, the pre-dose level for a drop), with the rule's id and version and its response
    as the rules file words it. The sentence is rendered where it is read, in the reader's
    language. An alert stored as a sentence before alerts were data, whose words the migration
    could not read back, keeps them as ``legacy_text`` and shows them as they were (with its
    measure where the sentence named one); no later reading resolves it, a nurse acknowledges it.

    Open until a nurse acknowledges it; resolved once a later reading of the same measure no
    longer crosses the rule (``resolved_by`` is that reading, ``resolved_at`` when it was taken).
    """

    rule_id: str = ""
    measure: str = ""
    value: int | None = None
    kind: Limit | None = None
    threshold: int | None = None
    compared_with: int | None = None
    finding: str = ""
    response: str = ""
    rule_version: str = ""
    legacy_text: str = ""
    state: AlertState = AlertState.OPEN
    acknowledged_at: dt.datetime | None = None
    acknowledged_by_id: int | None = None
    # The name as it was when they acknowledged, so the flowsheet shows it without a query.
    acknowledged_by: str = ""
    resolved_at: dt.datetime | None = None
    resolved_by: str = ""

    @classmethod
    def raised(cls, alert: ThresholdAlert) -> Self:
        return cls(
            rule_id=alert.rule_id,
            measure=alert.measure,
            value=alert.value,
            kind=alert.kind,
            threshold=alert.threshold,
            compared_with=alert.compared_with,
            finding=alert.finding,
            response=alert.response,
            rule_version=alert.version,
        )

    @classmethod
    def legacy(cls, text: str) -> Self:
        return cls(legacy_text=text)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        """The alert a stored object holds; ValueError for an object that does not fit the schema."""
        if not isinstance(data, dict):
            raise ValueError(f"A stored alert is an object, not {type(data).__name__}.")
        unknown = set(data) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise ValueError(f"A stored alert has unknown keys: {sorted(unknown)}.")
        fields = dict(data)
        try:
            fields["state"] = AlertState(fields.get("state", AlertState.OPEN))
            fields["kind"] = Limit(fields["kind"]) if fields.get("kind") else None
            for moment in ("acknowledged_at", "resolved_at"):
                fields[moment] = dt.datetime.fromisoformat(fields[moment]) if fields.get(moment) else None
        except (TypeError, ValueError) as bad:
            raise ValueError(f"A stored alert has a bad value: {bad}") from None
        for name in ("value", "threshold", "compared_with", "acknowledged_by_id"):
            if fields.get(name) is not None and type(fields[name]) is not int:
                raise ValueError(f"A stored alert's {name} is a whole number, not {fields[name]!r}.")
        alert = cls(**fields)
        if alert.measure and alert.measure not in MEASURES:
            raise ValueError(f"A stored alert names an unknown measure: {alert.measure!r}.")
        if not alert.legacy_text:
            if not (alert.rule_id and alert.measure in MEASURES and alert.rule_version):
                raise ValueError("A stored alert names its rule, measure and rule version, or keeps legacy text.")
            if alert.kind is None or alert.value is None or alert.threshold is None:
                raise ValueError(f"Alert {alert.rule_id} needs its value, limit kind and threshold.")
            if (alert.compared_with is None) is (alert.kind in COMPARED_LIMITS):
                raise ValueError(f"Alert {alert.rule_id}: only a rise or a drop has a level it was compared with.")
        if alert.state == AlertState.ACKNOWLEDGED and alert.acknowledged_at is None:
            raise ValueError("An acknowledged alert says when.")
        if alert.state == AlertState.OPEN and alert.acknowledged_at is not None:
            raise ValueError("An open alert has not been acknowledged.")
        if (alert.state == AlertState.RESOLVED) is (alert.resolved_at is None):
            raise ValueError("A resolved alert says when, and only a resolved one.")
        return alert

    def as_json(self) -> dict[str, Any]:
        data = {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}
        data["state"] = str(self.state)
        data["kind"] = str(self.kind) if self.kind is not None else None
        for moment in ("acknowledged_at", "resolved_at"):
            data[moment] = data[moment].isoformat() if data[moment] is not None else None
        return data

    @property
    def threshold_alert(self) -> ThresholdAlert | None:
        """The core's alert this one stores; None for a legacy sentence."""
        if self.legacy_text or self.kind is None or self.value is None or self.threshold is None:
            return None
        return ThresholdAlert(
            rule_id=self.rule_id,
            measure=self.measure,
            value=self.value,
            kind=self.kind,
            threshold=self.threshold,
            response=self.response,
            version=self.rule_version,
            compared_with=self.compared_with,
            finding=self.finding,
        )

    @property
    def message(self) -> str:
        """The sentence in the reader's language (the active one); a legacy sentence as stored."""
        alert = self.threshold_alert
        return alert_sentence(alert, gettext) if alert is not None else self.legacy_text

    @property
    def message_as_written(self) -> str:
        """The sentence in the words the code writes, for text that is stored (a checklist, a note)."""
        alert = self.threshold_alert
        return alert_sentence(alert, as_written) if alert is not None else self.legacy_text

    @property
    def is_resolved(self) -> bool:
        return self.state == AlertState.RESOLVED

    def acknowledged(self, *, by: Any, at: dt.datetime) -> Self:
        return dataclasses.replace(
            self,
            state=AlertState.ACKNOWLEDGED,
            acknowledged_at=at,
            acknowledged_by_id=by.pk,
            acknowledged_by=by.get_full_name() or by.get_username(),
        )

    def resolved(self, *, by: VitalSign) -> Self:
        """Resolved by a later reading; who acknowledged it, if anyone, stays on it."""
        return dataclasses.replace(
            self, state=AlertState.RESOLVED, resolved_at=by.measured_at, resolved_by=str(by.external_id)
        )


class VitalSign(AboutOneSession, ClinicalRecord):
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
    dissociation = models.PositiveSmallIntegerField(
        null=True, blank=True, choices=sorted(RATINGS["dissociation"].items()), help_text=_("Project scale.")
    )
    nausea = models.PositiveSmallIntegerField(null=True, blank=True, choices=sorted(RATINGS["nausea"].items()))
    side_effects = models.TextField(blank=True)
    alerts = models.JSONField(
        default=list, blank=True, help_text=_("The threshold alerts it raised, as data, each with its state.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["measured_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["session", "idempotency_key"], name="vital_sign_idempotent"),
        ]

    def __str__(self) -> str:
        return f"Vitals at {self.measured_at:%H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        for alert in self.alerts:
            ReadingAlert.from_json(alert)  # refuses an alert that does not fit the schema
        super().save(*args, **kwargs)

    @property
    def reading_alerts(self) -> list[ReadingAlert]:
        return [ReadingAlert.from_json(alert) for alert in self.alerts]

    @property
    def alert_messages(self) -> list[str]:
        """Each alert's sentence, in the reader's language."""
        return [alert.message for alert in self.reading_alerts]


class PreSessionCheck(AboutOneSession, ClinicalRecord):
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


class SessionConfirmation(AboutOnePatient, models.Model):
    """The day-before reminder: a single-use link asking the patient to confirm fasting and a ride.

    Only the token's hash is kept. The answer shows on the day list so staff see a missed
    rule before the patient arrives.
    """

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="confirmations")
    token_hash = models.CharField(max_length=64, unique=True)
    message = models.ForeignKey(
        "measures.OutgoingMessage", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    failed_identity_attempts = models.PositiveSmallIntegerField(default=0)
    answered_at = models.DateTimeField(null=True, blank=True)
    fasting_confirmed = models.BooleanField(null=True, blank=True)
    ride_confirmed = models.BooleanField(null=True, blank=True)
    patient_comment = models.TextField(blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Confirmation for session {self.session_id}"


class DoseAdministration(AboutOneSession, ClinicalRecord):
    """One dose: computed, verified by a second clinician, given, and accounted for.

    Ketamine is a Schedule III controlled substance, so the row is also the controlled-substance
    record: lot, expiry, amount drawn, given and wasted, with a witness for waste.
    """

    class Status(models.TextChoices):
        PREPARED = "prepared", _("Prepared, awaiting verification")
        VERIFIED = "verified", _("Verified")
        RUNNING = "running", _("Running")
        PAUSED = "paused", _("Paused")
        COMPLETED = "completed", _("Completed")
        STOPPED = "stopped", _("Stopped early")

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="doses")
    # The signed plan version the dose was computed under: the patient's current one at the time,
    # which may be newer than the version the session was booked under.
    plan = models.ForeignKey(
        "treatment.TreatmentPlan", on_delete=models.PROTECT, null=True, blank=True, related_name="doses"
    )
    drug = models.CharField(max_length=32)
    route = models.CharField(max_length=32)
    protocol_key = models.CharField(max_length=64)
    weight_kg = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    weight_basis = models.CharField(max_length=16, blank=True)
    mg_per_kg = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    cap_mg = models.DecimalField(max_digits=6, decimal_places=1)
    concentration_mg_per_ml = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    infusion_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    calculated_mg = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    dose_mg = models.DecimalField(max_digits=6, decimal_places=1)
    volume_ml = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    rate_ml_per_hour = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    capped = models.BooleanField(default=False)
    device_count = models.PositiveSmallIntegerField(null=True, blank=True)
    steps = models.JSONField(default=list, help_text=_("The arithmetic, step by step, as shown to both clinicians."))
    rule_version = models.CharField(max_length=40)
    # The lot picked at preparation; its number, expiry and concentration are copied above and
    # here as the controlled-substance record, so they read the same if the lot is later corrected.
    lot = models.ForeignKey("pharmacy.DrugLot", on_delete=models.PROTECT, null=True, blank=True, related_name="doses")
    lot_number = models.CharField(max_length=40)
    lot_expires_on = models.DateField()
    units_drawn = models.PositiveSmallIntegerField(null=True, blank=True, help_text=_("Vials or devices drawn."))
    drawn_mg = models.DecimalField(max_digits=6, decimal_places=1)
    given_mg = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    wasted_mg = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    waste_witness = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    waste_recorded_at = models.DateTimeField(null=True, blank=True)
    prepared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    prepared_at = models.DateTimeField()
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREPARED)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["prepared_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(dose_mg__lte=models.F("cap_mg")), name="dose_within_cap"),
            models.CheckConstraint(
                condition=models.Q(verified_by__isnull=True) | ~models.Q(verified_by=models.F("prepared_by")),
                name="dose_verified_by_second_clinician",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.drug} {self.dose_mg} mg ({self.get_status_display()})"


class SessionEvent(AboutOneSession, ClinicalRecord):
    """A timed event on the flowsheet: start, each esketamine device, pause, resume, stop, intervention."""

    class Kind(models.TextChoices):
        DOSE_STARTED = "dose_started", _("Dose started")
        DEVICE_GIVEN = "device_given", _("Nasal spray device used")
        PAUSED = "paused", _("Paused")
        RESUMED = "resumed", _("Resumed")
        STOPPED = "stopped", _("Stopped early")
        DOSE_COMPLETED = "dose_completed", _("Dose completed")
        INTERVENTION = "intervention", _("Intervention")

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="events")
    dose = models.ForeignKey(DoseAdministration, on_delete=models.PROTECT, null=True, blank=True, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    occurred_at = models.DateTimeField()
    device_number = models.PositiveSmallIntegerField(null=True, blank=True)
    drug = models.CharField(max_length=100, blank=True, help_text=_("Intervention drug."))
    amount = models.CharField(max_length=40, blank=True, help_text=_("Intervention dose with its unit."))
    drug_route = models.CharField(max_length=20, blank=True)
    ordered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["occurred_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.occurred_at:%H:%M}"


class DischargeAssessment(AboutOneSession, ClinicalRecord):
    """The discharge criteria checked off, some from the record and some by the nurse."""

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="discharges")
    criteria = models.JSONField(help_text=_("Criterion -> {ok, how}."))
    criteria_version = models.CharField(max_length=40)
    escort_name = models.CharField(max_length=120, blank=True)
    assessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assessed_at = models.DateTimeField()
    discharged = models.BooleanField(default=False, help_text=_("True when every criterion was met."))

    class Meta:
        ordering = ["-assessed_at"]

    def __str__(self) -> str:
        return f"Discharge check {self.assessed_at:%H:%M}"


class SignedRecordLocked(Exception):
    """A signed note or form was about to change in place; later changes are amendments."""


class LockedOnceSigned(models.Model):
    """Once ``signed_at`` is set, the row keeps every field as signed.

    Only the status moves a subclass lists (a form being submitted) and marking the row as
    entered in error are allowed; anything else is refused here, whatever path the save took.
    """

    signed_status_moves: frozenset[tuple[str, str]] = frozenset()
    ALWAYS_ALLOWED = frozenset({"entered_in_error_at", "entered_in_error_reason"})

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            stored = type(self)._default_manager.filter(pk=self.pk).first()
            if stored is not None and getattr(stored, "signed_at", None) is not None:
                changed = {
                    field.attname
                    for field in self._meta.concrete_fields
                    if getattr(stored, field.attname) != getattr(self, field.attname)
                }
                allowed = set(self.ALWAYS_ALLOWED)
                if (getattr(stored, "status", None), getattr(self, "status", None)) in self.signed_status_moves:
                    allowed.add("status")
                if changed - allowed:
                    raise SignedRecordLocked(
                        f"{self._meta.verbose_name} is signed; {', '.join(sorted(changed - allowed))} cannot change."
                    )
        super().save(*args, **kwargs)


class SessionNote(AboutOneSession, LockedOnceSigned, ClinicalRecord):
    """The nurse's note of the session: drafted from the record, edited, then signed and locked."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SIGNED = "signed", _("Signed")

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    session = models.OneToOneField(TreatmentSession, on_delete=models.PROTECT, related_name="note")
    text = models.TextField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    drafted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    drafted_at = models.DateTimeField()
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    content_sha256 = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"Session note ({self.get_status_display()})"


class SessionNoteAmendment(ClinicalRecord):
    """A signed addition or correction to a signed note; the note itself stays as signed."""

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    note = models.ForeignKey(SessionNote, on_delete=models.PROTECT, related_name="amendments")
    text = models.TextField()
    reason = models.TextField()
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField()
    content_sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["signed_at"]

    def __str__(self) -> str:
        return f"Amendment {self.signed_at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise SignedRecordLocked("An amendment is signed when written; add another amendment.")
        super().save(*args, **kwargs)

    @property
    def audit_patient_id(self) -> int | None:
        return self.note.session.patient_id

    @property
    def audit_center_id(self) -> int | None:
        return self.note.session.patient.center_id


class RemsMonitoringForm(AboutOneSession, LockedOnceSigned, ClinicalRecord):
    """The esketamine REMS patient monitoring form for one session, under a versioned definition."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SIGNED = "signed", _("Signed, not submitted")
        SUBMITTED = "submitted", _("Submitted")

    signed_status_moves = frozenset({(Status.SIGNED.value, Status.SUBMITTED.value)})

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    session = models.OneToOneField(TreatmentSession, on_delete=models.PROTECT, related_name="rems_form")
    definition_version = models.CharField(max_length=40)
    values = models.JSONField(default=dict, help_text=_("Field key -> value, as on the form."))
    prefilled = models.JSONField(default=list, help_text=_("Keys filled from the flowsheet."))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    due_on = models.DateField(help_text=_("Treatment date plus the definition's deadline in days."))
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    content_sha256 = models.CharField(max_length=64, blank=True)
    pdf = models.FileField(upload_to="rems/%Y/%m/", blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "due_on"], name="rems_form_queue")]

    def __str__(self) -> str:
        return f"REMS monitoring form ({self.get_status_display()})"


class RemsSubmission(ClinicalRecord):
    """One submission of a signed monitoring form to the REMS: when, how, by whom."""

    class Method(models.TextChoices):
        ONLINE = "online", _("REMS website")
        FAX = "fax", _("Fax")

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    form = models.ForeignKey(RemsMonitoringForm, on_delete=models.PROTECT, related_name="submissions")
    method = models.CharField(max_length=8, choices=Method.choices)
    confirmation = models.CharField(max_length=100, blank=True, help_text=_("Confirmation number or fax receipt."))
    submitted_at = models.DateTimeField()
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["submitted_at"]

    def __str__(self) -> str:
        return f"REMS submission {self.submitted_at:%Y-%m-%d} by {self.get_method_display()}"

    @property
    def audit_patient_id(self) -> int | None:
        return self.form.session.patient_id

    @property
    def audit_center_id(self) -> int | None:
        return self.form.session.patient.center_id
