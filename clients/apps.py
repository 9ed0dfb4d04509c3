from django.apps import AppConfig


class ClientsConfig(AppConfig):
    """Client businesses, their locations and the PulseBack feedback sync."""

    name = "clients"
