from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ketaclinic.core.permissions import Role


class Service(models.TextChoices):
    IV_KETAMINE = "iv_ketamine", _("IV ketamine infusion")
    IM_KETAMINE = "im_ketamine", _("IM ketamine injection")
    ESKETAMINE = "esketamine", _("Esketamine nasal spray")
    KAP = "kap", _("Ketamine-assisted psychotherapy")


class StaffRoleKind(models.TextChoices):
    CENTER_ADMIN = Role.CENTER_ADMIN.value, _("Center admin")
    PRESCRIBER = Role.PRESCRIBER.value, _("Prescriber")
    NURSE = Role.NURSE.value, _("Nurse")
    THERAPIST = Role.THERAPIST.value, _("Therapist")
    FRONT_DESK = Role.FRONT_DESK.value, _("Front desk")
    RESEARCHER = Role.RESEARCHER.value, _("Researcher")
    MEDICAL_DIRECTOR = Role.MEDICAL_DIRECTOR.value, _("Medical director")


# A clock time typed for "now" may run a minute ahead of the server's clock.
CHARTING_SLACK = dt.timedelta(minutes=1)


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


def validate_services(value: object) -> None:
    if not isinstance(value, list) or any(item not in Service.values for item in value):
        raise ValidationError(_("Services must be a list drawn from the offered services."))


def validate_language_codes(value: object) -> None:
    if not isinstance(value, list) or any(not isinstance(code, str) or not 2 <= len(code) <= 8 for code in value):
        raise ValidationError(_("Languages must be a list of language codes such as 'en' or 'es'."))


class Organization(models.Model):
    """A clinic network: the owner of its patients' records and their record numbers."""

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    requires_mfa = models.BooleanField(
        default=True, help_text=_("Staff must sign in with a one-time code from an authenticator app.")
    )
    mrn_prefix = models.CharField(
        max_length=6, default="KC", help_text=_("Medical record numbers are this prefix and a number.")
    )
    last_mrn_number = models.PositiveBigIntegerField(default=0, editable=False)
    risk_alert_escalation_minutes = models.PositiveIntegerField(
        default=30,
        help_text=_(
            "A suicide-risk alert nobody has acknowledged after this many minutes is escalated to the "
            "center's prescribers and admins (project default: 30)."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TreatmentCenter(models.Model):
    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="centers")
    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    street = models.CharField(max_length=200)
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=2)
    postal_code = models.CharField(max_length=10)
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])
    phone = models.CharField(max_length=30)
    email = models.EmailField(blank=True)
    services = models.JSONField(default=list, validators=[validate_services])
    languages = models.JSONField(default=list, validators=[validate_language_codes])
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def service_labels(self) -> list[str]:
        return [str(Service(code).label) for code in self.services]

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def local_date(self, moment: dt.datetime | None = None) -> dt.date:
        """The calendar date at the center at a moment (now by default): dates are the center's."""
        return (moment or timezone.now()).astimezone(self.zone).date()

    def latest_at(self, time: dt.time, *, now: dt.datetime | None = None) -> dt.datetime | None:
        """The latest moment, not after now, whose clock reads ``time`` at the center.

        For something charted after it happened: 23:58 typed at 00:05 is yesterday's. On the
        night the clocks go back both readings are tried; a time the clocks skip gives None.
        """
        now = now or timezone.now()
        for days_back in (0, 1):
            day = self.local_date(now) - dt.timedelta(days=days_back)
            readings = [dt.datetime.combine(day, time, tzinfo=self.zone).replace(fold=fold) for fold in (1, 0)]
            real = [moment for moment in readings if moment.astimezone(dt.UTC).astimezone(self.zone).time() == time]
            if not real:
                return None
            past = [moment for moment in real if moment <= now + CHARTING_SLACK]
            if past:
                return max(past, key=lambda moment: moment.astimezone(dt.UTC))
        return None


class Room(models.Model):
    class Kind(models.TextChoices):
        TREATMENT = "treatment", _("Treatment room")
        CONSULTATION = "consultation", _("Consultation room")

    center = models.ForeignKey(TreatmentCenter, on_delete=models.PROTECT, related_name="rooms")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.TREATMENT)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["center", "name"]
        constraints = [models.UniqueConstraint(fields=["center", "name"], name="room_name_unique_per_center")]

    def __str__(self) -> str:
        return f"{self.center.name}: {self.name}"


class Chair(models.Model):
    """A treatment chair (or bed): the unit sessions are scheduled into."""

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="chairs")
    label = models.CharField(max_length=50)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["room", "label"]
        constraints = [models.UniqueConstraint(fields=["room", "label"], name="chair_label_unique_per_room")]

    def __str__(self) -> str:
        return f"{self.room.name} / {self.label}"


class OpeningHours(models.Model):
    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    center = models.ForeignKey(TreatmentCenter, on_delete=models.PROTECT, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens_at = models.TimeField()
    closes_at = models.TimeField()

    class Meta:
        ordering = ["center", "weekday", "opens_at"]
        verbose_name_plural = "opening hours"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")), name="opening_hours_close_after_open"
            ),
            models.UniqueConstraint(fields=["center", "weekday", "opens_at"], name="opening_hours_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens_at:%H:%M}-{self.closes_at:%H:%M}"


class StaffRole(models.Model):
    """One role a member of staff holds at one center; a person may hold several."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="center_roles")
    center = models.ForeignKey(TreatmentCenter, on_delete=models.PROTECT, related_name="staff_roles")
    role = models.CharField(max_length=20, choices=StaffRoleKind.choices)
    is_active = models.BooleanField(default=True)
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["center", "role"]
        constraints = [
            models.UniqueConstraint(fields=["user", "center", "role"], name="staff_role_unique"),
        ]
        indexes = [models.Index(fields=["user", "is_active"], name="staff_role_user_active")]

    def __str__(self) -> str:
        return f"{self.user} - {self.get_role_display()} at {self.center}"
