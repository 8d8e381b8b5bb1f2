from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ketaclinic.audit.services import audit_seal_all
from ketaclinic.demo.network import DEMO_PASSWORD, demo_logins, demo_network_build, demo_patients_build
from ketaclinic.demo.questionnaires import demo_measures_build
from ketaclinic.demo.sessions import demo_sessions_build
from ketaclinic.patients.models import Patient


class Command(BaseCommand):
    help = "Create the demo network (two Buena Park centers, staff of every role) and synthetic patients."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--patients", type=int, default=200, help="How many synthetic patients to add.")
        parser.add_argument("--seed", type=int, default=1, help="Random seed: the same seed gives the same data.")
        parser.add_argument("--if-empty", action="store_true", help="Do nothing if any patient already exists.")

    def handle(self, *args: Any, patients: int, seed: int, if_empty: bool, **options: Any) -> None:
        started = time.perf_counter()
        if if_empty and Patient.objects.exists():
            self.stdout.write("Demo data already present; nothing added.")
        else:
            centers = demo_network_build()
            made = demo_patients_build(centers=centers, count=patients, seed=seed)
            scored = demo_measures_build(centers=centers, seed=seed, patients_per_center=min(20, patients // 4))
            sessions = demo_sessions_build(centers=centers, seed=seed)
            sealed = audit_seal_all()
            self.stdout.write(
                f"Added {made} patients across {len(centers)} centers in {time.perf_counter() - started:.1f} s "
                f"({scored} scored questionnaires, {sessions} treatment sessions, {sealed} audit entries sealed)."
            )
        self.stdout.write(f"Demo sign-ins (password for all: {DEMO_PASSWORD}):")
        for login in demo_logins():
            self.stdout.write(f"  {login.username:<22} {login.role:<13} {', '.join(login.centers)}")
