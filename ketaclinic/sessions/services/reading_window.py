"""When a reading can belong to a session: the one rule for a monitor's and a nurse's readings.

A reading is kept only if it was measured inside the session's window:

- not more than ``SESSION_LEAD_TIME`` before the booked start (an early arrival's pre-dose vitals);
- not later than now plus ``READING_CLOCK_SKEW`` (a monitor's clock runs a little ahead);
- not after the session ended: a completed session ends when the discharge check that
  completed it was made (``DischargeAssessment.assessed_at``; one completed with no discharge on
  record, as the demo seeds them, is bounded by now only); a cancelled or missed session takes
  no reading at all;
- with a time zone: a time without one could be any of a day's worth of moments.

A reading outside it is a typing slip or a monitor with a broken clock; kept, it would date the
record wrongly, and one dated years ahead would hide every missed reading on the chair board.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from ketaclinic.core.errors import RuleViolation
from ketaclinic.sessions.models import DischargeAssessment, TreatmentSession

# How long before its booked start a reading or an intervention can still belong to a session
# (an early arrival's pre-dose vitals); anything earlier is a typing slip (project default).
SESSION_LEAD_TIME = dt.timedelta(hours=2)

# How far ahead of the server's clock a reading may be dated: a monitor's clock drifts and is set
# by hand at some sites, and a reading sent seconds after it was taken can arrive "from the
# future" by that much. Five minutes covers drift between NTP syncs; more would let a wrong clock
# push "next reading due" past the moment a nurse should be looking (project default).
READING_CLOCK_SKEW = dt.timedelta(minutes=5)


def session_closed_at(session: TreatmentSession) -> dt.datetime | None:
    """When a session stopped taking readings: the discharge that completed it, else None.

    None too for a session still open, and for a cancelled or missed one, which has no moment of
    its own: it takes no reading at all.
    """
    if session.status != TreatmentSession.Status.COMPLETED:
        return None
    return (
        DischargeAssessment.objects.in_use()
        .filter(session=session, discharged=True)
        .order_by("-assessed_at")
        .values_list("assessed_at", flat=True)
        .first()
    )


def reading_time_refusal(
    *, session: TreatmentSession, measured_at: dt.datetime, now: dt.datetime, closed_at: dt.datetime | None
) -> RuleViolation | None:
    """Why a reading measured at ``measured_at`` cannot belong to the session, or None if it can.

    ``closed_at`` is ``session_closed_at(session)``, read once for a whole batch.
    """
    if measured_at.tzinfo is None or measured_at.utcoffset() is None:
        return RuleViolation(_("A reading's time must say its time zone."), code="reading_without_time_zone")
    if session.status in (TreatmentSession.Status.CANCELLED, TreatmentSession.Status.NO_SHOW):
        return RuleViolation(_("This session did not take place; it takes no readings."), code="session_closed")
    if measured_at > now + READING_CLOCK_SKEW:
        return RuleViolation(_("A reading cannot be in the future."), code="reading_in_future")
    if measured_at < session.starts_at - SESSION_LEAD_TIME:
        return RuleViolation(
            _("A reading must be from this session, not more than 2 hours before it starts."),
            code="reading_before_session",
        )
    if closed_at is not None and measured_at > closed_at:
        return RuleViolation(_("A reading cannot be after the patient was discharged."), code="reading_after_session")
    return None
