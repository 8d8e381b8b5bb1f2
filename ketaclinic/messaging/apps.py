from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "ketaclinic.messaging"
    verbose_name = "Messages to patients"
