"""Every read of patient data starts here, scoped to the acting member of staff.

A patient is visible to a staff member whose role allows the action at the patient's
center, or, for a limited time, through a break-the-glass grant (``scoping``). The caller
names the action: a view passes its own permission. "Not yours" and "no such patient" give
the same NotFound.
"""

from __future__ import annotations

import datetime as dt
import re
from uuid import UUID

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from ketaclinic.clinics.actors import Actor
from ketaclinic.core.errors import NotFound
from ketaclinic.core.permissions import Perm
from ketaclinic.patients.models import Allergy, CareTeamMember, Patient, PatientAlert
from ketaclinic.patients.selectors.scoping import patient_scope

_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def parse_date_of_birth(text: str) -> dt.date | None:
    """Read a date typed as YYYY-MM-DD or MM/DD/YYYY; anything else is not a date."""
    text = text.strip()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    match = _US_DATE.match(text)
    if match:
        month, day, year = (int(part) for part in match.groups())
        try:
            return dt.date(year, month, day)
        except ValueError:
            return None
    return None


def _name_starts_with(word: str) -> Q:
    return Q(family_name__istartswith=word) | Q(given_name__istartswith=word) | Q(preferred_name__istartswith=word)


def patient_list(*, actor: Actor, search: str = "", center_id: int | None = None) -> QuerySet[Patient]:
    """Patients at the actor's centers (or one of them), matching a name, birth date or MRN."""
    patients = Patient.objects.filter(patient_scope(actor=actor, perm=Perm.PATIENT_LIST, center_id=center_id)).in_use()
    search = " ".join(search.split())
    if search:
        born = parse_date_of_birth(search)
        if born is not None:
            patients = patients.filter(date_of_birth=born)
        else:
            # "Garcia, Ana" or "ana gar": every word must start some part of the name.
            match = Q()
            for word in search.replace(",", " ").split():
                match &= _name_starts_with(word)
            patients = patients.filter(match | Q(mrn__iexact=search))
    return patients.select_related("center").order_by("family_name", "given_name", "pk")


def patient_get(*, actor: Actor, perm: Perm, patient_id: UUID | str) -> Patient:
    """The patient, if the actor may reach them for ``perm`` (the calling view's permission)."""
    try:
        return (
            Patient.objects.filter(patient_scope(actor=actor, perm=perm))
            .select_related("center", "organization")
            .get(external_id=patient_id)
        )
    except (Patient.DoesNotExist, ValueError):
        raise NotFound(_("Patient not found."), code="patient_not_found") from None


def patient_chart_get(*, actor: Actor, perm: Perm, patient_id: UUID | str) -> Patient:
    """The patient with what the chart banner and summary show, in a fixed number of queries."""
    try:
        return (
            Patient.objects.filter(patient_scope(actor=actor, perm=perm))
            .select_related("center", "organization")
            .prefetch_related(
                Prefetch(
                    "allergies", queryset=Allergy.objects.in_use().order_by("substance"), to_attr="current_allergies"
                ),
                Prefetch(
                    "alerts",
                    queryset=PatientAlert.objects.in_use().filter(resolved_at__isnull=True).order_by("-raised_at"),
                    to_attr="open_alerts",
                ),
                Prefetch(
                    "care_team",
                    queryset=CareTeamMember.objects.in_use().order_by("role", "name"),
                    to_attr="current_care_team",
                ),
            )
            .get(external_id=patient_id)
        )
    except (Patient.DoesNotExist, ValueError):
        raise NotFound(_("Patient not found."), code="patient_not_found") from None


def patient_find_for_emergency(*, actor: Actor, mrn: str, date_of_birth: dt.date) -> Patient:
    """Find a patient anywhere in the actor's organizations by exact MRN and birth date.

    Both must match, so a grant cannot be used to browse; the patient's data is shown only
    after a grant is made.
    """
    try:
        return (
            Patient.objects.in_use()
            .select_related("center")
            .get(
                organization_id__in=actor.organizations_with(Perm.EMERGENCY_ACCESS),
                mrn__iexact=mrn.strip(),
                date_of_birth=date_of_birth,
            )
        )
    except Patient.DoesNotExist:
        raise NotFound(
            _("No patient in your organization has that record number and date of birth."),
            code="patient_not_found",
        ) from None
