"""Vital-sign ingestion: readings per second through the monitor API vs inserting the same rows.

Usage: DATABASE_URL=... .venv/bin/python bench/device_ingestion.py [batches] [readings-per-batch]
Defaults to a fresh SQLite file. Starts gunicorn (2 workers) on a free loopback port and posts
batches over real HTTP, then inserts the same number of rows directly with the ORM.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketaclinic.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from ketaclinic.audit.records import ChangeAuthor  # noqa: E402
from ketaclinic.sessions.models import VitalSign  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from monitor_rig import batch_post, free_port, readings_for, rig_ready, server_start  # noqa: E402


def main(batches: int, size: int) -> None:
    rig = rig_ready()
    api_session = rig.new_session()
    port = free_port()
    server = server_start(port)
    try:
        began = time.perf_counter()
        for b in range(batches):
            assert batch_post(port, api_session, readings_for(api_session, b, size))["created"] == size
        api_seconds = time.perf_counter() - began
    finally:
        server.terminate()
        server.wait(timeout=30)

    direct_session = rig.new_session()
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
