"""Demo measurement history: a few dozen patients through an induction series, deterministic."""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo

from django.utils import timezone

from ketaclinic.accounts.models import User
from ketaclinic.clinics.actors import Actor
from ketaclinic.clinics.models import TreatmentCenter
from ketaclinic.core.measurement_schedule import CourseDates
from ketaclinic.measures.services.responses import questionnaire_response_save
from ketaclinic.measures.services.schedules import measurement_schedule_create
from ketaclinic.patients.models import Patient

# Days after baseline when the demo patients answered: baseline, the day after the first
# infusion, then weekly through a six-infusion induction and a month into maintenance.
DEMO_DAYS = (0, 8, 14, 21, 28, 58)


def _answers(rng: random.Random, items: int, level: float, top: int = 3) -> dict[int, int]:
    return {n: max(0, min(top, round(rng.gauss(level, 0.6)))) for n in range(1, items + 1)}


def _visit_at(rng: random.Random, center: TreatmentCenter, on: dt.date) -> dt.datetime:
    """A moment inside the center's hours on ``on``, or on the last day before it that it was open."""
    hours = {h.weekday: h for h in center.opening_hours.all()}
    for back in range(7):
        day = on - dt.timedelta(days=back)
        if (open_hours := hours.get(day.weekday())) is not None:
            zone = zoneinfo.ZoneInfo(center.time_zone)
            opens = dt.datetime.combine(day, open_hours.opens_at, tzinfo=zone)
            closes = dt.datetime.combine(day, open_hours.closes_at, tzinfo=zone)
            return opens + dt.timedelta(minutes=rng.randrange(int((closes - opens).total_seconds() // 60) - 30))
    raise ValueError(f"{center.slug} has no opening hours, so the demo has no visit day.")


def demo_measures_build(*, centers: list[TreatmentCenter], seed: int, patients_per_center: int = 20) -> int:
    """PHQ-9 and GAD-7 series for the first patients of each center; returns responses made."""
    rng = random.Random(seed)
    now = timezone.now()
    made = 0
    for center in centers:
        nurse = User.objects.get(username=f"nurse.{'beach' if 'beach' in center.slug else 'lapalma'}")
        patients = Patient.objects.filter(center=center).order_by("mrn")[:patients_per_center]
        for index, patient in enumerate(patients):
            # Visits are in the center's hours (the clinic's own clock, not the one the seed ran at).
            first_on = center.local_date(now) - dt.timedelta(days=DEMO_DAYS[-1] + rng.randrange(1, 20))
            baseline, responder = rng.uniform(1.8, 2.6), rng.random() < 0.6
            for visit, day in enumerate(DEMO_DAYS):
                drop = (0.8 if responder else 0.3) * min(1.0, visit / 3)
                level = max(0.2, baseline * (1 - drop))
                phq9 = _answers(rng, 9, level)
                # The last visit of the first patient at each center shows a positive item 9.
                phq9[9] = 1 if (index == 0 and visit == len(DEMO_DAYS) - 1) else 0
                for code, answers in (("phq9", phq9), ("gad7", _answers(rng, 7, level * 0.9))):
                    questionnaire_response_save(
                        actor=Actor.of(nurse), patient=patient, instrument_code=code, answers=answers, source="staff",
                        complete=True, administered_at=_visit_at(rng, center, first_on + dt.timedelta(days=day)),
                    )  # fmt: skip
                    made += 1
            if index < 5:
                today = timezone.localdate()
                measurement_schedule_create(
                    actor=Actor.of(nurse), patient=patient, instruments=["phq9", "gad7"],
                    course=CourseDates(baseline_on=today - dt.timedelta(days=10 - 4 * index),
                                       maintenance_starts_on=today + dt.timedelta(days=3)),
                )  # fmt: skip
    return made
