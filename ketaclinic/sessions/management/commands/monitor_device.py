from __future__ import annotations

import getpass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ketaclinic.clinics.models import TreatmentCenter
from ketaclinic.core.errors import DomainError
from ketaclinic.sessions.models import MonitorDevice
from ketaclinic.sessions.services.devices import monitor_device_register, monitor_device_retire


class Command(BaseCommand):
    help = "Register a vital-signs monitor for a center (prints its token once), list them, or retire one."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        register = actions.add_parser("register", help="Register a monitor and print its token once.")
        register.add_argument("center", help="The center's slug.")
        register.add_argument("label", help="What the monitor is, e.g. 'Chair 1A monitor'.")
        listing = actions.add_parser("list", help="List a center's monitors.")
        listing.add_argument("center", help="The center's slug.")
        retire = actions.add_parser("retire", help="Stop a monitor's token working.")
        retire.add_argument("device", help="The monitor's id, as listed.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        by = f"manage.py monitor_device ({getpass.getuser()})"
        try:
            if action == "register":
                device, token = monitor_device_register(
                    center=self._center(options["center"]), label=options["label"], by=by
                )
                self.stdout.write(f"Registered {device.label} ({device.external_id}).")
                self.stdout.write(f"Token (shown once; configure the monitor with it): {token}")
            elif action == "list":
                for device in MonitorDevice.objects.filter(center=self._center(options["center"])).order_by("label"):
                    state = "active" if device.is_active else "retired"
                    self.stdout.write(f"{device.external_id}  {state:<8} {device.label}")
            else:
                try:
                    device = MonitorDevice.objects.get(external_id=options["device"])
                except (MonitorDevice.DoesNotExist, ValueError, ValidationError):
                    raise CommandError("No such monitor.") from None
                monitor_device_retire(device=device, by=by)
                self.stdout.write(f"Retired {device.label}; its token no longer works.")
        except DomainError as error:
            raise CommandError(str(error)) from None

    @staticmethod
    def _center(slug: str) -> TreatmentCenter:
        try:
            return TreatmentCenter.objects.get(slug=slug)
        except TreatmentCenter.DoesNotExist:
            raise CommandError(f"No center with the slug {slug!r}.") from None
