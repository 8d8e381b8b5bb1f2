"""Signed treatment plans: every change a new version, every version bounded by its protocol."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ketaclinic.accounts.signatures import SIGNATURE_REFUSALS, signature_password_check
from ketaclinic.audit.actions import AuditAction
from ketaclinic.audit.services import audit_change_record, changes_between, jsonable, snapshot
from ketaclinic.clinics.actors import Actor
from ketaclinic.clinics.authorization import require
from ketaclinic.core import dosing, eligibility
from ketaclinic.core.dosing import (
    PROTOCOL_DEFAULTS,
    PROTOCOL_LIBRARY_VERSION,
    CeilingVerdict,
    DoseInputError,
    DoseRule,
    ProtocolDefaults,
    ProtocolSetting,
    SettingBasis,
)
from ketaclinic.core.errors import Forbidden, RuleViolation
from ketaclinic.core.permissions import Perm
from ketaclinic.intake.assessment import consultation_facts
from ketaclinic.intake.models import EligibilityDecision
from ketaclinic.patients.models import Patient
from ketaclinic.treatment.models import TreatmentPlan
from ketaclinic.treatment.selectors import esketamine_given_before
from ketaclinic.validation import validated

PLAN_FIELDS = (
    "indication",
    "protocol_key",
    "mg_per_kg",
    "cap_mg",
    "fixed_dose_mg",
    "planned_sessions",
    "min_spacing_days",
    "monitoring_interval_minutes",
    "min_observation_minutes",
    "measurement_instruments",
    "goals",
    "re_evaluation_due_on",
    "phase",
)


@dataclass(frozen=True, slots=True)
class CeilingSignOff:
    """A medical director's sign-off for a plan cap above the protocol's mg ceiling."""

    director_username: str
    password: str
    reason: str


def protocol_get(key: str) -> ProtocolDefaults:
    try:
        return PROTOCOL_DEFAULTS[key]
    except KeyError:
        raise RuleViolation(_("No such protocol."), code="unknown_protocol", field="protocol_key") from None


def _number(protocol: ProtocolDefaults, name: str) -> Decimal | None:
    try:
        value = protocol.setting(name).value
    except KeyError:
        return None
    return value if isinstance(value, Decimal) else None


def protocol_setting_as_signed(setting: ProtocolSetting) -> dict[str, Any]:
    """A protocol setting as a plan signs it in: its value as JSON, with unit, basis and source."""
    return {
        "value": jsonable(setting.value),
        "unit": setting.unit,
        "basis": setting.basis.value,
        "source": setting.source,
    }


def plan_defaults(protocol: ProtocolDefaults) -> dict[str, Any]:
    """What a new plan on this protocol starts from."""
    return {
        "protocol_key": protocol.key,
        "mg_per_kg": _number(protocol, "mg_per_kg"),
        "cap_mg": _number(protocol, "cap_mg") or _label_ceiling(protocol),
        "fixed_dose_mg": _number(protocol, "first_dose_mg") or _number(protocol, "dose_mg"),
        "planned_sessions": int(_number(protocol, "induction_sessions") or 6),
        "min_spacing_days": int(_number(protocol, "min_spacing_days") or 2),
        "monitoring_interval_minutes": int(_number(protocol, "monitoring_interval_minutes") or 10),
        "min_observation_minutes": int(_number(protocol, "min_observation_minutes") or 60),
    }


def _ceiling_checked(protocol: ProtocolDefaults, cap: Decimal, *, signed_off: bool) -> bool:
    """Refuse a cap past the protocol's ceiling unless a director signed off; say if one is used."""
    check = dosing.cap_ceiling_check(protocol, cap)
    if check.verdict is CeilingVerdict.REFUSED:
        raise RuleViolation(
            _("The cap cannot be %(cap)s mg: %(reason)s.") % {"cap": cap, "reason": check.reason},
            code="cap_above_hard_limit",
            field="cap_mg",
        )
    if check.verdict is CeilingVerdict.NEEDS_SIGN_OFF and not signed_off:
        raise RuleViolation(
            _(
                "The cap cannot exceed the protocol's %(ceiling)s mg ceiling (%(source)s) without a "
                "medical director's signed sign-off and reason."
            )
            % {"ceiling": check.ceiling_mg, "source": check.ceiling_source},
            code="cap_above_protocol",
            field="cap_mg",
        )
    return check.verdict is CeilingVerdict.NEEDS_SIGN_OFF


def _first_dose_checked(protocol: ProtocolDefaults, patient: Patient, dose_mg: Decimal | None) -> None:
    """protocols.md 4: the first esketamine session is the protocol's day-1 dose (US TRD 56 mg)."""
    if not _has(protocol, "first_dose_mg") or dose_mg is None:
        return
    if esketamine_given_before(patient_id=patient.pk):
        return
    setting = protocol.setting("first_dose_mg")
    try:
        dosing.first_dose_check(dose_mg, first_dose_mg=protocol.decimal("first_dose_mg"), source=setting.source)
    except DoseInputError:
        raise RuleViolation(
            _(
                "The patient has had no esketamine yet: the first session is %(first)s mg under this "
                "protocol, not %(dose)s mg (%(source)s). Sign %(first)s mg now and a new version after it."
            )
            % {"first": setting.value, "dose": dose_mg, "source": setting.source},
            code="esketamine_first_dose",
            field="fixed_dose_mg",
        ) from None


def _label_ceiling(protocol: ProtocolDefaults) -> Decimal | None:
    """A label's ceiling is the natural cap; a ceiling the clinic must confirm is not pre-filled."""
    if _has(protocol, "ceiling_mg") and protocol.setting("ceiling_mg").basis is SettingBasis.LABEL:
        return _number(protocol, "ceiling_mg")
    return None


def _bounded(protocol: ProtocolDefaults, values: dict[str, Any]) -> None:
    """Refuse a plan that goes past what its protocol allows, or leaves a limit unset."""
    cap = values.get("cap_mg")
    if cap is None:
        raise RuleViolation(_("Set the mg ceiling per session."), code="cap_required", field="cap_mg")
    if protocol.dose_rule is DoseRule.MG_PER_KG:
        dose = values.get("mg_per_kg")
        low, high = _number(protocol, "min_mg_per_kg") or Decimal("0.1"), _number(protocol, "max_mg_per_kg")
        if dose is None or high is None or dose > high or dose < low:
            raise RuleViolation(
                _("The dose must lie between %(low)s and %(high)s mg/kg for this protocol.")
                % {"low": low, "high": high},
                code="dose_outside_protocol",
                field="mg_per_kg",
            )
        values["fixed_dose_mg"] = None
    else:
        options = protocol.decimals("dose_options_mg") if _has(protocol, "dose_options_mg") else ()
        dose = values.get("fixed_dose_mg")
        if dose is None or (options and dose not in options) or dose > cap:
            raise RuleViolation(
                _("Choose one of the protocol's doses, within the ceiling: %(options)s mg.")
                % {"options": ", ".join(map(str, options)) or _("any")},
                code="dose_outside_protocol",
                field="fixed_dose_mg",
            )
        values["mg_per_kg"] = None
    interval = _number(protocol, "monitoring_interval_minutes")
    if values["monitoring_interval_minutes"] < 1 or (
        interval is not None and values["monitoring_interval_minutes"] > interval
    ):
        raise RuleViolation(
            _("Vitals must be taken at least every %(minutes)s minutes under this protocol.") % {"minutes": interval},
            code="monitoring_too_sparse",
            field="monitoring_interval_minutes",
        )
    observation = _number(protocol, "min_observation_minutes")
    if observation is not None and values["min_observation_minutes"] < observation:
        raise RuleViolation(
            _("Observation must last at least %(minutes)s minutes under this protocol.") % {"minutes": observation},
            code="observation_too_short",
            field="min_observation_minutes",
        )
    spacing = _number(protocol, "min_spacing_days")
    if spacing is not None and values["min_spacing_days"] < spacing:
        raise RuleViolation(
            _("Sessions must be at least %(days)s days apart under this protocol.") % {"days": spacing},
            code="spacing_too_short",
            field="min_spacing_days",
        )
    if not values.get("planned_sessions"):
        raise RuleViolation(_("Plan at least one session."), code="no_sessions", field="planned_sessions")


def _has(protocol: ProtocolDefaults, name: str) -> bool:
    return any(setting.name == name for setting in protocol.settings)


def _decision_still_holds(decision: EligibilityDecision) -> None:
    """The consultation may have been amended since: its findings now must be those signed."""
    now = eligibility.evaluate(consultation_facts(decision.consultation), eligibility.Route(decision.route))
    signed = {(f["rule_id"], f["kind"]) for f in decision.findings.get("findings", [])}
    current = {(f.rule_id, f.kind.value) for f in now.findings}
    if current != signed:
        raise RuleViolation(
            _("The consultation changed after the eligibility decision; sign a new decision first."),
            code="decision_outdated",
        )


def plan_current(*, patient: Patient) -> TreatmentPlan | None:
    return (
        TreatmentPlan.objects.in_use()
        .filter(patient_id=patient.pk, superseded_by__isnull=True)
        .order_by("-version")
        .first()
    )


def treatment_plan_sign(
    *,
    actor: Actor,
    patient: Patient,
    fields: dict[str, Any],
    password: str,
    change_reason: str = "",
    ceiling_sign_off: CeilingSignOff | None = None,
) -> TreatmentPlan:
    """Sign a plan, or a new version of the current one; only a prescriber, with their password.

    A cap above the protocol's mg ceiling also needs ``ceiling_sign_off``: a medical director
    of the patient's center, with their own password and a reason.
    """
    require(actor, Perm.PLAN_SIGN, center_id=patient.center_id)
    # Checked outside the write's transaction, so a wrong password counts towards the lock.
    signature_password_check(signer=actor.user, password=password)
    director = _ceiling_director(actor=actor, patient=patient, sign_off=ceiling_sign_off)
    return _treatment_plan_record(
        actor=actor,
        patient=patient,
        fields=fields,
        change_reason=change_reason,
        director=director,
        director_reason=ceiling_sign_off.reason.strip() if ceiling_sign_off else "",
    )


def _ceiling_director(*, actor: Actor, patient: Patient, sign_off: CeilingSignOff | None) -> Actor | None:
    """The medical director signing off, after their password; None when no sign-off is offered.

    The director is a second person: a prescriber who is also medical director does not sign
    off their own plan. An unknown username, someone who is not a director here, a wrong
    password and a locked signature all get the same words, so the form does not tell whether
    a username exists.
    """
    if sign_off is None or not (sign_off.director_username.strip() or sign_off.password or sign_off.reason.strip()):
        return None
    from ketaclinic.accounts.models import User

    if not sign_off.reason.strip():
        raise RuleViolation(
            _("The medical director must say why the cap may exceed the protocol's ceiling."),
            code="ceiling_reason_required",
            field="ceiling_reason",
        )
    refused = RuleViolation(
        _("The medical director's name or password is not right."),
        code="ceiling_sign_off_refused",
        field="ceiling_director",
    )
    director_user = User.objects.filter(username=sign_off.director_username.strip(), is_active=True).first()
    if director_user is not None and director_user.pk == actor.user.pk:
        raise RuleViolation(
            _("The medical director signing off must be someone other than the prescriber signing the plan."),
            code="ceiling_self_sign_off",
            field="ceiling_director",
        )
    director = Actor.of(director_user) if director_user is not None else None
    if director is None or not director.can(Perm.PLAN_CEILING_APPROVE, center_id=patient.center_id):
        # Hash the password anyway, so an unknown username takes as long as a known one.
        User().set_password(sign_off.password)
        raise refused
    try:
        signature_password_check(signer=director.user, password=sign_off.password)
    except Forbidden as error:
        if error.code not in SIGNATURE_REFUSALS:
            raise
        raise refused from None
    return director


@transaction.atomic
def _treatment_plan_record(
    *,
    actor: Actor,
    patient: Patient,
    fields: dict[str, Any],
    change_reason: str,
    director: Actor | None = None,
    director_reason: str = "",
) -> TreatmentPlan:
    values = {name: fields.get(name) for name in PLAN_FIELDS}
    protocol = protocol_get(str(values["protocol_key"] or ""))
    route = protocol.route.value
    # One signer at a time per patient, even before the first version exists to be locked.
    Patient.objects.select_for_update().only("pk").get(pk=patient.pk)
    decision = (
        EligibilityDecision.objects.in_use()
        .filter(consultation__patient_id=patient.pk, consultation__entered_in_error_at__isnull=True, route=route)
        .select_related("consultation", "consultation__patient")
        .order_by("-signed_at")
        .first()
    )
    if decision is None or decision.decision != EligibilityDecision.Decision.ELIGIBLE:
        raise RuleViolation(
            _("The latest signed eligibility decision for this route is not 'eligible'."), code="no_eligible_decision"
        )
    _decision_still_holds(decision)
    _bounded(protocol, values)
    raised_ceiling = _ceiling_checked(protocol, Decimal(str(values["cap_mg"])), signed_off=director is not None)
    _first_dose_checked(protocol, patient, values.get("fixed_dose_mg"))
    today = timezone.localdate()
    if values["re_evaluation_due_on"] is None or values["re_evaluation_due_on"] <= today:
        raise RuleViolation(
            _("Set a re-evaluation date in the future."), code="re_evaluation_due", field="re_evaluation_due_on"
        )
    previous = TreatmentPlan.objects.select_for_update().filter(patient_id=patient.pk).order_by("-version").first()
    if previous is not None and not change_reason.strip():
        raise RuleViolation(_("Say why the plan changes."), code="change_reason_required", field="change_reason")
    phase = values["phase"] or TreatmentPlan.Phase.EVALUATION
    plan = TreatmentPlan(
        patient=patient,
        version=(previous.version + 1) if previous else 1,
        supersedes=previous,
        decision=decision,
        route=route,
        protocol_library_version=PROTOCOL_LIBRARY_VERSION,
        protocol_settings={s.name: protocol_setting_as_signed(s) for s in protocol.settings},
        phase=phase,
        phase_since=previous.phase_since if previous and previous.phase == phase else today,
        ended_reason=fields.get("ended_reason") or "",
        change_reason=change_reason.strip(),
        signed_by=actor.user,
        signed_at=timezone.now(),
        ceiling_approved_by=director.user if director is not None and raised_ceiling else None,
        ceiling_approved_at=timezone.now() if raised_ceiling else None,
        ceiling_approval_reason=director_reason if raised_ceiling else "",
        **{name: values[name] for name in PLAN_FIELDS if name not in {"phase"}},
    )
    if plan.phase == TreatmentPlan.Phase.ENDED and not plan.ended_reason.strip():
        raise RuleViolation(_("Say why the course ended."), code="ended_reason_required", field="ended_reason")
    plan.content_sha256 = hashlib.sha256(
        json.dumps(jsonable(snapshot(plan)), sort_keys=True, default=str).encode()
    ).hexdigest()
    validated(plan)
    plan.save()
    audit_change_record(
        actor=actor,
        instance=plan,
        action=AuditAction.TREATMENT_PLAN_SIGNED,
        changes=changes_between(snapshot(previous) if previous else {}, snapshot(plan)),
        reason=change_reason,
    )
    if raised_ceiling:
        audit_change_record(
            actor=director,
            instance=plan,
            action=AuditAction.TREATMENT_PLAN_CEILING_RAISED,
            changes={
                "cap_mg": [None, jsonable(plan.cap_mg)],
                "ceiling_mg": [None, jsonable(protocol.decimal("ceiling_mg"))],
            },
            reason=director_reason,
        )
    return plan


def plan_values(plan: TreatmentPlan) -> dict[str, Any]:
    """A plan's values, to start the next version from."""
    return {name: getattr(plan, name) for name in PLAN_FIELDS} | {"ended_reason": plan.ended_reason}
