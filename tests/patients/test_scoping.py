"""The one center-scoping rule, and the permission every patient selector is handed."""

from __future__ import annotations

import datetime as dt
import inspect
from contextvars import ContextVar

import pytest
from django.utils import timezone

from ketaclinic.audit import access
from ketaclinic.clinics.models import StaffRole
from ketaclinic.core.errors import NotFound
from ketaclinic.core.permissions import Perm, Role
from ketaclinic.patients.models import EmergencyAccess, Patient, PatientAlert
from ketaclinic.patients.selectors.patients import patient_chart_get, patient_get
from ketaclinic.patients.selectors.scoping import at_centers, patient_records_scope, patient_scope
from tests.factories import PatientAlertFactory, PatientFactory, StaffFactory, TreatmentCenterFactory
from tests.steps import acting


@pytest.fixture
def prescriber_and_front_desk(center, other_center):  # type: ignore[no-untyped-def]
    """Prescriber at ``center``, front desk at ``other_center``."""
    user = StaffFactory(center=center, role=Role.PRESCRIBER)
    StaffRole.objects.create(user=user, center=other_center, role=Role.FRONT_DESK)
    return user


@pytest.mark.parametrize("selector", [patient_get, patient_chart_get])
def test_a_patient_selector_cannot_be_called_without_the_permission_it_scopes_by(selector):
    """``perm`` is keyword-only with no default: the caller (a view passes its own) always names it."""
    perm = inspect.signature(selector).parameters["perm"]
    assert perm.kind is inspect.Parameter.KEYWORD_ONLY
    assert perm.default is inspect.Parameter.empty
    with pytest.raises(TypeError, match="perm"):
        selector(actor=None, patient_id="00000000-0000-0000-0000-000000000000")


def test_the_view_decorator_keeps_no_permission_for_selectors_to_read():
    """The only context the staff view sets is the recorder of patients shown."""
    context_vars = [name for name, value in vars(access).items() if isinstance(value, ContextVar)]
    assert context_vars == ["_recorder"]
    assert not hasattr(access, "current_view_perm")


@pytest.mark.django_db
def test_records_are_reached_only_at_centers_where_the_role_allows_the_action(
    center, other_center, prescriber_and_front_desk
):
    actor = acting(prescriber_and_front_desk)
    here = PatientAlertFactory(patient=PatientFactory(center=center))
    there = PatientAlertFactory(patient=PatientFactory(center=other_center))
    PatientAlertFactory(patient=PatientFactory(center=TreatmentCenterFactory(organization=center.organization)))

    def reached(perm: Perm, center_id: int | None = None) -> set[PatientAlert]:
        return set(PatientAlert.objects.filter(patient_records_scope(actor=actor, perm=perm, center_id=center_id)))

    assert reached(Perm.PATIENT_VIEW) == {here, there}
    assert reached(Perm.CONSULTATION_VIEW) == {here}
    assert reached(Perm.PATIENT_VIEW, center_id=other_center.pk) == {there}
    assert reached(Perm.CONSULTATION_VIEW, center_id=other_center.pk) == set()
    assert set(
        PatientAlert.objects.filter(at_centers(actor=actor, perm=Perm.PLAN_SIGN, field="patient__center_id"))
    ) == {here}


@pytest.mark.django_db
def test_an_emergency_grant_opens_a_patient_to_view_only_while_it_lasts(center, nurse):
    actor = acting(nurse)
    elsewhere = TreatmentCenterFactory(organization=center.organization)
    mine, granted, expired = (
        PatientFactory(center=center),
        PatientFactory(center=elsewhere),
        PatientFactory(center=elsewhere),
    )
    now = timezone.now()
    for patient, expires_at in ((granted, now + dt.timedelta(hours=1)), (expired, now - dt.timedelta(minutes=1))):
        EmergencyAccess.objects.create(
            actor=nurse,
            patient=patient,
            reason="Covering the infusion suite this afternoon.",
            granted_at=now - dt.timedelta(hours=2),
            expires_at=expires_at,
        )

    def reached(perm: Perm, center_id: int | None = None) -> set[Patient]:
        return set(Patient.objects.filter(patient_scope(actor=actor, perm=perm, center_id=center_id)))

    assert reached(Perm.PATIENT_VIEW) == {mine, granted}
    assert reached(Perm.PATIENT_EDIT) == {mine}
    assert reached(Perm.PATIENT_VIEW, center_id=elsewhere.pk) == set()


@pytest.mark.django_db
def test_a_prescriber_who_is_front_desk_elsewhere_opens_the_other_centers_patient_only_as_front_desk(
    other_center, prescriber_and_front_desk
):
    """What the view's own permission used to narrow through a ContextVar, the argument now does."""
    actor = acting(prescriber_and_front_desk)
    theirs = PatientFactory(center=other_center)
    assert patient_get(actor=actor, perm=Perm.PATIENT_VIEW, patient_id=theirs.external_id) == theirs
    assert patient_chart_get(actor=actor, perm=Perm.PATIENT_EDIT, patient_id=theirs.external_id) == theirs
    for perm in (Perm.CONSULTATION_VIEW, Perm.PLAN_VIEW, Perm.MEASURE_RATE):
        with pytest.raises(NotFound):
            patient_get(actor=actor, perm=perm, patient_id=theirs.external_id)
        with pytest.raises(NotFound):
            patient_chart_get(actor=actor, perm=perm, patient_id=theirs.external_id)
