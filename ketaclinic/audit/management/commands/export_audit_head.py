from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ketaclinic.audit.head import audit_head_note


class Command(BaseCommand):
    help = (
        "Print the audit chain's head (seq, mac, when sealed) as JSON signed with the audit key; "
        "cron it to write-once storage and check it with verify_audit --head."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--database", default="default")

    def handle(self, *args: Any, database: str, **options: Any) -> None:
        self.stdout.write(json.dumps(audit_head_note(using=database), sort_keys=True))
