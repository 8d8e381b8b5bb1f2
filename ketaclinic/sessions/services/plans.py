"""Which plan a session is dosed under, looked up under a lock on the patient's row.

Read afresh at every step of a dose (checklist, prepare, verify, start): a prescriber may sign a
new version of the plan at any moment.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ketaclinic.core.errors import RuleViolation
from ketaclinic.patients.models import Patient
from ketaclinic.sessions.models import TreatmentSession
from ketaclinic.treatment.models import TreatmentPlan
from ketaclinic.treatment.services import plan_current

# A plan in one of these phases doses nobody: the course is paused or over.
_NOT_DOSING = {
    TreatmentPlan.Phase.ENDED: ("course_ended", gettext_lazy("ended the course")),
    TreatmentPlan.Phase.ON_HOLD: ("course_on_hold", gettext_lazy("put the course on hold")),
}


def plan_in_force(*, session: TreatmentSession) -> TreatmentPlan:
    """The plan today's dose for this session is computed under: the patient's current signed plan.

    Read afresh at every step (prepare, verify, start), because a prescriber may sign a new
    version at any moment; a session booked under a version that was since replaced doses from
    the current one only if it still treats by the same route, and never once the course is
    on hold or ended.
    """
    booked = session.plan
    # Signing a plan locks the patient's row (treatment.services); holding it here means no new
    # version lands between this check and the step it guards.
    Patient.objects.select_for_update().only("pk").get(pk=session.patient_id)
    current = plan_current(patient=session.patient)
    if current is None:
        raise RuleViolation(_("The patient has no current signed plan: this session cannot start."), code="no_plan")
    stop = _NOT_DOSING.get(TreatmentPlan.Phase(current.phase))
    if current.pk == booked.pk:
        if stop is not None:
            raise RuleViolation(
                _("Plan v%(v)s %(what)s: this session cannot start; cancel it.")
                % {"v": current.version, "what": stop[1]},
                code=stop[0],
            )
        return current
    replaced = _("Plan v%(old)s was replaced by v%(new)s on %(on)s") % {
        "old": booked.version,
        "new": current.version,
        "on": f"{timezone.localtime(current.signed_at, session.patient.center.zone):%Y-%m-%d}",
    }
    if stop is not None:
        raise RuleViolation(
            _("%(replaced)s, which %(what)s: this session cannot start; cancel it or book under a current plan.")
            % {"replaced": replaced, "what": stop[1]},
            code=stop[0],
        )
    if current.route != booked.route:
        raise RuleViolation(
            _("%(replaced)s, for %(route)s: this session cannot start; cancel it or book under a current plan.")
            % {"replaced": replaced, "route": current.get_route_display()},
            code="plan_route_changed",
        )
    return current
