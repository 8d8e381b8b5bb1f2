from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "ketaclinic.audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from ketaclinic.audit import checks  # noqa: F401  (registers system checks)
