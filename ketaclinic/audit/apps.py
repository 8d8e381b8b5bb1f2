from django.apps import AppConfig
from django.db.backends.signals import connection_created


class AuditConfig(AppConfig):
    name = "ketaclinic.audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from ketaclinic.audit import checks  # noqa: F401  (registers system checks)
        from ketaclinic.audit.guard import sqlite_removal_question_define

        connection_created.connect(sqlite_removal_question_define, dispatch_uid="audit_entry_removal")
