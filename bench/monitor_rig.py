"""A bench monitor rig: a demo center with a registered monitor, a session to send to, a server.

Shared by the ingestion benchmark and the crash run. Import after ``django.setup()``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from ketaclinic.accounts.models import User
from ketaclinic.clinics.models import Chair
from ketaclinic.core.tokens import token_digest
from ketaclinic.patients.models import Patient
from ketaclinic.sessions.models import MonitorDevice, TreatmentSession
from ketaclinic.treatment.models import TreatmentPlan

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-monitor-token-000000000000"


@dataclass(frozen=True)
class Rig:
    patient: Patient
    plan: TreatmentPlan
    chair: Chair
    nurse: User

    def new_session(self) -> TreatmentSession:
        now = timezone.now()
        # Started three hours ago: the readings, a second apart from the start, are all in the
        # past (the API refuses one dated more than a few minutes ahead).
        return TreatmentSession.objects.create(
            patient=self.patient,
            plan=self.plan,
            chair=self.chair,
            nurse=self.nurse,
            number_in_series=1,
            starts_at=now - dt.timedelta(hours=3),
            ends_at=now + dt.timedelta(hours=2),
            booked_by=self.nurse,
            booked_at=now,
        )


def rig_ready() -> Rig:
    """Migrate, seed a small demo and register the bench monitor at the first Buena Park center."""
    call_command("migrate", verbosity=0)
    call_command("seed_demo", patients=50, seed=1, stdout=open(os.devnull, "w"))  # noqa: SIM115
    nurse = User.objects.get(username="nurse.beach")
    patient = Patient.objects.filter(center__slug="buena-park-beach").first()
    assert patient is not None
    chair = Chair.objects.filter(room__center=patient.center).first()
    assert chair is not None
    # A stand-in signed plan: the bench measures ingestion, not planning.
    from tests.factories import StandInPlanFactory

    plan = StandInPlanFactory(patient=patient, signer=nurse)
    MonitorDevice.objects.get_or_create(center=patient.center, label="bench", token_hash=token_digest(TOKEN))
    return Rig(patient=patient, plan=plan, chair=chair, nurse=nurse)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def server_start(port: int, workers: int = 2) -> subprocess.Popen[bytes]:
    """gunicorn in its own process group (so a crash run can kill all of it), once it answers."""
    connection.close()
    env = os.environ | {"DJANGO_ALLOWED_HOSTS": "127.0.0.1", "KETACLINIC_PLAIN_STATIC": "1"}
    server = subprocess.Popen(
        [
            *(str(ROOT / ".venv/bin/gunicorn"), "ketaclinic.wsgi:application"),
            *("-b", f"127.0.0.1:{port}", "-w", str(workers), "--log-level", "critical"),
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return server
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not come up")


def readings_for(session: TreatmentSession, batch: int, size: int) -> list[dict[str, object]]:
    start = session.starts_at
    return [
        {
            "idempotency_key": f"b{batch}-r{n}",
            "measured_at": (start + dt.timedelta(seconds=batch * size + n)).isoformat(),
            "systolic_mmhg": 120,
            "diastolic_mmhg": 80,
            "heart_rate_bpm": 72,
            "spo2_percent": 98,
        }
        for n in range(size)
    ]


def batch_post(port: int, session: TreatmentSession, readings: list[dict[str, object]]) -> dict[str, object]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/sessions/{session.external_id}/vitals",
        data=json.dumps({"readings": readings}).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        return json.loads(response.read())
