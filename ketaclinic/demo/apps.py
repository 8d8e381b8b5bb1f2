from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "ketaclinic.demo"
    verbose_name = "Demo network and synthetic patients"
