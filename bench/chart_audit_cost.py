"""How much the access audit costs on the patient chart: requests with it on and off.

Usage: DATABASE_URL=... .venv/bin/python bench/chart_audit_cost.py [requests]
Defaults to a fresh SQLite file. Runs migrate and seed_demo (2,000 patients) first, then
alternates blocks of chart requests with the audit on and off and reports the medians.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketaclinic.settings")
os.environ.setdefault("KETACLINIC_PLAIN_STATIC", "1")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from ketaclinic.accounts.models import User  # noqa: E402
from ketaclinic.patients.models import Patient  # noqa: E402


def main(requests: int) -> None:
    settings.ALLOWED_HOSTS = ["testserver"]
    call_command("migrate", verbosity=0)
    if not Patient.objects.exists():
        call_command("seed_demo", patients=2000, seed=1, stdout=open(os.devnull, "w"))  # noqa: SIM115
    nurse = User.objects.get(username="nurse.beach")
    urls = [p.get_absolute_url() for p in Patient.objects.filter(center__slug="buena-park-beach")[:50]]
    client = Client()
    client.force_login(nurse)
    client.get(urls[0])
    timings: dict[bool, list[float]] = {True: [], False: []}
    queries: dict[bool, int] = {}
    for block in range(requests // 50):
        audit_on = block % 2 == 0
        settings.KETACLINIC_ACCESS_AUDIT = audit_on
        with CaptureQueriesContext(connection) as captured:
            client.get(urls[0])
        queries[audit_on] = len(captured)
        for url in urls:
            started = time.perf_counter()
            response = client.get(url)
            timings[audit_on].append(time.perf_counter() - started)
            assert response.status_code == 200
    for audit_on in (False, True):
        values = sorted(timings[audit_on])
        median_ms = statistics.median(values) * 1000
        p95_ms = values[int(len(values) * 0.95)] * 1000
        label = "on " if audit_on else "off"
        print(
            f"audit {label}: {len(values)} requests, median {median_ms:.2f} ms, p95 {p95_ms:.2f} ms, "
            f"{queries[audit_on]} queries per chart"
        )
    print(f"database: {connection.vendor}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
