"""Steps the treatment-plan tests share, and the sessions tests that need a signed IV plan."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from ketaclinic.treatment.services import plan_defaults, protocol_get


def iv_plan(**changes):  # type: ignore[no-untyped-def]
    return (
        plan_defaults(protocol_get("iv_racemic_ketamine"))
        | {
            "indication": "Treatment-resistant depression",
            "goals": "PHQ-9 below 10 within 3 weeks",
            "measurement_instruments": ["phq9"],
            "re_evaluation_due_on": timezone.localdate() + dt.timedelta(days=21),
            "phase": "induction",
        }
        | changes
    )
