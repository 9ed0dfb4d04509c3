from django.apps import AppConfig


class AgencyConfig(AppConfig):
    name = "agency"
    verbose_name = "Agencies"

    def ready(self):
        from agency.metrics import receivers

        receivers.connect()
