"""Giving the dose: computed from the plan, verified by a second clinician, given and accounted for.

The arithmetic is ``ketaclinic.core.dosing``; this module records who did each step and when,
and refuses a step out of order with the reason. Ketamine is a Schedule III controlled
substance, so every dose row is also its controlled-substance record (lot, expiry, drawn,
given, wasted, witness).
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from ketaclinic.accounts.signatures import signature_password_check
from ketaclinic.audit.actions import AuditAction
from ketaclinic.audit.services import audit_change_since, snapshot
from ketaclinic.clinics.actors import Actor
from ketaclinic.clinics.authorization import require
from ketaclinic.core import dosing
from ketaclinic.core.errors import Conflict, RuleViolation
from ketaclinic.core.permissions import Perm
from ketaclinic.patients.models import TreatmentRoute
from ketaclinic.patients.selectors.consents import consent_current
from ketaclinic.pharmacy.models import ROUTE_PRODUCTS, DrugLot, DrugProduct
from ketaclinic.pharmacy.services import lot_for_dose, stock_draw
from ketaclinic.sessions.models import DoseAdministration, SessionEvent, TreatmentSession
from ketaclinic.sessions.protocol_settings import protocol_setting
from ketaclinic.sessions.services.checklist import session_start_check
from ketaclinic.sessions.services.flowsheet import SESSION_LEAD_TIME
from ketaclinic.sessions.services.plans import plan_in_force
from ketaclinic.treatment.models import TreatmentPlan
from ketaclinic.treatment.selectors import esketamine_given_before
from ketaclinic.validation import validated

Status = DoseAdministration.Status
Kind = SessionEvent.Kind
# A time typed for a step may lag the moment it is recorded, but not run ahead of it.
CLOCK_SLACK = dt.timedelta(minutes=1)
# Pumps round their running time; an infusion may be marked complete this much before its minutes.
INFUSION_END_SLACK = dt.timedelta(minutes=1)


def _setting(plan: TreatmentPlan, name: str) -> Decimal | None:
    """A protocol setting as signed into the plan, else the library's (plans signed before it existed)."""
    value = (protocol_setting(plan, name) or {}).get("value")
    if value is None:
        return None
    if isinstance(value, list):
        raise RuleViolation(f"Protocol setting {name} is a list.", code="protocol_setting_list")
    return Decimal(str(value))


def _setting_list(plan: TreatmentPlan, name: str) -> tuple[Decimal, ...] | None:
    """A list-valued protocol setting (esketamine's dose options), signed into the plan or the library's."""
    value = (protocol_setting(plan, name) or {}).get("value")
    if not isinstance(value, list):
        return None
    return tuple(Decimal(str(v)) for v in value)


def _plan_limits(plan: TreatmentPlan) -> dosing.DoseLimits:
    """The protocol's weight range and mg ceiling the dose is computed within.

    A cap above the ceiling counts only with a medical director's sign-off on the plan; a plan
    without one (signed before the ceiling existed, or written around the signing service) doses
    at most the protocol's ceiling.
    """
    protocol = dosing.PROTOCOL_DEFAULTS.get(plan.protocol_key)
    if protocol is None:
        raise RuleViolation(
            _("The plan's protocol %(key)s is not in the protocol library; a prescriber must sign a current plan.")
            % {"key": plan.protocol_key},
            code="protocol_unknown",
        )
    approved = plan.cap_mg if plan.ceiling_approved_by_id is not None else None
    return dosing.protocol_dose_limits(protocol, approved_ceiling_mg=approved)


def dose_compute(*, plan: TreatmentPlan, weight_kg: Any = None, concentration_mg_per_ml: Any = None) -> dict[str, Any]:
    """The dose under this plan version: values for a DoseAdministration, with the arithmetic."""
    return dose_fields(dose_result(plan=plan, weight_kg=weight_kg, concentration_mg_per_ml=concentration_mg_per_ml))


def dose_result(
    *, plan: TreatmentPlan, weight_kg: Any = None, concentration_mg_per_ml: Any = None
) -> dosing.DoseResult:
    """The dose under this plan version, as the core works it out for the plan's route.

    The plan is the one ``plan_in_force`` returns for a session being dosed today.
    """
    route = plan.route
    if route == TreatmentRoute.IV:
        minutes = _setting(plan, "infusion_minutes")
        if plan.mg_per_kg is None or plan.cap_mg is None or minutes is None:
            raise RuleViolation(_("The plan lacks a mg/kg dose, cap or infusion time."), code="plan_incomplete")
        return dosing.weight_based_dose(
            plan.mg_per_kg,
            _given(weight_kg, "weight_kg"),
            plan.cap_mg,
            _given(concentration_mg_per_ml, "conc"),
            minutes,
            limits=_plan_limits(plan),
        )
    if route == TreatmentRoute.IM:
        if plan.mg_per_kg is None or plan.cap_mg is None:
            raise RuleViolation(_("The plan lacks a mg/kg dose or cap."), code="plan_incomplete")
        return dosing.intramuscular_dose(
            plan.mg_per_kg,
            _given(weight_kg, "weight_kg"),
            plan.cap_mg,
            _given(concentration_mg_per_ml, "conc"),
            limits=_plan_limits(plan),
        )
    if route == TreatmentRoute.ESKETAMINE:
        if plan.fixed_dose_mg is None:
            raise RuleViolation(_("The plan lacks an esketamine dose."), code="plan_incomplete")
        options = _setting_list(plan, "dose_options_mg")
        device_mg, rest = _setting(plan, "device_mg"), _setting(plan, "rest_minutes_between_devices")
        if not options or device_mg is None or rest is None:
            raise RuleViolation(
                _("The protocol lacks its dose options, device size or rest time."), code="plan_incomplete"
            )
        # protocols.md 4: the patient's first esketamine session is the protocol's day-1 dose. A plan
        # signed before the setting existed does not carry it: the library's day-1 dose applies.
        first = protocol_setting(plan, "first_dose_mg") or {}
        is_first = first.get("value") is not None and not esketamine_given_before(patient_id=plan.patient_id)
        try:
            return dosing.esketamine_dose(
                plan.fixed_dose_mg,
                dose_options_mg=options,
                device_mg=device_mg,
                rest_minutes_between_devices=rest,
                first_dose_mg=Decimal(str(first["value"])) if is_first else None,
                first_dose_source=str(first.get("source", "")),
            )
        except RuleViolation as refused:
            if refused.code != "esketamine_first_dose":
                raise
            raise RuleViolation(
                _(
                    "%(reason)s This is the patient's first esketamine session: a prescriber must sign a new "
                    "plan at the day-1 dose of %(mg)s mg."
                )
                % {"reason": refused.message, "mg": first["value"]},
                code="esketamine_first_dose",
                field=refused.field,
            ) from refused
    if plan.fixed_dose_mg is None or plan.cap_mg is None:
        raise RuleViolation(_("The plan lacks a fixed dose or cap."), code="plan_incomplete")
    return dosing.fixed_dose(plan.fixed_dose_mg, plan.cap_mg, limits=_plan_limits(plan))


def dose_fields(result: dosing.DoseResult) -> dict[str, Any]:
    """The DoseAdministration fields of a dose the core worked out: where its names meet the row's."""
    fields: dict[str, Any] = {
        "cap_mg": result.max_mg,
        "dose_mg": result.dose_mg,
        "steps": list(result.steps),
        "rule_version": result.rule_version,
    }
    if isinstance(result, dosing.WeightBasedDose | dosing.InjectionDose):
        fields |= {
            "weight_kg": result.weight_kg,
            "mg_per_kg": result.mg_per_kg,
            "concentration_mg_per_ml": result.concentration_mg_per_ml,
            "calculated_mg": result.calculated_mg,
            "volume_ml": result.volume_ml,
            "capped": result.capped,
        }
    if isinstance(result, dosing.WeightBasedDose):
        fields |= {"infusion_minutes": int(result.minutes), "rate_ml_per_hour": result.rate_ml_per_hour}
    if isinstance(result, dosing.EsketamineDose):
        fields["device_count"] = result.device_count
    return fields


def dose_row(
    *,
    session: TreatmentSession,
    plan: TreatmentPlan,
    result: dosing.DoseResult,
    lot: DrugLot,
    drawn_mg: Decimal,
    prepared_by: Any,
    prepared_at: dt.datetime,
    **later_steps: Any,
) -> DoseAdministration:
    """The unsaved dose row: the core's result, the lot it is drawn from, and who drew it up when.

    Every dose row is built here, by ``dose_prepare`` and by the demo (which passes the later
    steps, verification to the end, as ``later_steps``).
    """
    product = lot.product
    units = math.ceil(drawn_mg / product.unit_mg)
    values = dose_fields(result)
    values["steps"] = with_drawn_from(values, drawn_from_line(values, product, units, lot))
    return DoseAdministration(
        session=session,
        plan=plan,
        drug="esketamine" if plan.route == TreatmentRoute.ESKETAMINE else "ketamine",
        route=plan.route,
        protocol_key=plan.protocol_key,
        weight_basis=str((plan.protocol_settings.get("weight_basis") or {}).get("value") or ""),
        lot=lot,
        lot_number=lot.lot_number,
        lot_expires_on=lot.expires_on,
        units_drawn=units,
        drawn_mg=drawn_mg,
        prepared_by=prepared_by,
        prepared_at=prepared_at,
        **values,
        **later_steps,
    )


def _given(value: Any, field: str) -> Any:
    if value in (None, ""):
        raise RuleViolation(_("Enter this value."), code="required", field=field)
    return value


def _plan_still_in_force(dose: DoseAdministration) -> None:
    """A dose is verified and started only under the plan version it was computed from."""
    current = plan_in_force(session=dose.session)
    if dose.plan_id != current.pk:
        raise Conflict(
            _(
                "The plan changed after this dose was prepared (now v%(v)s): withdraw it (wasted before a "
                "witness) and prepare it again under the current plan."
            )
            % {"v": current.version},
            code="plan_changed",
        )


def _booked_for_today(session: TreatmentSession) -> None:
    """A dose is prepared, verified and started only on the day the session is booked for, at its center.

    A session of another day would bypass the spacing and frequency rules its booking was checked by.
    """
    center = session.patient.center
    booked_on, today = center.local_date(session.starts_at), center.local_date()
    if booked_on != today:
        raise RuleViolation(
            _("This session is booked for %(day)s; it cannot be dosed today.")
            % {"day": date_format(booked_on, "D j M")},
            code="session_not_today",
        )


def _lot_in_date(dose: DoseAdministration) -> None:
    """The lot must still be in date, by the center's calendar, at each step after it was picked."""
    center = dose.session.patient.center
    if dose.lot_expires_on is not None and dose.lot_expires_on < center.local_date():
        raise RuleViolation(
            _(
                "Lot %(lot)s expired on %(date)s: withdraw this dose (wasted before a witness) and prepare it again "
                "from a lot in date."
            )
            % {"lot": dose.lot_number, "date": f"{dose.lot_expires_on:%Y-%m-%d}"},
            code="lot_expired",
            field="lot",
        )


# Each timed event's history entry names its kind.
_EVENT_ACTIONS: dict[str, AuditAction] = {
    Kind.DOSE_STARTED: AuditAction.SESSION_EVENT_DOSE_STARTED,
    Kind.DEVICE_GIVEN: AuditAction.SESSION_EVENT_DEVICE_GIVEN,
    Kind.PAUSED: AuditAction.SESSION_EVENT_PAUSED,
    Kind.RESUMED: AuditAction.SESSION_EVENT_RESUMED,
    Kind.STOPPED: AuditAction.SESSION_EVENT_STOPPED,
    Kind.DOSE_COMPLETED: AuditAction.SESSION_EVENT_DOSE_COMPLETED,
    Kind.INTERVENTION: AuditAction.SESSION_EVENT_INTERVENTION,
}


def _event(
    actor: Actor,
    session: TreatmentSession,
    kind: str,
    at: dt.datetime,
    *,
    dose: DoseAdministration | None,
    **fields: Any,
) -> SessionEvent:
    """Record one timed event on the flowsheet, with its history."""
    event = SessionEvent(
        session=session,
        dose=dose,
        kind=kind,
        occurred_at=at,
        recorded_by=actor.user,
        recorded_at=timezone.now(),
        **fields,
    )
    validated(event)
    event.save()
    audit_change_since(
        actor=actor, instance=event, action=_EVENT_ACTIONS[kind], before={}, reason=fields.get("reason", "")
    )
    return event


def _moment(at: dt.datetime | None, *, not_before: dt.datetime | None = None) -> dt.datetime:
    now = timezone.now()
    at = at or now
    if at > now + CLOCK_SLACK:
        raise RuleViolation(_("A time cannot be in the future."), code="time_in_future", field="at")
    if not_before is not None and at < not_before:
        raise RuleViolation(
            _("This time is before the previous step (%(t)s).") % {"t": f"{not_before:%H:%M}"},
            code="time_out_of_order",
            field="at",
        )
    return at


def _locked(dose: DoseAdministration) -> DoseAdministration:
    """The dose, locked for one step; a withdrawn dose takes no further step."""
    dose = (
        DoseAdministration.objects.select_for_update()
        .select_related("session__patient__center", "session__plan")
        .get(pk=dose.pk)
    )
    if dose.entered_in_error_at is not None:
        raise Conflict(_("This dose was withdrawn; prepare a new one."), code="dose_withdrawn")
    return dose


@transaction.atomic
def dose_prepare(
    *,
    actor: Actor,
    session: TreatmentSession,
    lot: DrugLot | None,
    drawn_mg: Any,
    weight_kg: Any = None,
) -> DoseAdministration:
    """Compute today's dose from the plan and the picked lot, and record the drug drawn up from it.

    The concentration is the lot's product's, never typed; the vials or devices drawn leave the
    lot's stock in the same transaction, under the lot's row lock.
    """
    require(actor, Perm.DOSE_PREPARE, center_id=session.patient.center_id)
    session = TreatmentSession.objects.select_for_update().select_related("patient__center", "plan").get(pk=session.pk)
    if session.status != TreatmentSession.Status.SCHEDULED:
        raise Conflict(_("Doses are prepared only for a scheduled session."), code="session_not_open")
    _booked_for_today(session)
    if DoseAdministration.objects.in_use().filter(session=session).exists():
        raise Conflict(
            _("This session already has a dose; withdraw it (wasted before a witness) to prepare another."),
            code="dose_exists",
        )
    plan = plan_in_force(session=session)
    drug, forms = ROUTE_PRODUCTS[plan.route]
    lot = lot_for_dose(lot=lot, center=session.patient.center, drug=drug, dosage_forms=forms, route=plan.route)
    product = lot.product
    weight_based = plan.route in (TreatmentRoute.IV, TreatmentRoute.IM)
    result = dose_result(
        plan=plan, weight_kg=weight_kg, concentration_mg_per_ml=product.strength_mg_per_ml if weight_based else None
    )
    if plan.route == TreatmentRoute.ESKETAMINE and product.unit_mg != _setting(plan, "device_mg"):
        raise RuleViolation(
            _("Lot %(lot)s holds %(mg)s mg a device; the protocol counts devices of %(device)s mg.")
            % {"lot": lot.lot_number, "mg": product.unit_mg, "device": _setting(plan, "device_mg")},
            code="lot_wrong_device",
            field="lot",
        )
    drawn = Decimal(str(drawn_mg))
    if drawn < result.dose_mg:
        raise RuleViolation(
            _("%(drawn)s mg drawn is less than the %(dose)s mg dose.") % {"drawn": drawn, "dose": result.dose_mg},
            code="drawn_below_dose",
            field="drawn_mg",
        )
    # A slip of the keyboard (840 for 84) must not take a tray of vials out of stock: no more is
    # drawn than the whole vials or devices the dose needs.
    needed = math.ceil(result.dose_mg / product.unit_mg)
    if drawn > needed * product.unit_mg:
        raise RuleViolation(
            _(
                "%(drawn)s mg drawn is more than the %(dose)s mg dose needs: at most %(most)s mg, "
                "%(units)s of %(product)s."
            )
            % {
                "drawn": drawn,
                "dose": result.dose_mg,
                "units": product.units_label(needed),
                "product": product.presentation,
                "most": f"{(needed * product.unit_mg).normalize():f}",
            },
            code="drawn_above_units",
            field="drawn_mg",
        )
    dose = dose_row(
        session=session,
        plan=plan,
        result=result,
        lot=lot,
        drawn_mg=drawn,
        prepared_by=actor.user,
        prepared_at=timezone.now(),
    )
    validated(dose)
    dose.save()
    audit_change_since(actor=actor, instance=dose, action=AuditAction.DOSE_PREPARED, before={})
    assert dose.units_drawn is not None
    stock_draw(actor=actor, lot=lot, units=dose.units_drawn, dose=dose)
    return dose


def with_drawn_from(values: dict[str, Any], line: str) -> list[str]:
    """The arithmetic with the vials drawn, read after the volume (and before an infusion's pump rate)."""
    steps = list(values["steps"])
    at = len(steps) - 1 if values.get("rate_ml_per_hour") is not None else len(steps)
    return [*steps[:at], line, *steps[at:]]


def drawn_from_line(values: dict[str, Any], product: DrugProduct, units: int, lot: DrugLot) -> str:
    """The line both clinicians read against the vial: '4.0 mL from 1 vial of 10 mg/mL x 10 mL'."""
    volume = values.get("volume_ml")
    if volume is not None:
        text = f"{volume:.2f}"
        what = _("%(ml)s mL") % {"ml": text[:-1] if text.endswith("0") else text}
    else:
        what = _("%(mg)s mg") % {"mg": values["dose_mg"]}
    return _("%(what)s from %(units)s of %(product)s (lot %(lot)s, expires %(on)s)") % {
        "what": what,
        "units": product.units_label(units),
        "product": product.presentation,
        "lot": lot.lot_number,
        "on": f"{lot.expires_on:%Y-%m-%d}",
    }


def dose_verify(*, actor: Actor, dose: DoseAdministration, password: str) -> DoseAdministration:
    """A second clinician checks the arithmetic, drug, lot and volume, and signs with their password."""
    require(actor, Perm.DOSE_VERIFY, center_id=dose.session.patient.center_id)
    if actor.user.pk == dose.prepared_by_id:
        raise RuleViolation(
            _("A second clinician must verify: the person who prepared the dose cannot."), code="same_clinician"
        )
    signature_password_check(signer=actor.user, password=password)
    return _dose_verified(actor=actor, dose=dose)


@transaction.atomic
def _dose_verified(*, actor: Actor, dose: DoseAdministration) -> DoseAdministration:
    dose = _locked(dose)
    if dose.status != Status.PREPARED:
        raise Conflict(_("Only a prepared dose can be verified."), code="not_prepared")
    _lot_in_date(dose)
    _booked_for_today(dose.session)
    _plan_still_in_force(dose)
    before = snapshot(dose)
    dose.status, dose.verified_by, dose.verified_at = Status.VERIFIED, actor.user, timezone.now()
    dose.save()
    audit_change_since(actor=actor, instance=dose, action=AuditAction.DOSE_VERIFIED, before=before)
    return dose


def _start_allowed(dose: DoseAdministration) -> None:
    session = (
        TreatmentSession.objects.select_for_update().select_related("patient__center", "plan").get(pk=dose.session_id)
    )
    if session.status != TreatmentSession.Status.SCHEDULED:
        raise Conflict(
            _("This session is %(status)s; no dose starts.") % {"status": session.get_status_display().lower()},
            code="session_not_open",
        )
    if dose.status != Status.VERIFIED:
        raise Conflict(_("A second clinician must verify the dose before it starts."), code="not_verified")
    _lot_in_date(dose)
    _booked_for_today(session)
    _plan_still_in_force(dose)
    session_start_check(session=session)
    # The checklist saw consent when it ran; it must still be current at the moment of dosing.
    if consent_current(patient=session.patient, route=session.plan.route) is None:
        raise RuleViolation(_("No current signed consent for this route."), code="no_consent")


@transaction.atomic
def dose_start(*, actor: Actor, dose: DoseAdministration, at: dt.datetime | None = None) -> DoseAdministration:
    """Start the infusion, injection or oral dose; for esketamine use ``device_given``."""
    require(actor, Perm.SESSION_CHART, center_id=dose.session.patient.center_id)
    dose = _locked(dose)
    if dose.route == TreatmentRoute.ESKETAMINE:
        raise RuleViolation(_("Record each nasal spray device instead."), code="use_devices")
    _start_allowed(dose)
    at = _moment(at, not_before=dose.verified_at)
    before = snapshot(dose)
    dose.status, dose.started_at = Status.RUNNING, at
    if dose.route != TreatmentRoute.IV:
        # An injection or an oral dose is given at once: it starts and ends together.
        dose.status, dose.ended_at, dose.given_mg = Status.COMPLETED, at, dose.dose_mg
    dose.save()
    audit_change_since(actor=actor, instance=dose, action=AuditAction.DOSE_STARTED, before=before)
    _event(actor, dose.session, Kind.DOSE_STARTED, at, dose=dose)
    if dose.status == Status.COMPLETED:
        _event(actor, dose.session, Kind.DOSE_COMPLETED, at, dose=dose)
    return dose


@transaction.atomic
def device_given(*, actor: Actor, dose: DoseAdministration, at: dt.datetime | None = None) -> SessionEvent:
    """The patient used the next esketamine nasal spray device, under observation, at this time."""
    require(actor, Perm.SESSION_CHART, center_id=dose.session.patient.center_id)
    dose = _locked(dose)
    if dose.route != TreatmentRoute.ESKETAMINE or dose.device_count is None:
        raise RuleViolation(_("Devices are recorded only for esketamine."), code="not_esketamine")
    previous = list(dose.events.in_use().filter(kind=Kind.DEVICE_GIVEN).order_by("occurred_at"))
    if not previous:
        _start_allowed(dose)
    elif dose.status != Status.RUNNING:
        raise Conflict(_("This dose is not running."), code="not_running")
    if len(previous) >= dose.device_count:
        raise Conflict(_("All %(n)s devices are recorded.") % {"n": dose.device_count}, code="devices_done")
    at = _moment(at, not_before=previous[-1].occurred_at if previous else dose.verified_at)
    rest = _setting(dose.plan or dose.session.plan, "rest_minutes_between_devices") or Decimal(0)
    if previous and at - previous[-1].occurred_at < dt.timedelta(minutes=int(rest)):
        raise RuleViolation(
            _("Wait %(rest)s minutes between devices (the last was at %(t)s).")
            % {"rest": rest, "t": f"{timezone.localtime(previous[-1].occurred_at):%H:%M}"},
            code="device_rest",
        )
    number = len(previous) + 1
    before = snapshot(dose)
    if number == 1:
        dose.status, dose.started_at = Status.RUNNING, at
    if number == dose.device_count:
        dose.status, dose.ended_at, dose.given_mg = Status.COMPLETED, at, dose.dose_mg
    dose.save()
    audit_change_since(actor=actor, instance=dose, action=AuditAction.DOSE_DEVICE_GIVEN, before=before)
    event = _event(actor, dose.session, Kind.DEVICE_GIVEN, at, dose=dose, device_number=number)
    if dose.status == Status.COMPLETED:
        _event(actor, dose.session, Kind.DOSE_COMPLETED, at, dose=dose)
    return event


# What each step needs the dose to be, and what it makes it.
_STEPS = {
    "pause": ((Status.RUNNING,), Status.PAUSED, Kind.PAUSED),
    "resume": ((Status.PAUSED,), Status.RUNNING, Kind.RESUMED),
    "complete": ((Status.RUNNING,), Status.COMPLETED, Kind.DOSE_COMPLETED),
    "stop": ((Status.RUNNING, Status.PAUSED), Status.STOPPED, Kind.STOPPED),
}
# The step's history entry; the values keep the step's own word (``dose.pause``).
_STEP_ACTIONS: dict[str, AuditAction] = {
    "pause": AuditAction.DOSE_PAUSED,
    "resume": AuditAction.DOSE_RESUMED,
    "complete": AuditAction.DOSE_COMPLETED,
    "stop": AuditAction.DOSE_STOPPED,
}


@transaction.atomic
def dose_step(
    *,
    actor: Actor,
    dose: DoseAdministration,
    step: str,
    reason: str = "",
    given_mg: Any = None,
    at: dt.datetime | None = None,
) -> DoseAdministration:
    """Pause, resume, complete or stop a running infusion; a pause or a stop needs a reason."""
    require(actor, Perm.SESSION_CHART, center_id=dose.session.patient.center_id)
    if step not in _STEPS:
        raise RuleViolation(_("Unknown step."), code="bad_step")
    dose = _locked(dose)
    allowed, becomes, kind = _STEPS[step]
    if dose.route != TreatmentRoute.IV and step != "stop":
        # Only an infusion runs over time; esketamine ends with its last device, and may only stop early.
        raise RuleViolation(_("Only an infusion can be paused, resumed or completed."), code="not_infusion")
    if dose.status not in allowed:
        raise Conflict(
            _("The dose is %(status)s; it cannot %(step)s.") % {"status": dose.get_status_display(), "step": step},
            code="bad_order",
        )
    if step in ("pause", "stop") and len(reason.strip()) < 3:
        raise RuleViolation(_("Say why."), code="reason_required", field="reason")
    events = list(dose.events.in_use().order_by("occurred_at"))
    at = _moment(at, not_before=events[-1].occurred_at if events else dose.started_at)
    if step == "complete":
        _infusion_time_run(dose, events, at)
    before = snapshot(dose)
    dose.status = becomes
    if becomes in (Status.COMPLETED, Status.STOPPED):
        dose.ended_at = at
        dose.given_mg = dose.dose_mg if becomes == Status.COMPLETED else _given_amount(dose, given_mg)
    dose.save()
    audit_change_since(actor=actor, instance=dose, action=_STEP_ACTIONS[step], before=before, reason=reason)
    _event(actor, dose.session, kind, at, dose=dose, reason=reason.strip())
    return dose


def _infusion_time_run(dose: DoseAdministration, events: list[SessionEvent], at: dt.datetime) -> None:
    """An infusion is complete when the pump has run its minutes; pauses do not count."""
    paused, since = dt.timedelta(0), None
    for event in events:
        if event.kind == Kind.PAUSED:
            since = event.occurred_at
        elif event.kind == Kind.RESUMED and since is not None:
            paused, since = paused + (event.occurred_at - since), None
    assert dose.started_at is not None
    assert dose.infusion_minutes is not None
    ends = dose.started_at + paused + dt.timedelta(minutes=dose.infusion_minutes) - INFUSION_END_SLACK
    if at < ends:
        raise RuleViolation(
            _(
                "The infusion runs %(minutes)s minutes, until about %(ends)s. To end it sooner, stop it and "
                "enter the amount the pump has given."
            )
            % {"minutes": dose.infusion_minutes, "ends": f"{timezone.localtime(ends + INFUSION_END_SLACK):%H:%M}"},
            code="infusion_not_run",
        )


def _given_amount(dose: DoseAdministration, given_mg: Any) -> Decimal:
    if given_mg in (None, ""):
        raise RuleViolation(
            _("Enter how much was given before the stop (from the pump)."), code="given_required", field="given_mg"
        )
    given = Decimal(str(given_mg))
    if not Decimal(0) <= given <= dose.dose_mg:
        raise RuleViolation(
            _("The amount given must be between 0 and the %(dose)s mg dose.") % {"dose": dose.dose_mg},
            code="given_out_of_range",
            field="given_mg",
        )
    return given


def waste_record(
    *, actor: Actor, dose: DoseAdministration, wasted_mg: Any, witness: Any, witness_password: str
) -> DoseAdministration:
    """Record the drug wasted, witnessed by a second clinician who signs with their own password."""
    _witnessed(actor=actor, dose=dose, witness=witness, witness_password=witness_password)
    return _waste_recorded(actor=actor, dose=dose, wasted_mg=wasted_mg, witness=witness)


def _witnessed(*, actor: Actor, dose: DoseAdministration, witness: Any, witness_password: str) -> None:
    require(actor, Perm.SESSION_CHART, center_id=dose.session.patient.center_id)
    if witness is None or witness.pk == actor.user.pk:
        raise RuleViolation(_("A second clinician must witness waste."), code="same_clinician", field="witness")
    if not Actor.of(witness).can(Perm.DOSE_VERIFY, center_id=dose.session.patient.center_id):
        raise RuleViolation(_("The witness must be a nurse or prescriber of this center."), code="bad_witness")
    signature_password_check(signer=witness, password=witness_password)


def dose_withdraw(
    *, actor: Actor, dose: DoseAdministration, reason: str, witness: Any, witness_password: str
) -> DoseAdministration:
    """Withdraw a dose prepared wrong, before it starts: all that was drawn is wasted before a
    witness, and the row is marked entered in error (kept, never deleted) so a new one can be made."""
    if len(reason.strip()) < 3:
        raise RuleViolation(_("Say what was wrong with the dose."), code="reason_required", field="reason")
    _witnessed(actor=actor, dose=dose, witness=witness, witness_password=witness_password)
    return _dose_withdrawn(actor=actor, dose=dose, reason=reason.strip(), witness=witness)


@transaction.atomic
def _dose_withdrawn(*, actor: Actor, dose: DoseAdministration, reason: str, witness: Any) -> DoseAdministration:
    dose = _locked(dose)
    if dose.status not in (Status.PREPARED, Status.VERIFIED):
        raise Conflict(_("Only a dose not yet started can be withdrawn."), code="dose_started")
    before = snapshot(dose)
    now = timezone.now()
    dose.given_mg, dose.wasted_mg, dose.waste_witness, dose.waste_recorded_at = Decimal(0), dose.drawn_mg, witness, now
    dose.entered_in_error_at, dose.entered_in_error_reason = now, reason
    dose.save()
    audit_change_since(actor=actor, instance=dose, action=AuditAction.DOSE_WITHDRAWN, before=before, reason=reason)
    return dose


@transaction.atomic
def _waste_recorded(*, actor: Actor, dose: DoseAdministration, wasted_mg: Any, witness: Any) -> DoseAdministration:
    dose = _locked(dose)
    if dose.status not in (Status.COMPLETED, Status.STOPPED) or dose.given_mg is None:
        raise Conflict(_("Record waste once the dose has ended."), code="not_ended")
    if dose.wasted_mg is not None:
        raise Conflict(_("Waste is already recorded for this dose."), code="waste_recorded")
    wasted = Decimal(str(wasted_mg))
    expected = dose.drawn_mg - dose.given_mg
    if wasted != expected:
        raise RuleViolation(
            _("Drawn %(drawn)s mg - given %(given)s mg = %(expected)s mg; %(wasted)s mg does not balance.")
            % {"drawn": dose.drawn_mg, "given": dose.given_mg, "expected": expected, "wasted": wasted},
            code="waste_unbalanced",
            field="wasted_mg",
        )
    before = snapshot(dose)
    dose.wasted_mg, dose.waste_witness, dose.waste_recorded_at = wasted, witness, timezone.now()
    dose.save()
    audit_change_since(actor=actor, instance=dose, action=AuditAction.DOSE_WASTE_RECORDED, before=before)
    return dose


@transaction.atomic
def intervention_record(
    *,
    actor: Actor,
    session: TreatmentSession,
    drug: str,
    amount: str,
    drug_route: str,
    reason: str,
    ordered_by: Any,
    at: dt.datetime | None = None,
) -> SessionEvent:
    """A drug given for a side effect (antiemetic, antihypertensive, benzodiazepine), and who ordered it."""
    require(actor, Perm.SESSION_CHART, center_id=session.patient.center_id)
    for field, value in (("drug", drug), ("amount", amount), ("drug_route", drug_route), ("reason", reason)):
        if not value.strip():
            raise RuleViolation(_("Enter the drug, dose, route and reason."), code="required", field=field)
    if ordered_by is None or not Actor.of(ordered_by).can(Perm.PLAN_SIGN, center_id=session.patient.center_id):
        raise RuleViolation(_("Name the prescriber who ordered it."), code="bad_orderer", field="ordered_by")
    event = _event(
        actor,
        session,
        Kind.INTERVENTION,
        _moment(at, not_before=session.starts_at - SESSION_LEAD_TIME),
        dose=None,
        drug=drug.strip(),
        amount=amount.strip(),
        drug_route=drug_route.strip(),
        reason=reason.strip(),
        ordered_by=ordered_by,
    )
    return event
