from django.apps import AppConfig


class PharmacyConfig(AppConfig):
    name = "ketaclinic.pharmacy"
    verbose_name = "Pharmacy: drug products, lots and stock"
