"""The patient's care team outside the clinic, and their consent to share records with it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from ketaclinic.audit.actions import AuditAction
from ketaclinic.audit.services import audit_change_record, changes_between, snapshot
from ketaclinic.clinics.actors import Actor
from ketaclinic.clinics.authorization import require
from ketaclinic.core.permissions import Perm
from ketaclinic.patients.models import CareTeamMember, Patient
from ketaclinic.patients.services.record_steps import mark_entered_in_error, only_known_fields
from ketaclinic.validation import validated

CARE_TEAM_FIELDS = (
    "role",
    "name",
    "practice",
    "phone",
    "fax",
    "email",
    "npi",
    "has_consent_to_share",
    "consent_recorded_on",
)


@transaction.atomic
def care_team_member_add(*, actor: Actor, patient: Patient, fields: Mapping[str, Any]) -> CareTeamMember:
    require(actor, Perm.CARE_TEAM_EDIT, center_id=patient.center_id)
    member = CareTeamMember(patient=patient, **only_known_fields(fields, CARE_TEAM_FIELDS))
    _consent_dated(member)
    validated(member)
    member.save()
    audit_change_record(
        actor=actor,
        instance=member,
        action=AuditAction.CARE_TEAM_MEMBER_ADDED,
        changes=changes_between({}, snapshot(member)),
    )
    return member


@transaction.atomic
def care_team_member_update(*, actor: Actor, member: CareTeamMember, fields: Mapping[str, Any]) -> CareTeamMember:
    require(actor, Perm.CARE_TEAM_EDIT, center_id=member.patient.center_id)
    values = only_known_fields(fields, CARE_TEAM_FIELDS)
    member = CareTeamMember.objects.select_for_update().select_related("patient").get(pk=member.pk)
    before = snapshot(member)
    for name, value in values.items():
        setattr(member, name, value)
    _consent_dated(member)
    validated(member)
    changes = changes_between(before, snapshot(member))
    if changes:
        member.save()
        audit_change_record(actor=actor, instance=member, action=AuditAction.CARE_TEAM_MEMBER_UPDATED, changes=changes)
    return member


def _consent_dated(member: CareTeamMember) -> None:
    if member.has_consent_to_share and member.consent_recorded_on is None:
        member.consent_recorded_on = timezone.localdate()
    if not member.has_consent_to_share:
        member.consent_recorded_on = None


@transaction.atomic
def care_team_member_mark_entered_in_error(*, actor: Actor, member: CareTeamMember, reason: str) -> CareTeamMember:
    require(actor, Perm.CARE_TEAM_EDIT, center_id=member.patient.center_id)
    return mark_entered_in_error(
        actor=actor, record=member, reason=reason, action=AuditAction.CARE_TEAM_MEMBER_ENTERED_IN_ERROR
    )
