from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "ketaclinic.staff"
    verbose_name = "Staff sign-in and centers"
