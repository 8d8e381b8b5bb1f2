from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from ketaclinic.clinics.actors import Actor
from ketaclinic.core.errors import NotFound
from ketaclinic.core.permissions import Perm
from ketaclinic.patients.models import TreatmentRoute
from ketaclinic.patients.selectors.scoping import patient_records_scope
from ketaclinic.treatment.models import TreatmentPlan


def plan_versions(*, actor: Actor, patient: Any) -> list[TreatmentPlan]:
    """Every version of the patient's plan, newest first (the caller scoped the patient)."""
    return list(
        TreatmentPlan.objects.in_use()
        .filter(patient_id=patient.pk)
        .select_related("signed_by", "decision", "ceiling_approved_by")
        .order_by("-version")
    )


def plan_get(*, actor: Actor, patient: Any, plan_id: UUID | str) -> TreatmentPlan:
    try:
        return (
            TreatmentPlan.objects.in_use()
            .select_related("signed_by", "ceiling_approved_by")
            .get(patient_id=patient.pk, external_id=plan_id)
        )
    except (TreatmentPlan.DoesNotExist, ValueError):
        raise NotFound(_("Plan not found."), code="plan_not_found") from None


def plans_due_for_re_evaluation(
    *, actor: Actor, center_id: int | None, today: dt.date, days_ahead: int = 7
) -> QuerySet[TreatmentPlan]:
    """Current plans whose re-evaluation falls due within ``days_ahead`` days, overdue first."""
    return (
        TreatmentPlan.objects.in_use()
        .filter(
            patient_records_scope(actor=actor, perm=Perm.PLAN_VIEW, center_id=center_id),
            superseded_by__isnull=True,
            re_evaluation_due_on__lte=today + dt.timedelta(days=days_ahead),
        )
        .exclude(phase=TreatmentPlan.Phase.ENDED)
        .select_related("patient", "signed_by")
        .order_by("re_evaluation_due_on")
    )


def esketamine_given_before(*, patient_id: int) -> bool:
    """Whether the patient has been given any esketamine (a dose started, not entered in error), in any session.

    Read from the plans through the sessions booked under them and their doses: the relations the
    sessions app declares onto plans, so treatment needs none of the sessions app's code.
    """
    return TreatmentPlan.objects.filter(
        sessions__patient_id=patient_id,
        sessions__doses__route=TreatmentRoute.ESKETAMINE,
        sessions__doses__started_at__isnull=False,
        sessions__doses__entered_in_error_at__isnull=True,
    ).exists()
