from django.apps import AppConfig


class ClientsConfig(AppConfig):
    """Client businesses, their locations and the PulseBack feedback sync."""

    name = "clients"

    def ready(self):
        from clients import operations

        operations.connect()  # usage figures and export for the operator (agency.events)
