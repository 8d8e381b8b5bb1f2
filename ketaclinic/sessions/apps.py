from django.apps import AppConfig


class TreatmentSessionsConfig(AppConfig):
    name = "ketaclinic.sessions"
    # django.contrib.sessions already holds the label "sessions".
    label = "treatment_sessions"
    verbose_name = "Treatment sessions"
