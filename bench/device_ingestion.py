"""Vital-sign ingestion: readings per second through the monitor API vs inserting the same rows.

Usage: DATABASE_URL=... .venv/bin/python bench/device_ingestion.py [batches] [readings-per-batch]
Defaults to a fresh SQLite file. Starts gunicorn (2 workers) on a free loopback port and posts
batches over real HTTP, then inserts the same number of rows directly with the ORM.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketaclinic.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from ketaclinic.accounts.models import User  # noqa: E402
from ketaclinic.audit.records import ChangeAuthor  # noqa: E402
from ketaclinic.clinics.models import Chair  # noqa: E402
from ketaclinic.core.tokens import token_digest  # noqa: E402
from ketaclinic.patients.models import Patient  # noqa: E402
from ketaclinic.sessions.models import MonitorDevice, TreatmentSession, VitalSign  # noqa: E402
from ketaclinic.treatment.models import TreatmentPlan  # noqa: E402

TOKEN = "bench-monitor-token-000000000000"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def new_session(patient: Patient, plan: TreatmentPlan, chair: Chair, nurse: User) -> TreatmentSession:
    now = timezone.now()
    # Started three hours ago: the readings, a second apart from the start, are all in the past
    # (the API refuses one dated more than a few minutes ahead).
    return TreatmentSession.objects.create(
        patient=patient,
        plan=plan,
        chair=chair,
        nurse=nurse,
        number_in_series=1,
        starts_at=now - dt.timedelta(hours=3),
        ends_at=now + dt.timedelta(hours=2),
        booked_by=nurse,
        booked_at=now,
    )


def main(batches: int, size: int) -> None:
    call_command("migrate", verbosity=0)
    call_command("seed_demo", patients=50, seed=1, stdout=open(os.devnull, "w"))  # noqa: SIM115
    nurse = User.objects.get(username="nurse.beach")
    patient = Patient.objects.filter(center__slug="buena-park-beach").first()
    assert patient is not None
    chair = Chair.objects.filter(room__center=patient.center).first()
    assert chair is not None
    # A stand-in signed plan: the benchmark measures ingestion, not planning.
    from tests.factories import StandInPlanFactory

    plan = StandInPlanFactory(patient=patient, signer=nurse)
    MonitorDevice.objects.get_or_create(center=patient.center, label="bench", token_hash=token_digest(TOKEN))
    api_session = new_session(patient, plan, chair, nurse)
    connection.close()

    port = free_port()
    env = os.environ | {"DJANGO_ALLOWED_HOSTS": "127.0.0.1", "KETACLINIC_PLAIN_STATIC": "1"}
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "ketaclinic.wsgi:application",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "2",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        url = f"http://127.0.0.1:{port}/api/v1/sessions/{api_session.external_id}/vitals"
        start = api_session.starts_at
        began = time.perf_counter()
        for b in range(batches):
            readings = [
                {
                    "idempotency_key": f"b{b}-r{n}",
                    "measured_at": (start + dt.timedelta(seconds=b * size + n)).isoformat(),
                    "systolic_mmhg": 120,
                    "diastolic_mmhg": 80,
                    "heart_rate_bpm": 72,
                    "spo2_percent": 98,
                }
                for n in range(size)
            ]
            request = urllib.request.Request(
                url,
                data=json.dumps({"readings": readings}).encode(),
                method="POST",
                headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"},
            )
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                assert json.loads(response.read())["created"] == size
        api_seconds = time.perf_counter() - began
    finally:
        server.terminate()
        server.wait(timeout=30)

    direct_session = new_session(patient, plan, chair, nurse)
    rows = [
        VitalSign(
            session=direct_session,
            source="device",
            measured_at=direct_session.starts_at + dt.timedelta(seconds=i),
            idempotency_key=f"d{i}",
            systolic_mmhg=120,
            diastolic_mmhg=80,
            heart_rate_bpm=72,
            spo2_percent=98,
        )
        for i in range(batches * size)
    ]
    began = time.perf_counter()
    VitalSign.objects.bulk_create(rows, batch_size=size, recorded_by=ChangeAuthor(actor=None, label="bench"))
    direct_seconds = time.perf_counter() - began
    total = batches * size
    print(f"database: {connection.vendor}; {total} readings in batches of {size}")
    print(f"API over HTTP (gunicorn, 2 workers): {api_seconds:.2f} s, {total / api_seconds:.0f} readings/s")
    print(f"direct bulk insert with history:      {direct_seconds:.2f} s, {total / direct_seconds:.0f} readings/s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200, int(sys.argv[2]) if len(sys.argv) > 2 else 10)
