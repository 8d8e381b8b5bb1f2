from django.apps import AppConfig


class ClinicsConfig(AppConfig):
    name = "ketaclinic.clinics"
    verbose_name = "Treatment centers"
