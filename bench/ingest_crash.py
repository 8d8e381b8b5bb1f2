"""Crash run: kill -9 the app servers while a monitor sends, resend, and count what was kept.

Usage: DATABASE_URL=... .venv/bin/python bench/ingest_crash.py [batches] [readings-per-batch] [kills]
Defaults to a fresh SQLite file, 250 batches of 20 readings (5,000) and 3 kills. A monitor client
sends its batches over real HTTP, retrying each one with the same idempotency keys until it is
answered; meanwhile gunicorn (master and workers) is killed with SIGKILL at random moments and
started again. Afterwards every reading sent must be stored once, each with its audit entry.
"""

from __future__ import annotations

import os
import random
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp()}/crash.sqlite3")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketaclinic.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402

from ketaclinic.audit.models import AuditEntry  # noqa: E402
from ketaclinic.sessions.models import VitalSign  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from monitor_rig import batch_post, free_port, readings_for, rig_ready, server_start  # noqa: E402


def main(batches: int, size: int, kills: int) -> int:
    rig = rig_ready()
    session = rig.new_session()
    port = free_port()
    server = server_start(port)
    done = threading.Event()
    retries = 0
    duplicates_reported = 0

    def send() -> None:
        nonlocal retries, duplicates_reported
        for batch in range(batches):
            readings = readings_for(session, batch, size)
            while True:
                try:
                    answer = batch_post(port, session, readings)
                except OSError:  # the server died under the request, or is not back yet
                    retries += 1
                    time.sleep(0.05)
                    continue
                duplicates_reported += int(answer["duplicates"])  # type: ignore[call-overload]
                break
        done.set()

    sender = threading.Thread(target=send)
    sender.start()
    chance = random.Random(17)
    killed = 0
    while killed < kills and not done.wait(chance.uniform(1.0, 3.0)):
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
        killed += 1
        server = server_start(port)
    sender.join()
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)

    sent = batches * size
    stored = VitalSign.objects.filter(session=session).count()
    keys_twice = (
        VitalSign.objects.filter(session=session)
        .values("idempotency_key")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    reading_ids = {str(i) for i in VitalSign.objects.filter(session=session).values_list("external_id", flat=True)}
    audited = set(
        AuditEntry.objects.filter(object_type="treatment_sessions.vitalsign", object_id__in=reading_ids).values_list(
            "object_id", flat=True
        )
    )
    without_entry = len(reading_ids - audited)
    print(f"database: {connection.vendor}; kills: {killed}; client retries: {retries}")
    print(f"sent {sent}, stored {stored}, keys stored twice {keys_twice}, readings without audit entry {without_entry}")
    print(f"resent readings answered as duplicates (committed before the kill): {duplicates_reported}")
    ok = stored == sent and keys_twice == 0 and without_entry == 0
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    sys.exit(main(*(args + [250, 20, 3][len(args) :])))
